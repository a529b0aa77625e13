//! Email sequence copy: subject lines and preheaders written from three angles per email, the
//! body per email purpose and campaign type, and the greeting.

use super::{Chooser, Slots, cta_labels};
use crate::brief::{Brief, capitalize};
use crate::copy::{CopySpec, EmailCopy, EmailSequenceCopy, Purpose, VARIANTS};
use crate::limits as l;
use ame_domain::{CampaignType, Tone};

type Pools = [&'static [&'static str]; 3];

/// Subject line templates for an email with `purpose`, by angle.
fn subjects(t: CampaignType, purpose: Purpose) -> Pools {
    match purpose {
        Purpose::Proof if t == CampaignType::Upsell => [
            &["What {plan} adds", "What the upgrade adds"],
            &["How customers use {plan}", "The upgrade in practice"],
            &["Why customers move up", "A closer look at the upgrade"],
        ],
        Purpose::Deliver => [
            &["Here's how to {b}", "Your first step to {b}"],
            &["Thanks for getting in touch", "Welcome to {company}"],
            &["What to expect from us", "A quick hello from {company}"],
        ],
        Purpose::Educate => [
            &[
                "The hidden cost of the slow way",
                "Why the old way costs more than it seems",
            ],
            &["Signs it's time for a change", "What good looks like"],
            &["What we learned from our customers", "A better way to work"],
        ],
        Purpose::Proof => [
            &["What changes with {company}", "Before and after {company}"],
            &["How it works in practice", "A closer look at {company}"],
            &[
                "Why people switch to {company}",
                "The difference in practice",
            ],
        ],
        Purpose::Convert => [
            &["Ready for the next step?", "Shall we take it from here?"],
            &["Your next step: {cta}", "Two minutes to get started"],
            &["Any questions before you decide?", "Here when you're ready"],
        ],
        Purpose::ValueRecap => [
            &["A quick look back", "Your time with {company} so far"],
            &["Thank you for being with us", "What's working well"],
            &[
                "A note of thanks from {company}",
                "Here's what we've been up to",
            ],
        ],
        Purpose::Tips => [
            &["3 tips to {b}", "A quick way to {b}"],
            &[
                "Get more from {product}",
                "Little-known features worth a look",
            ],
            &["Your tips from {company}", "Small changes, big difference"],
        ],
        Purpose::CheckIn => [
            &["How are things going?", "A quick check-in"],
            &["Can we help with anything?", "Got 2 minutes for feedback?"],
            &["We'd love to hear from you", "Tell us how it's going"],
        ],
        Purpose::WeMissYou => [
            &["It's been a while", "We've missed you"],
            &["Still want to {b}?", "Come back to {company}"],
            &["Your account is still here", "A quick hello from {company}"],
        ],
        Purpose::WhatsNew => [
            &[
                "Here's what's new at {company}",
                "New since your last visit",
            ],
            &["We made it easier to {b}", "A few things have changed"],
            &[
                "A lot has happened since you left",
                "Take a fresh look at {company}",
            ],
        ],
        Purpose::LastCall => [
            &["Should we stay in touch?", "Before we say goodbye"],
            &["One last note from {company}", "Is this still for you?"],
            &["Your call: stay or go", "We'll leave it with you"],
        ],
        Purpose::Opportunity => [
            &["Ready for the next step?", "You're ready to {b}"],
            &["Unlock more with {company}", "Room to grow"],
            &["More of what works for you", "What the upgrade adds"],
        ],
        Purpose::Offer => [
            &["Your upgrade is ready", "Upgrade and {b}"],
            &["Everything you have, plus more", "Two minutes to upgrade"],
            &["Questions about upgrading?", "The upgrade, in short"],
        ],
        Purpose::Invite => [
            &[
                "Share {company}, get rewarded",
                "Know someone who'd like {company}?",
            ],
            &[
                "Give a friend a head start",
                "Invite a friend, you both win",
            ],
            &["A thank-you for every friend", "Your invite link is here"],
        ],
        Purpose::Reminder => [
            &[
                "Your invite link is waiting",
                "A friendly reminder to share",
            ],
            &[
                "Who do you know who'd like {company}?",
                "One friend is all it takes",
            ],
            &["Still thinking of someone?", "Your link still works"],
        ],
        Purpose::ThankYou => [
            &["Thank you for spreading the word", "You made a difference"],
            &[
                "Thanks from all of us at {company}",
                "Our thanks, and what's next",
            ],
            &["Recommendations like yours matter", "A big thank-you"],
        ],
        Purpose::Introduce => [
            &["Meet {company}", "A new way to {b}"],
            &["Hello from {company}", "Nice to meet you"],
            &["Who we are and what we do", "Built for {audience}"],
        ],
        Purpose::Story => [
            &["Why we started {company}", "The story behind {company}"],
            &["What drives us", "How {company} came to be"],
            &["The idea behind {product}", "Where it all began"],
        ],
    }
}

