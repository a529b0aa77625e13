//! The email sequence of each campaign type: on which day each email goes and what it is for.

use ame_domain::CampaignType;
use serde::{Serialize, Serializer};
use std::fmt;

/// What one email of a sequence is for; decides its subject lines, preheaders and body.
///
/// Shown and serialized as its snake_case name, e.g. `value_recap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Delivers what a new lead asked for and says what comes next.
    Deliver,
    /// Shows the cost of doing the work the slow way.
    Educate,
    /// Shows what teams like the reader's achieved.
    Proof,
    /// Asks for the next step.
    Convert,
    /// Recaps what a client has achieved.
    ValueRecap,
    /// Tips to get more from the product.
    Tips,
    /// Asks a client how things are going.
    CheckIn,
    /// Says hello to a contact who has gone quiet.
    WeMissYou,
    /// Shows what changed since the last visit.
    WhatsNew,
    /// Asks whether to stay in touch.
    LastCall,
    /// Points a growing client to the next step up.
    Opportunity,
    /// Makes the upgrade offer.
    Offer,
    /// Asks the reader to share the brand with someone they know.
    Invite,
    /// Reminds the reader that their invite link is waiting.
    Reminder,
    /// Thanks the reader for spreading the word.
    ThankYou,
    /// Introduces the brand.
    Introduce,
    /// Tells the story behind the brand.
    Story,
}

impl Purpose {
    /// Every purpose, in declaration order.
    pub const ALL: [Purpose; 17] = [
        Purpose::Deliver,
        Purpose::Educate,
        Purpose::Proof,
        Purpose::Convert,
        Purpose::ValueRecap,
        Purpose::Tips,
        Purpose::CheckIn,
        Purpose::WeMissYou,
        Purpose::WhatsNew,
        Purpose::LastCall,
        Purpose::Opportunity,
        Purpose::Offer,
        Purpose::Invite,
        Purpose::Reminder,
        Purpose::ThankYou,
        Purpose::Introduce,
        Purpose::Story,
    ];

    /// The snake_case name written to metadata and model prompts.
    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::Deliver => "deliver",
            Purpose::Educate => "educate",
            Purpose::Proof => "proof",
            Purpose::Convert => "convert",
            Purpose::ValueRecap => "value_recap",
            Purpose::Tips => "tips",
            Purpose::CheckIn => "check_in",
            Purpose::WeMissYou => "we_miss_you",
            Purpose::WhatsNew => "whats_new",
            Purpose::LastCall => "last_call",
            Purpose::Opportunity => "opportunity",
            Purpose::Offer => "offer",
            Purpose::Invite => "invite",
            Purpose::Reminder => "reminder",
            Purpose::ThankYou => "thank_you",
            Purpose::Introduce => "introduce",
            Purpose::Story => "story",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Purpose {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One planned email of a sequence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedEmail {
    /// Days after the sequence starts.
    pub day: u32,
    /// What the email is for.
    pub purpose: Purpose,
}

/// The emails of a campaign type's sequence: day offsets and purposes.
pub fn email_plan(campaign_type: CampaignType) -> Vec<PlannedEmail> {
    let plan: &[(u32, Purpose)] = match campaign_type {
        CampaignType::LeadGen => &[
            (0, Purpose::Deliver),
            (2, Purpose::Educate),
            (5, Purpose::Proof),
            (9, Purpose::Convert),
        ],
        CampaignType::ClientRetention => &[
            (0, Purpose::ValueRecap),
            (14, Purpose::Tips),
            (30, Purpose::CheckIn),
        ],
        CampaignType::ReEngagement => &[
            (0, Purpose::WeMissYou),
            (4, Purpose::WhatsNew),
            (10, Purpose::LastCall),
        ],
        CampaignType::Upsell => &[
            (0, Purpose::Opportunity),
            (3, Purpose::Proof),
            (7, Purpose::Offer),
        ],
        CampaignType::Referral => &[
            (0, Purpose::Invite),
            (5, Purpose::Reminder),
            (12, Purpose::ThankYou),
        ],
        CampaignType::BrandAwareness => &[
            (0, Purpose::Introduce),
            (4, Purpose::Story),
            (9, Purpose::Invite),
        ],
    };
    plan.iter()
        .map(|&(day, purpose)| PlannedEmail { day, purpose })
        .collect()
}
