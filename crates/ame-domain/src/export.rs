//! Everything AME holds about one contact, as the contact's right of access and portability
//! (GDPR Art. 15 and 20) asks for it.

use crate::asset::Lead;
use crate::contact::Contact;
use crate::delivery::Delivery;
use crate::enums::{Channel, Consent, Group, TrackingKind};
use crate::ids::{AssetId, CampaignId};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One contact's data: the profile, how its consent changed, every message planned or sent,
/// every tracked event, each campaign's outcome and the landing-page forms it submitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactExport {
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The profile.
    pub contact: Contact,
    /// Each recorded consent change, oldest first; the last is the current consent.
    pub consent_history: Vec<ConsentChange>,
    /// Every message planned for or sent to the contact, oldest first.
    pub deliveries: Vec<Delivery>,
    /// Every tracked event (clicks, page views, leads, conversions, unsubscribes, bounces,
    /// complaints), oldest first.
    pub events: Vec<ContactEvent>,
    /// What each campaign measured about the contact.
    pub outcomes: Vec<ContactOutcome>,
    /// The landing-page forms submitted with the contact's address, oldest first.
    pub leads: Vec<Lead>,
    /// The sign-ups that asked the address's owner to confirm by email (double opt-in),
    /// oldest first: the consent records of those forms.
    pub sign_ups: Vec<SignUpRecord>,
}

/// A sign-up that asked its address's owner to confirm by email.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignUpRecord {
    /// The campaign whose landing page took the sign-up.
    pub campaign_id: CampaignId,
    /// The slug of that page (the form the consent was given on).
    pub page_slug: String,
    /// When the form was submitted.
    pub requested_at: DateTime<Utc>,
    /// When the confirmation link stops (or stopped) working.
    pub expires_at: DateTime<Utc>,
    /// When the owner confirmed, if they did.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The confirmation email's Message-ID.
    pub message_id: String,
}

/// A change of a contact's consent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentChange {
    /// The consent from then on.
    pub consent: Consent,
    /// Where it came from (`api`, `import`, `landing_page`, `double_opt_in`,
    /// `unsubscribe_link`, `dashboard`, a bounce or complaint report, …).
    pub source: String,
    /// The landing page whose form it came through, if it did.
    pub form: Option<String>,
    /// When it changed.
    pub at: DateTime<Utc>,
}

/// One tracked event about a contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactEvent {
    /// The campaign it belongs to.
    pub campaign_id: CampaignId,
    /// The asset involved, when known.
    pub asset_id: Option<AssetId>,
    /// What happened.
    pub kind: TrackingKind,
    /// Where it happened.
    pub channel: Channel,
    /// The value of a conversion, as a decimal string.
    pub value: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// What one campaign measured about a contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactOutcome {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Whether the contact was in the campaign's treatment or its holdout.
    pub group: Group,
    /// Whether a message reached the contact.
    pub delivered: bool,
    /// Whether the contact clicked.
    pub clicked: bool,
    /// Whether the contact converted.
    pub converted: bool,
    /// The conversion's value, as a decimal string.
    pub value: Option<String>,
    /// When it was last updated.
    pub updated_at: DateTime<Utc>,
}

/// Orders consent changes oldest first and keeps only real changes: a record of the consent
/// the contact already had (the same unsubscribe seen by the link and by the contact's row)
/// is dropped, so each entry is when the consent became what it says.
pub fn consent_history(mut changes: Vec<ConsentChange>) -> Vec<ConsentChange> {
    changes.sort_by_key(|c| c.at);
    changes.dedup_by(|later, earlier| later.consent == earlier.consent);
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn change(consent: Consent, source: &str, minute: u32) -> ConsentChange {
        ConsentChange {
            consent,
            source: source.to_owned(),
            form: None,
            at: Utc.with_ymd_and_hms(2026, 1, 1, 9, minute, 0).unwrap(),
        }
    }

    #[test]
    fn consent_history_is_in_time_order_without_repeats() {
        let history = consent_history(vec![
            change(Consent::Unsubscribed, "unsubscribe_link", 30),
            change(Consent::Subscribed, "import", 0),
            change(Consent::Unsubscribed, "api", 31),
            change(Consent::Subscribed, "api", 45),
        ]);
        let seen: Vec<(Consent, &str)> = history
            .iter()
            .map(|c| (c.consent, c.source.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (Consent::Subscribed, "import"),
                (Consent::Unsubscribed, "unsubscribe_link"),
                (Consent::Subscribed, "api"),
            ]
        );
    }
}
