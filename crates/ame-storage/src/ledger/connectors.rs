//! Webhook connectors: where an organization's posts and ads are published.

use super::SqlExecution;
use crate::entity::connector;
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::{StorageError, StorageResult};
use ame_domain::{Channel, Connector, ConnectorId, OrgId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

fn to_connector(m: connector::Model, with_secret: bool) -> StorageResult<Connector> {
    Ok(Connector {
        id: ConnectorId::from_uuid(m.id),
        name: m.name,
        url: m.url,
        secret: with_secret.then_some(m.secret),
        channels: serde_json::from_value(m.channels)
            .map_err(|e| StorageError::Database(format!("unexpected channels: {e}")))?,
        created_at: m.created_at,
        disabled_at: m.disabled_at,
        disabled_reason: m.disabled_reason,
    })
}

impl SqlExecution {
    pub(crate) async fn create_connector_stored(
        &self,
        org: OrgId,
        name: String,
        url: String,
        secret: String,
        channels: Vec<Channel>,
        now: DateTime<Utc>,
    ) -> StorageResult<Connector> {
        let txn = self.scope.begin_write(org).await?;
        let model = connector::Entity::insert(connector::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            org_id: Set(org.as_uuid()),
            name: Set(name),
            url: Set(url),
            secret: Set(secret),
            channels: Set(serde_json::to_value(&channels)
                .map_err(|e| StorageError::Invalid(e.to_string()))?),
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
