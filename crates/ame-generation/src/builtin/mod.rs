//! The built-in copywriter: the embedded default text model. Offline and deterministic for a
//! given seed, it writes with a proven framework per campaign type (PAS for lead generation, AIDA
//! for awareness, value recap for retention, before–after–bridge for re-engagement,
//! feature–advantage–benefit for upsell, give–get for referral), fills it from the brand and the
//! objective, and keeps only variants that fit each field's limit.

mod ads;
mod benefit;
mod email;
mod image;
mod landing;
mod social;
mod story;
mod video;
mod voice;

pub use email::email_greeting;

use crate::brief::{Brief, capitalize, lowercase_first};
use crate::copy::{AssetCopy, CopySpec};
use crate::limits as l;
use crate::lint::{MAX_VARIANT_SIMILARITY, jaccard};
use crate::playbook::{Playbook, Pools};
use ame_domain::{AssetType, CampaignType, Tone};
use benefit::Benefit;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// Name recorded as the provider of built-in copy.
pub const PROVIDER: &str = "builtin";
/// Version of the built-in copywriter; bump when its output changes.
pub const VERSION: u32 = 2;

/// Whom a campaign of type `t` speaks to, in words for a prompt.
pub fn audience_relation(t: CampaignType) -> &'static str {
    match story::relation(t) {
        story::Relation::Prospect => "people who are not customers yet",
        story::Relation::Customer => {
            "existing (or lapsed) customers; do not sell them what they already have"
        }
    }
}

/// The call to action of a campaign of type `t` for `brand`: its own for lead generation, its
/// vertical playbook's for the other types.
pub fn call_to_action(t: CampaignType, brand: &ame_domain::Brand) -> String {
    story::call_to_action(t, brand, Playbook::for_brand(brand))
}

/// Headline templates of `t` by angle, from the brand's playbook.
fn headlines(s: &Slots, t: CampaignType) -> Pools {
    s.playbook.headlines(t)
}

/// Supporting-line templates of `t` by angle, from the brand's playbook.
fn subheadlines(s: &Slots, t: CampaignType) -> Pools {
    s.playbook.subheadlines(t)
}

/// Button labels of `t`, its call to action first, from the brand's playbook.
fn cta_labels(s: &Slots, t: CampaignType) -> &'static [&'static str] {
    s.playbook.cta_labels(t)
}

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

/// Values the templates are filled with. `{b}`/`{B}` stand for the benefit of the angle a text
/// is written from, as a verb phrase or (capitalised) as the brand wrote it; `{cta}` is the
/// campaign type's call to action.
struct Slots {
    /// The brand's vertical playbook: its words, and the words its copy never uses.
    playbook: &'static Playbook,
    company: String,
    product: String,
    audience: String,
    benefits: Vec<Benefit>,
    cta: String,
    bang: &'static str,
    /// Someone the reader would pass a recommendation to: a colleague or a friend.
    peer: &'static str,
    /// The vertical's reader (customer, supporter, patient…), one and several.
    reader: &'static str,
    readers: &'static str,
    /// The brand's short benefits, for headlines.
    short: Vec<String>,
    /// The customer pains the brand names.
    pains: Vec<String>,
    /// Optional story slots: `{plan}`, `{reward}`, `{incentive}`, `{proof}`, `{pain}`,
    /// `{quote}`; a template naming one the brand did not give is not used.
    extras: Vec<(&'static str, Option<String>)>,
}

/// A template slot a text can be filled with, and whether it is known.
impl Slots {
    fn new(brief: &Brief) -> Self {
        let brand = &brief.brand;
        let playbook = Playbook::for_brand(brand);
        let benefits: Vec<Benefit> = brand
            .value_propositions
            .iter()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Benefit::new(v))
            .fold(Vec::new(), |mut kept, b| {
                if !kept.iter().any(|k: &Benefit| k.phrase == b.phrase) {
                    kept.push(b);
                }
                kept
            });
        Self {
            playbook,
            company: brand.company_name.clone(),
            product: lowercase_first(&brand.product),
            audience: lowercase_first(&brand.audience),
            benefits,
            cta: story::call_to_action(brief.campaign.campaign_type, brand, playbook),
            bang: match brand.tone {
                Tone::Bold | Tone::Playful => "!",
                _ => ".",
            },
            peer: &playbook.file.words.peer,
            reader: &playbook.file.words.reader,
            readers: &playbook.file.words.readers,
            short: brand.story.short_benefits.clone(),
            pains: brand.story.pains.clone(),
            extras: {
                let story = &brand.story;
                vec![
                    ("{plan}", story.offers.upgrade_plan.clone()),
                    (
                        "{adds}",
                        story
                            .offers
                            .upgrade_adds
                            .as_deref()
                            .map(|a| lowercase_first(a.trim_end_matches('.'))),
                    ),
                    ("{reward}", story.offers.referral_reward.clone()),
                    ("{incentive}", story.offers.winback_incentive.clone()),
                    (
                        "{proof}",
                        story
                            .proof_points
                            .first()
                            .map(|p| p.trim_end_matches('.').to_owned()),
                    ),
                    ("{pain}", story.pains.first().map(|p| lowercase_first(p))),
                    (
                        "{quote}",
                        story.testimonials.first().map(|t| {
                            let who = if t.role.is_empty() {
                                t.name.clone()
                            } else {
                                format!("{}, {}", t.name, t.role)
                            };
                            format!("“{}” ({who})", t.quote.trim_end_matches('.'))
                        }),
                    ),
                ]
            },
        }
    }

