//! The words of each asset type: what a text model writes, how it is checked, and the JSON
//! Schema a remote model is held to. Layout, timings, files and everything else that is not
//! copywriting are added afterwards by the assembler, so every model only writes words.

pub use crate::email_plan::{PlannedEmail, Purpose, email_plan};
use crate::limits::{self as l, Checks};
use ame_domain::{AssetType, CampaignType, Channel};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How many variants each A/B-tested field carries.
pub const VARIANTS: usize = 3;

/// A benefit on a landing page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benefit {
    /// Short title.
    pub title: String,
    /// One or two sentences.
    pub body: String,
}

/// A question and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faq {
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: String,
}

/// Landing page words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandingCopy {
    /// Hero headline variants.
    pub headline: Vec<String>,
    /// Hero subheadline variants.
    pub subheadline: Vec<String>,
    /// Call-to-action button label variants.
    pub cta_label: Vec<String>,
    /// One to three benefits, one per value proposition (never the same one twice).
    pub benefits: Vec<Benefit>,
    /// Three to five questions.
    pub faq: Vec<Faq>,
    /// One line above the form.
    pub form_intro: String,
    /// Closing line before the final call to action.
    pub closing: String,
    /// Search snippet.
    pub meta_description: String,
}

/// One email's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailCopy {
    /// Subject variants.
    pub subject: Vec<String>,
    /// Preheader variants.
    pub preheader: Vec<String>,
    /// Body paragraphs (after the greeting, before the sign-off).
    pub body: Vec<String>,
    /// Button label.
    pub cta_label: String,
}

/// An email sequence's words: one entry per planned email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailSequenceCopy {
    /// The emails, in send order.
    pub emails: Vec<EmailCopy>,
}

/// Social posts' words: variants per platform plus shared hashtags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocialCopy {
    /// LinkedIn post variants (the first line is the hook).
    pub linkedin: Vec<String>,
    /// X post variants (hashtags included).
    pub x: Vec<String>,
    /// Facebook primary text variants.
    pub facebook: Vec<String>,
    /// Instagram caption variants.
    pub instagram: Vec<String>,
    /// Hashtags, each `#` plus letters, digits or `_`.
    pub hashtags: Vec<String>,
}

/// One scene's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneCopy {
    /// What the viewer sees.
    pub visual: String,
    /// What the narrator says.
    pub voice_over: String,
    /// Text shown on screen.
    pub on_screen_text: String,
}

/// A video script's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoScriptCopy {
    /// Title variants.
    pub title: Vec<String>,
    /// Scenes in order (hook, problem, solution, proof, call to action).
    pub scenes: Vec<SceneCopy>,
}

/// Ad copy for Google responsive search ads and Meta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdCopy {
    /// RSA headlines (3 to 15).
    pub rsa_headlines: Vec<String>,
    /// RSA descriptions (2 to 4).
    pub rsa_descriptions: Vec<String>,
    /// Display URL path parts (0 to 2).
    pub rsa_paths: Vec<String>,
    /// Meta primary text variants.
    pub meta_primary_text: Vec<String>,
    /// Meta headline variants.
    pub meta_headline: Vec<String>,
    /// Meta link description variants.
    pub meta_description: Vec<String>,
}

/// A voice ad's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceCopy {
    /// Script variants, each sized to the ad's duration.
    pub script: Vec<String>,
}

/// Banner words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageCopy {
    /// Headline variants.
    pub headline: Vec<String>,
    /// Subline variants.
    pub subline: Vec<String>,
    /// Button label.
    pub cta_label: String,
    /// Alternative text describing the banner.
    pub alt_text: String,
}

/// The words of one asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AssetCopy {
    /// Landing page.
    Landing(LandingCopy),
    /// Email sequence.
    Emails(EmailSequenceCopy),
    /// Social posts.
    Social(SocialCopy),
    /// Video script.
    Video(VideoScriptCopy),
    /// Ads.
    Ads(AdCopy),
    /// Voice ad.
    Voice(VoiceCopy),
    /// Banners.
    Image(ImageCopy),
}

/// What an asset's words must fit, derived from the campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CopySpec {
    /// The asset type.
    pub asset_type: AssetType,
    /// Emails in the sequence (email sequences).
    pub emails: Vec<PlannedEmail>,
    /// Target duration in seconds (video scripts and voice ads).
    pub seconds: u32,
    /// Social platforms to write for.
    pub platforms: Vec<Channel>,
}

/// Social platforms the generator writes for.
pub const SOCIAL_PLATFORMS: [Channel; 4] = [
    Channel::Linkedin,
    Channel::X,
    Channel::Facebook,
    Channel::Instagram,
];

