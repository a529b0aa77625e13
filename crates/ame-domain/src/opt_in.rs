//! Double opt-in: a landing-page sign-up that waits for its owner to confirm by email before
//! the address is subscribed.

use crate::ids::{CampaignId, ContactId, OrgId};
use chrono::{DateTime, TimeDelta, Utc};

/// How long a confirmation link works.
pub const OPT_IN_VALIDITY: TimeDelta = TimeDelta::days(7);

/// A sign-up to confirm, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOptInRequest {
    /// The request's id (random: the confirmation link carries it with a MAC).
    pub id: uuid::Uuid,
    /// The campaign whose page took the sign-up.
    pub campaign_id: CampaignId,
    /// The page's slug (the form the consent was given on).
    pub page_slug: String,
    /// A keyed hash of the lower-cased address, kept after the address is forgotten.
    pub address_hash: String,
    /// The address to subscribe on confirmation.
    pub email: String,
    /// The first name the form gave.
    pub first_name: Option<String>,
    /// The confirmation email's Message-ID.
    pub message_id: String,
    /// When the form was submitted.
    pub requested_at: DateTime<Utc>,
}

/// A stored sign-up waiting for (or given) its confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct OptInRequest {
    /// The request's id.
    pub id: uuid::Uuid,
    /// The organization.
    pub org_id: OrgId,
    /// The campaign whose page took the sign-up.
    pub campaign_id: CampaignId,
    /// The page's slug.
    pub page_slug: String,
    /// A keyed hash of the address.
    pub address_hash: String,
    /// The address, until it is confirmed.
    pub email: Option<String>,
    /// The first name, until it is confirmed.
    pub first_name: Option<String>,
    /// The confirmation email's Message-ID.
    pub message_id: String,
    /// When the form was submitted.
    pub requested_at: DateTime<Utc>,
    /// When the confirmation link stops working.
    pub expires_at: DateTime<Utc>,
    /// When its owner confirmed, if they did.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The contact the confirmation subscribed.
    pub contact_id: Option<ContactId>,
}

/// What following a confirmation link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptInConfirmation {
    /// The address is now a subscribed contact.
    Confirmed(ContactId),
    /// It had been confirmed before; nothing changed.
    AlreadyConfirmed,
    /// The link is older than [`OPT_IN_VALIDITY`]; nothing changed.
    Expired,
}
