//! The built-in copywriter: the embedded default text model. Offline and deterministic for a
//! given seed, it writes with a proven framework per campaign type (PAS for lead generation, AIDA
//! for awareness, value recap for retention, before–after–bridge for re-engagement,
//! feature–advantage–benefit for upsell, give–get for referral), fills it from the brand and the
//! objective, and keeps only variants that fit each field's limit.

mod ads;
mod email;
mod image;
mod landing;
mod social;
mod video;
mod voice;

pub use email::email_greeting;

use crate::brief::{Brief, capitalize, lowercase_first};
use crate::copy::{AssetCopy, CopySpec};
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
        AssetType::LandingPage => AssetCopy::Landing(landing::write(t, &slots, &chooser)),
        AssetType::EmailSequence => AssetCopy::Emails(email::write(brief, spec, &slots, &chooser)),
        AssetType::SocialPost => AssetCopy::Social(social::write(t, &slots, &chooser)),
        AssetType::VideoScript => AssetCopy::Video(video::write(t, spec, &slots, &chooser)),
        AssetType::AdCreative => AssetCopy::Ads(ads::write(t, &slots, &chooser)),
        AssetType::VoiceAd => AssetCopy::Voice(voice::write(t, spec, &slots, &chooser)),
        AssetType::ImageAsset => AssetCopy::Image(image::write(t, &slots, &chooser)),
    }
}

/// Headline templates of each campaign type; also hooks, titles and openers.
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

/// Supporting-line templates of each campaign type.
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

/// Button label templates of each campaign type, led by the brand's own call to action.
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
