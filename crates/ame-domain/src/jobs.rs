//! The durable job queue's vocabulary: what a job is, what it does, and when a failed attempt is
//! retried.

use crate::enums::{AssetType, Channel, EmailEvent, Goal, JobState};
use crate::ids::{AssetId, CampaignId, ConnectorId, ContactId, JobId, OrgId};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Attempts a job gets unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// The first retry's delay; each later one doubles it.
pub const BASE_RETRY_DELAY: TimeDelta = TimeDelta::seconds(30);
/// The longest delay between two attempts.
pub const MAX_RETRY_DELAY: TimeDelta = TimeDelta::hours(1);

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// The job's id.
    pub id: JobId,
    /// The organization it works for.
    pub org_id: OrgId,
    /// What it does (`campaign_start`, `send_email`, …).
    pub kind: String,
    /// The campaign it belongs to, if any.
    pub campaign_id: Option<CampaignId>,
    /// Unique per organization and kind: enqueuing the same key twice makes one job.
    pub dedupe_key: String,
    /// The job's arguments.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: serde_json::Value,
    /// Where it is.
    pub state: JobState,
    /// When it is due (queued or failed), or when its lease runs out (running).
    pub run_at: DateTime<Utc>,
    /// Attempts started so far.
    pub attempts: u32,
    /// Attempts it gets before it is dead.
    pub max_attempts: u32,
    /// The worker holding it, while running.
    pub worker_id: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it finished (done, dead or cancelled).
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    /// What the job does, read from its stored `kind` and `payload`.
    pub fn spec(&self) -> Result<JobSpec, JobSpecError> {
        JobSpec::parse(&self.kind, &self.payload)
    }
}

/// One step of an email sequence for one contact: the arguments of a send job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendSpec {
    /// The campaign sending.
    pub campaign: CampaignId,
    /// The step of the sequence (1-based).
    pub step: u32,
    /// The recipient.
    pub contact: ContactId,
    /// When the step was planned to go out.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// The send slot it reserved in its organization's pace, once it has one: it goes then
    /// without reserving again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paced_at: Option<DateTime<Utc>>,
}

/// One post or ad for one webhook connector: the arguments of a publish job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishSpec {
    /// The connector that receives it.
    pub connector: ConnectorId,
    /// The asset it comes from.
    pub asset: AssetId,
    /// The asset's type.
    pub asset_type: AssetType,
    /// The channel it is for.
    pub channel: Channel,
    /// The post or ad as generated (its links are signed when it is published).
    pub content: serde_json::Value,
}

/// One email event for one connector: the arguments of a notify job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifySpec {
    /// The connector that receives it.
    pub connector: ConnectorId,
    /// The event's id, the same for every connector told of it.
    pub event_id: uuid::Uuid,
    /// What happened.
    pub event: EmailEvent,
    /// The campaign whose email it was.
    pub campaign: CampaignId,
    /// The recipient, when known.
    #[serde(default)]
    pub contact: Option<ContactId>,
    /// The message's Message-ID, when the event is about one message.
    #[serde(default)]
    pub message_id: Option<String>,
    /// The channel it happened on (email, or the post's or ad's for a click).
    pub channel: Channel,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// What a job does, with its typed arguments. Stored as the job's `kind` column (the variant's
/// name) and `payload` column (its fields, as JSON); [`JobSpec::parse`] reads them back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum JobSpec {
    /// Moves a scheduled campaign to active at its `start_at`.
    CampaignStart {},
    /// Enrols a newly active campaign's audience and plans its sends.
    CampaignLaunch {
        /// When the campaign became active (day offsets of a broadcast count from it, or from
        /// the planned start when that came first); absent in jobs written before it was kept.
        #[serde(default)]
        activated_at: Option<DateTime<Utc>>,
    },
    /// Enrols contacts who entered a triggered campaign's audience since the last sweep.
    AudienceSweep {},
    /// Moves an active or paused campaign to completed at its `end_at`.
    CampaignEnd {},
    /// Sends one step of a sequence to one contact.
    #[serde(rename = "send_email")]
    Send(SendSpec),
    /// Publishes a post or ad through one webhook connector.
    #[serde(rename = "publish_post")]
    Publish(PublishSpec),
    /// Tells one connector of one email event.
    #[serde(rename = "notify_event")]
    Notify(NotifySpec),
    /// Writes a campaign's daily results from its deliveries and tracking events.
    #[serde(rename = "results_rollup")]
    Rollup {},
    /// Retrains an organization's targeting model for one goal when its outcomes changed.
    TargetingTrain {
        /// The goal the model predicts.
        goal: Goal,
    },
    /// Sends the email that asks a landing-page sign-up to confirm its address.
    ConfirmSignUp {
        /// The sign-up's confirmation request.
        request: uuid::Uuid,
    },
}

