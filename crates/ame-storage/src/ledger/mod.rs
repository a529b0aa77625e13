//! The delivery ledger (one row per campaign, step and contact), tracking events and webhook
//! connectors: what the scheduler reads and writes while a campaign runs.
//!
//! A send moves its row `pending → sending` before the message leaves and `sending → sent`
//! together with completing its job, in one transaction; a crash between the two leaves the row
//! `sending`, and the retry sends the same message (same Message-ID) again — at most one repeat
//! per crash, never a loss.

mod connectors;
pub(crate) use connectors::notify_in;
pub use connectors::{EventFacts, NewConnectorRecord};
mod feedback;
mod page;
mod rows;
mod sending;
mod settle;

pub use sending::StoredSendingDomain;
mod tracking;

pub use ame_domain::{PlannedSend, SendOutcome};
pub(crate) use rows::{cancel_pending, suppress_contact, to_delivery as delivery_to_domain};
use rows::{find_delivery, to_delivery};

pub use tracking::{NewTrackingEvent, TrackingEvent};

use crate::entity::delivery;
use crate::error::DbResultExt;
use crate::queue::{self, micros};
use crate::scope::{Scope, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{
    BucketRate, CampaignId, Channel, Connector, ConnectorId, ContactId, Delivery, DeliveryState,
    EmailHealth, FeedbackOutcome, FeedbackReport, Job, LedgerCursor, LedgerFilter, NewJob, OrgId,
    RequestVerdict, SendingStatus, TrackedRequests, TrackingKind,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

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
    /// Reserves a send slot in `org`'s bucket named `bucket`, refilled at `rate` since it was
    /// last drawn from, atomically across every process: `now` while it holds a token, else
    /// the time the slot comes (the bucket goes into debt); `None`, reserving nothing, when
    /// that would be more than `max_wait` away.
    async fn reserve_send_slot(
        &self,
        org: OrgId,
        bucket: &str,
        rate: BucketRate,
        max_wait: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<DateTime<Utc>>>;
    /// Messages of `org` accepted by the mail server since `since`.
    async fn sent_since(&self, org: OrgId, since: DateTime<Utc>) -> StorageResult<u64>;
    /// Records which subject variant a send uses (chosen when it is first sent).
    async fn set_subject_variant(
        &self,
        org: OrgId,
        delivery: uuid::Uuid,
        variant: u32,
    ) -> StorageResult<()>;
    /// The send of the latest step before `step` that `contact` has in `campaign`, if any.
    async fn previous_step(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
        step: u32,
    ) -> StorageResult<Option<Delivery>>;
    /// A campaign's ledger, by step and due time.
    async fn deliveries(
        &self,
        org: OrgId,
        campaign: CampaignId,
        limit: u64,
    ) -> StorageResult<Vec<Delivery>>;
    /// At most `limit` rows of a campaign's ledger matching `filter`, by step then contact id,
    /// after the row `after` names.
    async fn ledger_page(
        &self,
        org: OrgId,
        campaign: CampaignId,
        filter: LedgerFilter,
        after: Option<LedgerCursor>,
        limit: u64,
    ) -> StorageResult<Vec<Delivery>>;
    /// Records a tracking event, and says whether it was recorded (`false`: an event with its de-duplication key already was).
    async fn record_event(&self, org: OrgId, event: NewTrackingEvent) -> StorageResult<bool>;
    /// A campaign's email health: messages accepted, and distinct recipients who bounced,
    /// complained or unsubscribed.
    async fn email_health(&self, org: OrgId, campaign: CampaignId) -> StorageResult<EmailHealth>;
    /// Tallies one public tracking request of `kind` (clicks and views) by what became of it.
    async fn tally_request(
        &self,
        org: OrgId,
        campaign: CampaignId,
        kind: TrackingKind,
        verdict: RequestVerdict,
    ) -> StorageResult<()>;
    /// A campaign's public clicks and page views, raw beside counted.
    async fn tracked_requests(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<TrackedRequests>;
    /// Applies a report of a later bounce or a spam complaint to the delivery whose Message-ID
    /// it names, in whichever organization sent it: records the event once per campaign and
    /// contact, turns a bounced delivery from sent to failed, changes the contact's consent and
    /// suppresses its pending sends.
    async fn apply_feedback(
        &self,
        report: &FeedbackReport,
        now: DateTime<Utc>,
    ) -> StorageResult<FeedbackOutcome>;
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
    /// The organization's sending state (active with no failures when never written).
    async fn sending_status(&self, org: OrgId) -> StorageResult<SendingStatus>;
    /// Counts one more sending-side failure in a row; the count reaching `pause_after` pauses
    /// the organization's sending (a pause already in place stays as it began).
    async fn record_sender_failure(
        &self,
        org: OrgId,
        error: &str,
        pause_after: u32,
        now: DateTime<Utc>,
    ) -> StorageResult<SendingStatus>;
    /// A send went through: the count of failures in a row starts again (a pause stays).
    async fn record_sender_success(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> StorageResult<SendingStatus>;
    /// The organization's own sending domain, with its private key.
    async fn sending_domain(&self, org: OrgId) -> StorageResult<Option<StoredSendingDomain>>;
    /// Saves (creates or replaces) the organization's sending domain.
    async fn put_sending_domain(
        &self,
        org: OrgId,
        domain: StoredSendingDomain,
    ) -> StorageResult<StoredSendingDomain>;
    /// Ends a pause and starts the count again.
    async fn resume_sending(&self, org: OrgId, now: DateTime<Utc>) -> StorageResult<SendingStatus>;
    /// Creates a connector.
    async fn create_connector(
        &self,
        org: OrgId,
        new: NewConnectorRecord,
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
                    channel: Set(Channel::Email.as_str().to_owned()),
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
                        delivery::Column::Channel,
                        delivery::Column::Step,
                        delivery::Column::ContactId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .db()?;
            let jobs: Vec<NewJob> = chunk.iter().map(|s| s.job(campaign)).collect();
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
        self.finish_send_stored(job, delivery, outcome, now).await
    }

    async fn reserve_send_slot(
        &self,
        org: OrgId,
        bucket: &str,
        rate: BucketRate,
        max_wait: chrono::TimeDelta,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<DateTime<Utc>>> {
        self.reserve_send_slot_stored(org, bucket, rate, max_wait, now)
            .await
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

    async fn set_subject_variant(
        &self,
        org: OrgId,
        delivery: uuid::Uuid,
        variant: u32,
    ) -> StorageResult<()> {
        let txn = self.scope.begin_write(org).await?;
        delivery::Entity::update_many()
            .col_expr(
                delivery::Column::SubjectVariant,
                Expr::value(variant as i32),
            )
            .filter(delivery::Column::Id.eq(delivery))
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(())
    }

    async fn previous_step(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
        step: u32,
    ) -> StorageResult<Option<Delivery>> {
        let txn = self.scope.begin(org).await?;
        let row = delivery::Entity::find()
            .filter(delivery::Column::OrgId.eq(org.as_uuid()))
            .filter(delivery::Column::CampaignId.eq(campaign.as_uuid()))
            .filter(delivery::Column::ContactId.eq(contact.as_uuid()))
            .filter(delivery::Column::Step.lt(step as i32))
            .order_by_desc(delivery::Column::Step)
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        row.map(to_delivery).transpose()
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

    async fn ledger_page(
        &self,
        org: OrgId,
        campaign: CampaignId,
        filter: LedgerFilter,
        after: Option<LedgerCursor>,
        limit: u64,
    ) -> StorageResult<Vec<Delivery>> {
        self.ledger_page_stored(org, campaign, filter, after, limit)
            .await
    }

    async fn record_event(&self, org: OrgId, event: NewTrackingEvent) -> StorageResult<bool> {
        self.record_event_stored(org, event).await
    }

    async fn email_health(&self, org: OrgId, campaign: CampaignId) -> StorageResult<EmailHealth> {
        self.email_health_stored(org, campaign).await
    }

    async fn tally_request(
        &self,
        org: OrgId,
        campaign: CampaignId,
        kind: TrackingKind,
        verdict: RequestVerdict,
    ) -> StorageResult<()> {
        self.tally_request_stored(org, campaign, kind, verdict)
            .await
    }

    async fn tracked_requests(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<TrackedRequests> {
        self.tracked_requests_stored(org, campaign).await
    }

    async fn apply_feedback(
        &self,
        report: &FeedbackReport,
        now: DateTime<Utc>,
    ) -> StorageResult<FeedbackOutcome> {
        self.apply_feedback_stored(report, now).await
    }

    async fn sending_status(&self, org: OrgId) -> StorageResult<SendingStatus> {
        self.sending_status_stored(org).await
    }

    async fn record_sender_failure(
        &self,
        org: OrgId,
        error: &str,
        pause_after: u32,
        now: DateTime<Utc>,
    ) -> StorageResult<SendingStatus> {
        self.record_sender_failure_stored(org, error, pause_after, now)
            .await
    }

    async fn record_sender_success(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> StorageResult<SendingStatus> {
        self.reset_sender_failures_stored(org, false, now).await
    }

    async fn resume_sending(&self, org: OrgId, now: DateTime<Utc>) -> StorageResult<SendingStatus> {
        self.reset_sender_failures_stored(org, true, now).await
    }

    async fn sending_domain(&self, org: OrgId) -> StorageResult<Option<StoredSendingDomain>> {
        self.sending_domain_stored(org).await
    }

    async fn put_sending_domain(
        &self,
        org: OrgId,
        domain: StoredSendingDomain,
    ) -> StorageResult<StoredSendingDomain> {
        self.put_sending_domain_stored(org, domain).await
    }

    async fn events(&self, org: OrgId, campaign: CampaignId) -> StorageResult<Vec<TrackingEvent>> {
        self.events_stored(org, campaign).await
    }

    async fn has_converted(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ContactId,
    ) -> StorageResult<bool> {
        self.has_converted_stored(org, campaign, contact).await
    }

    async fn lead_contacts(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<ContactId>> {
        self.lead_contacts_stored(org, campaign).await
    }

    async fn create_connector(
        &self,
        org: OrgId,
        new: NewConnectorRecord,
        now: DateTime<Utc>,
    ) -> StorageResult<Connector> {
        self.create_connector_stored(org, new, now).await
    }

    async fn list_connectors(&self, org: OrgId) -> StorageResult<Vec<Connector>> {
        self.list_connectors_stored(org).await
    }

    async fn get_connector(&self, org: OrgId, id: ConnectorId) -> StorageResult<Connector> {
        self.get_connector_stored(org, id).await
    }

    async fn delete_connector(&self, org: OrgId, id: ConnectorId) -> StorageResult<()> {
        self.delete_connector_stored(org, id).await
    }

    async fn disable_connector(
        &self,
        org: OrgId,
        id: ConnectorId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StorageResult<()> {
        self.disable_connector_stored(org, id, reason, now).await
    }
}
