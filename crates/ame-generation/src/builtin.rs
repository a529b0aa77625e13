//! The built-in copywriter: the embedded default text model. Offline and deterministic for a
//! given seed, it writes with a proven framework per campaign type (PAS for lead generation, AIDA
//! for awareness, value recap for retention, before–after–bridge for re-engagement,
//! feature–advantage–benefit for upsell, give–get for referral), fills it from the brand and the
//! objective, and keeps only variants that fit each field's limit.

use crate::brief::{Brief, capitalize, lowercase_first};
use crate::copy::{
    AdCopy, AssetCopy, Benefit, CopySpec, EmailCopy, EmailSequenceCopy, Faq, ImageCopy,
    LandingCopy, Purpose, SceneCopy, SocialCopy, VARIANTS, VideoScriptCopy, VoiceCopy,
};
use crate::limits::{self as l, fit};
use ame_domain::{AssetType, CampaignType, Tone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// Name recorded as the provider of built-in copy.
pub const PROVIDER: &str = "builtin";
/// Version of the built-in copywriter; bump when its output changes.
pub const VERSION: u32 = 1;

/// The framework each campaign type is written with.
pub fn framework(campaign_type: CampaignType) -> &'static str {
    match campaign_type {
        CampaignType::LeadGen => "PAS (problem, agitate, solution)",
        CampaignType::BrandAwareness => "AIDA (attention, interest, desire, action)",
        CampaignType::ClientRetention => "value recap (results, tips, check-in)",
        CampaignType::ReEngagement => "BAB (before, after, bridge)",
        CampaignType::Upsell => "FAB (feature, advantage, benefit)",
        CampaignType::Referral => "give-get (what they give, what both get)",
    }
}

/// Values the templates are filled with.
struct Slots {
    company: String,
    product: String,
    audience: String,
    vps: Vec<String>,
    cta: String,
    outcome: String,
    deadline: String,
    bang: &'static str,
}

impl Slots {
    fn new(brief: &Brief) -> Self {
        let brand = &brief.brand;
        let mut vps: Vec<String> = brand
            .value_propositions
            .iter()
            .map(|v| lowercase_first(v.trim_end_matches('.')))
            .collect();
        let first = vps
            .first()
            .cloned()
            .unwrap_or_else(|| lowercase_first(&brand.product));
        while vps.len() < 3 {
            vps.push(first.clone());
        }
        Self {
            company: brand.company_name.clone(),
            product: lowercase_first(&brand.product),
            audience: lowercase_first(brief.audience()),
            vps,
            cta: brand.cta_text.clone(),
            outcome: brief.objective.outcome.clone(),
            deadline: brief
                .objective
                .deadline
                .as_ref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default(),
            bang: match brand.tone {
                Tone::Bold | Tone::Playful => "!",
                _ => ".",
            },
        }
    }