impl CopySpec {
    /// The spec of `asset_type` for a campaign of `campaign_type` on `channels`.
    pub fn new(asset_type: AssetType, campaign_type: CampaignType, channels: &[Channel]) -> Self {
        let chosen: Vec<Channel> = SOCIAL_PLATFORMS
            .iter()
            .copied()
            .filter(|c| channels.contains(c))
            .collect();
        Self {
            asset_type,
            emails: email_plan(campaign_type),
            seconds: match asset_type {
                AssetType::VoiceAd => 30,
                AssetType::VideoScript => match campaign_type {
                    CampaignType::BrandAwareness => 30,
                    _ => 45,
                },
                _ => 0,
            },
            platforms: if chosen.is_empty() {
                SOCIAL_PLATFORMS.to_vec()
            } else {
                chosen
            },
        }
    }

    /// Words a script of this duration should have: `(min, target, max)`.
    pub fn script_words(&self) -> (usize, usize, usize) {
        let target = (f64::from(self.seconds) * l::WORDS_PER_SECOND).round();
        let min = (target * (1.0 - l::SCRIPT_TOLERANCE)).floor() as usize;
        let max = (target * (1.0 + l::SCRIPT_TOLERANCE)).ceil() as usize;
        (min, target as usize, max)
    }
}