/// Preheader templates for an email with `purpose`, by angle.
fn preheaders(purpose: Purpose) -> Pools {
    match purpose {
        Purpose::Deliver => [
            &["What you asked for, and what comes next."],
            &["A short welcome and one useful first step."],
            &["Here's what the next few emails will cover."],
        ],
        Purpose::Educate => [
            &["The cost of the old way adds up quietly."],
            &["Three signs worth a look, in two minutes."],
            &["What we keep hearing, and what to do about it."],
        ],
        Purpose::Proof => [
            &["What changes when you switch, step by step."],
            &["A plain look at how {company} works day to day."],
            &["The reasons people give for switching."],
        ],
        Purpose::Convert => [
            &["It takes two minutes, and we'll do the rest."],
            &["Everything you need to decide, in one email."],
            &["Reply with any question and a person will answer."],
        ],
        Purpose::ValueRecap => [
            &["A short look back at your time with us."],
            &["Thanks for being with {company}."],
            &["What we've improved for you recently."],
        ],
        Purpose::Tips => [
            &["Three small changes you can make this week."],
            &["Features many customers miss."],
            &["Two minutes of reading, worth it."],
        ],
        Purpose::CheckIn => [
            &["A real person reads every reply."],
            &["Tell us what's working and what isn't."],
            &["Your feedback shapes what we build next."],
        ],
        Purpose::WeMissYou => [
            &["It's been a while, so we wanted to say hello."],
            &["Your account is right where you left it."],
            &["No pressure, just a quick hello."],
        ],
        Purpose::WhatsNew => [
            &["The changes since your last visit, in brief."],
            &["A few improvements you may have missed."],
            &["Worth a fresh look."],
        ],
        Purpose::LastCall => [
            &["We'd rather ask than fill your inbox."],
            &["One click keeps you on the list."],
            &["Either way, thank you."],
        ],
        Purpose::Opportunity => [
            &["A look at what the next step adds."],
            &["For customers who want a bit more."],
            &["Nothing changes unless you want it to."],
        ],
        Purpose::Offer => [
            &["Keep everything you have and add more."],
            &["Upgrading takes two minutes."],
            &["The short version, with nothing hidden."],
        ],
        Purpose::Invite => [
            &["Your personal invite link is inside."],
            &["Share it with someone who'd find it useful."],
            &["A thank-you for you, and one for your friend."],
        ],
        Purpose::Reminder => [
            &["Your invite link still works."],
            &["Think of one person who'd like it."],
            &["It only takes a moment to share."],
        ],
        Purpose::ThankYou => [
            &["Thank you for recommending us."],
            &["Your recommendation means a lot."],
            &["A short note of thanks."],
        ],
        Purpose::Introduce => [
            &["Who we are, in two minutes."],
            &["A quick introduction from the {company} team."],
            &["What we do, and who it's for."],
        ],
        Purpose::Story => [
            &["How it started, and why it matters to you."],
            &["The problem we set out to solve."],
            &["A short story from the {company} team."],
        ],
    }
}

