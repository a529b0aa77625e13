//! Landing page copy.

use super::{Chooser, Slots, cta_labels, headlines, subheadlines};
use crate::brief::capitalize;
use crate::copy::{Benefit, Faq, LandingCopy, VARIANTS};
use crate::limits::{self as l, fit};
use ame_domain::CampaignType;

/// The landing page's hero variants, benefits, FAQ and closing lines.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> LandingCopy {
    let benefit = |i: usize, vp: &str| {
        Benefit {
        title: fit(&capitalize(vp), 50),
        body: fit(
            &s.fill(match i {
                0 => "{company} takes the manual steps off your plate, so you can {vp1} with confidence.",
                1 => "Built for {audience}: set up in minutes, then {vp2} week after week.",
                _ => "See the difference in your first month — and {vp3} without adding headcount.",
            })
            .replace("{vp}", vp),
            240,
        ),
    }
    };
    LandingCopy {
        headline: c.pick("headline", headlines(t), s, l::PAGE_HEADLINE, VARIANTS),
        subheadline: c.pick("subheadline", subheadlines(t), s, l::PAGE_SUBHEADLINE, VARIANTS),
        cta_label: c.pick("cta_label", cta_labels(t), s, l::BUTTON, VARIANTS),
        benefits: s.vps.iter().take(3).enumerate().map(|(i, vp)| benefit(i, vp)).collect(),
        faq: vec![
            Faq {
                question: fit(&s.fill("Who is {company} for?"), 120),
                answer: fit(&s.fill("{Audience} who want to {vp1}. If that's you, you're in the right place."), 400),
            },
            Faq {
                question: "How long does it take to get started?".to_owned(),
                answer: fit(&s.fill("We guide you through every step of the setup, and you can {vp2} from the first week."), 400),
            },
            Faq {
                question: "What happens after I fill in the form?".to_owned(),
                answer: fit(&s.fill("Someone from {company} gets back to you personally. No spam, and you can unsubscribe at any time."), 400),
            },
            Faq {
                question: "Is my data safe?".to_owned(),
                answer: fit(&s.fill("Yes. We only use your details to follow up on this request, and we never sell them."), 400),
            },
        ],
        form_intro: fit(&s.fill("Tell us where to reach you and we'll show you how to {vp1}."), 160),
        closing: fit(&s.fill("{Audience} are already using {company} to {vp1}. Your turn{!}"), 200),
        meta_description: fit(&s.fill("{company}: {product} for {audience}. {Vp1}, {vp2}."), l::META_DESCRIPTION_TAG),
    }
}
