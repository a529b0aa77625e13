//! The brand profile editor, with a banner preview that follows the fields as they change.

use super::checked_form;
use crate::error::WebError;
use crate::form::{Control, Errors, FormData, field};
use crate::layout::{ok, page, respond, see_other};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, Query};
use ame_app::AppError;
use ame_app::brand::{BannerPreview, banner_preview_png};
use ame_domain::{Brand, BrandProfileInput, FieldError, Tone};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

/// The text fields of the editor: `(name, label, hint, multi-line)`.
const FIELDS: [(&str, &str, &str, bool); 22] = [
    (
        "company_name",
        "Company name",
        "As customers know it.",
        false,
    ),
    (
        "product",
        "Product",
        "What you sell, in a few words.",
        false,
    ),
    ("audience", "Audience", "Who the campaigns speak to.", false),
    (
        "value_propositions",
        "Value propositions",
        "Why they should care; one per line, 1 to 5.",
        true,
    ),
    (
        "cta_text",
        "Button text",
        "The call to action, e.g. Book a demo.",
        false,
    ),
    (
        "cta_url",
        "Button link",
        "Where the button leads (https://…).",
        false,
    ),
    (
        "primary_color",
        "Primary colour",
        "#rrggbb, e.g. #1f4e79.",
        false,
    ),
    (
        "accent_color",
        "Accent colour",
        "#rrggbb, for buttons.",
        false,
    ),
    ("sign_off", "Sign-off", "How emails are signed.", false),
    (
        "postal_address",
        "Postal address",
        "Printed in every email footer, as anti-spam laws require.",
        false,
    ),
    (
        "unsubscribe_text",
        "Unsubscribe text",
        "The unsubscribe link's words; Unsubscribe when blank.",
        false,
    ),
    (
        "industry",
        "Industry",
        "Optional, in a few words, e.g. dental care.",
        false,
    ),
    (
        "story.short_benefits",
        "Short benefits",
        "Optional: the benefits in 30 characters or fewer, one per line, for headlines and search ads.",
        true,
    ),
    (
        "story.pains",
        "Customer pains",
        "Optional: what the audience struggles with, one per line.",
        true,
    ),
    (
        "story.proof_points",
        "Proof points",
        "Optional: facts that back the claims, one per line, e.g. Used by 400 finance teams.",
        true,
    ),
    (
        "story.testimonials",
        "Testimonials",
        "Optional, up to 3: one per line as quote | name | role.",
        true,
    ),
    (
        "story.offers.upgrade_plan",
        "Upgrade plan",
        "Optional: the plan upsell campaigns sell, e.g. Business.",
        false,
    ),
    (
        "story.offers.upgrade_adds",
        "What the upgrade adds",
        "Optional: what that plan gives beyond what customers have now, e.g. priority support and custom reports. Upsell copy claims only this.",
        false,
    ),
    (
        "story.offers.upgrade_url",
        "Upgrade link",
        "Optional: where that plan is bought.",
        false,
    ),
    (
        "story.offers.referral_reward",
        "Referral reward",
        "Optional: what both sides of a referral get, e.g. a month free.",
        false,
    ),
    (
        "story.offers.winback_incentive",
        "Win-back incentive",
        "Optional: what a lapsed customer gets for coming back.",
        false,
    ),
    (
        "story.login_url",
        "Log-in link",
        "Optional: where customers log in; re-engagement campaigns link there.",
        false,
    ),
];

/// Whether a field may be left blank.
fn optional(name: &str) -> bool {
    OPTIONAL.contains(&name) || name.starts_with("story.")
}

/// Fields that may be left blank.
const OPTIONAL: [&str; 2] = ["unsubscribe_text", "industry"];

