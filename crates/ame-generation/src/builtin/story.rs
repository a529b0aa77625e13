//! The campaign model of each type: whom it speaks to and what it asks them to do. One model
//! per campaign, carried through every asset of its set.

use crate::playbook::Playbook;
use ame_domain::{Brand, CampaignType};

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

/// The call to action of a campaign of `t`: the brand's own for lead generation; for the other
/// types the vertical playbook's (learning more for awareness, no sales ask for retention,
/// coming back for re-engagement, the step up for upsell, the invite link for referral), with
/// the upgrade's name where it names one the brand gave and it fits a button.
pub(super) fn call_to_action(t: CampaignType, brand: &Brand, playbook: &Playbook) -> String {
    if t == CampaignType::LeadGen {
        return brand.cta_text.clone();
    }
    let written = playbook
        .type_copy(t)
        .call_to_action
        .as_deref()
        .unwrap_or("Learn more");
    if !written.contains("{plan}") {
        return written.to_owned();
    }
    brand
        .story
        .offers
        .upgrade_plan
        .as_deref()
        .map(|plan| written.replace("{plan}", plan))
        .filter(|label| label.chars().count() <= crate::limits::BUTTON)
        .unwrap_or_else(|| "Learn more".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::Vertical;

    #[test]
    fn only_lead_generation_uses_the_brands_sales_ask() {
        let mut brand = Brand::placeholder();
        brand.cta_text = "Book a demo".into();
        for v in Vertical::ALL {
            let playbook = Playbook::of(*v);
            for t in CampaignType::ALL {
                let cta = call_to_action(*t, &brand, playbook);
                assert_eq!(
                    cta == "Book a demo",
                    *t == CampaignType::LeadGen,
                    "{v} {t:?}"
                );
                assert!(cta.chars().count() <= crate::limits::BUTTON, "{v} {t:?}");
                assert!(!cta.contains('{'), "{v} {t:?}: {cta}");
            }
        }
        assert_eq!(relation(CampaignType::Referral), Relation::Customer);
    }
}
