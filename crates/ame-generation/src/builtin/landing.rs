//! Landing page copy: hero, one benefit card per value proposition, FAQ, form and closing.

use super::story::{Relation, relation};
use super::{Chooser, Slots, cta_labels, headlines, subheadlines};
use crate::brief::capitalize;
use crate::copy::{Benefit, Faq, LandingCopy, VARIANTS};
use crate::limits as l;
use ame_domain::CampaignType;

/// Body of the card of benefit `i`: why it holds, without repeating the benefit itself.
const CARD_BODIES: [&str; 6] = [
    "{company} is built around this, so it happens as part of the service rather than as extra effort.",
    "There are no extra steps on your side: it is simply how {company} works, every time.",
    "It is one of the first things people notice when they start with {company}.",
    "You see it from the start, and it keeps working without you having to think about it.",
    "We designed {company} with this in mind, and we check it every time we change something.",
    "It is included as standard, with nothing to add or configure.",
];

/// The closing line of each campaign type.
fn closing(t: CampaignType) -> &'static str {
    match t {
        CampaignType::LeadGen => "Ready when you are. It takes a minute to get started{!}",
        CampaignType::BrandAwareness => "Take a look around. We think you'll like what you find{!}",
        CampaignType::ClientRetention => {
            "Thank you for being with {company}. We're here whenever you need us."
        }
        CampaignType::ReEngagement => {
            "Your account is still here, just as you left it. Welcome back{!}"
        }
        CampaignType::Upsell => {
            "Your current setup stays exactly as it is. The upgrade only adds to it."
        }
        CampaignType::Referral => "Thank you for passing {company} on. It means a lot to us{!}",
    }
}

/// The questions and answers of each campaign type.
fn faq(t: CampaignType) -> [(&'static str, &'static str); 3] {
    let how = match t {
        CampaignType::Referral => (
            "How does the referral work?",
            "Share your invite link with a friend. When they sign up, you both get a thank-you from {company}.",
        ),
        CampaignType::Upsell => (
            "Will anything change in my current setup?",
            "No. Everything you use today stays as it is, and the upgrade adds to it.",
        ),
        CampaignType::ReEngagement | CampaignType::ClientRetention => (
            "Do I need to set anything up again?",
            "No. Your account and details are where you left them.",
        ),
        CampaignType::LeadGen | CampaignType::BrandAwareness => (
            "How do I get started?",
            "Leave your details and someone from {company} will walk you through the first steps.",
        ),
    };
    [
        how,
        (
            "What happens after I fill in the form?",
            "Someone from {company} gets back to you personally. No spam, and you can unsubscribe at any time.",
        ),
        (
            "Is my data safe?",
            "Yes. We only use your details to follow up on this request, and we never sell them.",
        ),
    ]
}

/// Hero variants (one per angle), cards, FAQ, form intro, closing and search snippet.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> LandingCopy {
    let shifted: Vec<&[&str]> = {
        let pools = subheadlines(t);
        vec![pools[1], pools[2], pools[0]]
    };
    let benefits = s
        .benefits
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, b)| {
            let title = capitalize(&b.phrase);
            Benefit {
                title: if l::chars(&title) <= 50 {
                    title
                } else {
                    ["What you get", "Why it matters", "What changes"][i].to_owned()
                },
                body: s.fill(
                    CARD_BODIES[(i + c.order("cards", CARD_BODIES.len())[0]) % CARD_BODIES.len()],
                ),
            }
        })
        .collect();
    let form_intro = match relation(t) {
        Relation::Prospect => {
            "Tell us where to reach you, and we'll be in touch within a working day."
        }
        Relation::Customer => "Leave your details and we'll take care of the rest.",
    };
    LandingCopy {
        headline: c.angles("headline", &headlines(t), s, l::PAGE_HEADLINE, VARIANTS),
        subheadline: c.angles_from("subheadline", &shifted, s, l::PAGE_SUBHEADLINE, VARIANTS, 1),
        cta_label: c.labels(cta_labels(t), s, l::BUTTON, VARIANTS),
        benefits,
        faq: faq(t)
            .iter()
            .map(|(q, a)| Faq {
                question: s.fill(q),
                answer: s.fill(a),
            })
            .collect(),
        form_intro: form_intro.to_owned(),
        closing: s.fill(closing(t)),
        meta_description: {
            let full = s.fill("{company}: {product}. {cta}.");
            if l::chars(&full) <= l::META_DESCRIPTION_TAG {
                full
            } else {
                s.fill("{company}. {cta}.")
            }
        },
    }
}