fn values_of(brand: &Brand) -> FormData {
    let text = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    FormData(vec![
        text("company_name", &brand.company_name),
        text("product", &brand.product),
        text("audience", &brand.audience),
        text("value_propositions", &brand.value_propositions.join("\n")),
        text("tone", brand.tone.as_str()),
        text("cta_text", &brand.cta_text),
        text("cta_url", &brand.cta_url),
        text("primary_color", &brand.primary_color),
        text("accent_color", &brand.accent_color),
        text("sign_off", &brand.sign_off),
        text("postal_address", &brand.postal_address),
        text("unsubscribe_text", &brand.unsubscribe_text),
        text("industry", brand.industry.as_deref().unwrap_or_default()),
        text("market", brand.market.as_str()),
        text("vertical", brand.vertical.map_or("", |v| v.as_str())),
        text(
            "double_opt_in",
            match brand.double_opt_in {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            },
        ),
        text(
            "story.short_benefits",
            &brand.story.short_benefits.join("\n"),
        ),
        text("story.pains", &brand.story.pains.join("\n")),
        text("story.proof_points", &brand.story.proof_points.join("\n")),
        text(
            "story.testimonials",
            &brand
                .story
                .testimonials
                .iter()
                .map(|t| format!("{} | {} | {}", t.quote, t.name, t.role))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        text(
            "story.offers.upgrade_plan",
            brand
                .story
                .offers
                .upgrade_plan
                .as_deref()
                .unwrap_or_default(),
        ),
        text(
            "story.offers.upgrade_adds",
            brand
                .story
                .offers
                .upgrade_adds
                .as_deref()
                .unwrap_or_default(),
        ),
        text(
            "story.offers.upgrade_url",
            brand
                .story
                .offers
                .upgrade_url
                .as_deref()
                .unwrap_or_default(),
        ),
        text(
            "story.offers.referral_reward",
            brand
                .story
                .offers
                .referral_reward
                .as_deref()
                .unwrap_or_default(),
        ),
        text(
            "story.offers.winback_incentive",
            brand
                .story
                .offers
                .winback_incentive
                .as_deref()
                .unwrap_or_default(),
        ),
        text(
            "story.login_url",
            brand.story.login_url.as_deref().unwrap_or_default(),
        ),
    ])
}

fn preview_query(values: &FormData) -> String {
    let pairs: Vec<(&str, &str)> = [
        "company_name",
        "primary_color",
        "accent_color",
        "cta_text",
        "value_propositions",
    ]
    .iter()
    .map(|n| (*n, values.get(n).unwrap_or_default()))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn brand_page(
    ctx: &Ctx,
    values: &FormData,
    errors: &Errors,
    saved: bool,
    placeholder: bool,
) -> Markup {
    let tones: Vec<(String, String)> = Tone::ALL
        .iter()
        .map(|t| (t.to_string(), crate::pages::campaigns::label(t.as_str())))
        .collect();
    let markets: Vec<(String, String)> = vec![
        ("business".to_owned(), "Businesses".to_owned()),
        ("consumer".to_owned(), "Consumers".to_owned()),
    ];
    let verticals: Vec<(String, String)> =
        std::iter::once((String::new(), "As the industry suggests".to_owned()))
            .chain(ame_domain::Vertical::ALL.iter().map(|v| {
                (
                    v.as_str().to_owned(),
                    ame_generation::playbook::Playbook::of(*v).file.name.clone(),
                )
            }))
            .collect();
    let confirmations: Vec<(String, String)> = vec![
        (
            String::new(),
            "As the market suggests (consumers yes, businesses no)".to_owned(),
        ),
        ("yes".to_owned(), "Yes, always".to_owned()),
        ("no".to_owned(), "No, subscribe at once".to_owned()),
    ];
    let readonly = !ctx.can_write();
    page(
        ctx,
        "brand",
        "Brand",
        html! {
            h1 { "Brand profile" }
            @if saved { p #flash .flash role="status" { "Brand saved. New assets use it from now on." } }
            @if placeholder { p .muted { "No brand saved yet: generated assets use clearly marked placeholders until you save one." } }
            (errors.summary())
            div .two-col {
                @if readonly {
                    dl .plan {
                        @for (name, label, _, _) in FIELDS { dt { (label) } dd { (values.get(name).unwrap_or_default()) } }
                    }
                } @else {
                    form #brand-form .card method="post" action="/app/brand" novalidate {
                        (crate::form::csrf_field(ctx.csrf()))
                        @for (name, label, hint, multi) in FIELDS {
                            @let value = values.get(name).unwrap_or_default();
                            @if multi {
                                (field(name, label, Some(hint), Control::Textarea(value), errors, !optional(name)))
                            } @else {
                                (field(name, label, Some(hint), Control::Input("text", value), errors, !optional(name)))
                            }
                            @if name == "audience" {
                                (field("market", "Sells to", Some("Businesses get work-email forms and business wording; consumers get neither."), Control::Select(markets.clone(), values.get("market").unwrap_or("business")), errors, true))
                                (field("vertical", "Kind of business", Some("Picks the copywriter's playbook: who the reader is (customer, supporter, patient…) and the words that fit."), Control::Select(verticals.clone(), values.get("vertical").unwrap_or_default()), errors, false))
                                (field("double_opt_in", "Sign-ups confirm by email", Some("Double opt-in: a landing-page sign-up is subscribed only after pressing the button in the email it is sent."), Control::Select(confirmations.clone(), values.get("double_opt_in").unwrap_or_default()), errors, false))
                                (field("tone", "Tone", Some("The voice the copy is written in."), Control::Select(tones.clone(), values.get("tone").unwrap_or("professional")), errors, true))
                            }
                        }
                        button type="submit" { "Save brand" }
                    }
                }
                section .preview-box aria-labelledby="preview-heading" {
                    h2 #preview-heading { "Banner preview" }
                    img #banner-preview src={ "/app/brand/preview.png?" (preview_query(values)) } width="600" height="314"
                        alt="A banner drawn with the brand name, first value proposition, button text and colours above";
                    p .muted { "1200 × 628 banner, drawn as the generator draws it. It follows the fields as you type." }
                }
            }
        },
    )
}

/// `GET /app/brand`.
pub async fn show(ctx: Ctx, query: Query<Saved>) -> Result<HttpResponse, WebError> {
    let (values, placeholder) = match ctx.engine.brand(&ctx.caller).await {
        Ok(profile) => (values_of(&profile.brand), false),
        Err(AppError::BrandNotSet) => {
            (FormData(vec![("tone".into(), "professional".into())]), true)
        }
        Err(e) => return Err(e.into()),
    };
    Ok(ok(brand_page(
        &ctx,
        &values,
        &Errors::default(),
        query.saved.is_some(),
        placeholder,
    )))
}

/// `?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

/// Puts `value` into `object` under a dotted `path` (`story.offers.upgrade_plan`).
fn insert_path(object: &mut serde_json::Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            object.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = object
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Value::Object(inner) = inner {
                insert_path(inner, rest, value);
            }
        }
    }
}

