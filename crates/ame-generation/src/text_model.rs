//! Text models: who writes an asset's words. The built-in copywriter is the default; any
//! OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp) can be used instead, with the
//! built-in copywriter as the fallback whenever the remote answer fails or breaks a limit.

use crate::brief::Brief;
use crate::builtin;
use crate::copy::{AssetCopy, CopySpec, json_schema};
use crate::openai::{JsonRequest, OpenAiClient, ProviderError};
use ame_domain::{AssetType, CampaignType};
use async_trait::async_trait;
use std::fmt::Debug;
use std::time::Instant;

/// Words written by a text model, with what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The words.
    pub copy: AssetCopy,
    /// The model that wrote them.
    pub model: String,
    /// Prompt tokens, when known.
    pub prompt_tokens: Option<u64>,
    /// Generated tokens, when known.
    pub completion_tokens: Option<u64>,
    /// Time taken in milliseconds.
    pub latency_ms: u64,
}

/// Why a text model gave no usable words.
#[derive(Debug, thiserror::Error)]
pub enum TextModelError {
    /// The provider failed (network, timeout, HTTP status, malformed answer).
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The answer did not have the asset's shape.
    #[error("the answer does not match the {asset_type} schema: {reason}")]
    Shape {
        /// The asset type asked for.
        asset_type: AssetType,
        /// What did not match.
        reason: String,
    },
}

/// Writes the words of one asset.
#[async_trait]
pub trait TextModel: Send + Sync + Debug {
    /// Provider name recorded in metadata, e.g. `builtin` or `openai-compatible`.
    fn provider(&self) -> &str;
    /// Model name recorded in metadata.
    fn model(&self) -> &str;
    /// Writes the words of `spec`'s asset for `brief`.
    async fn write(&self, brief: &Brief, spec: &CopySpec) -> Result<Written, TextModelError>;
    /// The longest `writes` concurrent calls of [`TextModel::write`] may take, retries
    /// included; zero for a model that answers at once (the built-in copywriter).
    fn longest(&self, writes: usize) -> std::time::Duration {
        let _ = writes;
        std::time::Duration::ZERO
    }
}

/// The built-in copywriter (see [`crate::builtin`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltInModel;