    fn fill(&self, template: &str) -> String {
        let out = template
            .replace("{company}", &self.company)
            .replace("{product}", &self.product)
            .replace("{Product}", &capitalize(&self.product))
            .replace("{audience}", &self.audience)
            .replace("{Audience}", &capitalize(&self.audience))
            .replace("{vp1}", &self.vps[0])
            .replace("{vp2}", &self.vps[1])
            .replace("{vp3}", &self.vps[2])
            .replace("{Vp1}", &capitalize(&self.vps[0]))
            .replace("{Vp2}", &capitalize(&self.vps[1]))
            .replace("{Vp3}", &capitalize(&self.vps[2]))
            .replace("{cta}", &self.cta)
            .replace("{outcome}", &self.outcome)
            .replace("{deadline}", &self.deadline)
            .replace("{!}", self.bang);
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Deterministic choices: one generator per (seed, campaign, asset type, field).
struct Chooser {
    seed: u64,
    campaign: String,
    asset: &'static str,
}

impl Chooser {
    fn rng(&self, field: &str) -> ChaCha8Rng {
        let mut h = Sha256::new();
        h.update(self.seed.to_le_bytes());
        h.update(self.campaign.as_bytes());
        h.update(self.asset.as_bytes());
        h.update(field.as_bytes());
        let d = h.finalize();
        let mut b = [0u8; 32];
        b.copy_from_slice(&d);
        ChaCha8Rng::from_seed(b)
    }

    fn order(&self, field: &str, n: usize) -> Vec<usize> {
        let mut rng = self.rng(field);
        let mut idx: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = rng.random_range(0..=i);
            idx.swap(i, j);
        }
        idx
    }

    /// `count` distinct filled templates that fit `max` characters (shortened ones last).
    fn pick(
        &self,
        field: &str,
        pool: &[&str],
        slots: &Slots,
        max: usize,
        count: usize,
    ) -> Vec<String> {
        // A pool led by the brand's own call to action keeps it as variant A.
        let pinned = usize::from(pool.first() == Some(&"{cta}"));
        let filled: Vec<String> = (0..pinned)
            .chain(
                self.order(field, pool.len() - pinned)
                    .into_iter()
                    .map(|i| i + pinned),
            )
            .map(|i| slots.fill(pool[i]))
            .collect();
        let mut out: Vec<String> = Vec::new();
        for text in filled.iter().filter(|t| l::chars(t) <= max) {
            if out.len() < count && !out.contains(text) {
                out.push(text.clone());
            }
        }
        for text in &filled {
            let short = fit(text, max);
            if out.len() < count && !out.contains(&short) {
                out.push(short);
            }
        }
        out
    }

    fn one(&self, field: &str, pool: &[&str], slots: &Slots, max: usize) -> String {
        self.pick(field, pool, slots, max, 1)
            .into_iter()
            .next()
            .unwrap_or_default()
    }
}

/// Writes the words of `spec`'s asset for `brief`.
pub fn write(brief: &Brief, spec: &CopySpec) -> AssetCopy {
    let slots = Slots::new(brief);
    let chooser = Chooser {
        seed: brief.seed,
        campaign: brief.campaign.id.to_string(),
        asset: spec.asset_type.as_str(),
    };
    let t = brief.campaign.campaign_type;
    match spec.asset_type {
        AssetType::LandingPage => AssetCopy::Landing(landing(t, &slots, &chooser)),
        AssetType::EmailSequence => AssetCopy::Emails(emails(brief, spec, &slots, &chooser)),
        AssetType::SocialPost => AssetCopy::Social(social(t, &slots, &chooser)),
        AssetType::VideoScript => AssetCopy::Video(video(t, spec, &slots, &chooser)),
        AssetType::AdCreative => AssetCopy::Ads(ads(t, &slots, &chooser)),
        AssetType::VoiceAd => AssetCopy::Voice(voice(t, spec, &slots, &chooser)),
        AssetType::ImageAsset => AssetCopy::Image(image(t, &slots, &chooser)),
    }
}

fn headlines(t: CampaignType) -> &'static [&'static str] {
    match t {
        CampaignType::LeadGen => &[
            "Struggling to {vp1}?",
            "{Vp1} — without the busywork",
            "{Audience}: {vp1}",
            "The faster way to {vp1}",
            "How {audience} {vp1}",
            "What if you could {vp1}?",
        ],
        CampaignType::BrandAwareness => &[
            "Meet {company}: {vp1}",
            "{Vp1}. That's {company}",
            "Say hello to {company}",
            "Built for {audience}",
            "A better way to {vp1}",
        ],
        CampaignType::ClientRetention => &[
            "Get even more from {company}",
            "Your results with {company}, and what's next",
            "Three ways to {vp1} this month",
            "Make the most of {product}",
        ],
        CampaignType::ReEngagement => &[
            "It's been a while — here's what's new",
            "Come back to {company}{!}",
            "We've made it easier to {vp1}",
            "Still want to {vp1}?",
        ],
        CampaignType::Upsell => &[
            "Ready to {vp2}?",
            "Unlock more with {company}",
            "You've grown. Your {product} should too",
            "Do more: {vp2}",
        ],
        CampaignType::Referral => &[
            "Share {company}, get rewarded",
            "Know someone who'd love {company}?",
            "Give a friend a head start",
            "Good things are better shared",
        ],
    }
}