    /// The benefit of angle `k`, when the brand gave that many.
    fn benefit(&self, k: usize) -> Option<&Benefit> {
        self.benefits.get(k)
    }

    /// Fills `template`; `None` when it needs a benefit the angle does not have, or uses a word
    /// the brand's vertical never uses.
    fn fill_with(&self, template: &str, benefit: Option<&Benefit>) -> Option<String> {
        if self.playbook.banned_word(template).is_some() {
            return None;
        }
        if (template.contains("{b}") || template.contains("{B}")) && benefit.is_none() {
            return None;
        }
        if self
            .extras
            .iter()
            .any(|(slot, value)| value.is_none() && template.contains(slot))
        {
            return None;
        }
        let mut out = template
            .replace("{company}", &self.company)
            .replace("{product}", &self.product)
            .replace("{Product}", &capitalize(&self.product))
            .replace("{audience}", &self.audience)
            .replace("{Audience}", &capitalize(&self.audience))
            .replace("{cta}", &self.cta)
            .replace("{peer}", self.peer)
            .replace("{readers}", self.readers)
            .replace("{reader}", self.reader)
            .replace("{!}", self.bang);
        for (slot, value) in &self.extras {
            if let Some(value) = value {
                out = out.replace(slot, value);
            }
        }
        if let Some(b) = benefit {
            out = out
                .replace("{b}", &b.verb)
                .replace("{B}", &capitalize(&b.phrase));
        }
        Some(crate::grammar::tidy(
            &out.split_whitespace().collect::<Vec<_>>().join(" "),
        ))
    }

    /// Fills a template that needs no benefit.
    fn fill(&self, template: &str) -> String {
        self.fill_with(template, None).unwrap_or_default()
    }
}

/// Short lines for a headline-like field when no template of its pools fits.
const SHORT_LINES: &[&str] = &[
    "Meet {company}",
    "Try {company}",
    "{cta} with {company}",
    "Say hello to {company}",
    "{company}, made simple",
    "See what {company} can do",
    "Find out more",
    "See how it works",
    "Worth a closer look",
];

/// Button labels used when a playbook's labels need facts the brand did not give.
const FALLBACK_LABELS: &[&str] = &["Find out more", "Learn more", "Get in touch", "Take a look"];

