//! The asset gallery: each asset type previewed as its audience will meet it — the landing page
//! and emails in sandboxed frames (emails at desktop and phone widths), banners at their sizes,
//! the voice ad in an audio player, social posts with their length against each platform's
//! limit, the video script as a timeline and ads as Google and Meta show them.

use ame_domain::{Asset, AssetType};
use ame_generation::limits;
use maud::{Markup, html};
use serde_json::Value;

fn texts(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn first(value: &Value) -> &str {
    texts(value).first().copied().unwrap_or_default()
}

fn file_url(base: &str, asset: &Asset, name: &str) -> String {
    format!("{base}/assets/{}/files/{name}", asset.id)
}

/// How a count compares with its limit.
fn count(length: usize, limit: usize, what: &str) -> Markup {
    html! {
        span .char-count .over[length > limit] { (length) " / " (limit) }
        " " (what)
        @if length > limit { strong .over { " — over the limit" } }
    }
}

/// The platform's limit for a post and how the post measures against it.
fn post_length(platform: &str, text: &str) -> (usize, usize) {
    match platform {
        "x" => (limits::x_weighted(text), limits::X_POST),
        "linkedin" => (limits::chars(text), limits::LINKEDIN_POST),
        "facebook" => (limits::chars(text), limits::FACEBOOK_PRIMARY),
        "instagram" => (limits::chars(text), limits::INSTAGRAM_CAPTION),
        _ => (limits::chars(text), limits::LINKEDIN_POST),
    }
}

fn variants(title: &str, values: &[&str], limit: usize) -> Markup {
    html! {
        @if !values.is_empty() {
            h4 { (title) }
            ol .variants {
                @for v in values { li { (v) " " (count(limits::chars(v), limit, "characters")) } }
            }
        }
    }
}

fn landing(base: &str, asset: &Asset) -> Markup {
    let c = &asset.content;
    let page = asset
        .files()
        .into_iter()
        .find(|f| f.media_type.starts_with("text/html"));
    html! {
        @if let Some(path) = c["public_path"].as_str() {
            p { "Published at " a href=(path) { (path) } " while the campaign is active." }
        }
        @if let Some(file) = page {
            div .frame-scroll {
                iframe .landing-preview sandbox="" title="Landing page preview" loading="lazy"
                    src=(file_url(base, asset, &file.name)) {}
            }
        }
        (variants("Headline variants", &texts(&c["headline"]), limits::PAGE_HEADLINE))
        (variants("Button variants", &texts(&c["cta_label"]), limits::BUTTON))
    }
}

fn emails(base: &str, asset: &Asset) -> Markup {
    let list = asset.content["emails"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    html! {
        @for email in &list {
            @let step = email["step"].as_i64().unwrap_or_default();
            section .email aria-label={ "Email " (step) } {
                h4 { "Email " (step) " · day " (email["day"].as_i64().unwrap_or_default()) " · " (email["purpose"].as_str().unwrap_or_default().replace('_', " ")) }
                (variants("Subject variants", &texts(&email["subject"]), limits::EMAIL_SUBJECT))
                (variants("Preheader variants", &texts(&email["preheader"]), limits::EMAIL_PREHEADER))
                @if let Some(file) = texts(&email["files"]).into_iter().find(|f| f.ends_with(".html")) {
                    div .frame-scroll {
                        div .frames {
                            @for (width, what) in [(600, "desktop"), (375, "phone")] {
                                figure {
                                    iframe .email-preview sandbox="" width=(width) loading="lazy"
                                        title={ "Email " (step) " at " (what) " width (" (width) " px)" }
                                        src=(file_url(base, asset, file)) {}
                                    figcaption .muted { (what) " · " (width) " px" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn banners(base: &str, asset: &Asset) -> Markup {
    let alt = asset.content["alt_text"]
        .as_str()
        .unwrap_or("Campaign banner");
    html! {
        div .banners {
            @for file in asset.files().iter().filter(|f| f.media_type.starts_with("image/")) {
                figure {
                    img .banner src=(file_url(base, asset, &file.name)) alt=(alt) loading="lazy"
                        width=[file.width] height=[file.height];
                    figcaption .muted { (file.width.unwrap_or_default()) " × " (file.height.unwrap_or_default()) " px" }
                }
            }
        }
    }
}

fn voice(base: &str, asset: &Asset) -> Markup {
    let c = &asset.content;
    let audio = asset
        .files()
        .into_iter()
        .find(|f| f.media_type.starts_with("audio/"));
    html! {
        @if let Some(file) = audio {
            audio #voice-ad-audio controls preload="metadata" aria-label="Voice ad" {
                source src=(file_url(base, asset, &file.name)) type=(file.media_type);
            }
            p .muted { "Length " (format!("{:.1}", file.duration_ms.unwrap_or_default() as f64 / 1000.0)) " s, target " (c["duration_s"].as_i64().unwrap_or_default()) " s" }
        } @else {
            p #voice-ad-missing role="status" {
                "No audio was produced for this set"
                @if let Some(why) = asset.metadata["render"]["audio_error"].as_str() { ": " (why) }
                ". The script below is ready; regenerate once speech synthesis (espeak-ng) is installed."
            }
        }
        div .voice-script {
            h4 { "Script as spoken" }
            p { (c["spoken_text"].as_str().unwrap_or_else(|| first(&c["script"]))) }
            @let scripts = texts(&c["script"]);
            @if scripts.len() > 1 {
                h4 { "Script variants" }
                ol { @for s in scripts { li { (s) } } }
            }
        }
    }
}

fn social(asset: &Asset) -> Markup {
    let posts = asset.content["posts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    html! {
        @for post in &posts {
            @let platform = post["platform"].as_str().unwrap_or("post");
            h4 { (crate::pages::campaigns::label(platform)) }
            @if let Some(time) = post["posting_time"].as_object() {
                p .muted { "Best posted " (time.get("weekday").and_then(Value::as_str).unwrap_or_default()) " "
                    (time.get("local_time").and_then(Value::as_str).unwrap_or_default()) " "
                    (time.get("timezone").and_then(Value::as_str).unwrap_or_default()) }
            }
            @for text in texts(&post["variants"]) {
                @let (length, limit) = post_length(platform, text);
                div .social-post data-platform=(platform) {
                    (text)
                    br;
                    (count(length, limit, "characters"))
                }
            }
        }
    }
}

fn video(asset: &Asset) -> Markup {
    let c = &asset.content;
    let scenes = c["scenes"].as_array().cloned().unwrap_or_default();
    html! {
        p { strong { (first(&c["title"])) } " · " (c["duration_s"].as_i64().unwrap_or_default()) " s" }
        ol .timeline {
            @for s in &scenes {
                li {
                    span .time { (s["start_s"].as_i64().unwrap_or_default()) "–" (s["end_s"].as_i64().unwrap_or_default()) " s" }
                    " " strong { "Scene " (s["scene"].as_i64().unwrap_or_default()) }
                    p { "Visual: " (s["visual"].as_str().unwrap_or_default()) }
                    p { "Voice-over: " (s["voice_over"].as_str().unwrap_or_default()) }
                    @if let Some(text) = s["on_screen_text"].as_str() { p { "On screen: " (text) } }
                }
            }
        }
    }
}

fn domain_of(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or(url)
}

fn ads(asset: &Asset) -> Markup {
    let google = &asset.content["google_rsa"];
    let meta = &asset.content["meta"];
    let headlines = texts(&google["headlines"]);
    let descriptions = texts(&google["descriptions"]);
    let paths = texts(&google["paths"]);
    let final_url = google["final_url"].as_str().unwrap_or_default();
    html! {
        @if google.is_object() {
            h4 { "Google search ad" }
            div .ad-preview .google {
                p .ad-url { "Sponsored · " (domain_of(final_url)) @for p in &paths { "/" (p) } }
                p .ad-headline { (headlines.iter().take(3).copied().collect::<Vec<_>>().join(" | ")) }
                p { (descriptions.iter().take(2).copied().collect::<Vec<_>>().join(" ")) }
            }
            (variants("All headlines", &headlines, limits::RSA_HEADLINE))
            (variants("All descriptions", &descriptions, limits::RSA_DESCRIPTION))
        }
        @if meta.is_object() {
            h4 { "Meta ad" }
            div .ad-preview .meta {
                p { (first(&meta["primary_text"])) }
                p { strong { (first(&meta["headline"])) } }
                p .muted { (first(&meta["description"])) }
                span .ad-cta { (meta["call_to_action"].as_str().unwrap_or_default().replace('_', " ")) }
            }
            (variants("Primary text variants", &texts(&meta["primary_text"]), limits::META_PRIMARY))
            (variants("Headline variants", &texts(&meta["headline"]), limits::META_HEADLINE))
        }
    }
}

/// The gallery of one asset set (`base` is the campaign page's path).
pub fn gallery(base: &str, assets: &[Asset]) -> Markup {
    html! {
        div .gallery {
            @for asset in assets {
                section .asset id={ "asset-" (asset.asset_type) } data-asset-type=(asset.asset_type)
                    aria-labelledby={ "asset-" (asset.asset_type) "-heading" } {
                    h3 id={ "asset-" (asset.asset_type) "-heading" } { (crate::pages::campaigns::label(asset.asset_type.as_str())) }
                    @match asset.asset_type {
                        AssetType::LandingPage => (landing(base, asset)),
                        AssetType::EmailSequence => (emails(base, asset)),
                        AssetType::ImageAsset => (banners(base, asset)),
                        AssetType::VoiceAd => (voice(base, asset)),
                        AssetType::SocialPost => (social(asset)),
                        AssetType::VideoScript => (video(asset)),
                        AssetType::AdCreative => (ads(asset)),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_measured_by_their_platforms_rule() {
        let url_post = "Read https://example.com/a/very/long/path/indeed/that/goes/on";
        let (x, limit) = post_length("x", url_post);
        assert_eq!(limit, 280);
        assert!(x < url_post.chars().count(), "X counts a link as 23");
        assert_eq!(post_length("linkedin", "abc"), (3, 3000));
    }

    #[test]
    fn an_over_long_text_is_flagged() {
        let html = count(300, 280, "characters").into_string();
        assert!(html.contains("over the limit") && html.contains(r#"char-count over">300 / 280<"#));
    }
}
