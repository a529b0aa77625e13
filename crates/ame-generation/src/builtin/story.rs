//! The campaign model of each type: whom it speaks to and what it asks them to do. One model
//! per campaign, carried through every asset of its set.

use ame_domain::CampaignType;

/// Whom a campaign of a type speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Relation {
    /// People who do not buy yet.
    Prospect,
    /// People who already buy (or did).
    Customer,
}

/// Whom `t` speaks to.
pub(super) fn relation(t: CampaignType) -> Relation {
    match t {
        CampaignType::LeadGen | CampaignType::BrandAwareness => Relation::Prospect,
        CampaignType::ClientRetention
        | CampaignType::ReEngagement
        | CampaignType::Upsell
        | CampaignType::Referral => Relation::Customer,
    }
}

/// The call to action of a campaign of `t`: the brand's own for lead generation; learning more
/// for awareness (no hard sell); no sales ask for retention; coming back for re-engagement;
/// the upgrade for upsell; the invite link for referral.
pub(super) fn call_to_action(t: CampaignType, brand_cta: &str, plan: Option<&str>) -> String {
    if t == CampaignType::Upsell
        && let Some(plan) = plan
    {
        let named = format!("See the {plan} plan");
        if named.chars().count() <= crate::limits::BUTTON {
            return named;
        }
    }
    match t {
        CampaignType::LeadGen => brand_cta,
        CampaignType::BrandAwareness => "Learn more",
        CampaignType::ClientRetention => "Get the most from it",
        CampaignType::ReEngagement => "Pick up where you left off",
        CampaignType::Upsell => "See the upgrade",
        CampaignType::Referral => "Share your invite link",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lead_generation_uses_the_brands_sales_ask() {
        for t in CampaignType::ALL {
            let cta = call_to_action(*t, "Book a demo", None);
            assert_eq!(cta == "Book a demo", *t == CampaignType::LeadGen, "{t:?}");
            assert!(cta.chars().count() <= crate::limits::BUTTON);
        }
        assert_eq!(relation(CampaignType::Referral), Relation::Customer);
        assert_eq!(
            call_to_action(CampaignType::Upsell, "Book a demo", Some("Business")),
            "See the Business plan"
        );
    }
}
