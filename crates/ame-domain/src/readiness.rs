//! Launch readiness: what must be true before a campaign may be scheduled or activated, so
//! nothing with placeholder copy, no legal footer or nobody to send to reaches a real inbox.

use crate::campaign::Campaign;
use crate::enums::AssetType;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How far in the past a planned start may lie before readiness warns about it.
pub const START_GRACE: TimeDelta = TimeDelta::hours(1);

/// Why a campaign is not ready to launch (stable names on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReadinessCode {
    /// The organization has saved no brand profile: copy would carry placeholders ("Your
    /// Company", a postal address to be set, a link to example.com).
    NoBrandProfile,
    /// The campaign has no generated assets.
    NoAssets,
    /// The campaign's type sends email but it has no email sequence.
    NoEmailSequence,
    /// The campaign sends email but names no audience.
    NoAudience,
    /// The audience names nobody who may be written to now.
    AudienceEmpty,
    /// Messages would leave for real inboxes with a sender address nobody can reply to or
    /// authenticate (AME's placeholder `campaigns@ame.invalid`, or no domain).
    NoSender,
    /// The planned start lies in the past: the first step goes at once, later steps keep
    /// their spacing from it (a warning; it does not block).
    StartInPast,
}

/// One requirement a campaign does not meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessItem {
    /// What is missing.
    pub code: ReadinessCode,
    /// Whether it stops the campaign from being scheduled or activated.
    pub blocking: bool,
    /// What to do about it.
    pub message: String,
}

/// Whether a campaign may launch, and what stands in the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// True when no item blocks.
    pub ready: bool,
    /// Every unmet requirement, blocking ones first.
    pub items: Vec<ReadinessItem>,
}

/// What readiness is judged on besides the campaign itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchFacts {
    /// Whether the organization saved a brand profile.
    pub has_brand: bool,
    /// The types of the campaign's current assets.
    pub asset_types: Vec<AssetType>,
    /// How many contacts of the audience may be written to now; `None` when it cannot be
    /// known before launch (a triggered audience, such as a landing page's future leads).
    pub audience_size: Option<usize>,
    /// The sender address messages would leave with.
    pub sender: String,
    /// Whether messages leave for real inboxes (false: they are written to the outbox).
    pub delivers: bool,
    /// The time of the check.
    pub now: DateTime<Utc>,
}

/// Whether `address` (`Name <local@domain>` or `local@domain`) cannot be a sender: no domain,
/// or one under `.invalid` (RFC 2606; AME's own placeholder is `campaigns@ame.invalid`), which
/// no receiver resolves and no DKIM key can be published for.
pub fn is_unusable_sender(address: &str) -> bool {
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().trim_end_matches('>').to_ascii_lowercase())
        .unwrap_or_default();
    domain.is_empty() || domain == "invalid" || domain.ends_with(".invalid")
}

