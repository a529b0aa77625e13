//! sea-orm entities mirroring the tables created by `ame-migration`. Private to this crate.

pub(crate) mod api_key;
pub(crate) mod asset;
pub(crate) mod audience_score_set;
pub(crate) mod audit_event;
pub(crate) mod brand_profile;
pub(crate) mod campaign;
pub(crate) mod campaign_result;
pub(crate) mod channel_totals;
pub(crate) mod connector;
pub(crate) mod consent_event;
pub(crate) mod contact;
pub(crate) mod delivery;
pub(crate) mod experiment;
pub(crate) mod idempotency_key;
pub(crate) mod job;
pub(crate) mod lead;
pub(crate) mod membership;
pub(crate) mod opt_in_request;
pub(crate) mod organization;
pub(crate) mod outcome;
pub(crate) mod page_visitor;
pub(crate) mod published_page;
pub(crate) mod segment;
pub(crate) mod targeting_model;
pub(crate) mod tracking_event;
pub(crate) mod user;
