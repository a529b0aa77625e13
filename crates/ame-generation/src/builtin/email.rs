//! Email sequence copy: subject lines, preheaders and body per email purpose, and the greeting.

use super::{Chooser, Slots, cta_labels};
use crate::brief::{Brief, capitalize};
use crate::copy::{CopySpec, EmailCopy, EmailSequenceCopy, Purpose, VARIANTS};
use crate::limits::{self as l, fit};
use ame_domain::Tone;

/// Subject line templates for an email with `purpose`.
fn subjects(purpose: Purpose) -> &'static [&'static str] {
    match purpose {
        Purpose::Deliver => &[
            "Here's how to {vp1}",
            "Your first step to {vp1}",
            "{Audience}: a quick win inside",
            "Thanks for your interest in {company}",
        ],
        Purpose::Educate => &[
            "The hidden cost of doing it by hand",
            "3 signs it's time to change how you work",
            "Why {audience} switch to {company}",
            "A better way to {vp1}",
        ],
        Purpose::Proof => &[
            "How teams like yours {vp1}",
            "Real results from {audience}",
            "What changed after switching to {company}",
            "A simpler way to {vp1}",
        ],
        Purpose::Convert => &[
            "Ready to {vp1}?",
            "Your next step: {cta}",
            "Let's make it happen{deadline}",
            "Last chance to {cta}{deadline}",
        ],
        Purpose::ValueRecap => &[
            "Your progress with {company}",
            "Here's what you achieved with us",
            "A quick look at your results",
            "Thanks for being with {company}",
        ],
        Purpose::Tips => &[
            "3 tips to {vp2}",
            "Get more from {product}",
            "Little-known ways to {vp2}",
            "Your monthly tips from {company}",
        ],
        Purpose::CheckIn => &[
            "How are things going?",
            "Can we help you {vp1}?",
            "A quick check-in from {company}",
            "Got 2 minutes for feedback?",
        ],
        Purpose::WeMissYou => &[
            "We've missed you",
            "It's been a while",
            "Still want to {vp1}?",
            "Come back to {company}",
        ],
        Purpose::WhatsNew => &[
            "Here's what's new at {company}",
            "We made it easier to {vp1}",
            "You asked, we built it",
            "New since your last visit",
        ],
        Purpose::LastCall => &[
            "Should we stay in touch?",
            "One last note from {company}",
            "Before we say goodbye",
            "Last call: {cta}",
        ],
        Purpose::Opportunity => &[
            "Ready for the next step?",
            "You're ready to {vp2}",
            "Unlock more with {company}",
            "Time to grow with {company}?",
        ],
        Purpose::Offer => &[
            "Your upgrade offer{deadline}",
            "Ready to {vp2}?",
            "A special offer for you",
            "Upgrade and {vp2}",
        ],
        Purpose::Invite => &[
            "Share {company}, get rewarded",
            "Know someone who'd love {company}?",
            "Give a friend a head start",
            "Invite a friend, you both win",
        ],
        Purpose::Reminder => &[
            "Your invite link is waiting",
            "Who do you know who should {vp1}?",
            "A friendly reminder to share",
            "Your friends can {vp1} too",
        ],
        Purpose::ThankYou => &[
            "Thank you for spreading the word",
            "You made a difference",
            "Thanks from all of us at {company}",
            "Our thanks — and what's next",
        ],
        Purpose::Introduce => &[
            "Meet {company}",
            "Hello from {company}",
            "A new way to {vp1}",
            "Built for {audience}",
        ],
        Purpose::Story => &[
            "Why we started {company}",
            "The story behind {company}",
            "What drives us",
            "How {company} came to be",
        ],
    }
}

/// Preheader templates for an email with `purpose`.
fn preheaders(purpose: Purpose) -> &'static [&'static str] {
    match purpose {
        Purpose::Deliver
        | Purpose::Introduce
        | Purpose::Invite
        | Purpose::Opportunity
        | Purpose::ValueRecap => &[
            "A short read with one practical idea you can use today.",
            "{Vp1} — here's where to start.",
            "Inside: what {audience} do differently.",
            "Two minutes that could change how you work.",
        ],
        Purpose::Convert | Purpose::Offer | Purpose::LastCall => &[
            "Take the next step{deadline}.",
            "It takes two minutes: {cta}.",
            "Here's everything you need to decide.",
            "Don't miss out{deadline}.",
        ],
        Purpose::Educate
        | Purpose::Proof
        | Purpose::Tips
        | Purpose::CheckIn
        | Purpose::WeMissYou
        | Purpose::WhatsNew
        | Purpose::Reminder
        | Purpose::ThankYou
        | Purpose::Story => &[
            "A quick note with something useful.",
            "Here's how to {vp2}.",
            "We thought you'd find this helpful.",
            "Real examples from {audience}.",
        ],
    }
}