fn is_hashtag(tag: &str) -> bool {
    let body = tag.strip_prefix('#').unwrap_or_default();
    !body.is_empty()
        && body.chars().count() <= 30
        && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn variants(checks: &mut Checks, field: &str, items: &[String], max: usize) {
    checks.count(format!("{field}.count"), items.len(), VARIANTS, VARIANTS);
    for (i, v) in items.iter().enumerate() {
        checks.chars(format!("{field}[{i}]"), v, max);
    }
}

impl AssetCopy {
    /// Parses a model's JSON answer for `asset_type`.
    pub fn from_json(asset_type: AssetType, value: Value) -> Result<Self, serde_json::Error> {
        Ok(match asset_type {
            AssetType::LandingPage => Self::Landing(serde_json::from_value(value)?),
            AssetType::EmailSequence => Self::Emails(serde_json::from_value(value)?),
            AssetType::SocialPost => Self::Social(serde_json::from_value(value)?),
            AssetType::VideoScript => Self::Video(serde_json::from_value(value)?),
            AssetType::AdCreative => Self::Ads(serde_json::from_value(value)?),
            AssetType::VoiceAd => Self::Voice(serde_json::from_value(value)?),
            AssetType::ImageAsset => Self::Image(serde_json::from_value(value)?),
        })
    }

    /// Every limit check of these words against `spec`.
    pub fn check(&self, spec: &CopySpec) -> Checks {
        let mut c = Checks::default();
        match self {
            Self::Landing(p) => {
                variants(&mut c, "headline", &p.headline, l::PAGE_HEADLINE);
                variants(&mut c, "subheadline", &p.subheadline, l::PAGE_SUBHEADLINE);
                variants(&mut c, "cta_label", &p.cta_label, l::BUTTON);
                c.count("benefits.count", p.benefits.len(), 1, 3);
                for (i, b) in p.benefits.iter().enumerate() {
                    c.chars(format!("benefits[{i}].title"), &b.title, 50);
                    c.chars(format!("benefits[{i}].body"), &b.body, 240);
                }
                c.count("faq.count", p.faq.len(), 3, 5);
                for (i, f) in p.faq.iter().enumerate() {
                    c.chars(format!("faq[{i}].question"), &f.question, 120);
                    c.chars(format!("faq[{i}].answer"), &f.answer, 400);
                }
                c.chars("form_intro", &p.form_intro, 160);
                c.chars("closing", &p.closing, l::PAGE_CLOSING);
                c.chars(
                    "meta_description",
                    &p.meta_description,
                    l::META_DESCRIPTION_TAG,
                );
            }
            Self::Emails(s) => {
                c.count(
                    "emails.count",
                    s.emails.len(),
                    spec.emails.len(),
                    spec.emails.len(),
                );
                for (i, e) in s.emails.iter().enumerate() {
                    variants(
                        &mut c,
                        &format!("emails[{i}].subject"),
                        &e.subject,
                        l::EMAIL_SUBJECT,
                    );
                    variants(
                        &mut c,
                        &format!("emails[{i}].preheader"),
                        &e.preheader,
                        l::EMAIL_PREHEADER,
                    );
                    c.count(format!("emails[{i}].body.count"), e.body.len(), 2, 5);
                    for (j, p) in e.body.iter().enumerate() {
                        c.chars(format!("emails[{i}].body[{j}]"), p, 600);
                    }
                    c.chars(format!("emails[{i}].cta_label"), &e.cta_label, l::BUTTON);
                }
            }
            Self::Social(s) => {
                for platform in &spec.platforms {
                    match platform {
                        Channel::Linkedin => {
                            variants(&mut c, "linkedin", &s.linkedin, l::LINKEDIN_POST);
                            for (i, post) in s.linkedin.iter().enumerate() {
                                let hook = post.lines().next().unwrap_or_default();
                                c.chars(format!("linkedin[{i}].hook"), hook, l::LINKEDIN_HOOK);
                            }
                        }
                        Channel::X => {
                            c.count("x.count", s.x.len(), VARIANTS, VARIANTS);
                            for (i, post) in s.x.iter().enumerate() {
                                c.x(format!("x[{i}]"), post);
                            }
                        }
                        Channel::Facebook => {
                            variants(&mut c, "facebook", &s.facebook, l::FACEBOOK_PRIMARY)
                        }
                        _ => {
                            variants(&mut c, "instagram", &s.instagram, l::INSTAGRAM_CAPTION);
                            for (i, post) in s.instagram.iter().enumerate() {
                                let hook = post.lines().next().unwrap_or_default();
                                c.chars(format!("instagram[{i}].hook"), hook, l::INSTAGRAM_HOOK);
                            }
                        }
                    }
                }
                c.count("hashtags.count", s.hashtags.len(), 2, 5);
                for (i, tag) in s.hashtags.iter().enumerate() {
                    c.count(
                        format!("hashtags[{i}].valid"),
                        usize::from(is_hashtag(tag)),
                        1,
                        1,
                    );
                }
            }
            Self::Video(v) => {
                variants(&mut c, "title", &v.title, 70);
                c.count("scenes.count", v.scenes.len(), 4, 6);
                let (min, _, max) = spec.script_words();
                let spoken: Vec<&str> = v.scenes.iter().map(|s| s.voice_over.as_str()).collect();
                c.words("voice_over.total_words", &spoken.join(" "), min, max);
                for (i, s) in v.scenes.iter().enumerate() {
                    c.chars(format!("scenes[{i}].visual"), &s.visual, 200);
                    c.chars(format!("scenes[{i}].voice_over"), &s.voice_over, 400);
                    c.chars(format!("scenes[{i}].on_screen_text"), &s.on_screen_text, 40);
                }
            }
            Self::Ads(a) => {
                c.count("rsa_headlines.count", a.rsa_headlines.len(), 3, 15);
                for (i, h) in a.rsa_headlines.iter().enumerate() {
                    c.chars(format!("rsa_headlines[{i}]"), h, l::RSA_HEADLINE);
                }
                c.count("rsa_descriptions.count", a.rsa_descriptions.len(), 2, 4);
                for (i, d) in a.rsa_descriptions.iter().enumerate() {
                    c.chars(format!("rsa_descriptions[{i}]"), d, l::RSA_DESCRIPTION);
                }
                c.count("rsa_paths.count", a.rsa_paths.len(), 0, 2);
                for (i, p) in a.rsa_paths.iter().enumerate() {
                    c.chars(format!("rsa_paths[{i}]"), p, l::RSA_PATH);
                }
                variants(
                    &mut c,
                    "meta_primary_text",
                    &a.meta_primary_text,
                    l::META_PRIMARY,
                );
                variants(&mut c, "meta_headline", &a.meta_headline, l::META_HEADLINE);
                variants(
                    &mut c,
                    "meta_description",
                    &a.meta_description,
                    l::META_DESCRIPTION,
                );
            }
            Self::Voice(v) => {
                c.count("script.count", v.script.len(), VARIANTS, VARIANTS);
                let (min, _, max) = spec.script_words();
                for (i, s) in v.script.iter().enumerate() {
                    c.words(format!("script[{i}]"), s, min, max);
                }
            }
            Self::Image(i) => {
                variants(&mut c, "headline", &i.headline, l::BANNER_HEADLINE);
                variants(&mut c, "subline", &i.subline, l::BANNER_SUBLINE);
                c.chars("cta_label", &i.cta_label, 20);
                c.chars("alt_text", &i.alt_text, l::ALT_TEXT);
            }
        }
        c
    }
}

fn text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max})
}

fn variant_list(max: usize) -> Value {
    json!({"type": "array", "items": text(max), "minItems": VARIANTS, "maxItems": VARIANTS})
}