impl BuiltInModel {
    /// Writes the words at once; the built-in copywriter cannot fail.
    pub fn write_now(&self, brief: &Brief, spec: &CopySpec) -> Written {
        let started = Instant::now();
        let copy = builtin::write(brief, spec);
        Written {
            copy,
            model: "copywriter-v2".to_owned(),
            prompt_tokens: None,
            completion_tokens: None,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

#[async_trait]
impl TextModel for BuiltInModel {
    fn provider(&self) -> &str {
        builtin::PROVIDER
    }

    fn model(&self) -> &str {
        "copywriter-v2"
    }

    async fn write(&self, brief: &Brief, spec: &CopySpec) -> Result<Written, TextModelError> {
        Ok(self.write_now(brief, spec))
    }
}

/// A model behind an OpenAI-compatible chat-completions API, asked for JSON that matches each
/// asset type's schema.
#[derive(Debug)]
pub struct RemoteModel {
    client: OpenAiClient,
}

impl RemoteModel {
    /// Uses `client` for every asset.
    pub fn new(client: OpenAiClient) -> Self {
        Self { client }
    }
}

/// The system message of every remote request.
pub fn system_prompt(brief: &Brief) -> String {
    format!(
        "You are a senior direct-response copywriter. Write in a {} tone using the {} framework. \
         Answer with one JSON object that matches the given schema exactly. Respect every \
         maxLength; arrays of variants hold distinct alternatives for A/B testing. Write plain \
         text without markup. Use the merge tag {{{{first_name}}}} only in email bodies.",
        brief.brand.tone,
        builtin::framework(brief.campaign.campaign_type)
    )
}

/// The user message of a remote request: the brief, in words.
pub fn user_prompt(brief: &Brief, spec: &CopySpec) -> String {
    let b = &brief.brand;
    let mut out = format!(
        "Asset: {}\nCampaign type: {}\nSpeaks to: {}\nInternal goal (for you only: never put its numbers, deadline or wording in the copy): {}\nCompany: {}\nProduct: {}\nAudience: {}\nValue propositions: {}\nCall to action: {}\nVariants: three angles, the same in every field: variant 1 pain and relief, variant 2 the outcome, variant 3 who it is for and why they choose it. Each variant says something different, not the same words reordered.\nRules: finish every sentence; never cut a text short or end with an ellipsis; never repeat a sentence; no placeholders in braces except the merge tags named here.\n",
        spec.asset_type,
        brief.campaign.campaign_type,
        builtin::audience_relation(brief.campaign.campaign_type),
        brief.campaign.objective,
        b.company_name,
        b.product,
        brief.audience(),
        b.value_propositions.join("; "),
        builtin::call_to_action(brief.campaign.campaign_type, b),
    );
    let story = &b.story;
    let mut extra = Vec::new();
    if !story.short_benefits.is_empty() {
        extra.push(format!(
            "Short benefits (for headlines): {}",
            story.short_benefits.join("; ")
        ));
    }
    if !story.pains.is_empty() {
        extra.push(format!("Customer pains: {}", story.pains.join("; ")));
    }
    if !story.proof_points.is_empty() {
        extra.push(format!(
            "Proof points (the only claims you may make): {}",
            story.proof_points.join("; ")
        ));
    }
    for t in &story.testimonials {
        extra.push(format!(
            "Testimonial: \"{}\" ({}, {})",
            t.quote, t.name, t.role
        ));
    }
    if let Some(plan) = &story.offers.upgrade_plan {
        extra.push(format!("Upgrade plan: {plan}"));
    }
    match &story.offers.upgrade_adds {
        Some(adds) => extra.push(format!(
            "What the upgrade adds (the only things you may say it adds): {adds}"
        )),
        None => extra.push(
            "What the upgrade adds is not given: never present what customers already have \
             as something the upgrade adds."
                .to_owned(),
        ),
    }
    if let Some(reward) = &story.offers.referral_reward {
        extra.push(format!("Referral reward for both sides: {reward}; the personal link is the merge tag {{{{referral_url}}}}"));
    }
    if let Some(incentive) = &story.offers.winback_incentive {
        extra.push(format!("Win-back incentive: {incentive}"));
    }
    let playbook = crate::playbook::Playbook::for_brand(b);
    let words = &playbook.file.words;
    extra.push(format!(
        "World: {} (the reader is a {}; they recommend to a {}). Never use these words: {}. \
         Claims: say no number, price, percentage, superlative, guarantee, time or privacy \
         promise, or that anything is new or changed, unless the brand's words above say it.",
        playbook.file.name,
        words.reader,
        words.peer,
        playbook.banned().join(", "),
    ));
    extra.push(format!(
        "Speak to {}",
        match b.market {
            ame_domain::Market::Business => "business buyers",
            ame_domain::Market::Consumer =>
                "consumers (no business vocabulary such as work email or your team)",
        }
    ));
    for line in extra {
        out.push_str(&line);
        out.push('\n');
    }
    match spec.asset_type {
        AssetType::EmailSequence => {
            let plan: Vec<String> = spec
                .emails
                .iter()
                .map(|e| format!("day {} ({})", e.day, e.purpose))
                .collect();
            out.push_str(&format!("Emails, in order: {}\n", plan.join(", ")));
        }
        AssetType::VoiceAd | AssetType::VideoScript => {
            let (min, target, max) = spec.script_words();
            out.push_str(&format!(
                "Duration: {} seconds; spoken words in total: about {target} (between {min} and {max})\n",
                spec.seconds
            ));
        }
        AssetType::SocialPost => {
            let names: Vec<&str> = spec.platforms.iter().map(|p| p.as_str()).collect();
            out.push_str(&format!("Platforms: {}\n", names.join(", ")));
        }
        AssetType::LandingPage if brief.campaign.campaign_type == CampaignType::Referral => {
            out.push_str(
                "This page is for the friend a customer invited: speak to that newcomer (someone \
                 they know recommended us), say what they get, and ask them to sign up. Do not \
                 ask them to share a link.\n",
            );
        }
        AssetType::LandingPage if !brief.campaign.campaign_type.page_takes_sign_ups() => {
            out.push_str(
                "This page is for people who already buy: it has no sign-up form, and its \
                 buttons lead to the call to action's link.\n",
            );
        }
        _ => {}
    }
    out
}

#[async_trait]
impl TextModel for RemoteModel {
    fn provider(&self) -> &str {
        "openai-compatible"
    }

    fn model(&self) -> &str {
        self.client.model()
    }

    fn longest(&self, writes: usize) -> std::time::Duration {
        self.client.longest(writes)
    }

    async fn write(&self, brief: &Brief, spec: &CopySpec) -> Result<Written, TextModelError> {
        let request = JsonRequest {
            schema_name: spec.asset_type.as_str().to_owned(),
            schema: json_schema(spec),
            system: system_prompt(brief),
            user: user_prompt(brief, spec),
            seed: Some(brief.seed),
        };
        let reply = self.client.complete_json(&request).await?;
        let copy = AssetCopy::from_json(spec.asset_type, reply.value).map_err(|e| {
            TextModelError::Shape {
                asset_type: spec.asset_type,
                reason: e.to_string(),
            }
        })?;
        Ok(Written {
            copy,
            model: reply.model,
            prompt_tokens: reply.prompt_tokens,
            completion_tokens: reply.completion_tokens,
            latency_ms: reply.latency_ms,
        })
    }
}
