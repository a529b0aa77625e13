//! Voice ad scripts: one per angle, in whole sentences sized to the ad's duration.

use super::{Chooser, Slots, headlines, size_script};
use crate::copy::{CopySpec, VARIANTS, VoiceCopy};
use ame_domain::CampaignType;

/// The closing line of a voice ad of campaign type `t`.
fn close(t: CampaignType) -> &'static str {
    match t {
        CampaignType::LeadGen => "{cta} with {company} today.",
        CampaignType::BrandAwareness => "{company}. Find out more today.",
        CampaignType::ClientRetention => "{company}. Thank you for being with us.",
        CampaignType::ReEngagement => "{company}. Come back any time, your account is waiting.",
        CampaignType::Upsell => "See the upgrade in your {company} account today.",
        CampaignType::Referral => "Share {company} with a friend today.",
    }
}

/// Sentences the script of angle `k` may add, most specific first.
fn middle(k: usize) -> &'static [&'static str] {
    match k {
        0 => &[
            "With {company}, you {b}.",
            "It is the kind of change you notice in the first week.",
            "Less chasing, fewer surprises, and more time for the work you enjoy.",
            "There is nothing complicated to learn.",
            "If you have a question, a real person answers.",
            "It works quietly in the background.",
            "You set it up once, and it keeps going.",
            "That means fewer late finishes and fewer things slipping through the cracks.",
            "You will wonder how you managed without it.",
            "And you stay in control of every step.",
        ],
        1 => &[
            "Here's something you might not know: you can {b}.",
            "Small changes like this add up over a month.",
            "Most of it happens on its own once it is set up.",
            "Try it this week and see what it does for you.",
            "Our team is happy to help you set it up.",
            "It takes a few minutes, not a few days.",
            "Have a look the next time you log in.",
            "You may find it saves you more time than you expect.",
            "Customers who use it tell us it quickly becomes a habit.",
            "And if it is not for you, nothing changes.",
        ],
        _ => &[
            "{company} is {product} for {audience}.",
            "We keep improving it, and your feedback decides what comes next.",
            "Tell us what works and what doesn't, and we will listen.",
            "Everything you rely on today stays just as it is.",
            "That is a promise we take seriously.",
            "We are here whenever you need us.",
            "Small improvements arrive every month, without you lifting a finger.",
            "Every improvement starts with a conversation with someone like you.",
            "So if there is something you would change, let us know.",
            "Just reply to any of our emails, and a real person will read it.",
        ],
    }
}

/// Script variants, one per angle: an opener, sentences up to the target length, the close.
pub(super) fn write(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VoiceCopy {
    let words = spec.script_words();
    let openers = c.angles("script.opener", &headlines(t), s, 120, VARIANTS);
    let close = s.fill(close(t));
    let script = openers
        .iter()
        .enumerate()
        .filter_map(|(k, opener)| {
            let opener = if opener.ends_with(['?', '.', '!']) {
                opener.clone()
            } else {
                format!("{opener}.")
            };
            let optional: Vec<String> = middle(k)
                .iter()
                .filter_map(|m| s.fill_with(m, s.benefit(k)))
                .filter(|m| !m.contains("{b}"))
                .collect();
            size_script(&[opener], &optional, std::slice::from_ref(&close), words)
        })
        .collect();
    VoiceCopy { script }
}