/// The three body paragraph templates for an email with `purpose`.
fn body(purpose: Purpose) -> [&'static str; 3] {
    match purpose {
        Purpose::Deliver => [
            "Thanks for your interest in {company}. You told us you want to {outcome}, and we want to help you get there{deadline}.",
            "Here's the short version: {company} helps {audience} {vp1}. Over the next few emails we'll share what works, what doesn't, and how others did it.",
            "Want to skip ahead? {cta} and we'll walk you through it.",
        ],
        Purpose::Educate => [
            "Most {audience} still do this the slow way: spreadsheets, follow-ups, and late nights.",
            "It works — until it doesn't. Mistakes slip through and the important work waits.",
            "{company} changes that. You {vp1} and {vp2}, without adding to your to-do list.",
        ],
        Purpose::Proof => [
            "Teams like yours were in the same spot: too much manual work and too little time.",
            "After switching to {company}, they could {vp1} — and {vp2}.",
            "You can get the same results. Here's how to start.",
        ],
        Purpose::Convert => [
            "Over the past week we've shown how {company} helps {audience} {vp1}.",
            "If you're ready to {outcome}, the next step is simple and takes a couple of minutes.",
            "{cta} — we'll take it from there{deadline}.",
        ],
        Purpose::ValueRecap => [
            "Thank you for being with {company}. Here's a quick look at what you've achieved.",
            "You've been able to {vp1}. That's time and focus back for the work that matters.",
            "Keep an eye out: next time we'll share tips to {vp2}.",
        ],
        Purpose::Tips => [
            "Here are three quick ways to get more from {product}.",
            "First, set it up once and let it run. Second, share it with your team. Third, review the results weekly so you {vp2}.",
            "Try one this week and tell us how it goes.",
        ],
        Purpose::CheckIn => [
            "We wanted to check in. Is {company} helping you {vp1}?",
            "If anything is getting in the way, reply to this email — a real person reads every answer.",
            "And if things are going well, we'd love to hear that too.",
        ],
        Purpose::WeMissYou => [
            "It's been a while since we've seen you, and we wanted to say hello.",
            "Before, getting this done meant extra work. Now {company} helps {audience} {vp1}.",
            "Come back and see what's changed — it only takes a minute.",
        ],
        Purpose::WhatsNew => [
            "A lot has changed at {company} since your last visit.",
            "We've made it easier to {vp1} and added ways to {vp2}.",
            "Your account is ready when you are.",
        ],
        Purpose::LastCall => [
            "We don't want to fill your inbox if this isn't for you anymore.",
            "If you'd still like to {vp1}, one click brings you back.",
            "Otherwise, thank you for the time you spent with {company}.",
        ],
        Purpose::Opportunity => [
            "You've been getting real value from {company} — thank you.",
            "Many teams at your stage take the next step so they can {vp2}.",
            "Here's what that would look like for you.",
        ],
        Purpose::Offer => [
            "Upgrading takes a couple of minutes and nothing you've set up changes.",
            "You keep everything that works today and add the ability to {vp2} and {vp3}.",
            "{cta}{deadline}.",
        ],
        Purpose::Invite => [
            "You know better than anyone what {company} can do.",
            "Know someone who wants to {vp1}? Invite them with your personal link.",
            "When they join, you both get a thank-you from us.",
        ],
        Purpose::Reminder => [
            "Your personal invite link is still waiting.",
            "Think of one colleague or friend who'd want to {vp1} — that's all it takes.",
            "Share your link and we'll take care of the rest.",
        ],
        Purpose::ThankYou => [
            "Thank you for sharing {company} with the people you know.",
            "Recommendations like yours are how we grow, and we don't take them for granted.",
            "Keep sharing — every friend who joins brings you another reward.",
        ],
        Purpose::Introduce => [
            "Hello! We're {company}, and we help {audience} {vp1}.",
            "We started because doing it the old way cost too much time and too many mistakes.",
            "Over the next few emails, we'll show you what that means in practice.",
        ],
        Purpose::Story => [
            "Every company starts with a problem worth solving. Ours was simple: {audience} deserved a better way to {vp1}.",
            "So we built {product} — and made sure it also helps you {vp2}.",
            "We'd love for you to see it for yourself.",
        ],
    }
}

/// The greeting line of every email in `tone` (with the `{{first_name}}` merge tag).
pub fn email_greeting(tone: Tone) -> &'static str {
    match tone {
        Tone::Professional => "Hello {{first_name}},",
        Tone::Bold => "{{first_name}} —",
        Tone::Playful => "Hey {{first_name}}!",
        Tone::Empathetic | Tone::Friendly => "Hi {{first_name}},",
    }
}

/// Subject and preheader variants, body and button label of every planned email.
pub(super) fn write(brief: &Brief, spec: &CopySpec, s: &Slots, c: &Chooser) -> EmailSequenceCopy {
    let t = brief.campaign.campaign_type;
    EmailSequenceCopy {
        emails: spec
            .emails
            .iter()
            .enumerate()
            .map(|(i, e)| EmailCopy {
                subject: c.pick(
                    &format!("email{i}.subject"),
                    subjects(e.purpose),
                    s,
                    l::EMAIL_SUBJECT,
                    VARIANTS,
                ),
                preheader: c.pick(
                    &format!("email{i}.preheader"),
                    preheaders(e.purpose),
                    s,
                    l::EMAIL_PREHEADER,
                    VARIANTS,
                ),
                body: body(e.purpose)
                    .iter()
                    .map(|p| fit(&capitalize(&s.fill(p)), 600))
                    .collect(),
                cta_label: c.one(&format!("email{i}.cta"), cta_labels(t), s, l::BUTTON),
            })
            .collect(),
    }
}
