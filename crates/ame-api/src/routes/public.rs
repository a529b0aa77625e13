//! Public landing pages: `GET /p/{slug}` serves a campaign's generated page to anyone, and its
//! form posts leads to `POST /p/{slug}/leads`. No credentials; a page reveals only itself.

use crate::problem::Problem;
use crate::routes::assets::stream_file;
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ame_domain::FieldError;
use ame_storage::PublicPageRepository;
use maud::html;
use serde_json::{Map, Value, json};

/// What a generated page may load and do: its own inline styles, images over HTTPS, and posting
/// its form back here.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Largest accepted lead form, in bytes.
const MAX_FORM_BYTES: usize = 8 * 1024;

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 80
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn page_not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no page is published under this address",
    )
}

/// Serve a campaign's published landing page (public, no credentials).
#[utoipa::path(
    tag = "public",
    params(("slug" = String, Path, description = "The page's slug, from the landing page asset's `content.slug`", pattern = r"^[a-z0-9-]{1,80}$")),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)),
)]
#[get("/p/{slug}")]
pub async fn public_page(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let slug = path.into_inner();
    if !valid_slug(&slug) {
        return Err(page_not_found());
    }
    let page = state
        .storage
        .public_pages()
        .find(&slug)
        .await?
        .ok_or_else(page_not_found)?;
    let mut response = stream_file(
        &state,
        &page.file_key,
        "text/html; charset=utf-8",
        "public, max-age=60",
    )
    .await?;
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(PAGE_POLICY),
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    Ok(response)
}

/// The lead form's fields.
#[derive(Debug, utoipa::ToSchema)]
#[allow(
    dead_code,
    reason = "only documents the form; the handler reads the fields itself"
)]
pub struct LeadForm {
    /// The visitor's name (1 to 200 characters after trimming).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?$",
        example = "Ada Lovelace"
    )]
    name: String,
    /// An email address.
    #[schema(
        max_length = 254,
        pattern = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){1,3}$",
        example = "ada@example.com"
    )]
    email: String,
    /// The visitor's company (at most 200 characters).
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$",
        example = "Analytical Engines"
    )]
    company: Option<String>,
    /// Consent to be contacted: `yes`.
    #[schema(pattern = "^yes$", example = "yes")]
    consent: String,
}

/// Submit the lead form of a published landing page (`application/x-www-form-urlencoded`).
///
/// Fields: `name` (1 to 200 characters), `email` (an address, at most 254 characters),
/// `company` (optional, at most 200), `consent` (`yes`). A filled `website` field (the hidden
/// trap for bots) is answered like a success but stores nothing.
#[utoipa::path(
    tag = "public",
    params(("slug" = String, Path, description = "The page's slug", pattern = r"^[a-z0-9-]{1,80}$")),
    request_body(content_type = "application/x-www-form-urlencoded", content = LeadForm),
    responses((status = 201, description = "Thank-you page", content_type = "text/html", body = String)),
)]
#[post("/p/{slug}/leads")]
pub async fn submit_lead(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let slug = path.into_inner();
    if !valid_slug(&slug) {
        return Err(page_not_found());
    }
    let form_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the form as application/x-www-form-urlencoded",
        )
        .with_allowed(["application/x-www-form-urlencoded"]));
    }
    if body.len() > MAX_FORM_BYTES {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the form may be at most {MAX_FORM_BYTES} bytes"),
        ));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| Problem::bad_request("invalid_form", format!("the form is malformed: {e}")))?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    let trapped = field("website").is_some_and(|v| !v.is_empty());
    let fields = validate_lead(&field)?;
    let pages = state.storage.public_pages();
    if trapped {
        // Answer a bot like a person, but only for a page that exists, and store nothing.
        pages.find(&slug).await?.ok_or_else(page_not_found)?;
    } else {
        pages
            .record_lead(&slug, Value::Object(fields))
            .await?
            .ok_or_else(page_not_found)?;
    }
    let thanks = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { "Thank you" } }
            body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.6" {
                main {
                    h1 { "Thank you!" }
                    p { "We received your details and will be in touch soon." }
                    p { a href={ "/p/" (slug) } { "Back to the page" } }
                }
            }
        }
    };
    Ok(HttpResponse::build(StatusCode::CREATED)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .body(thanks.into_string()))
}

fn validate_lead(field: &dyn Fn(&str) -> Option<String>) -> Result<Map<String, Value>, Problem> {
    let mut errors = Vec::new();
    let mut fields = Map::new();
    match field("name") {
        Some(n) if (1..=200).contains(&n.chars().count()) && !n.chars().any(char::is_control) => {
            fields.insert("name".into(), json!(n));
        }
        _ => errors.push(FieldError::new(
            "name",
            "is required: 1 to 200 characters without control characters",
        )),
    }
    match field("email") {
        Some(e) if is_email(&e) => {
            fields.insert("email".into(), json!(e));
        }
        _ => errors.push(FieldError::new(
            "email",
            "is required: an email address such as ada@example.com, at most 254 characters",
        )),
    }
    match field("company") {
        None => {}
        Some(c) if c.is_empty() => {}
        Some(c) if c.chars().count() <= 200 && !c.chars().any(char::is_control) => {
            fields.insert("company".into(), json!(c));
        }
        Some(_) => errors.push(FieldError::new(
            "company",
            "must be at most 200 characters without control characters",
        )),
    }
    if field("consent").as_deref() == Some("yes") {
        fields.insert("consent".into(), json!(true));
    } else {
        errors.push(FieldError::with_allowed(
            "consent",
            "must be given to be contacted",
            &["yes"],
        ));
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(Problem::validation(errors))
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && text.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_slugs() {
        assert!(is_email("ada@example.com"));
        for bad in [
            "ada",
            "@example.com",
            "ada@example",
            "ada@.com",
            "a da@example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(valid_slug("book-demos-0a1b2c3d"));
        assert!(!valid_slug("../etc") && !valid_slug("UPPER") && !valid_slug(""));
    }
}