/// Short sentences for a prose field when no template of its pools fits.
const SHORT_SENTENCES: &[&str] = &[
    "{cta} with {company}.",
    "See what {company} can do for you.",
    "{company} is here to help.",
    "Try {company} and see the difference.",
    "Find out more today.",
    "See how it works.",
    "It is worth a closer look.",
];

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

    /// One of `options`, chosen by the seed for `field` (`None` when there is none).
    fn pick<'a, T>(&self, field: &str, options: &'a [T]) -> Option<&'a T> {
        self.order(field, options.len())
            .first()
            .and_then(|k| options.get(*k))
    }

    /// `count` variants, variant `k` written from angle `k` (benefit `k`, the `k`-th pool):
    /// the first template of its pool, in a seeded order, that has what it needs, fits `max`
    /// characters and differs from the variants before it (word-trigram overlap at most
    /// [`MAX_VARIANT_SIMILARITY`]); the other pools when its own has none. Nothing is cut: a
    /// text that does not fit is not used.
    fn angles(
        &self,
        field: &str,
        pools: &[&[&str]],
        slots: &Slots,
        max: usize,
        count: usize,
    ) -> Vec<String> {
        self.angles_from(field, pools, slots, max, count, 0)
    }

    /// [`Chooser::angles`] with variant `k` written with benefit `k + offset` (none when the
    /// brand has fewer), so that fields read together speak of different benefits.
    fn angles_from(
        &self,
        field: &str,
        pools: &[&[&str]],
        slots: &Slots,
        max: usize,
        count: usize,
        offset: usize,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for k in 0..count {
            let own = pools[k % pools.len()];
            let order = self.order(&format!("{field}#{k}"), own.len());
            let candidates = order
                .into_iter()
                .map(|i| own[i])
                .chain((1..pools.len()).flat_map(|d| pools[(k + d) % pools.len()].iter().copied()));
            let benefit = k.checked_add(offset).and_then(|i| slots.benefit(i));
            let chosen = candidates
                .filter_map(|t| {
                    slots
                        .fill_with(t, benefit)
                        .or_else(|| slots.fill_with(t, None))
                })
                .find(|text| {
                    l::chars(text) <= max
                        && out
                            .iter()
                            .all(|o| jaccard(o, text) <= MAX_VARIANT_SIMILARITY && o != text)
                });
            let prose = pools
                .iter()
                .find_map(|p| p.first())
                .is_some_and(|t| t.ends_with(['.', '!', '?']));
            let fallback = if prose { SHORT_SENTENCES } else { SHORT_LINES };
            let chosen = chosen.or_else(|| {
                fallback.iter().map(|t| slots.fill(t)).find(|text| {
                    !text.is_empty()
                        && l::chars(text) <= max
                        && out
                            .iter()
                            .all(|o| jaccard(o, text) <= MAX_VARIANT_SIMILARITY && o != text)
                })
            });
            if let Some(text) = chosen {
                out.push(text);
            }
        }
        out
    }

    /// `count` distinct labels from `pool`, in its order (the call to action first).
    fn labels(&self, pool: &[&str], slots: &Slots, max: usize, count: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for text in pool.iter().chain(FALLBACK_LABELS).map(|t| slots.fill(t)) {
            if out.len() < count
                && !text.is_empty()
                && l::chars(&text) <= max
                && !out.contains(&text)
            {
                out.push(text);
            }
        }
        out
    }

    /// One text from `pool` written with `benefit`, fitting `max` characters.
    fn one(
        &self,
        field: &str,
        pool: &[&str],
        slots: &Slots,
        benefit: Option<usize>,
        max: usize,
    ) -> String {
        let b = benefit.and_then(|k| slots.benefit(k));
        self.order(field, pool.len())
            .into_iter()
            .filter_map(|i| {
                slots
                    .fill_with(pool[i], b)
                    .or_else(|| slots.fill_with(pool[i], None))
            })
            .find(|t| l::chars(t) <= max)
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

/// The sentences of `pool` in order, chosen so their words add up to `min..=max` (closest to
/// `target`): `required` sentences always, optional ones as needed. Whole sentences only, so
/// nothing is cut and nothing repeats; `None` when no choice fits.
fn size_script(
    required_head: &[String],
    optional: &[String],
    required_tail: &[String],
    (min, target, max): (usize, usize, usize),
) -> Option<String> {
    let fixed: usize = required_head
        .iter()
        .chain(required_tail)
        .map(|s| l::words(s))
        .sum();
    let n = optional.len().min(16);
    let mut best: Option<(usize, u32)> = None;
    for mask in 0u32..(1 << n) {
        let total = fixed
            + (0..n)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| l::words(&optional[i]))
                .sum::<usize>();
        if (min..=max).contains(&total) {
            let distance = total.abs_diff(target);
            if best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, mask));
            }
        }
    }
    let (_, mask) = best?;
    let chosen = required_head
        .iter()
        .chain(
            (0..n)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| &optional[i]),
        )
        .chain(required_tail)
        .cloned()
        .collect::<Vec<_>>();
    Some(chosen.join(" "))
}