/// What `campaign` still needs before it may launch, given `facts`.
pub fn check_readiness(campaign: &Campaign, facts: &LaunchFacts) -> Readiness {
    let mut items = Vec::new();
    let mut block = |code, message: &str| {
        items.push(ReadinessItem {
            code,
            blocking: true,
            message: message.to_owned(),
        })
    };
    let sends_email = campaign
        .campaign_type
        .asset_types()
        .contains(&AssetType::EmailSequence);
    if !facts.has_brand {
        block(
            ReadinessCode::NoBrandProfile,
            "save the brand profile (company, postal address, call to action) with PUT /api/marketing/brand, then regenerate the assets",
        );
    }
    if facts.asset_types.is_empty() {
        block(
            ReadinessCode::NoAssets,
            "generate the campaign's assets first",
        );
    } else if sends_email && !facts.asset_types.contains(&AssetType::EmailSequence) {
        block(
            ReadinessCode::NoEmailSequence,
            "generate the assets again: the campaign has no email sequence",
        );
    }
    if sends_email {
        match (campaign.plan.audience, facts.audience_size) {
            (None, _) => block(
                ReadinessCode::NoAudience,
                "choose who receives the emails: a segment, every subscribed contact, or the landing page's leads",
            ),
            (Some(_), Some(0)) => block(
                ReadinessCode::AudienceEmpty,
                "the audience has no contact who may be written to; import contacts or choose another segment",
            ),
            _ => {}
        }
        if facts.delivers && is_unusable_sender(&facts.sender) {
            block(
                ReadinessCode::NoSender,
                "set a sender on a domain you own (AME_MAIL_FROM) before sending to real inboxes",
            );
        }
    }
    if let Some(start) = campaign.plan.start_at
        && start + START_GRACE < facts.now
    {
        items.push(ReadinessItem {
            code: ReadinessCode::StartInPast,
            blocking: false,
            message: format!(
                "the planned start ({}) has passed: the first step goes at once and later steps keep their spacing from it",
                start.format("%Y-%m-%d %H:%M UTC")
            ),
        });
    }
    Readiness {
        ready: items.iter().all(|i| !i.blocking),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Audience, CampaignId, CampaignPlan, CampaignStatus, CampaignType, OrgId};

    fn campaign(kind: CampaignType) -> Campaign {
        Campaign {
            id: CampaignId::new(),
            org_id: OrgId::new(),
            campaign_type: kind,
            objective: "Win back lapsed teams".into(),
            status: CampaignStatus::Draft,
            performance: serde_json::json!({}),
            plan: CampaignPlan::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn facts() -> LaunchFacts {
        LaunchFacts {
            has_brand: true,
            asset_types: vec![AssetType::EmailSequence, AssetType::VoiceAd],
            audience_size: Some(12),
            sender: "Ledgerly <news@ledgerly.com>".into(),
            delivers: true,
            now: Utc::now(),
        }
    }

    fn codes(r: &Readiness) -> Vec<ReadinessCode> {
        r.items.iter().map(|i| i.code).collect()
    }

    #[test]
    fn a_bare_campaign_lists_everything_it_lacks() {
        let bare = check_readiness(
            &campaign(CampaignType::ClientRetention),
            &LaunchFacts {
                has_brand: false,
                asset_types: Vec::new(),
                audience_size: None,
                sender: "AME <campaigns@ame.invalid>".into(),
                ..facts()
            },
        );
        assert!(!bare.ready);
        assert_eq!(
            codes(&bare),
            [
                ReadinessCode::NoBrandProfile,
                ReadinessCode::NoAssets,
                ReadinessCode::NoAudience,
                ReadinessCode::NoSender
            ]
        );
    }

    #[test]
    fn a_complete_campaign_is_ready_and_a_past_start_only_warns() {
        let mut c = campaign(CampaignType::ClientRetention);
        c.plan.audience = Some(Audience::all_subscribed());
        assert_eq!(check_readiness(&c, &facts()).items, []);
        c.plan.start_at = Some(Utc::now() - TimeDelta::days(3));
        let late = check_readiness(&c, &facts());
        assert!(late.ready);
        assert_eq!(codes(&late), [ReadinessCode::StartInPast]);
        let empty = check_readiness(
            &c,
            &LaunchFacts {
                audience_size: Some(0),
                ..facts()
            },
        );
        assert!(codes(&empty).contains(&ReadinessCode::AudienceEmpty) && !empty.ready);
        // A triggered audience (future leads) cannot be counted before launch: not blocking.
        let triggered = check_readiness(
            &c,
            &LaunchFacts {
                audience_size: None,
                ..facts()
            },
        );
        assert!(triggered.ready);
    }

    #[test]
    fn a_campaign_without_email_needs_no_audience_or_sender() {
        let r = check_readiness(
            &campaign(CampaignType::BrandAwareness),
            &LaunchFacts {
                asset_types: vec![AssetType::SocialPost],
                audience_size: None,
                sender: "AME <campaigns@ame.invalid>".into(),
                ..facts()
            },
        );
        assert!(r.ready && r.items.is_empty(), "{r:?}");
    }

    #[test]
    fn the_placeholder_sender_blocks_only_real_delivery() {
        for unusable in ["AME <campaigns@ame.invalid>", "a@INVALID", "no address"] {
            assert!(is_unusable_sender(unusable), "{unusable}");
        }
        for usable in ["Ledgerly <news@ledgerly.com>", "news@ledgerly.example"] {
            assert!(!is_unusable_sender(usable), "{usable}");
        }
        let mut c = campaign(CampaignType::Upsell);
        c.plan.audience = Some(Audience::all_subscribed());
        let outbox = LaunchFacts {
            sender: "AME <campaigns@ame.invalid>".into(),
            delivers: false,
            ..facts()
        };
        assert!(
            check_readiness(&c, &outbox).ready,
            "the outbox delivers nowhere"
        );
    }
}
