//! Public landing pages: `GET /p/{slug}` serves a campaign's generated page to anyone, and its
//! form posts leads to `POST /p/{slug}/leads`. No credentials; a page reveals only itself.

use crate::limits::client_address;
use crate::problem::ProblemDetails;
use crate::problem::{ErrorCode, Problem};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ame_app::{AppError, LeadOutcome, LeadSubmission, PageView};
use maud::html;

/// What a generated page may load and do: its own inline styles, images over HTTPS, and posting
/// its form back here.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The first-party cookie holding a landing-page visitor's random id.
pub const VISITOR_COOKIE: &str = "ame_visitor";

/// The visitor id in the request's cookie, if it holds a well-formed one.
fn visitor_cookie(req: &HttpRequest) -> Option<uuid::Uuid> {
    req.cookie(VISITOR_COOKIE)
        .and_then(|c| c.value().parse::<uuid::Uuid>().ok())
}

/// Largest accepted lead form, in bytes.
const MAX_FORM_BYTES: usize = 8 * 1024;

/// The query a landing page may be opened with.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// A referrer's token from their personal link: the page's form then credits them.
    #[param(max_length = 2048, pattern = r"^[A-Za-z0-9_.-]*$")]
    r#ref: Option<String>,
}

/// Serve a campaign's published landing page (public, no credentials).
///
/// Opened through a referrer's personal link (`?ref=`), its form credits that referrer with
/// the sign-up.
#[utoipa::path(
    tag = "public",
    params(("slug" = String, Path, description = "The page's slug, from the landing page asset's `content.slug`", pattern = r"^[a-z0-9-]{1,80}$"), PageQuery),
    responses(
        (status = 200, description = "The page, or a notice that the campaign is paused", content_type = "text/html", body = String),
        (status = 410, description = "The campaign has ended: a short notice", content_type = "text/html", body = String),
    ),
)]
#[get("/p/{slug}")]
pub async fn public_page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let visitor = visitor_cookie(&req);
    let visit = super::tracking::visit_of(&req, visitor, &state.limits);
    let referral = web::Query::<PageQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().r#ref);
    let page = match state
        .engine
        .open_public_page(&path, visitor, &visit, referral.as_deref())
        .await
    {
        Ok(PageView::Live(html)) => html,
        Ok(PageView::Tested { html, visitor }) => {
            // A tested page differs per visitor: never shared by caches, and the visitor's
            // first-party cookie keeps their variant on every later visit.
            let cookie = actix_web::cookie::Cookie::build(VISITOR_COOKIE, visitor.to_string())
                .path(format!("/p/{}", path.as_str()))
                .http_only(true)
                .same_site(actix_web::cookie::SameSite::Lax)
                .secure(req.connection_info().scheme() == "https")
                .max_age(actix_web::cookie::time::Duration::days(90))
                .finish();
            return Ok(HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "private, no-cache"))
                .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
                .insert_header((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
                .cookie(cookie)
                .body(html));
        }
        Ok(PageView::Paused) => {
            return Ok(notice(
                StatusCode::OK,
                "Paused for now",
                "This campaign is paused and takes no sign-ups at the moment. Please come back later.",
            ));
        }
        Err(AppError::PageGone) => {
            return Ok(notice(
                StatusCode::GONE,
                "This campaign has ended",
                "Thank you for your interest. This offer has ended and its page is no longer available.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    // The same for every visitor within the hour its form token was made in: caches may keep it
    // a minute (a referrer's own page, only the browser).
    let caching = if referral.is_some() {
        "private, max-age=60"
    } else {
        "public, max-age=60"
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, caching))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(page))
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
    /// The hidden token the served page put in its form (valid for a day, for that page only).
    #[schema(pattern = r"^[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{22}$")]
    form_token: String,
    /// The hidden referral token of a page opened through a referrer's personal link.
    #[schema(max_length = 2048, pattern = r"^[A-Za-z0-9_.-]*$")]
    r#ref: Option<String>,
}

/// Submit the lead form of a published landing page (`application/x-www-form-urlencoded`).
///
/// Fields: `name` (1 to 200 characters), `email` (an address, at most 254 characters),
/// `company` (optional, at most 200), `consent` (`yes`), and `form_token`, the hidden field the
/// served page holds (a form without a genuine one from its page served within the last day is
/// refused with 403 `stale_form`). A filled `website` field (the hidden trap for bots) is
/// answered like a success but stores nothing.
#[utoipa::path(
    tag = "public",
    params(("slug" = String, Path, description = "The page's slug", pattern = r"^[a-z0-9-]{1,80}$")),
    request_body(content_type = "application/x-www-form-urlencoded", content = LeadForm),
    responses(
        (status = 201, description = "Thank-you page (when the brand asks for double opt-in, it asks the visitor to confirm from the email just sent)", content_type = "text/html", body = String),
        (status = 200, description = "Thank-you page; the address had already signed up on this page within a day, so nothing new was stored", content_type = "text/html", body = String),
        (status = 403, description = "Posted from another site, or without a genuine form token from the page served within the last day", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The campaign is paused and takes no sign-ups for now", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, description = "The campaign has ended", body = ProblemDetails, content_type = "application/problem+json"),
    ),
)]
#[post("/p/{slug}/leads")]
pub async fn submit_lead(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let slug = path.into_inner();
    state.limits.lead_post(client_address(&req))?;
    same_origin(&req)?;
    if !ame_app::is_page_slug(&slug) {
        return Err(ame_app::AppError::PageNotFound.into());
    }
    crate::body::unencoded(&req)?;
    let body = read_form_body(payload).await?;
    let form = read_lead_form(&req, &body)?;
    let outcome = state
        .engine
        .submit_lead(&slug, form, visitor_cookie(&req))
        .await?;
    let status = match outcome {
        LeadOutcome::Duplicate => StatusCode::OK,
        LeadOutcome::Stored | LeadOutcome::Trapped | LeadOutcome::AwaitingConfirmation => {
            StatusCode::CREATED
        }
    };
    let confirm = outcome == LeadOutcome::AwaitingConfirmation;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .body(thank_you_page(&slug, confirm)))
}