fn object(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// The JSON Schema a remote model's answer for `spec` must match (the same limits as
/// [`AssetCopy::check`], except word counts, which JSON Schema cannot express).
pub fn json_schema(spec: &CopySpec) -> Value {
    match spec.asset_type {
        AssetType::LandingPage => object(json!({
            "headline": variant_list(l::PAGE_HEADLINE),
            "subheadline": variant_list(l::PAGE_SUBHEADLINE),
            "cta_label": variant_list(l::BUTTON),
            "benefits": {"type": "array", "minItems": 1, "maxItems": 3,
                "items": object(json!({"title": text(50), "body": text(240)}))},
            "faq": {"type": "array", "minItems": 3, "maxItems": 5,
                "items": object(json!({"question": text(120), "answer": text(400)}))},
            "form_intro": text(160),
            "closing": text(200),
            "meta_description": text(l::META_DESCRIPTION_TAG),
        })),
        AssetType::EmailSequence => object(json!({
            "emails": {"type": "array", "minItems": spec.emails.len(), "maxItems": spec.emails.len(),
                "items": object(json!({
                    "subject": variant_list(l::EMAIL_SUBJECT),
                    "preheader": variant_list(l::EMAIL_PREHEADER),
                    "body": {"type": "array", "items": text(600), "minItems": 2, "maxItems": 5},
                    "cta_label": text(l::BUTTON),
                }))},
        })),
        AssetType::SocialPost => object(json!({
            "linkedin": variant_list(l::LINKEDIN_POST),
            "x": variant_list(l::X_POST),
            "facebook": variant_list(l::FACEBOOK_PRIMARY),
            "instagram": variant_list(l::INSTAGRAM_CAPTION),
            "hashtags": {"type": "array", "minItems": 2, "maxItems": 5,
                "items": {"type": "string", "pattern": "^#[A-Za-z0-9_]{1,30}$"}},
        })),
        AssetType::VideoScript => object(json!({
            "title": variant_list(70),
            "scenes": {"type": "array", "minItems": 4, "maxItems": 6,
                "items": object(json!({"visual": text(200), "voice_over": text(400), "on_screen_text": text(40)}))},
        })),
        AssetType::AdCreative => object(json!({
            "rsa_headlines": {"type": "array", "items": text(l::RSA_HEADLINE), "minItems": 3, "maxItems": 15},
            "rsa_descriptions": {"type": "array", "items": text(l::RSA_DESCRIPTION), "minItems": 2, "maxItems": 4},
            "rsa_paths": {"type": "array", "items": text(l::RSA_PATH), "minItems": 0, "maxItems": 2},
            "meta_primary_text": variant_list(l::META_PRIMARY),
            "meta_headline": variant_list(l::META_HEADLINE),
            "meta_description": variant_list(l::META_DESCRIPTION),
        })),
        AssetType::VoiceAd => object(json!({
            "script": {"type": "array", "items": text(1200), "minItems": VARIANTS, "maxItems": VARIANTS},
        })),
        AssetType::ImageAsset => object(json!({
            "headline": variant_list(l::BANNER_HEADLINE),
            "subline": variant_list(l::BANNER_SUBLINE),
            "cta_label": text(20),
            "alt_text": text(l::ALT_TEXT),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_shown_and_serialized_by_their_names() {
        for purpose in Purpose::ALL {
            let name = purpose.as_str();
            assert_eq!(purpose.to_string(), name);
            assert_eq!(serde_json::to_value(purpose).unwrap(), json!(name));
        }
        let plan = email_plan(CampaignType::ReEngagement);
        assert_eq!(
            serde_json::to_value(&plan[1]).unwrap(),
            json!({"day": 4, "purpose": "whats_new"})
        );
    }

    #[test]
    fn every_email_plan_keeps_its_days_and_purpose_names() {
        let plans: Vec<(CampaignType, Vec<(u32, &str)>)> = CampaignType::ALL
            .iter()
            .map(|&t| {
                let plan = email_plan(t);
                (
                    t,
                    plan.iter().map(|e| (e.day, e.purpose.as_str())).collect(),
                )
            })
            .collect();
        assert_eq!(
            plans,
            [
                (
                    CampaignType::LeadGen,
                    vec![(0, "deliver"), (2, "educate"), (5, "proof"), (9, "convert")]
                ),
                (
                    CampaignType::BrandAwareness,
                    vec![(0, "introduce"), (4, "story"), (9, "invite")]
                ),
                (
                    CampaignType::ClientRetention,
                    vec![(0, "value_recap"), (14, "tips"), (30, "check_in")]
                ),
                (
                    CampaignType::ReEngagement,
                    vec![(0, "we_miss_you"), (4, "whats_new"), (10, "last_call")]
                ),
                (
                    CampaignType::Upsell,
                    vec![(0, "opportunity"), (3, "proof"), (7, "offer")]
                ),
                (
                    CampaignType::Referral,
                    vec![(0, "invite"), (5, "reminder"), (12, "thank_you")]
                ),
            ]
        );
    }
}