fn subheadlines(t: CampaignType) -> &'static [&'static str] {
    match t {
        CampaignType::LeadGen => &[
            "{Product} helps {audience} {vp1} and {vp2}{!}",
            "Every week spent on manual work is a week lost. {company} helps you {vp1}.",
            "Join {audience} who use {company} to {vp1}.",
        ],
        CampaignType::BrandAwareness => &[
            "{company} makes {product} for {audience} who want to {vp1}.",
            "We help {audience} {vp1} and {vp2}.",
            "{Product}, designed to {vp1}.",
        ],
        CampaignType::ClientRetention => &[
            "You already {vp1}. Here's how to {vp2} too.",
            "Small changes that help you {vp2} with {company}.",
            "Thanks for being with us. Here's what's working for {audience} right now.",
        ],
        CampaignType::ReEngagement => &[
            "Since you last visited, we've made it easier to {vp1}.",
            "Before: doing it the hard way. After: you {vp1}. Come see what changed.",
            "Pick up where you left off and {vp1}{deadline}.",
        ],
        CampaignType::Upsell => &[
            "Teams like yours {vp2}. Upgrade and get there faster.",
            "More of what works: {vp2} and {vp3}.",
            "Add what's next to {product} and {vp2}{deadline}.",
        ],
        CampaignType::Referral => &[
            "Invite a friend to {company}. They {vp1}, and you both get rewarded.",
            "Your friends can {vp1} too — and you'll get a thank-you from us.",
            "Share your link. When a friend joins, you both win.",
        ],
    }
}

fn cta_labels(t: CampaignType) -> &'static [&'static str] {
    match t {
        CampaignType::LeadGen => &[
            "{cta}",
            "Get started",
            "See how it works",
            "Get your free guide",
        ],
        CampaignType::BrandAwareness => &[
            "{cta}",
            "Learn more",
            "Discover {company}",
            "See how it works",
        ],
        CampaignType::ClientRetention => &[
            "{cta}",
            "See my results",
            "Explore the tips",
            "Get more done",
        ],
        CampaignType::ReEngagement => {
            &["{cta}", "Take another look", "See what's new", "Come back"]
        }
        CampaignType::Upsell => &["{cta}", "Upgrade now", "Compare plans", "Unlock more"],
        CampaignType::Referral => &["{cta}", "Invite a friend", "Share my link", "Refer now"],
    }
}