/// Testimonials typed one per line as `quote | name | role`.
fn testimonials(value: &str) -> Value {
    json!(
        value
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let mut parts = line.splitn(3, '|').map(str::trim);
                json!({
                    "quote": parts.next().unwrap_or_default(),
                    "name": parts.next().unwrap_or_default(),
                    "role": parts.next().unwrap_or_default(),
                })
            })
            .collect::<Vec<_>>()
    )
}

fn input_of(form: &FormData) -> Result<BrandProfileInput, FieldError> {
    let mut object = serde_json::Map::new();
    for (name, _, _, multi) in FIELDS {
        let value = form.get(name).unwrap_or_default().trim();
        let json = if name == "story.testimonials" {
            testimonials(value)
        } else if multi {
            json!(
                value
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
            )
        } else if optional(name) && value.is_empty() {
            Value::Null
        } else {
            json!(value)
        };
        insert_path(&mut object, name, json);
    }
    object.insert("tone".into(), json!(form.get("tone").unwrap_or_default()));
    object.insert(
        "market".into(),
        json!(
            form.get("market")
                .filter(|m| !m.is_empty())
                .unwrap_or("business")
        ),
    );
    object.insert(
        "vertical".into(),
        form.get("vertical")
            .filter(|v| !v.is_empty())
            .map_or(Value::Null, |v| json!(v)),
    );
    object.insert(
        "double_opt_in".into(),
        match form.get("double_opt_in") {
            Some("yes") => json!(true),
            Some("no") => json!(false),
            _ => Value::Null,
        },
    );
    serde_path_to_error::deserialize::<_, BrandProfileInput>(Value::Object(object)).map_err(|e| {
        let field = e.path().to_string();
        FieldError::new(
            field.split(['.', '[']).next().unwrap_or("form"),
            e.inner().to_string(),
        )
    })
}

/// `POST /app/brand`.
pub async fn save(ctx: Ctx, body: Bytes) -> Result<HttpResponse, WebError> {
    let form = checked_form(&ctx, &body)?;
    ctx.caller.require_write().map_err(WebError::from)?;
    let errors = match input_of(&form) {
        Ok(input) => match ctx.engine.save_brand(&ctx.caller, input).await {
            Ok(_) => return Ok(see_other("/app/brand?saved=1")),
            Err(AppError::Validation(errors)) => errors,
            Err(e) => return Err(e.into()),
        },
        Err(e) => vec![e],
    };
    Ok(respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        brand_page(&ctx, &form, &Errors(errors), false, false),
    ))
}

/// The preview's query string.
#[derive(Debug, Default, Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    company_name: String,
    #[serde(default)]
    primary_color: String,
    #[serde(default)]
    accent_color: String,
    #[serde(default)]
    cta_text: String,
    #[serde(default)]
    value_propositions: String,
}

/// `GET /app/brand/preview.png`: the banner the typed settings give.
pub async fn preview(_ctx: Ctx, query: Query<PreviewQuery>) -> Result<HttpResponse, WebError> {
    let q = query.into_inner();
    let spec = BannerPreview {
        company_name: q.company_name,
        headline: q
            .value_propositions
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        cta_text: q.cta_text,
        primary_color: q.primary_color,
        accent_color: q.accent_color,
    };
    let png = actix_web::web::block(move || banner_preview_png(&spec))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))??;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "private, max-age=60"))
        .body(png))
}
