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

/// How many of the playbook's shared questions a page answers.
const SHARED_QUESTIONS: usize = 2;

/// Search snippets: `{ask}` is the page's call to action.
const META_PATTERNS: &[&str] = &[
    "{company}: {product}. {ask}.",
    "{Product} from {company}, for {audience}. {ask}.",
    "{company} makes {product} for {audience}. {ask}.",
];

/// Lines above the form of a page for people who do not buy yet.
const PROSPECT_FORM_INTROS: &[&str] = &[
    "Tell us where to reach you, and we'll be in touch.",
    "Leave your name and email, and we'll get back to you.",
    "Share a few details, and we'll reply with what you asked for.",
];

/// Lines above the form of the page a referrer's friend lands on.
const FRIEND_FORM_INTROS: &[&str] = &[
    "Tell us where to reach you, and we'll be in touch.",
    "Leave your details, and we'll help you make a start.",
    "Say hello with your name and email, and we'll take it from there.",
];

/// Lines above the form of a page for people who already buy.
const CUSTOMER_FORM_INTROS: &[&str] = &[
    "Leave your details and we'll take care of the rest.",
    "Send us your details, and we'll handle everything else.",
    "Fill in your details, and we'll sort out the rest.",
];

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
            // A short benefit that is another card's benefit word for word does not title this
            // one (the brand's short list need not follow its benefits' order).
            let short = s.short.get(i).map(String::as_str).filter(|short| {
                !s.benefits.iter().enumerate().any(|(j, other)| {
                    j != i
                        && other
                            .phrase
                            .trim_end_matches('.')
                            .eq_ignore_ascii_case(short.trim().trim_end_matches('.'))
                })
            });
            let (title, says_it) = card_title(short, &phrase, i);
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
    let form_intros: &[&str] = match relation(t) {
        _ if for_friend => FRIEND_FORM_INTROS,
        Relation::Prospect => PROSPECT_FORM_INTROS,
        Relation::Customer => CUSTOMER_FORM_INTROS,
    };
    let form_intro = c
        .pick("form_intro", form_intros)
        .copied()
        .unwrap_or_default();
    let (own_faq, closing) = if for_friend {
        let f = &s.playbook.file.friend;
        (&f.faq, s.fill(&f.closing))
    } else {
        let own = s.playbook.type_copy(t);
        let options: Vec<&str> = own.closing.options().iter().map(String::as_str).collect();
        (
            &own.faq,
            c.one("closing", &options, s, None, l::PAGE_CLOSING),
        )
    };
    // The shared questions are about the form: a page without one asks customers' questions.
    // The seed chooses which two of the playbook's the page answers.
    let shared: &[[String; 2]] = if t.page_takes_sign_ups() {
        &s.playbook.file.landing.faq
    } else {
        &s.playbook.file.landing.customer_faq
    };
    let mut chosen = c.order("faq", shared.len());
    chosen.truncate(SHARED_QUESTIONS);
    chosen.sort_unstable();
    let form_faq: Vec<&[String; 2]> = chosen.into_iter().map(|i| &shared[i]).collect();
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
        closing,
        meta_description: {
            // The friend's page asks the friend, not the referrer.
            let ask = if for_friend { labels[0] } else { "{cta}" };
            let pattern = c.pick("meta", META_PATTERNS).copied().unwrap_or_default();
            let full = s.fill(&pattern.replace("{ask}", ask));
            if !full.is_empty() && l::chars(&full) <= l::META_DESCRIPTION_TAG {
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
