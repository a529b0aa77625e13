//! What running a campaign records: the delivery ledger's rows and the webhook connectors that
//! publish posts and ads.

use crate::enums::{Channel, DeliveryState, EmailEvent};
use crate::ids::{AssetId, CampaignId, ConnectorId, ContactId};
use crate::jobs::{JobSpec, NewJob, SendSpec};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

impl DeliveryState {
    /// Whether the send is over: sent, or skipped or failed with a recorded reason. The next
    /// step of a sequence waits for the one ahead of it to be settled.
    pub fn is_settled(self) -> bool {
        !matches!(self, DeliveryState::Pending | DeliveryState::Sending)
    }
}

/// One row of the delivery ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// The row's id.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: uuid::Uuid,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The email sequence asset (version) used.
    pub asset_id: AssetId,
    /// The step (1-based).
    pub step: u32,
    /// The contact.
    pub contact_id: ContactId,
    /// The channel it goes out on.
    pub channel: Channel,
    /// The Message-ID the message carries.
    pub message_id: String,
    /// Where it is.
    pub state: DeliveryState,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// The subject variant used.
    pub subject_variant: u32,
    /// Attempts to hand it to the mail server.
    pub attempts: u32,
    /// Why the last attempt failed, or why it was not sent.
    pub last_error: Option<String>,
    /// When the mail server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}

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

/// Attempts a send gets: with the queue's backoff (30 s doubling to an hour) they span about
/// thirteen hours, so a mail server outage of an afternoon loses nothing.
pub const SEND_ATTEMPTS: u32 = 20;

/// The dedupe key of the job sending step `step` of `campaign` to `contact`.
pub fn send_dedupe_key(campaign: CampaignId, step: u32, contact: ContactId) -> String {
    format!("{campaign}:{step}:{contact}")
}

impl PlannedSend {
    /// The job that sends it for `campaign`, due when it is.
    pub fn job(&self, campaign: CampaignId) -> NewJob {
        NewJob::new(
            JobSpec::Send(SendSpec {
                campaign,
                step: self.step,
                contact: self.contact,
                due_at: Some(self.due_at),
                paced_at: None,
            }),
            send_dedupe_key(campaign, self.step, self.contact),
            self.due_at,
        )
        .for_campaign(campaign)
        .with_max_attempts(SEND_ATTEMPTS)
    }
}

/// A webhook endpoint that publishes an organization's posts and ads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Connector {
    /// The connector's id.
    pub id: ConnectorId,
    /// Its name.
    pub name: String,
    /// Where posts are delivered.
    pub url: String,
    /// The signing secret (`whsec_…`); shown only when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The channels it publishes.
    pub channels: Vec<Channel>,
    /// The email events it is told of.
    #[serde(default)]
    pub events: Vec<EmailEvent>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was disabled (its receiver answered 410 Gone), if it was.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
}

/// Consecutive sending-side failures after which an organization's sending pauses.
pub const DEFAULT_PAUSE_AFTER_FAILURES: u32 = 20;

/// Whether an organization's email is going out, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendingStatus {
    /// `active` while messages go out; `paused` after too many sending-side failures in a row,
    /// until an owner or admin resumes.
    pub state: SendingState,
    /// Sends in a row that failed on the sending side (connecting, TLS, logging in, MAIL FROM,
    /// a refusal not about the recipient); a send that goes through resets it.
    pub consecutive_failures: u32,
    /// What the last sending-side failure was.
    pub last_error: Option<String>,
    /// When sending paused.
    pub paused_at: Option<DateTime<Utc>>,
}

/// Whether an organization's email is going out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SendingState {
    /// Messages go out.
    #[default]
    Active,
    /// Nothing goes out until an owner or admin resumes; sends wait, none is lost.
    Paused,
}

/// Which rows of a campaign's delivery ledger to list; every field left out matches all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    /// Only rows in this state.
    pub state: Option<DeliveryState>,
    /// Only this contact's rows.
    pub contact: Option<ContactId>,
    /// Only this step's rows (1-based).
    pub step: Option<u32>,
    /// Only this channel's rows.
    pub channel: Option<Channel>,
}

/// A position in a campaign's ledger, which is ordered by step, then contact id: the last row
/// seen. Handed out as an opaque `next_cursor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerCursor {
    /// The last row's step.
    pub step: u32,
    /// The last row's contact.
    pub contact: ContactId,
}

impl LedgerCursor {
    /// Encodes the cursor as an opaque URL-safe string.
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "L{}|{}",
            self.step,
            self.contact.as_uuid()
        ))
    }

    /// Decodes a string produced by [`LedgerCursor::encode`].
    pub fn decode(text: &str) -> Result<Self, crate::CursorError> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| crate::CursorError)?;
        let raw = String::from_utf8(bytes).map_err(|_| crate::CursorError)?;
        let (step, contact) = raw
            .strip_prefix('L')
            .and_then(|rest| rest.split_once('|'))
            .ok_or(crate::CursorError)?;
        Ok(Self {
            step: step.parse().map_err(|_| crate::CursorError)?,
            contact: ContactId::from_uuid(
                uuid::Uuid::parse_str(contact).map_err(|_| crate::CursorError)?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_cursors_round_trip_and_refuse_other_cursors() {
        let cursor = LedgerCursor {
            step: 3,
            contact: ContactId::from_uuid(uuid::Uuid::now_v7()),
        };
        assert_eq!(LedgerCursor::decode(&cursor.encode()), Ok(cursor));
        let list_cursor = crate::Cursor {
            created_at: Utc::now(),
            id: uuid::Uuid::now_v7(),
        };
        use base64::Engine;
        let bad_contact = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("L3|x");
        for foreign in [list_cursor.encode(), bad_contact, String::new()] {
            assert!(LedgerCursor::decode(&foreign).is_err(), "{foreign}");
        }
    }
}
