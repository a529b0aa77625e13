//! Webhook connectors: where an organization's posts and ads are published.

use super::SqlExecution;
use crate::entity::connector;
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::{StorageError, StorageResult};
use ame_domain::{
    CampaignId, Channel, Connector, ConnectorId, ContactId, EmailEvent, JobSpec, NewJob,
    NotifySpec, OrgId,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

fn to_connector(m: connector::Model, with_secret: bool) -> StorageResult<Connector> {
    Ok(Connector {
        id: ConnectorId::from_uuid(m.id),
        name: m.name,
        url: m.url,
        secret: with_secret.then_some(m.secret),
        channels: serde_json::from_value(m.channels)
            .map_err(|e| StorageError::Database(format!("unexpected channels: {e}")))?,
        events: serde_json::from_value(m.events)
            .map_err(|e| StorageError::Database(format!("unexpected events: {e}")))?,
        created_at: m.created_at,
        disabled_at: m.disabled_at,
        disabled_reason: m.disabled_reason,
    })
}

/// A connector to store: checked already, its secret made.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConnectorRecord {
    /// Its name.
    pub name: String,
    /// Where it posts.
    pub url: String,
    /// Its `whsec_` signing secret.
    pub secret: String,
    /// The channels it publishes.
    pub channels: Vec<Channel>,
    /// The email events it is told of.
    pub events: Vec<EmailEvent>,
}

/// What an email event is about, for the connectors told of it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFacts {
    /// The campaign whose email it was.
    pub campaign: CampaignId,
    /// The recipient, when known.
    pub contact: Option<ContactId>,
    /// The message, when the event is about one.
    pub message_id: Option<String>,
    /// The channel it happened on.
    pub channel: Channel,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// Enqueues, inside the transaction that records `event`, one notify job for each of `org`'s
/// enabled connectors subscribed to it: the event and its notices commit together or not at
/// all.
pub(crate) async fn notify_in(
    txn: &impl ConnectionTrait,
    org: OrgId,
    event: EmailEvent,
    facts: EventFacts,
) -> StorageResult<()> {
    let rows: Vec<(uuid::Uuid, serde_json::Value)> = connector::Entity::find()
        .select_only()
        .column(connector::Column::Id)
        .column(connector::Column::Events)
        .filter(connector::Column::OrgId.eq(org.as_uuid()))
        .filter(connector::Column::DisabledAt.is_null())
        .into_tuple()
        .all(txn)
        .await
        .db()?;
    let event_id = uuid::Uuid::now_v7();
    let jobs: Vec<NewJob> = rows
        .into_iter()
        .filter(|(_, events)| {
            serde_json::from_value::<Vec<EmailEvent>>(events.clone())
                .is_ok_and(|events| events.contains(&event))
        })
        .map(|(connector, _)| {
            NewJob::new(
                JobSpec::Notify(NotifySpec {
                    connector: ConnectorId::from_uuid(connector),
                    event_id,
                    event,
                    campaign: facts.campaign,
                    contact: facts.contact,
                    message_id: facts.message_id.clone(),
                    channel: facts.channel,
                    occurred_at: facts.at,
                }),
                format!("{event_id}:{connector}"),
                facts.at,
            )
            .for_campaign(facts.campaign)
        })
        .collect();
    if !jobs.is_empty() {
        crate::queue::enqueue_in(txn, org, &jobs, facts.at).await?;
    }
    Ok(())
}

impl SqlExecution {
    pub(crate) async fn create_connector_stored(
        &self,
        org: OrgId,
        new: NewConnectorRecord,
        now: DateTime<Utc>,
    ) -> StorageResult<Connector> {
        let NewConnectorRecord {
            name,
            url,
            secret,
            channels,
            events,
        } = new;
        let txn = self.scope.begin_write(org).await?;
        let model = connector::Entity::insert(connector::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            org_id: Set(org.as_uuid()),
            name: Set(name),
            url: Set(url),
            secret: Set(secret),
            channels: Set(serde_json::to_value(&channels)
                .map_err(|e| StorageError::Invalid(e.to_string()))?),
            events: Set(
                serde_json::to_value(&events).map_err(|e| StorageError::Invalid(e.to_string()))?
            ),
            created_at: Set(micros(now)),
            disabled_at: Set(None),
            disabled_reason: Set(None),
        })
        .exec_with_returning(&txn)
        .await
        .db()?;
        txn.commit().await.db()?;
        to_connector(model, true)
    }

    pub(crate) async fn list_connectors_stored(&self, org: OrgId) -> StorageResult<Vec<Connector>> {
        let txn = self.scope.begin(org).await?;
        let rows = connector::Entity::find()
            .filter(connector::Column::OrgId.eq(org.as_uuid()))
            .order_by_desc(connector::Column::CreatedAt)
            .order_by_desc(connector::Column::Id)
            .limit(1000)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(|m| to_connector(m, false)).collect()
    }

    pub(crate) async fn get_connector_stored(
        &self,
        org: OrgId,
        id: ConnectorId,
    ) -> StorageResult<Connector> {
        let txn = self.scope.begin(org).await?;
        let found = connector::Entity::find()
            .filter(connector::Column::Id.eq(id.as_uuid()))
            .filter(connector::Column::OrgId.eq(org.as_uuid()))
            .one(&txn)
            .await
            .db()?
            .ok_or(StorageError::not_found("connector"))?;
        txn.commit().await.db()?;
        to_connector(found, true)
    }

    pub(crate) async fn delete_connector_stored(
        &self,
        org: OrgId,
        id: ConnectorId,
    ) -> StorageResult<()> {
        let txn = self.scope.begin_write(org).await?;
        let deleted = connector::Entity::delete_many()
            .filter(connector::Column::Id.eq(id.as_uuid()))
            .filter(connector::Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        if deleted.rows_affected == 0 {
            return Err(StorageError::not_found("connector"));
        }
        Ok(())
    }

    pub(crate) async fn disable_connector_stored(
        &self,
        org: OrgId,
        id: ConnectorId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<()> {
        let txn = self.scope.begin(org).await?;
        connector::Entity::update_many()
            .col_expr(connector::Column::DisabledAt, Expr::value(micros(now)))
            .col_expr(connector::Column::DisabledReason, Expr::value(reason))
            .filter(connector::Column::Id.eq(id.as_uuid()))
            .filter(connector::Column::OrgId.eq(org.as_uuid()))
            .filter(connector::Column::DisabledAt.is_null())
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(())
    }
}