fn landing(t: CampaignType, s: &Slots, c: &Chooser) -> LandingCopy {
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

fn emails(brief: &Brief, spec: &CopySpec, s: &Slots, c: &Chooser) -> EmailSequenceCopy {
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

fn hashtags(s: &Slots, t: CampaignType) -> Vec<String> {
    let camel = |text: &str| -> String {
        text.split(|ch: char| !ch.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(3)
            .map(capitalize)
            .collect()
    };
    let mut tags: Vec<String> = Vec::new();
    for candidate in [
        camel(&s.company),
        camel(&s.product),
        match t {
            CampaignType::LeadGen => "Productivity".to_owned(),
            CampaignType::BrandAwareness => "NewBrand".to_owned(),
            CampaignType::ClientRetention => "CustomerSuccess".to_owned(),
            CampaignType::ReEngagement => "WhatsNew".to_owned(),
            CampaignType::Upsell => "LevelUp".to_owned(),
            CampaignType::Referral => "ReferAFriend".to_owned(),
        },
    ] {
        let tag = format!("#{}", candidate.chars().take(30).collect::<String>());
        if candidate.chars().count() >= 2 && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() < 2 {
        tags.push("#Marketing".to_owned());
    }
    tags
}

fn social(t: CampaignType, s: &Slots, c: &Chooser) -> SocialCopy {
    let tags = hashtags(s, t);
    let tag_line = tags.join(" ");
    let hooks = headlines(t);
    let linkedin: Vec<String> = c
        .pick("linkedin.hook", hooks, s, l::LINKEDIN_HOOK, VARIANTS)
        .into_iter()
        .map(|hook| {
            let body = s.fill(
                "Most {audience} we talk to want the same thing: to {vp1}.\n\nHere's what we've learned:\n→ {Vp1}\n→ {Vp2}\n→ {Vp3}\n\n{company} makes {product} so you can do all three. {cta}: the link is in the comments.",
            );
            fit(&format!("{hook}\n\n{body}\n\n{tag_line}"), l::LINKEDIN_POST)
        })
        .collect();
    let x: Vec<String> = c
        .pick("x", subheadlines(t), s, l::X_POST, VARIANTS)
        .into_iter()
        .map(|text| {
            let with_tags = format!("{text} {tag_line}");
            if l::x_weighted(&with_tags) <= l::X_POST {
                with_tags
            } else {
                fit(&text, l::X_POST / 2)
            }
        })
        .collect();
    let facebook = c.pick(
        "facebook",
        &[
            "{Vp1}. {cta}{!}",
            "{Audience}: {vp1} with {company}.",
            "Want to {vp1}? {company} can help.",
            "{company} helps you {vp1}.",
        ],
        s,
        l::FACEBOOK_PRIMARY,
        VARIANTS,
    );
    let instagram: Vec<String> = c
        .pick("instagram.hook", hooks, s, l::INSTAGRAM_HOOK, VARIANTS)
        .into_iter()
        .map(|hook| {
            fit(
                &format!(
                    "{hook}\n\n{}\n\n{tag_line}",
                    s.fill("{company} helps {audience} {vp1}. Link in bio to {cta}.")
                ),
                l::INSTAGRAM_CAPTION,
            )
        })
        .collect();
    SocialCopy {
        linkedin,
        x,
        facebook,
        instagram,
        hashtags: tags,
    }
}

/// Trims or pads a spoken script to `min..=max` words with sentences from `fillers`.
fn size_script(mut words: Vec<String>, fillers: &[String], min: usize, max: usize) -> String {
    let mut k = 0;
    while words.len() < min && k < fillers.len() * 4 {
        words.extend(
            fillers[k % fillers.len()]
                .split_whitespace()
                .map(str::to_owned),
        );
        k += 1;
    }
    words.truncate(max);
    let mut text = words.join(" ");
    if !text.ends_with(['.', '!', '?']) {
        text = text.trim_end_matches([',', ';', ':']).to_owned();
        text.push('.');
    }
    text
}

fn voice(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VoiceCopy {
    let (min, target, max) = spec.script_words();
    let openers = headlines(t);
    let fillers: Vec<String> = [
        "{company} helps {audience} {vp1}.",
        "It also helps you {vp2}.",
        "And it means you can {vp3}.",
        "Getting started takes just a few minutes.",
        "Setup is guided from the very first day.",
    ]
    .iter()
    .map(|f| s.fill(f))
    .collect();
    let close = s.fill("{cta} today at {company}.");
    let script = c
        .pick("script.opener", openers, s, 120, VARIANTS)
        .into_iter()
        .map(|opener| {
            let opener = if opener.ends_with(['?', '.', '!']) {
                opener
            } else {
                format!("{opener}.")
            };
            let words: Vec<String> = opener.split_whitespace().map(str::to_owned).collect();
            let close_words = close.split_whitespace().count();
            let body_target = target.saturating_sub(close_words);
            let body = size_script(
                words,
                &fillers,
                body_target.min(max.saturating_sub(close_words)),
                max.saturating_sub(close_words),
            );
            size_script(
                format!("{body} {close}")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                &fillers,
                min,
                max,
            )
        })
        .collect();
    VoiceCopy { script }
}

fn video(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VideoScriptCopy {
    let (_, target, _) = spec.script_words();
    let lines = [
        (
            "Close-up of a person at a desk, surrounded by sticky notes; quick cuts.",
            c.one("hook", headlines(t), s, 120),
            "{Vp1}?",
        ),
        (
            "Screen recording of the old, manual way; a clock speeds up.",
            s.fill("For most {audience}, it still takes too long and too many steps."),
            "Too many steps",
        ),
        (
            "{company} product walkthrough with the brand colours; clean UI close-ups.",
            s.fill("{company} helps you {vp1} and {vp2}."),
            "{Vp2}",
        ),
        (
            "Smiling team reviewing results; on-screen numbers rise.",
            s.fill("Teams that switch see the difference, and they {vp3}."),
            "See the difference",
        ),
        (
            "Logo and call to action on the brand background.",
            s.fill("{cta} at {company}. Start today."),
            "{cta}",
        ),
    ];
    let spoken: usize = lines.iter().map(|(_, v, _)| l::words(v)).sum();
    let extra = s.fill("It is simple to set up and it works from day one.");
    let scenes = lines
        .iter()
        .enumerate()
        .map(|(i, (visual, vo, ost))| {
            let mut voice_over = vo.clone();
            if i == 2 && spoken < target {
                let mut more = voice_over
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>();
                let need = target - spoken;
                let mut k = 0;
                let pool: Vec<String> = [
                    extra.clone(),
                    s.fill("You {vp3} without adding work."),
                    s.fill("It fits the way {audience} already work."),
                ]
                .to_vec();
                while more.len() < l::words(vo) + need && k < 12 {
                    more.extend(pool[k % pool.len()].split_whitespace().map(str::to_owned));
                    k += 1;
                }
                more.truncate(l::words(vo) + need);
                voice_over = size_script(more, &pool, 1, 400);
            }
            SceneCopy {
                visual: fit(&s.fill(visual), 200),
                voice_over: fit(&voice_over, 400),
                on_screen_text: fit(&s.fill(ost), 40),
            }
        })
        .collect::<Vec<_>>();
    VideoScriptCopy {
        title: c.pick("title", headlines(t), s, 70, VARIANTS),
        scenes,
    }
}

fn ads(t: CampaignType, s: &Slots, c: &Chooser) -> AdCopy {
    let rsa_pool: Vec<&str> = vec![
        "{company}",
        "{Vp1}",
        "{Vp2}",
        "{Vp3}",
        "{cta}",
        "Built for {audience}",
        "Try {company} Today",
        "Get Started in Minutes",
        "See How It Works",
        "Made for {audience}",
        "Book Your Walkthrough",
        "Learn More Today",
    ];
    let mut rsa_headlines = c.pick("rsa_headlines", &rsa_pool, s, l::RSA_HEADLINE, 15);
    rsa_headlines.retain(|h| !h.ends_with('…'));
    rsa_headlines.truncate(8);
    for fallback in ["See How It Works", "Get Started Today", "Learn More"] {
        if rsa_headlines.len() < 3 && !rsa_headlines.iter().any(|h| h == fallback) {
            rsa_headlines.push(fallback.to_owned());
        }
    }
    let rsa_descriptions = c.pick(
        "rsa_descriptions",
        &[
            "{company} helps {audience} {vp1}. {cta} today.",
            "{Vp1} and {vp2} with {company}. Set up in minutes.",
            "Join {audience} who {vp1}. {cta}.",
            "{Product} that helps you {vp2}. Try {company}.",
        ],
        s,
        l::RSA_DESCRIPTION,
        4,
    );
    let path = |text: &str| -> String {
        text.split(|ch: char| !ch.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-")
            .chars()
            .take(l::RSA_PATH)
            .collect::<String>()
            .trim_end_matches('-')
            .to_lowercase()
    };
    let rsa_paths: Vec<String> = [path(&s.product), path(&s.cta)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    AdCopy {
        rsa_headlines,
        rsa_descriptions,
        rsa_paths,
        meta_primary_text: c.pick(
            "meta_primary_text",
            subheadlines(t),
            s,
            l::META_PRIMARY,
            VARIANTS,
        ),
        meta_headline: c.pick("meta_headline", headlines(t), s, l::META_HEADLINE, VARIANTS),
        meta_description: c.pick(
            "meta_description",
            &[
                "{cta} today",
                "Built for {audience}",
                "{company}",
                "See how it works",
                "Start in minutes",
            ],
            s,
            l::META_DESCRIPTION,
            VARIANTS,
        ),
    }
}

fn image(t: CampaignType, s: &Slots, c: &Chooser) -> ImageCopy {
    ImageCopy {
        headline: c.pick("headline", headlines(t), s, l::BANNER_HEADLINE, VARIANTS),
        subline: c.pick(
            "subline",
            &[
                "{Vp1}.",
                "{Vp2} with {company}.",
                "Built for {audience}.",
                "{company}: {vp3}.",
            ],
            s,
            l::BANNER_SUBLINE,
            VARIANTS,
        ),
        cta_label: c.one("cta_label", cta_labels(t), s, 20),
        alt_text: fit(
            &s.fill("{company} banner: headline about how to {vp1}, with a {cta} button."),
            l::ALT_TEXT,
        ),
    }
}
