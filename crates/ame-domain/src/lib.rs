//! AME domain model.
//!
//! Pure types and rules shared by every AME crate and by other services that talk to AME:
//! campaigns and their lifecycle, assets and the campaign-type-to-asset mapping,
//! organizations and member roles, typed identifiers, validation and pagination cursors.
//!
//! This crate performs no I/O and depends on no database or web framework.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod asset;
mod audience;
mod audit;
mod brand;
mod campaign;
mod contact;
mod content;
mod delivery;
mod email_health;
mod enums;
mod export;
mod feedback;
mod ids;
mod jobs;
mod lifecycle;
mod opt_in;
mod optimisation;
mod organization;
mod pagination;
mod readiness;
mod results;
mod schedule;
mod sending;
mod throttle;
mod validation;
mod visit;

pub use asset::{Asset, AssetFile, AssetSetVersion, Lead, NewAsset};
pub use audience::{
    Audience, AudienceSource, Condition, Entry, MAX_CONDITIONS, NewSegment, Segment, SegmentFilter,
};
pub use audit::{AuditActor, AuditEvent};
pub use brand::{
    Brand, BrandLogo, BrandProfile, BrandProfileInput, BrandStory, MAX_BRAND_LIST,
    MAX_TESTIMONIALS, MAX_VALUE_PROPOSITIONS, Market, Offers, Testimonial, Tone, Vertical,
};
pub use campaign::{
    Campaign, CampaignFilter, CampaignPlan, NewCampaign, PlanPatch, ValidCampaign, money_text,
    time_zone_names,
};
pub use contact::{
    Contact, ContactFilter, ContactPatch, MAX_CONTACTS_PER_REQUEST, NewContact, UpsertSummary,
    ValidContact, is_email_address, validate_attributes, validate_contacts, validate_time_zone,
};
pub use content::{
    EmailSequenceView, PostingTimeView, SequenceEmailView, SocialPostView, SocialPostsView,
};
pub use delivery::{
    Connector, DEFAULT_PAUSE_AFTER_FAILURES, Delivery, LedgerCursor, LedgerFilter, PlannedSend,
    SEND_ATTEMPTS, SendOutcome, SendingState, SendingStatus, send_dedupe_key,
};
pub use email_health::{
    BOUNCE_RATE_LIMIT, COMPLAINT_RATE_LIMIT, COMPLAINT_RATE_TARGET, EmailHealth, HealthWarning,
    HealthWarningCode,
};
pub use enums::{
    AssetType, CampaignType, Channel, Consent, DeliveryState, EmailEvent, ExperimentState, Goal,
    Group, JobState, MemberRole, ParseEnumError, TargetingMode, TrackingKind,
};
pub use export::{
    ConsentChange, ContactEvent, ContactExport, ContactOutcome, SignUpRecord, consent_history,
};
pub use feedback::{FeedbackKind, FeedbackOutcome, FeedbackReport, FeedbackSource, MessageId};
pub use ids::{
    ApiKeyId, AssetId, CampaignId, ConnectorId, ContactId, JobId, OrgId, SegmentId, UserId,
};
pub use jobs::{
    DEFAULT_MAX_ATTEMPTS, Job, JobSpec, JobSpecError, NewJob, NotifySpec, OnDuplicate, PublishSpec,
    SendSpec, TransitionEffects, kinds, parked_until, retry_delay, transition_effects,
};
pub use lifecycle::{CampaignStatus, TransitionError};
pub use opt_in::{NewOptInRequest, OPT_IN_VALIDITY, OptInConfirmation, OptInRequest};
pub use optimisation::{
    ArmReport, DEFAULT_HOLDOUT_FRACTION, ExperimentEvent, ExperimentReport, GroupCounts,
    IntervalEstimate, LiftReport, MAX_HOLDOUT_FRACTION, MAX_OUTCOMES_PER_REQUEST,
    MAX_WEIGHT_HISTORY, MeanLift, MetricLift, NewOutcome, Outcome, OutcomeEvent, ScoredContact,
    Targeting, WeightSnapshot, draw_group, holdout_seed, seeded_unit, subject_field,
    validate_holdout, validate_outcomes,
};
pub use organization::{ApiKey, Membership, Organization, User};
pub use pagination::{Cursor, CursorError, Page, PageRequest};
pub use readiness::{
    LaunchFacts, Readiness, ReadinessCode, ReadinessItem, START_GRACE, check_readiness,
    is_unusable_sender,
};
pub use results::{
    ChannelOutcome, FunnelMetrics, MAX_COUNT, MAX_RECORDS_PER_REQUEST, RECORD_YEARS, ResultKey,
    ResultRecord, ResultRecordInput, ResultTotals, validate_result_records,
};
pub use schedule::{SendWindow, local_days_between};
pub use sending::{
    DkimAlgorithm, DnsRecord, SendingDomain, SendingDomainInput, ValidSendingDomain, address_domain,
};
pub use throttle::{
    BucketRate, DEFAULT_PROVIDER_RATE, DomainRates, DomainRatesError, MAILBOX_PROVIDERS,
    ORGANIZATION_BUCKET,
};
pub use validation::{FieldError, ValidationError};
pub use visit::{AUTOMATED_AGENTS, RequestCounts, RequestVerdict, TrackedRequests, Visit};