/// A stored job whose kind or payload this version cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a `{kind}` job cannot be read: {reason}")]
pub struct JobSpecError {
    /// The stored kind.
    pub kind: String,
    /// What was wrong.
    pub reason: String,
}

impl JobSpec {
    /// The name stored in the job's `kind` column (one of [`kinds`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CampaignStart {} => kinds::CAMPAIGN_START,
            Self::CampaignLaunch { .. } => kinds::CAMPAIGN_LAUNCH,
            Self::AudienceSweep {} => kinds::AUDIENCE_SWEEP,
            Self::CampaignEnd {} => kinds::CAMPAIGN_END,
            Self::Send(_) => kinds::SEND_EMAIL,
            Self::Publish(_) => kinds::PUBLISH_POST,
            Self::Notify(_) => kinds::NOTIFY_EVENT,
            Self::Rollup {} => kinds::ROLLUP,
            Self::TargetingTrain { .. } => kinds::TARGETING_TRAIN,
            Self::ConfirmSignUp { .. } => kinds::CONFIRM_SIGN_UP,
        }
    }

    /// The JSON stored in the job's `payload` column.
    pub fn payload(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut fields)) => fields
                .remove("payload")
                .unwrap_or_else(|| serde_json::json!({})),
            _ => serde_json::json!({}),
        }
    }

    /// Reads a stored `kind` and `payload`.
    pub fn parse(kind: &str, payload: &serde_json::Value) -> Result<Self, JobSpecError> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload })).map_err(
            |e| JobSpecError {
                kind: kind.to_owned(),
                reason: e.to_string(),
            },
        )
    }
}

/// What enqueuing the same dedupe key again does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Keep the existing job as it is, whatever its state (work that must happen once).
    Keep,
    /// Queue the existing job again at the new time with fresh attempts, unless it is running
    /// (timers that move: a campaign's start and end, a periodic sweep).
    Requeue,
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What it does, with its arguments.
    pub spec: JobSpec,
    /// The campaign it belongs to, if any (its jobs are cancelled when it ends).
    pub campaign_id: Option<CampaignId>,
    /// Unique per organization and kind.
    pub dedupe_key: String,
    /// When it is due.
    pub run_at: DateTime<Utc>,
    /// Attempts it gets.
    pub max_attempts: u32,
    /// What a second enqueue with the same key does.
    pub on_duplicate: OnDuplicate,
}

impl NewJob {
    /// A job doing `spec`, unique by `dedupe_key`, due at `run_at`, with the default attempts,
    /// kept as it is if enqueued again.
    pub fn new(spec: JobSpec, dedupe_key: impl Into<String>, run_at: DateTime<Utc>) -> Self {
        Self {
            spec,
            campaign_id: None,
            dedupe_key: dedupe_key.into(),
            run_at,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            on_duplicate: OnDuplicate::Keep,
        }
    }

    /// Belongs to `campaign`.
    pub fn for_campaign(mut self, campaign: CampaignId) -> Self {
        self.campaign_id = Some(campaign);
        self
    }

    /// Requeued (not kept) when enqueued again.
    pub fn requeued(mut self) -> Self {
        self.on_duplicate = OnDuplicate::Requeue;
        self
    }

    /// Gets `attempts` attempts.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
}

/// How long to wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
/// exponential from [`BASE_RETRY_DELAY`], capped at [`MAX_RETRY_DELAY`], with `jitter` (0 to 1)
/// spreading retries over the upper half of the delay so failures of many jobs do not return
/// in step.
pub fn retry_delay(attempt: u32, jitter: f64) -> TimeDelta {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = BASE_RETRY_DELAY
        .checked_mul(1 << exponent)
        .unwrap_or(MAX_RETRY_DELAY)
        .min(MAX_RETRY_DELAY);
    let jitter = jitter.clamp(0.0, 1.0);
    let millis = full.num_milliseconds() as f64 * (0.5 + 0.5 * jitter);
    TimeDelta::milliseconds(millis as i64)
}

