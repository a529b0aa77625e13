//! The generator: for each asset a campaign's type calls for, get the words from the text model
//! (falling back to the built-in copywriter), check them, lay them out, and render the files
//! (HTML pages and emails, PNG banners, WAV audio).

use crate::banner::{self, BannerSpec, STANDARD_SIZES};
use crate::brief::Brief;
use crate::builtin;
use crate::colour::Rgb;
use crate::content::{form_fields, meta_button, posting_time, rsa_pinning, social_proof};
use crate::copy::{AssetCopy, CopySpec, VideoScriptCopy};
use crate::html::{self, EmailContext, PageContext};
use crate::limits as l;
use crate::mend::Source;
use crate::readability::flesch_kincaid_grade;
use crate::speech::SpeechSynthesizer;
use crate::text_model::TextModel;
use ame_domain::{AssetType, CampaignType, Channel};
use chrono::Duration;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A rendered file of an asset.
#[derive(Clone, PartialEq, Serialize)]
pub struct Rendition {
    /// File name within the asset, e.g. `index.html` or `banner-1200x628.png`.
    pub name: String,
    /// Media type.
    pub media_type: &'static str,
    /// The bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Size in bytes.
    pub size: usize,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Pixel width (images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height (images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Duration in milliseconds (audio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl std::fmt::Debug for Rendition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendition")
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("size", &self.size)
            .finish()
    }
}

impl Rendition {
    fn new(name: impl Into<String>, media_type: &'static str, bytes: Vec<u8>) -> Self {
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        Self {
            name: name.into(),
            media_type,
            size: bytes.len(),
            bytes,
            sha256,
            width: None,
            height: None,
            duration_ms: None,
        }
    }
}

/// One generated asset: content, metadata and files, ready to store.
#[derive(Debug, Clone)]
pub struct GeneratedAsset {
    /// The asset type.
    pub asset_type: AssetType,
    /// The content (words and layout).
    pub content: Value,
    /// How it was made and what it passed.
    pub metadata: Value,
    /// Rendered files.
    pub files: Vec<Rendition>,
}

/// Generates campaign asset sets.
#[derive(Debug, Clone)]
pub struct Generator {
    text: Arc<dyn TextModel>,
    speech: Arc<dyn SpeechSynthesizer>,
}

impl Generator {
    /// A generator using `text` for words and `speech` for voice ads.
    pub fn new(text: Arc<dyn TextModel>, speech: Arc<dyn SpeechSynthesizer>) -> Self {
        Self { text, speech }
    }

    /// The text model's provider and model names.
    pub fn text_model(&self) -> (&str, &str) {
        (self.text.provider(), self.text.model())
    }

    /// The longest the text model may take to write the largest asset set of any campaign
    /// type, retries included (zero for the built-in copywriter).
    pub fn longest_writing(&self) -> std::time::Duration {
        let largest = CampaignType::ALL
            .iter()
            .map(|t| t.asset_types().len())
            .max()
            .unwrap_or(0);
        self.text.longest(largest)
    }

    /// Generates every asset the campaign's type calls for, in plan order.
    pub async fn generate(&self, brief: &Brief) -> Vec<GeneratedAsset> {
        let plan = brief.campaign.campaign_type.asset_types();
        let jobs = plan
            .iter()
            .map(|&asset_type| self.generate_one(brief, asset_type));
        futures::future::join_all(jobs).await
    }

    /// Generates one asset of `asset_type` for `brief`.
    pub async fn generate_one(&self, brief: &Brief, asset_type: AssetType) -> GeneratedAsset {
        let spec = CopySpec::new(
            asset_type,
            brief.campaign.campaign_type,
            &brief.campaign.plan.channels,
        );
        let (written, source, checks, findings) =
            crate::mend::words(self.text.as_ref(), brief, &spec).await;
        let (fallback, mended) = match source {
            Source::Model => (None, None),
            Source::Mended(note) => (None, Some(note)),
            Source::BuiltIn(reason) => (Some(reason), None),
        };
        let mut generation = json!({
            "provider": if fallback.is_some() { builtin::PROVIDER } else { self.text.provider() },
            "model": written.model,
            "latency_ms": written.latency_ms,
            "prompt_tokens": written.prompt_tokens,
            "completion_tokens": written.completion_tokens,
            "seed": brief.seed,
        });
        if let Some(fallback) = fallback {
            generation["fallback"] = fallback;
        }
        if let Some(mended) = mended {
            generation["mended"] = mended;
        }
        let (content, files, render_notes) = self.assemble(brief, &spec, &written.copy).await;
        let grade = flesch_kincaid_grade(&readable_text(&written.copy));
        let failures: Vec<&l::Check> = checks.failures();
        let mut metadata = json!({
            "builder": "copywriter",
            "builder_version": builtin::VERSION,
            "framework": builtin::framework(brief.campaign.campaign_type),
            "campaign_type": brief.campaign.campaign_type.as_str(),
            "brand": if brief.brand_is_placeholder { "placeholder" } else { "profile" },
            "generation": generation,
            "quality": {
                "passed": failures.is_empty() && findings.is_empty(),
                "lint": findings,
                "reading_grade": grade,
                "checks": checks.items,
                "failed": failures.iter().map(|c| c.field.clone()).collect::<Vec<_>>(),
            },
            "files": files,
        });
        if !render_notes.is_null() {
            metadata["render"] = render_notes;
        }
        GeneratedAsset {
            asset_type,
            content,
            metadata,
            files,
        }
    }

    /// The script spoken to fit `seconds`: spoken once at the usual pace and, when that lands
    /// more than 4% off, once more at the pace that corrects it (the closer take is kept).
    async fn fitted_speech(
        &self,
        text: &str,
        seconds: u32,
    ) -> Result<(crate::speech::Speech, f64), crate::speech::SpeechError> {
        let target = f64::from(seconds) * 1000.0;
        let first = self.speech.synthesize(text).await?;
        let off = |ms: u64| (ms as f64 - target).abs() / target;
        if target <= 0.0 || off(first.duration_ms) <= 0.04 {
            return Ok((first, 1.0));
        }
        let pace = first.duration_ms as f64 / target;
        match self.speech.synthesize_paced(text, pace).await {
            Ok(second) if off(second.duration_ms) < off(first.duration_ms) => Ok((second, pace)),
            _ => Ok((first, 1.0)),
        }
    }

    async fn assemble(
        &self,
        brief: &Brief,
        spec: &CopySpec,
        copy: &AssetCopy,
    ) -> (Value, Vec<Rendition>, Value) {
        let slug = brief.page_slug();
        // The campaign type's destination: the upgrade for upsell, the log-in for re-engagement.
        let mut brand = brief.brand.clone();
        brand.cta_url = brief.cta_url();
        let brand = &brand;
        match copy {
            AssetCopy::Landing(p) => {
                let logo = brief.logo.as_ref().map(|l| l.data_uri());
                let takes_sign_ups = brief.campaign.campaign_type.page_takes_sign_ups();
                let page = html::landing_page(
                    p,
                    &PageContext {
                        brand,
                        slug: &slug,
                        variant: 0,
                        placeholder_brand: brief.brand_is_placeholder,
                        logo_data_uri: logo.as_deref(),
                        lead_form: takes_sign_ups,
                    },
                );
                let mut sections = vec![
                    json!({"kind": "hero", "headline": p.headline, "subheadline": p.subheadline, "cta_label": p.cta_label}),
                    json!({"kind": "benefits", "items": p.benefits}),
                    social_proof(&brief.brand),
                    json!({"kind": "faq", "items": p.faq}),
                ];
                if takes_sign_ups {
                    sections.push(json!({"kind": "form", "intro": p.form_intro, "action": format!("/p/{slug}/leads"),
                         "fields": form_fields(brief.brand.market)}));
                }
                sections.push(json!({"kind": "cta", "text": p.closing, "cta_label": p.cta_label.first(), "cta_url": brand.cta_url}));
                let content = json!({
                    "slug": slug,
                    "public_path": format!("/p/{slug}"),
                    "headline": p.headline,
                    "subheadline": p.subheadline,
                    "cta_label": p.cta_label,
                    "cta_url": brand.cta_url,
                    "meta_description": p.meta_description,
                    "sections": sections,
                });
                let file =
                    Rendition::new("index.html", "text/html; charset=utf-8", page.into_bytes());
                (content, vec![file], Value::Null)
            }
            AssetCopy::Emails(s) => {
                let greeting = builtin::email_greeting(brief.brand.tone);
                // A referral email's button is the referrer's own link to the friend-facing
                // page (the landing page under `slug`), put in for each contact when sent.
                let referral = brief.campaign.campaign_type == ame_domain::CampaignType::Referral;
                let mut email_brand = brand.clone();
                if referral {
                    email_brand.cta_url = html::REFERRAL_TAG.to_owned();
                }
                let brand = &email_brand;
                let mut files = Vec::new();
                let mut emails = Vec::new();
                for (i, (e, plan)) in s.emails.iter().zip(&spec.emails).enumerate() {
                    let ctx = EmailContext {
                        brand,
                        greeting,
                        slug: &slug,
                        variant: 0,
                    };
                    let n = i + 1;
                    files.push(Rendition::new(
                        format!("email-{n}.html"),
                        "text/html; charset=utf-8",
                        html::email_html(e, &ctx).into_bytes(),
                    ));
                    files.push(Rendition::new(
                        format!("email-{n}.txt"),
                        "text/plain; charset=utf-8",
                        html::email_text(e, &ctx).into_bytes(),
                    ));
                    let send_at = brief
                        .campaign
                        .plan
                        .start_at
                        .map(|s| s + Duration::days(i64::from(plan.day)));
                    emails.push(json!({
                        "step": n,
                        "day": plan.day,
                        "purpose": plan.purpose,
                        "send_at": send_at,
                        "subject": e.subject,
                        "preheader": e.preheader,
                        "greeting": greeting,
                        "body": e.body,
                        "cta_label": e.cta_label,
                        "cta_url": html::tracked_url(&brand.cta_url, "email", &slug),
                        "sign_off": brief.brand.sign_off,
                        "footer": {"postal_address": brief.brand.postal_address, "unsubscribe_text": brief.brand.unsubscribe_text, "unsubscribe_url": html::UNSUBSCRIBE_TAG},
                        "files": [format!("email-{n}.html"), format!("email-{n}.txt")],
                    }));
                }
                let mut content = json!({"merge_tags": ["{{first_name}}", html::UNSUBSCRIBE_TAG], "emails": emails});
                if referral {
                    content["merge_tags"] =
                        json!(["{{first_name}}", html::UNSUBSCRIBE_TAG, html::REFERRAL_TAG]);
                    content["referral_page"] = json!(format!("/p/{slug}"));
                }
                (content, files, Value::Null)
            }
            AssetCopy::Social(s) => {
                let posts: Vec<Value> = spec
                    .platforms
                    .iter()
                    .map(|&platform| {
                        let variants = match platform {
                            Channel::Linkedin => &s.linkedin,
                            Channel::X => &s.x,
                            Channel::Facebook => &s.facebook,
                            _ => &s.instagram,
                        };
                        json!({
                            "platform": platform.as_str(),
                            "variants": variants,
                            "hashtags": s.hashtags,
                            "posting_time": posting_time(platform, brief),
                        })
                    })
                    .collect();
                (
                    json!({"posts": posts, "hashtags": s.hashtags}),
                    vec![],
                    Value::Null,
                )
            }
            AssetCopy::Video(v) => (video_content(v, spec.seconds), vec![], Value::Null),
            AssetCopy::Ads(a) => (
                json!({
                    "google_rsa": {"headlines": a.rsa_headlines, "descriptions": a.rsa_descriptions, "paths": a.rsa_paths,
                        "pinning": rsa_pinning(&a.rsa_headlines, &brief.brand.company_name),
                        "final_url": html::tracked_url(&brand.cta_url, "cpc", &slug)},
                    "meta": {"primary_text": a.meta_primary_text, "headline": a.meta_headline, "description": a.meta_description,
                        "call_to_action": meta_button(brief.campaign.campaign_type, &brief.brand.cta_text),
                        "link": html::tracked_url(&brand.cta_url, "paid_social", &slug)},
                }),
                vec![],
                Value::Null,
            ),
            AssetCopy::Voice(v) => {
                let script = v.script.first().cloned().unwrap_or_default();
                let mut content = json!({
                    "duration_s": spec.seconds,
                    "script": v.script,
                    "ssml": ssml(&script),
                    "voice": self.speech.voice(),
                });
                let spoken = speakable(&script);
                content["spoken_text"] = json!(spoken);
                match self.fitted_speech(&spoken, spec.seconds).await {
                    Ok((speech, pace)) => {
                        let mut file = Rendition::new("voice-ad.wav", "audio/wav", speech.wav);
                        file.duration_ms = Some(speech.duration_ms);
                        content["audio"] = json!({"file": "voice-ad.wav", "duration_ms": speech.duration_ms, "sample_rate": speech.sample_rate, "pace": (pace * 1000.0).round() / 1000.0});
                        (
                            content,
                            vec![file],
                            json!({"speech_provider": self.speech.provider()}),
                        )
                    }
                    Err(e) => (
                        content,
                        vec![],
                        json!({"speech_provider": self.speech.provider(), "audio_error": e.to_string()}),
                    ),
                }
            }
            AssetCopy::Image(i) => {
                let background =
                    Rgb::from_hex(&brief.brand.primary_color).unwrap_or(html::DEFAULT_PRIMARY);
                let accent =
                    Rgb::from_hex(&brief.brand.accent_color).unwrap_or(html::DEFAULT_ACCENT);
                let headline = i.headline.first().map_or("", String::as_str);
                let subline = i.subline.first().map(String::as_str);
                let mut files = Vec::new();
                let mut banners = Vec::new();
                let mut errors = Vec::new();
                for size in &STANDARD_SIZES {
                    let spec = BannerSpec {
                        size,
                        headline,
                        subline,
                        cta: &i.cta_label,
                        brand_name: &brief.brand.company_name,
                        background,
                        accent,
                        logo: brief.logo.as_ref().map(|l| &l.pixels),
                    };
                    match banner::render_banner(&spec) {
                        Ok(r) => {
                            let name = format!("banner-{}x{}.png", r.width, r.height);
                            banners.push(json!({
                                "file": name, "size": size.name, "width": r.width, "height": r.height,
                                "headline_lines": r.headline_lines, "truncated": r.truncated,
                                "missing_glyphs": r.missing_glyphs.iter().map(char::to_string).collect::<Vec<_>>(),
                                "logo": r.logo_drawn, "side_pattern": r.decor_box.is_some(),
                                "text_contrast": (r.text_contrast * 100.0).round() / 100.0,
                                "cta_contrast": (r.cta_contrast * 100.0).round() / 100.0,
                            }));
                            let mut file = Rendition::new(name, "image/png", r.png);
                            file.width = Some(r.width);
                            file.height = Some(r.height);
                            files.push(file);
                        }
                        Err(e) => errors.push(format!("{}: {e}", size.name)),
                    }
                }
                let content = json!({"headline": i.headline, "subline": i.subline, "cta_label": i.cta_label, "alt_text": i.alt_text, "banners": banners});
                let notes = if errors.is_empty() {
                    Value::Null
                } else {
                    json!({"banner_errors": errors})
                };
                (content, files, notes)
            }
        }
    }
}

/// Scenes with start and end times: each scene's share of the duration follows its words,
/// at least 2 seconds when the duration allows it, adding up exactly to `seconds`.
pub fn video_content(v: &VideoScriptCopy, seconds: u32) -> Value {
    let n = v.scenes.len().max(1) as u32;
    let words: Vec<u32> = v
        .scenes
        .iter()
        .map(|s| l::words(&s.voice_over).max(1) as u32)
        .collect();
    let total: u32 = words.iter().sum::<u32>().max(1);
    let spare = seconds.saturating_sub(2 * n);
    let mut lengths: Vec<u32> = words.iter().map(|w| 2 + spare * w / total).collect();
    let assigned: u32 = lengths.iter().sum();
    if let Some(last) = lengths.last_mut() {
        *last += seconds.saturating_sub(assigned);
    }
    let mut at = 0;
    let scenes: Vec<Value> = v
        .scenes
        .iter()
        .zip(&lengths)
        .enumerate()
        .map(|(i, (s, len))| {
            let start = at;
            at += len;
            json!({"scene": i + 1, "start_s": start, "end_s": at, "visual": s.visual, "voice_over": s.voice_over, "on_screen_text": s.on_screen_text})
        })
        .collect();
    json!({"title": v.title, "duration_s": seconds, "scenes": scenes})
}

/// The script as a speech engine should read it: symbols spelled out (`&` as "and", `%` as
/// "percent"), markup characters and other symbols dropped.
pub fn speakable(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    for ch in script.chars() {
        match ch {
            '&' => out.push_str(" and "),
            '%' => out.push_str(" percent"),
            '+' => out.push_str(" plus "),
            '@' => out.push_str(" at "),
            c if c.is_alphanumeric() || c.is_whitespace() || ".,!?'-:;".contains(c) => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SSML for a script: sentences separated by short pauses, all text XML-escaped.
pub fn ssml(script: &str) -> String {
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    };
    let mut sentences = Vec::new();
    let mut current = String::new();
    for ch in script.chars() {
        current.push(ch);
        if matches!(ch, '.' | '!' | '?') {
            sentences.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        sentences.push(current);
    }
    let body: Vec<String> = sentences
        .iter()
        .map(|s| format!("<s>{}</s>", escape(s.trim())))
        .collect();
    format!(
        "<speak><prosody rate=\"medium\">{}</prosody></speak>",
        body.join("<break time=\"300ms\"/>")
    )
}

/// The main reading text of an asset's words (for the reading grade).
fn readable_text(copy: &AssetCopy) -> String {
    match copy {
        AssetCopy::Landing(p) => {
            let mut t = vec![p.subheadline.first().cloned().unwrap_or_default()];
            t.extend(p.benefits.iter().map(|b| b.body.clone()));
            t.extend(p.faq.iter().map(|f| f.answer.clone()));
            t.join("\n")
        }
        AssetCopy::Emails(s) => s
            .emails
            .iter()
            .flat_map(|e| e.body.clone())
            .collect::<Vec<_>>()
            .join("\n"),
        AssetCopy::Social(s) => s.linkedin.first().cloned().unwrap_or_default(),
        AssetCopy::Video(v) => v
            .scenes
            .iter()
            .map(|s| s.voice_over.clone())
            .collect::<Vec<_>>()
            .join(" "),
        AssetCopy::Ads(a) => a.rsa_descriptions.join("\n"),
        AssetCopy::Voice(v) => v.script.first().cloned().unwrap_or_default(),
        AssetCopy::Image(i) => i.subline.join("\n"),
    }
}
