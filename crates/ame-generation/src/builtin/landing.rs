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

/// The title of benefit card `i` and whether the body must say the benefit: the benefit itself
/// when it fits 50 characters; else the brand's short benefit, or the benefit's first clause,
/// or a plain heading, with the whole benefit said in the body.
fn card_title(short: Option<&str>, phrase: &str, i: usize) -> (String, bool) {
    if l::chars(phrase) <= 50 {
        return (phrase.to_owned(), false);
    }
    if let Some(short) = short
        .map(str::trim)
        .filter(|t| !t.is_empty() && l::chars(t) <= 50)
    {
        return (capitalize(short.trim_end_matches('.')), true);
    }
    let clause = phrase
        .split([',', ';', ':'])
        .next()
        .map(str::trim)
        .filter(|c| l::chars(c) <= 50 && c.split_whitespace().count() >= 3);
    match clause {
        Some(clause) => (clause.to_owned(), true),
        None => (
            ["What you get", "Why it matters", "What changes"][i % 3].to_owned(),
            true,
        ),
    }
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
            let phrase = capitalize(&b.phrase);
            let (title, says_it) = card_title(s.short.get(i).map(String::as_str), &phrase, i);
            // A title that does not say the whole benefit leaves it to the body; one that does
            // gets a line on why it holds.
            let body = if says_it {
                crate::grammar::tidy(&format!("{phrase}."))
            } else {
                s.fill(
                    CARD_BODIES[(i + c.order("cards", CARD_BODIES.len())[0]) % CARD_BODIES.len()],
                )
            };
            Benefit { title, body }
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

#[cfg(test)]
mod tests {
    use super::card_title;

    #[test]
    fn a_long_benefit_is_titled_short_and_said_whole_in_its_card() {
        let long =
            "Get audit-ready for SOC 2 in weeks, not months, with policies an auditor approved";
        assert_eq!(
            card_title(Some("Audit-ready in weeks."), long, 0),
            ("Audit-ready in weeks".to_owned(), true),
            "the brand's short benefit titles it, and the body says the whole benefit"
        );
        assert_eq!(
            card_title(None, long, 0),
            ("Get audit-ready for SOC 2 in weeks".to_owned(), true)
        );
        assert_eq!(
            card_title(Some("Something else"), "Fresh sourdough every morning", 1),
            ("Fresh sourdough every morning".to_owned(), false),
            "a benefit that fits is its own title; the body explains it"
        );
        let unbroken = "Wake up every single Saturday morning to a loaf baked overnight by us";
        assert_eq!(
            card_title(None, unbroken, 2),
            ("What changes".to_owned(), true),
            "a plain heading only when nothing else fits, and the body then says the benefit"
        );
    }
}