/// Refuses a form posted from another site: browsers name the page a form was posted from in
/// `Origin` (or at least `Referer`), and it must be a page of this server's host.
fn same_origin(req: &HttpRequest) -> Result<(), Problem> {
    let named = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let source = named(header::ORIGIN)
        .filter(|o| o != "null")
        .or_else(|| named(header::REFERER));
    let host = req.connection_info().host().to_ascii_lowercase();
    let same = source.as_deref().is_some_and(|url| {
        url.split_once("://")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
            .is_some_and(|authority| authority.eq_ignore_ascii_case(&host))
    });
    if same {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            ErrorCode::CrossOriginForm,
            "the form must be posted from its own page on this site (the Origin or Referer header must name this host)",
        ))
    }
}

/// The form's bytes, refused with a 413 problem as soon as they pass [`MAX_FORM_BYTES`].
async fn read_form_body(mut payload: web::Payload) -> Result<Vec<u8>, Problem> {
    use futures::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::bad_request(
                ErrorCode::UnreadableBody,
                format!("the form could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the form may be at most {MAX_FORM_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The lead form's fields from an `application/x-www-form-urlencoded` body (already bounded by
/// [`read_form_body`]), trimmed.
fn read_lead_form(req: &HttpRequest, body: &[u8]) -> Result<LeadSubmission, Problem> {
    let form_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the form as application/x-www-form-urlencoded",
        )
        .with_allowed(["application/x-www-form-urlencoded"]));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|e| {
        Problem::bad_request(
            ErrorCode::InvalidForm,
            format!("the form is malformed: {e}"),
        )
    })?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    Ok(LeadSubmission {
        name: field("name"),
        email: field("email"),
        company: field("company"),
        consent: field("consent"),
        form_token: field("form_token"),
        website: field("website"),
        referral: field("ref"),
    })
}

/// A short page in place of a landing page that is paused or gone, never cached for long.
fn notice(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let page = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { (title) } }
            body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.6" {
                main { h1 { (title) } p { (text) } }
            }
        }
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page.into_string())
}

/// The page a visitor sees after submitting the form (asking them to confirm by email when
/// `confirm`).
fn thank_you_page(slug: &str, confirm: bool) -> String {
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width, initial-scale=1"; title { "Thank you" } }
            body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.6" {
                main {
                    @if confirm {
                        h1 { "Check your inbox" }
                        p { "We sent you an email with a link. Press its button to confirm your address; until then you are not subscribed." }
                    } @else {
                        h1 { "Thank you!" }
                        p { "We received your details and will be in touch soon." }
                    }
                    p { a href={ "/p/" (slug) } { "Back to the page" } }
                }
            }
        }
    }
    .into_string()
}
