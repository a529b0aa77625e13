//! Landing page copy: hero, one benefit card per value proposition, FAQ, form and closing.

use super::story::{Relation, relation};
use super::{Chooser, Slots, cta_labels, headlines, subheadlines};
use crate::brief::capitalize;
use crate::copy::{Benefit, Faq, LandingCopy, VARIANTS};
use crate::limits as l;
use ame_domain::CampaignType;

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

/// Hero variants (one per angle), cards, FAQ, form intro, closing and search snippet. A
/// referral's page is the one the referrer's friend lands on, and speaks to that friend.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> LandingCopy {
    let for_friend = t == CampaignType::Referral;
    let (heads, subs, labels) = if for_friend {
        (
            s.playbook.friend_headlines(),
            s.playbook.friend_subheadlines(),
            s.playbook.friend_cta(),
        )
    } else {
        (headlines(s, t), subheadlines(s, t), cta_labels(s, t))
    };
    let shifted: Vec<&[&str]> = vec![subs[1], subs[2], subs[0]];
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
                let bodies = &s.playbook.file.landing.card_bodies;
                s.fill(&bodies[(i + c.order("cards", bodies.len())[0]) % bodies.len()])
            };
            Benefit { title, body }
        })
        .collect();
    let form_intro = match relation(t) {
        _ if for_friend => "Tell us where to reach you, and we'll be in touch.",
        Relation::Prospect => "Tell us where to reach you, and we'll be in touch.",
        Relation::Customer => "Leave your details and we'll take care of the rest.",
    };
    let (own_faq, closing) = if for_friend {
        let f = &s.playbook.file.friend;
        (&f.faq, &f.closing)
    } else {
        let own = s.playbook.type_copy(t);
        (&own.faq, &own.closing)
    };
    // The shared questions are about the form: a page without one asks customers' questions.
    let form_faq: &[[String; 2]] = if t.page_takes_sign_ups() {
        &s.playbook.file.landing.faq
    } else {
        &s.playbook.file.landing.customer_faq
    };
    LandingCopy {
        headline: c.angles("headline", &heads, s, l::PAGE_HEADLINE, VARIANTS),
        subheadline: c.angles_from("subheadline", &shifted, s, l::PAGE_SUBHEADLINE, VARIANTS, 1),
        cta_label: c.labels(labels, s, l::BUTTON, VARIANTS),
        benefits,
        faq: own_faq
            .iter()
            .chain(form_faq)
            .map(|[q, a]| Faq {
                question: s.fill(q),
                answer: s.fill(a),
            })
            .filter(|f| !f.question.is_empty() && !f.answer.is_empty())
            .collect(),
        form_intro: form_intro.to_owned(),
        closing: s.fill(closing),
        meta_description: {
            // The friend's page asks the friend, not the referrer.
            let ask = if for_friend { labels[0] } else { "{cta}" };
            let full = s.fill(&format!("{{company}}: {{product}}. {ask}."));
            if l::chars(&full) <= l::META_DESCRIPTION_TAG {
                full
            } else {
                s.fill(&format!("{{company}}. {ask}."))
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