/// The body paragraph templates of an email with `purpose` in a campaign of type `t`. A
/// paragraph `first|second|…` is the first alternative whose slots the brand and the email
/// can fill (a benefit of its own, a plan, a reward…); an empty last alternative leaves the
/// paragraph out.
fn body(t: CampaignType, purpose: Purpose) -> &'static [&'static str] {
    match purpose {
        Purpose::Deliver => &[
            "Thanks for your interest in {company}. We're glad you got in touch.",
            "In short, {company} is {product} for {audience}. It helps you {b}.|In short, {company} is {product} for {audience}.",
            "Over the next few emails we'll show you how it works in practice. If you'd rather talk now, use the button below.",
        ],
        Purpose::Educate => &[
            "Many of us still do this the slow way, with workarounds and reminders that depend on someone remembering.",
            "It works until it doesn't. Something slips, and the important work waits.",
            "{company} changes that. You {b}, without adding to your to-do list.|{company} changes that, without adding to your to-do list.",
        ],
        Purpose::Proof if t == CampaignType::Upsell => &[
            "Here's what customers get when they move to {plan}.|Here's what customers get from the upgrade.",
            "The essentials stay as they are, and you {b} with less effort.|The essentials stay as they are, and the everyday work takes less effort.",
            "In their words: {quote}.|{proof}.|",
            "The next email shows how to switch in a couple of minutes.",
        ],
        Purpose::Proof => &[
            "What changes when you use {company}? The routine parts happen on their own.",
            "You {b}, and you know where things stand without chasing anyone.|You know where things stand without chasing anyone.",
            "In their words: {quote}.|{proof}.|",
            "If that sounds useful, the next email explains how to get started.",
        ],
        Purpose::Convert => &[
            "Over the past week we've shown what {company} does and how it works.",
            "If you're ready, the next step is simple and takes a couple of minutes.",
            "Use the button below and we'll take it from there.",
        ],
        Purpose::ValueRecap => &[
            "Thank you for being with {company}. We wanted to take a moment to say it properly.",
            "We keep improving {product}, so you can {b} with less effort.|We keep improving {product}, and your feedback guides what we change.",
            "Next time, we'll share a few tips that customers find useful.",
        ],
        Purpose::Tips => &[
            "Here are three quick ways to get more from {product}.",
            "First, set things up once and let them run.",
            "Second, share access with the people who need it.",
            "Third, check in once a week so you {b}.|Third, check in once a week to see what's changed.",
        ],
        Purpose::CheckIn => &[
            "We wanted to check in and see how things are going with {company}.",
            "If anything is getting in the way, reply to this email. A real person reads every answer.",
            "And if things are going well, we'd love to hear that too.",
        ],
        Purpose::WeMissYou => &[
            "It's been a while since we've seen you, and we wanted to say hello.",
            "A lot has changed at {company}. You can now {b} more easily than before.|A lot has changed at {company} since your last visit.",
            "Come back now and you get {incentive}. Your account is where you left it.|Your account is where you left it, whenever you want to come back.",
        ],
        Purpose::WhatsNew => &[
            "Here is what changed since your last visit.",
            "We've made it easier to {b}, and we've tidied up the everyday parts.|We've tidied up the everyday parts, so the essentials take fewer steps.",
            "Everything you set up before is still there.",
        ],
        Purpose::LastCall => &[
            "We don't want to fill your inbox if this isn't for you any more.",
            "If you'd like to stay in touch, one click brings you back, and {incentive} is still yours.|If you'd like to stay in touch, one click brings you back.",
            "Otherwise, thank you for the time you spent with {company}.",
        ],
        Purpose::Opportunity => &[
            "Thank you for being a {company} customer.",
            "Many customers at your stage move to the {plan} plan so they can {b}.|Many customers at your stage take the next step so they can {b}.|Many customers at your stage take the next step and get more from {product}.",
            "Here's what that would look like for you.",
        ],
        Purpose::Offer => &[
            "Moving to {plan} takes a couple of minutes, and nothing you've set up changes.|Upgrading takes a couple of minutes, and nothing you've set up changes.",
            "You keep everything that works today and add the ability to {b}.|You keep everything that works today and add more room to grow.",
            "Use the button below to see what the upgrade includes.",
        ],
        Purpose::Invite if t == CampaignType::BrandAwareness => &[
            "Thanks for reading along. We hope the last two emails gave you a feel for {company}.",
            "If you'd like to see it for yourself, we'd love to show you around.",
            "The button below takes you to everything in one place.",
        ],
        Purpose::Invite => &[
            "You know better than anyone what {company} can do.",
            "Know someone who'd like to {b}? Invite them with your personal link: {{referral_url}}|Know someone who'd like {company}? Invite them with your personal link: {{referral_url}}",
            "When they join, you both get {reward}.|When they join, you both get a thank-you from us.",
        ],
        Purpose::Reminder => &[
            "Your personal invite link is still waiting: {{referral_url}}",
            "Think of one {peer} who'd like {company}. That's all it takes.",
            "Share your link and we'll take care of the rest.",
        ],
        Purpose::ThankYou => &[
            "Thank you for sharing {company} with the people you know.",
            "Recommendations like yours are how we grow, and we don't take them for granted.",
            "Every friend who joins through your link brings you {reward}.|Every friend who joins through your link brings you another thank-you from us.",
        ],
        Purpose::Introduce => &[
            "Hello! We're {company}, and we make {product} for {audience}.",
            "We started {company} so people could {b} without the usual hassle.|We started {company} to take the usual hassle out of it.",
            "Over the next few emails, we'll show you what that means in practice.",
        ],
        Purpose::Story => &[
            "Every company starts with a problem worth solving, and ours was a familiar one.",
            "So we built {product}, and made sure it also helps you {b}.|So we built {product}, and kept it simple to use.",
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

/// Subject and preheader variants, body and button label of every planned email. Only the
/// first email's subjects speak of a benefit; each email's body speaks of its own (the first
/// email of the first benefit, and so on), so no benefit is said more than twice to a reader.
pub(super) fn write(brief: &Brief, spec: &CopySpec, s: &Slots, c: &Chooser) -> EmailSequenceCopy {
    let t = brief.campaign.campaign_type;
    let label = s.fill(cta_labels(t)[0]);
    EmailSequenceCopy {
        emails: spec
            .emails
            .iter()
            .enumerate()
            .map(|(i, e)| EmailCopy {
                subject: c.angles_from(
                    &format!("email{i}.subject"),
                    &subjects(t, e.purpose),
                    s,
                    l::EMAIL_SUBJECT,
                    VARIANTS,
                    if i == 0 { 0 } else { usize::MAX / 2 },
                ),
                preheader: c.angles_from(
                    &format!("email{i}.preheader"),
                    &preheaders(e.purpose),
                    s,
                    l::EMAIL_PREHEADER,
                    VARIANTS,
                    usize::MAX / 2,
                ),
                body: body(t, e.purpose)
                    .iter()
                    .filter_map(|p| {
                        let text = p
                            .split('|')
                            .find_map(|alternative| s.fill_with(alternative, s.benefit(i)))
                            .unwrap_or_default();
                        (!text.is_empty()).then(|| capitalize(&text))
                    })
                    .collect(),
                cta_label: label.clone(),
            })
            .collect(),
    }
}
