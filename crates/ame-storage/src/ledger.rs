//! The delivery ledger (one row per campaign, step and contact), tracking events and webhook
//! connectors: what the scheduler reads and writes while a campaign runs.
//!
//! A send moves its row `pending → sending` before the message leaves and `sending → sent`
//! together with completing its job, in one transaction; a crash between the two leaves the row
//! `sending`, and the retry sends the same message (same Message-ID) again — at most one repeat
//! per crash, never a loss.

use crate::entity::{connector, contact, delivery, job, tracking_event};
use crate::error::DbResultExt;
use crate::queue::{self, micros};
use crate::scope::{Scope, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{
    AssetId, CampaignId, Channel, Connector, ConnectorId, Consent, ContactId, Delivery,
    DeliveryState, Job, JobState, NewJob, OrgId, TrackingKind, kinds,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// One message planned for one contact.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSend {
    /// Who receives it.
    pub contact: ContactId,
    /// Which step of the sequence (1-based).
    pub step: u32,
    /// The email sequence asset (version) it comes from.
    pub asset: AssetId,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// The deterministic Message-ID it will carry.
    pub message_id: String,
    /// Which subject variant it uses.
    pub subject_variant: u32,
}

/// How an attempt to send ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// The mail server accepted the message.
    Sent,
    /// The address refused it for good (SMTP 5xx): the contact becomes `bounced`.
    Bounced(String),
    /// Not sent: the contact left the sequence or the campaign ended.
    Suppressed(String),
    /// Not sent: the campaign ended.
    Cancelled,
    /// A temporary failure: retried at the given time while attempts remain.
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again.
        at: DateTime<Utc>,
    },
}