/// The kinds of job AME runs.
pub mod kinds {
    /// Moves a scheduled campaign to active at its `start_at`.
    pub const CAMPAIGN_START: &str = "campaign_start";
    /// Enrols a newly active campaign's audience and plans its sends.
    pub const CAMPAIGN_LAUNCH: &str = "campaign_launch";
    /// Enrols contacts who entered a triggered campaign's audience since the last sweep.
    pub const AUDIENCE_SWEEP: &str = "audience_sweep";
    /// Moves an active or paused campaign to completed at its `end_at`.
    pub const CAMPAIGN_END: &str = "campaign_end";
    /// Sends one step of a sequence to one contact.
    pub const SEND_EMAIL: &str = "send_email";
    /// Publishes a post or ad through one webhook connector.
    pub const PUBLISH_POST: &str = "publish_post";
    /// Tells one connector of one email event.
    pub const NOTIFY_EVENT: &str = "notify_event";
    /// Writes a campaign's daily results from its deliveries and tracking events.
    pub const ROLLUP: &str = "results_rollup";
    /// Retrains an organization's targeting model for one goal when its outcomes changed.
    pub const TARGETING_TRAIN: &str = "targeting_train";
    /// Sends the email that asks a landing-page sign-up to confirm its address.
    pub const CONFIRM_SIGN_UP: &str = "confirm_sign_up";
}

/// When a parked job (of a paused campaign) is due: never, until the campaign resumes.
pub fn parked_until() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(253_402_214_400, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// What a campaign's status change does to its jobs, applied in the same transaction as the
/// change itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransitionEffects {
    /// Jobs to enqueue.
    pub enqueue: Vec<NewJob>,
    /// Cancel the campaign's waiting jobs (it ended, or went back to draft).
    pub cancel: bool,
    /// Park the campaign's waiting sends (it paused).
    pub park: bool,
    /// Make the campaign's parked sends due now (it resumed).
    pub wake: bool,
}