/// A click, view, lead or conversion to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrackingEvent {
    /// The campaign.
    pub campaign: CampaignId,
    /// The asset, if known.
    pub asset: Option<AssetId>,
    /// The variant shown, if known.
    pub variant: Option<u32>,
    /// The contact, if known.
    pub contact: Option<ContactId>,
    /// What happened.
    pub kind: TrackingKind,
    /// The channel it happened on.
    pub channel: Channel,
    /// A conversion's value.
    pub value: Option<Decimal>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A recorded tracking event.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingEvent {
    /// The asset, if known.
    pub asset: Option<AssetId>,
    /// The contact, if known.
    pub contact: Option<ContactId>,
    /// What happened.
    pub kind: TrackingKind,
    /// The channel.
    pub channel: Channel,
    /// A conversion's value.
    pub value: Option<Decimal>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The ledger, tracking events and connectors of one organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ExecutionRepository: Send + Sync {
    /// Plans sends: a ledger row and a `send_email` job each, in one transaction; a send
    /// already planned for the same (campaign, step, contact) is left alone.
    async fn plan_sends(
        &self,
        org: OrgId,
        campaign: CampaignId,
        sends: Vec<PlannedSend>,
        now: DateTime<Utc>,
    ) -> StorageResult<u64>;
    /// Contacts that already have a planned send in `campaign`.
    async fn enrolled(&self, org: OrgId, campaign: CampaignId) -> StorageResult<Vec<ContactId>>;
    /// Marks the send behind a held `send_email` job as being sent (`pending`/`sending` →
    /// `sending`, one more attempt). `None` when it needs no sending any more (already sent,
    /// suppressed or cancelled): the job is then completed here.
    async fn start_send(
        &self,
        job: &Job,
        campaign: CampaignId,
        step: u32,
        contact: ContactId,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Delivery>>;
    /// Records how the send ended and settles its job, in one transaction; false if the worker
    /// lost the job (then nothing is written).
    async fn finish_send(
        &self,
        job: &Job,
        delivery: &Delivery,
        outcome: SendOutcome,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Takes one of `org`'s `limit` sends for the clock minute starting at `minute`, atomically
    /// across every process; false when the minute's sends are all taken.
    async fn take_send_slot(
        &self,
        org: OrgId,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<bool>;
    /// Messages of `org` accepted by the mail server since `since`.
    async fn sent_since(&self, org: OrgId, since: DateTime<Utc>) -> StorageResult<u64>;
    /// A campaign's ledger, by step and due time.
    async fn deliveries(
        &self,
        org: OrgId,
        campaign: CampaignId,
        limit: u64,
    ) -> StorageResult<Vec<Delivery>>;
    /// Records a tracking event.
    async fn record_event(&self, org: OrgId, event: NewTrackingEvent) -> StorageResult<()>;
    /// A campaign's tracking events.
    async fn events(&self, org: OrgId, campaign: CampaignId) -> StorageResult<Vec<TrackingEvent>>;
    /// Whether `contact` converted in `campaign`.
    async fn has_converted(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
    ) -> StorageResult<bool>;
    /// Contacts who became leads of `campaign`'s landing page.
    async fn lead_contacts(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<ContactId>>;
    /// Creates a connector.
    async fn create_connector(
        &self,
        org: OrgId,
        name: String,
        url: String,
        secret: String,
        channels: Vec<Channel>,
        now: DateTime<Utc>,
    ) -> StorageResult<Connector>;
    /// Every connector, newest first (secrets left out).
    async fn list_connectors(&self, org: OrgId) -> StorageResult<Vec<Connector>>;
    /// One connector, with its secret.
    async fn get_connector(&self, org: OrgId, id: ConnectorId) -> StorageResult<Connector>;
    /// Deletes a connector.
    async fn delete_connector(&self, org: OrgId, id: ConnectorId) -> StorageResult<()>;
    /// Disables a connector whose receiver said it is gone.
    async fn disable_connector(
        &self,
        org: OrgId,
        id: ConnectorId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<()>;
}

/// The ledger, tracking and connectors stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlExecution {
    scope: Scope,
}

impl SqlExecution {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

fn to_delivery(m: delivery::Model) -> StorageResult<Delivery> {
    Ok(Delivery {
        id: m.id,
        campaign_id: CampaignId::from_uuid(m.campaign_id),
        asset_id: AssetId::from_uuid(m.asset_id),
        step: Ord::max(m.step, 0) as u32,
        contact_id: ContactId::from_uuid(m.contact_id),
        message_id: m.message_id,
        state: parse_stored("delivery state", &m.state)?,
        due_at: m.due_at,
        subject_variant: Ord::max(m.subject_variant, 0) as u32,
        attempts: Ord::max(m.attempts, 0) as u32,
        last_error: m.last_error,
        sent_at: m.sent_at,
    })
}

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

/// Attempts a send gets: with the queue's backoff (30 s doubling to an hour) they span about
/// thirteen hours, so a mail server outage of an afternoon loses nothing.
pub const SEND_ATTEMPTS: u32 = 20;

/// The job that sends step `step` of `campaign` to `contact`.
pub fn send_job(send: &PlannedSend, campaign: CampaignId) -> NewJob {
    NewJob::new(
        kinds::SEND_EMAIL,
        format!("{campaign}:{}:{}", send.step, send.contact),
        send.due_at,
    )
    .for_campaign(campaign)
    .with_max_attempts(SEND_ATTEMPTS)
    .with_payload(serde_json::json!({
        "campaign": campaign,
        "step": send.step,
        "contact": send.contact,
        "due_at": send.due_at,
    }))
}

/// Cancels a campaign's unsent rows (it ended).
pub(crate) async fn cancel_pending(
    txn: &DatabaseTransaction,
    org: OrgId,
    campaign: CampaignId,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::State,
            Expr::value(DeliveryState::Cancelled.as_str()),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(micros(now)))
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
        .filter(delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .exec(txn)
        .await
        .db()?;
    Ok(())
}

/// Suppresses a contact's unsent rows and cancels their jobs (it was erased).
pub(crate) async fn suppress_contact(
    txn: &DatabaseTransaction,
    org: OrgId,
    contact: ContactId,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let now = micros(now);
    let pending = delivery::Entity::find()
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
        .filter(delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .all(txn)
        .await
        .db()?;
    for d in &pending {
        job::Entity::update_many()
            .col_expr(
                job::Column::State,
                Expr::value(JobState::Cancelled.as_str()),
            )
            .col_expr(job::Column::FinishedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::OrgId.eq(org.as_uuid()))
            .filter(job::Column::Kind.eq(kinds::SEND_EMAIL))
            .filter(job::Column::DedupeKey.eq(format!("{}:{}:{}", d.campaign_id, d.step, contact)))
            .filter(
                job::Column::State.is_in([JobState::Queued.as_str(), JobState::Failed.as_str()]),
            )
            .exec(txn)
            .await
            .db()?;
    }
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::State,
            Expr::value(DeliveryState::Suppressed.as_str()),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value("the contact was erased"),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
        .filter(delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .exec(txn)
        .await
        .db()?;
    Ok(())
}

async fn find_delivery<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    campaign: CampaignId,
    step: u32,
    contact: ContactId,
) -> StorageResult<Option<delivery::Model>> {
    delivery::Entity::find()
        .filter(delivery::Column::OrgId.eq(org.as_uuid()))
        .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
        .filter(delivery::Column::Step.eq(step as i32))
        .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
        .one(txn)
        .await
        .db()
}

fn set_delivery(
    id: uuid::Uuid,
    state: DeliveryState,
    error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<delivery::Entity> {
    let mut update = delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value(state.as_str()))
        .col_expr(delivery::Column::LastError, Expr::value(error))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now));
    if let Some(at) = sent_at {
        update = update.col_expr(delivery::Column::SentAt, Expr::value(at));
    }
    update.filter(delivery::Column::Id.eq(id))
}

#[async_trait]
impl ExecutionRepository for SqlExecution {
    async fn plan_sends(
        &self,
        org: OrgId,
        campaign: CampaignId,
        sends: Vec<PlannedSend>,
        now: DateTime<Utc>,
    ) -> StorageResult<u64> {
        let now = micros(now);
        let txn = self.scope.begin(org).await?;
        let mut planned = 0;
        for chunk in sends.chunks(200) {
            let rows: Vec<delivery::ActiveModel> = chunk
                .iter()
                .map(|s| delivery::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    org_id: Set(org.as_uuid()),
                    campaign_id: Set(campaign.as_uuid()),
                    asset_id: Set(s.asset.as_uuid()),
                    step: Set(s.step as i32),
                    contact_id: Set(s.contact.as_uuid()),
                    message_id: Set(s.message_id.clone()),
                    state: Set(DeliveryState::Pending.as_str().to_owned()),
                    due_at: Set(micros(s.due_at)),
                    subject_variant: Set(s.subject_variant as i32),
                    attempts: Set(0),
                    last_error: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    sent_at: Set(None),
                })
                .collect();
            planned += delivery::Entity::insert_many(rows)
                .on_conflict(
                    sea_orm::sea_query::OnConflict::columns([
                        delivery::Column::CampaignId,
                        delivery::Column::Step,
                        delivery::Column::ContactId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .db()?;
            let jobs: Vec<NewJob> = chunk.iter().map(|s| send_job(s, campaign)).collect();
            queue::enqueue_in(&txn, org, &jobs, now).await?;
        }
        txn.commit().await.db()?;
        Ok(planned)
    }

    async fn enrolled(&self, org: OrgId, campaign: CampaignId) -> StorageResult<Vec<ContactId>> {
        let txn = self.scope.begin(org).await?;
        let rows: Vec<uuid::Uuid> = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::ContactId)
            .distinct()
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
            .into_tuple()
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(rows.into_iter().map(ContactId::from_uuid).collect())
    }

    async fn start_send(
        &self,
        job: &Job,
        campaign: CampaignId,
        step: u32,
        contact: ContactId,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<Delivery>> {
        let now = micros(now);
        let org = job.org_id;
        let txn = self.scope.begin(org).await?;
        let Some(row) = find_delivery(&txn, org, campaign, step, contact).await? else {
            queue::complete_in(&txn, job, now).await?;
            txn.commit().await.db()?;
            return Ok(None);
        };
        let state: DeliveryState = parse_stored("delivery state", &row.state)?;
        if !matches!(state, DeliveryState::Pending | DeliveryState::Sending) {
            queue::complete_in(&txn, job, now).await?;
            txn.commit().await.db()?;
            return Ok(None);
        }
        let started = delivery::Entity::update_many()
            .col_expr(
                delivery::Column::State,
                Expr::value(DeliveryState::Sending.as_str()),
            )
            .col_expr(
                delivery::Column::Attempts,
                Expr::col(delivery::Column::Attempts).add(1),
            )
            .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
            .filter(delivery::Column::Id.eq(row.id))
            .filter(delivery::Column::State.eq(state.as_str()))
            .exec(&txn)
            .await
            .db()?;
        if started.rows_affected != 1 {
            return Err(StorageError::Conflict(
                "the delivery changed while it was being started".into(),
            ));
        }
        txn.commit().await.db()?;
        let mut delivery = to_delivery(row)?;
        delivery.state = DeliveryState::Sending;
        delivery.attempts += 1;
        Ok(Some(delivery))
    }

    async fn finish_send(
        &self,
        job: &Job,
        delivery: &Delivery,
        outcome: SendOutcome,
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let now = micros(now);
        let org = job.org_id;
        let txn = self.scope.begin(org).await?;
        let (state, error, sent_at) = match &outcome {
            SendOutcome::Sent => (DeliveryState::Sent, None, Some(now)),
            SendOutcome::Bounced(e) => (DeliveryState::Failed, Some(e.clone()), None),
            SendOutcome::Suppressed(e) => (DeliveryState::Suppressed, Some(e.clone()), None),
            SendOutcome::Cancelled => (DeliveryState::Cancelled, None, None),
            SendOutcome::Retry { error, .. } => {
                let last = job.attempts >= job.max_attempts;
                let state = if last {
                    DeliveryState::Failed
                } else {
                    DeliveryState::Pending
                };
                (state, Some(error.clone()), None)
            }
        };
        let settled = match &outcome {
            SendOutcome::Retry { error, at } => {
                let (next, run_at, finished) = if job.attempts < job.max_attempts {
                    (JobState::Failed, micros(*at), None)
                } else {
                    (JobState::Dead, now, Some(now))
                };
                job::Entity::update_many()
                    .col_expr(job::Column::State, Expr::value(next.as_str()))
                    .col_expr(job::Column::RunAt, Expr::value(run_at))
                    .col_expr(job::Column::FinishedAt, Expr::value(finished))
                    .col_expr(job::Column::LastError, Expr::value(error.clone()))
                    .col_expr(
                        job::Column::LeaseExpiresAt,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .col_expr(job::Column::UpdatedAt, Expr::value(now))
                    .filter(job::Column::Id.eq(job.id.as_uuid()))
                    .filter(job::Column::State.eq(JobState::Running.as_str()))
                    .filter(job::Column::WorkerId.eq(job.worker_id.clone().unwrap_or_default()))
                    .filter(job::Column::Attempts.eq(job.attempts as i32))
                    .exec(&txn)
                    .await
                    .db()?
                    .rows_affected
                    == 1
            }
            _ => queue::complete_in(&txn, job, now).await?,
        };
        if !settled {
            return Ok(false);
        }
        set_delivery(delivery.id, state, error, sent_at, now)
            .exec(&txn)
            .await
            .db()?;
        if let SendOutcome::Bounced(_) = outcome {
            contact::Entity::update_many()
                .col_expr(
                    contact::Column::Consent,
                    Expr::value(Consent::Bounced.as_str()),
                )
                .col_expr(contact::Column::ConsentSource, Expr::value("smtp_bounce"))
                .col_expr(contact::Column::ConsentAt, Expr::value(now))
                .col_expr(contact::Column::UpdatedAt, Expr::value(now))
                .filter(contact::Column::Id.eq(delivery.contact_id.as_uuid()))
                .filter(contact::Column::OrgId.eq(org.as_uuid()))
                .exec(&txn)
                .await
                .db()?;
        }
        txn.commit().await.db()?;
        Ok(true)
    }

    async fn take_send_slot(
        &self,
        org: OrgId,
        minute: DateTime<Utc>,
        limit: u32,
    ) -> StorageResult<bool> {
        let minute = micros(minute);
        let txn = self.scope.begin(org).await?;
        let backend = txn.get_database_backend();
        let row = txn
            .query_one_raw(crate::queue::statement(
                backend,
                "INSERT INTO send_quota (org_id, minute, taken) VALUES (?, ?, 1) \
                 ON CONFLICT (org_id, minute) DO UPDATE SET taken = send_quota.taken + 1 \
                 RETURNING taken",
                vec![org.as_uuid().into(), minute.into()],
            ))
            .await
            .db()?;
        let taken: i64 = row
            .map(|r| r.try_get::<i32>("", "taken").map(i64::from))
            .transpose()
            .db()?
            .unwrap_or(i64::MAX);
        if taken == 1 {
            // A new minute: forget the old ones.
            txn.execute_raw(crate::queue::statement(
                backend,
                "DELETE FROM send_quota WHERE org_id = ? AND minute < ?",
                vec![
                    org.as_uuid().into(),
                    (minute - chrono::TimeDelta::hours(1)).into(),
                ],
            ))
            .await
            .db()?;
        }
        txn.commit().await.db()?;
        Ok(taken <= i64::from(limit))
    }

    async fn sent_since(&self, org: OrgId, since: DateTime<Utc>) -> StorageResult<u64> {
        let txn = self.scope.begin(org).await?;
        let n = delivery::Entity::find()
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .filter(delivery::Column::SentAt.gte(micros(since)))
            .count(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(n)
    }

    async fn deliveries(
        &self,
        org: OrgId,
        campaign: CampaignId,
        limit: u64,
    ) -> StorageResult<Vec<Delivery>> {
        let txn = self.scope.begin(org).await?;
        let rows = delivery::Entity::find()
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
            .order_by_asc(delivery::Column::Step)
            .order_by_asc(delivery::Column::DueAt)
            .order_by_asc(delivery::Column::Id)
            .limit(limit)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_delivery).collect()
    }

    async fn record_event(&self, org: OrgId, event: NewTrackingEvent) -> StorageResult<()> {
        let txn = self.scope.begin(org).await?;
        tracking_event::Entity::insert(tracking_event::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            org_id: Set(org.as_uuid()),
            campaign_id: Set(event.campaign.as_uuid()),
            asset_id: Set(event.asset.map(|a| a.as_uuid())),
            variant: Set(event.variant.map(|v| v as i32)),
            contact_id: Set(event.contact.map(|c| c.as_uuid())),
            kind: Set(event.kind.as_str().to_owned()),
            channel: Set(event.channel.as_str().to_owned()),
            value: Set(event.value),
            occurred_at: Set(micros(event.at)),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| match crate::error::from_db(e) {
            StorageError::Invalid(_) => StorageError::not_found("campaign"),
            other => other,
        })?;
        txn.commit().await.db()?;
        Ok(())
    }

    async fn events(&self, org: OrgId, campaign: CampaignId) -> StorageResult<Vec<TrackingEvent>> {
        let txn = self.scope.begin(org).await?;
        let rows = tracking_event::Entity::find()
            .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
            .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
            .order_by_asc(tracking_event::Column::OccurredAt)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter()
            .map(|m| {
                Ok(TrackingEvent {
                    asset: m.asset_id.map(AssetId::from_uuid),
                    contact: m.contact_id.map(ContactId::from_uuid),
                    kind: parse_stored("kind", &m.kind)?,
                    channel: parse_stored("channel", &m.channel)?,
                    value: m.value,
                    at: m.occurred_at,
                })
            })
            .collect()
    }

    async fn has_converted(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
    ) -> StorageResult<bool> {
        let txn = self.scope.begin(org).await?;
        let n = tracking_event::Entity::find()
            .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
            .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(tracking_event::Column::ContactId.eq(contact.as_uuid()))
            .filter(tracking_event::Column::Kind.eq(TrackingKind::Conversion.as_str()))
            .count(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(n > 0)
    }

    async fn lead_contacts(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<ContactId>> {
        let txn = self.scope.begin(org).await?;
        let rows: Vec<Option<uuid::Uuid>> = tracking_event::Entity::find()
            .select_only()
            .column(tracking_event::Column::ContactId)
            .distinct()
            .filter(tracking_event::Column::OrgId.eq(org.as_uuid()))
            .filter(tracking_event::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(tracking_event::Column::Kind.eq(TrackingKind::Lead.as_str()))
            .filter(tracking_event::Column::ContactId.is_not_null())
            .into_tuple()
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(rows
            .into_iter()
            .flatten()
            .map(ContactId::from_uuid)
            .collect())
    }

    async fn create_connector(
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

    async fn list_connectors(&self, org: OrgId) -> StorageResult<Vec<Connector>> {
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

    async fn get_connector(&self, org: OrgId, id: ConnectorId) -> StorageResult<Connector> {
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

    async fn delete_connector(&self, org: OrgId, id: ConnectorId) -> StorageResult<()> {
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

    async fn disable_connector(
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