/// The jobs a move of `campaign` to `target` at `now` starts, stops, parks or wakes.
pub fn transition_effects(
    campaign: &crate::Campaign,
    target: crate::CampaignStatus,
    now: DateTime<Utc>,
) -> TransitionEffects {
    use crate::CampaignStatus::*;
    let id = campaign.id;
    let key = id.to_string();
    match target {
        Scheduled => TransitionEffects {
            enqueue: vec![
                NewJob::new(
                    JobSpec::CampaignStart {},
                    key,
                    campaign.plan.start_at.unwrap_or(now).max(now),
                )
                .for_campaign(id)
                .requeued(),
            ],
            ..TransitionEffects::default()
        },
        Active => {
            let launch = JobSpec::CampaignLaunch {
                activated_at: Some(now),
            };
            let mut enqueue = vec![NewJob::new(launch, key.clone(), now).for_campaign(id)];
            if let Some(end) = campaign.plan.end_at {
                enqueue.push(
                    NewJob::new(JobSpec::CampaignEnd {}, key, end.max(now))
                        .for_campaign(id)
                        .requeued(),
                );
            }
            TransitionEffects {
                enqueue,
                wake: campaign.status == Paused,
                ..TransitionEffects::default()
            }
        }
        Paused => TransitionEffects {
            park: true,
            ..TransitionEffects::default()
        },
        Draft | Completed | Archived => TransitionEffects {
            cancel: true,
            ..TransitionEffects::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_a_cap() {
        assert_eq!(retry_delay(1, 1.0), TimeDelta::seconds(30));
        assert_eq!(retry_delay(1, 0.0), TimeDelta::seconds(15));
        assert_eq!(retry_delay(2, 1.0), TimeDelta::seconds(60));
        assert_eq!(retry_delay(4, 1.0), TimeDelta::seconds(240));
        assert_eq!(retry_delay(30, 1.0), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(30, 0.0), MAX_RETRY_DELAY / 2);
        let a = retry_delay(3, 0.1);
        let b = retry_delay(3, 0.9);
        assert!(a < b && a >= TimeDelta::seconds(60) && b <= TimeDelta::seconds(120));
    }

    fn campaign(status: crate::CampaignStatus) -> crate::Campaign {
        crate::Campaign {
            id: CampaignId::new(),
            org_id: OrgId::new(),
            campaign_type: crate::CampaignType::LeadGen,
            objective: "Book demos".into(),
            status,
            performance: serde_json::json!({}),
            plan: crate::CampaignPlan::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn status_changes_start_park_wake_and_cancel_jobs() {
        use crate::CampaignStatus::*;
        let now = Utc::now();
        let mut draft = campaign(Draft);
        draft.plan.start_at = Some(now + TimeDelta::days(2));
        let scheduled = transition_effects(&draft, Scheduled, now);
        assert_eq!(scheduled.enqueue.len(), 1);
        assert_eq!(scheduled.enqueue[0].spec, JobSpec::CampaignStart {});
        assert_eq!(scheduled.enqueue[0].run_at, now + TimeDelta::days(2));
        assert_eq!(scheduled.enqueue[0].on_duplicate, OnDuplicate::Requeue);

        let mut paused = campaign(Paused);
        paused.plan.end_at = Some(now - TimeDelta::hours(1));
        let resumed = transition_effects(&paused, Active, now);
        assert!(resumed.wake);
        let kinds: Vec<_> = resumed.enqueue.iter().map(|j| j.spec.kind()).collect();
        assert_eq!(kinds, [kinds::CAMPAIGN_LAUNCH, kinds::CAMPAIGN_END]);
        assert_eq!(
            resumed.enqueue[1].run_at, now,
            "an end in the past is due now"
        );
        assert_eq!(
            resumed.enqueue[0].spec,
            JobSpec::CampaignLaunch {
                activated_at: Some(now)
            },
            "the launch keeps when the campaign became active"
        );
        assert!(!transition_effects(&campaign(Scheduled), Active, now).wake);

        assert!(transition_effects(&campaign(Active), Paused, now).park);
        for ended in [Completed, Archived, Draft] {
            assert!(transition_effects(&campaign(Active), ended, now).cancel);
        }
        assert!(parked_until() > now + TimeDelta::days(365 * 1000));
    }

    #[test]
    fn builders_set_what_they_name() {
        let at = Utc::now();
        let c = CampaignId::new();
        let job = NewJob::new(JobSpec::CampaignStart {}, c.to_string(), at)
            .for_campaign(c)
            .requeued()
            .with_max_attempts(0);
        assert_eq!(job.campaign_id, Some(c));
        assert_eq!(job.on_duplicate, OnDuplicate::Requeue);
        assert_eq!(job.max_attempts, 1);
    }

    #[test]
    fn every_spec_is_stored_under_its_kind_and_read_back() {
        let at = Utc::now();
        let specs = [
            JobSpec::CampaignStart {},
            JobSpec::CampaignLaunch {
                activated_at: Some(at),
            },
            JobSpec::AudienceSweep {},
            JobSpec::CampaignEnd {},
            JobSpec::Send(SendSpec {
                campaign: CampaignId::new(),
                step: 2,
                contact: ContactId::new(),
                due_at: Some(at),
                paced_at: Some(at),
            }),
            JobSpec::Publish(PublishSpec {
                connector: ConnectorId::new(),
                asset: AssetId::new(),
                asset_type: AssetType::SocialPost,
                channel: Channel::Linkedin,
                content: serde_json::json!({"text": "Hello"}),
            }),
            JobSpec::Notify(NotifySpec {
                connector: ConnectorId::new(),
                event_id: uuid::Uuid::now_v7(),
                event: EmailEvent::Bounced,
                campaign: CampaignId::new(),
                contact: Some(ContactId::new()),
                message_id: Some("<c.1.k@mail.example>".into()),
                channel: Channel::Email,
                occurred_at: at,
            }),
            JobSpec::Rollup {},
            JobSpec::TargetingTrain { goal: Goal::Clicks },
            JobSpec::ConfirmSignUp {
                request: uuid::Uuid::nil(),
            },
        ];
        let mut seen = std::collections::HashSet::new();
        for spec in specs {
            assert!(seen.insert(spec.kind()), "{} is used twice", spec.kind());
            let back = JobSpec::parse(spec.kind(), &spec.payload()).unwrap();
            assert_eq!(back, spec);
        }
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn jobs_written_before_the_typed_spec_still_read() {
        let launch = JobSpec::parse(kinds::CAMPAIGN_LAUNCH, &serde_json::json!({})).unwrap();
        assert_eq!(launch, JobSpec::CampaignLaunch { activated_at: None });
        let goal = JobSpec::parse(
            kinds::TARGETING_TRAIN,
            &serde_json::json!({"goal": "conversions"}),
        )
        .unwrap();
        assert_eq!(
            goal,
            JobSpec::TargetingTrain {
                goal: Goal::Conversions
            }
        );
        let unknown = JobSpec::parse("noop", &serde_json::json!({})).unwrap_err();
        assert_eq!(unknown.kind, "noop");
        let bad = JobSpec::parse(kinds::SEND_EMAIL, &serde_json::json!({"step": 1})).unwrap_err();
        assert!(bad.reason.contains("campaign"), "{bad}");
    }
}
