//! Public tracking links: `/t/{token}` records a click and redirects to the one destination its
//! signed token names; `/u/{token}` unsubscribes without a login.
//!
//! `POST /u/{token}` unsubscribes (the RFC 8058 one-click request mail clients send, and the
//! button of the page). `GET /u/{token}` shows that page and changes nothing, because mail
//! security scanners open every link in a message: a GET that unsubscribed would unsubscribe
//! people who never clicked.

use crate::problem::Problem;
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ame_app::tracking::UnsubscribeOutcome;
use maud::html;

/// What the unsubscribe pages may do: their own inline styles and posting their form here.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// Follow a tracked link: the click is recorded and the browser sent on to the link's
/// destination (only ever the one signed into the token).
#[utoipa::path(
    tag = "public",
    params(("token" = String, Path, description = "The signed token of a tracked link", max_length = 2048, pattern = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$")),
    responses(
        (status = 302, description = "On to the destination", headers(("Location" = String, description = "The signed destination"))),
        (status = 404, description = "Not a genuine tracked link", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
#[get("/t/{token}")]
pub async fn follow_link(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let visit = visit_of(&req, None, &state.limits);
    let destination = state.engine.click(&path, &visit).await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, destination))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .finish())
}

/// What a request says about its sender, for counting: its user agent, whether it is a `HEAD`
/// or a prefetch, who it is (`visitor`, the landing page's cookie, else its address and user
/// agent; the engine keeps only a keyed hash), and whether its address is past the per-address
/// limit of counted tracking requests (`limits`).
pub(crate) fn visit_of(
    req: &HttpRequest,
    visitor: Option<uuid::Uuid>,
    limits: &crate::limits::Limits,
) -> ame_domain::Visit {
    let address = crate::limits::client_address(req);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let user_agent = header("user-agent");
    let prefetch = ["purpose", "sec-purpose", "x-purpose", "x-moz"]
        .iter()
        .filter_map(|h| header(h))
        .any(|v| v.to_ascii_lowercase().contains("prefetch") || v.contains("preview"));
    let mut visit = ame_domain::Visit {
        visitor: visitor.map_or_else(
            || format!("{address} {}", user_agent.as_deref().unwrap_or_default()),
            |v| v.to_string(),
        ),
        user_agent,
        head: req.method() == actix_web::http::Method::HEAD,
        prefetch,
        throttled: false,
    };
    // Only a visit that would count spends the address's allowance: a link scanner's
    // requests do not throttle the person behind it.
    if visit.automated().is_none() {
        visit.throttled = !limits.tracking_counted(address);
    }
    visit
}

/// A short, uncached page with one heading.
pub(crate) fn page(status: StatusCode, title: &str, body: maud::Markup) -> HttpResponse {
    let page = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
            }
            body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.6;color:#1a1a1a" {
                main { h1 { (title) } (body) }
            }
        }
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(page.into_string())
}

/// The page an unsubscribe link opens: one button that unsubscribes (nothing changes until it
/// is pressed).
#[utoipa::path(
    tag = "public",
    params(("token" = String, Path, description = "The signed token of an unsubscribe link", max_length = 2048, pattern = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$")),
    responses(
        (status = 200, description = "A page with an unsubscribe button", content_type = "text/html", body = String),
        (status = 404, description = "Not a genuine unsubscribe link", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
#[get("/u/{token}")]
pub async fn unsubscribe_page(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    state.engine.check_unsubscribe(&path)?;
    Ok(page(
        StatusCode::OK,
        "Unsubscribe",
        html! {
            p { "Press the button to stop receiving these emails." }
            form method="post" action={ "/u/" (path.as_str()) } {
                button type="submit" style="font-size:1rem;padding:.6rem 1.2rem" { "Unsubscribe" }
            }
        },
    ))
}

/// Unsubscribe (RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click`; the page's
/// button posts here too). Answers a plain confirmation page.
#[utoipa::path(
    tag = "public",
    params(("token" = String, Path, description = "The signed token of an unsubscribe link", max_length = 2048, pattern = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$")),
    responses(
        (status = 200, description = "Unsubscribed: a confirmation page", content_type = "text/html", body = String),
        (status = 404, description = "Not a genuine unsubscribe link", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
#[post("/u/{token}")]
pub async fn unsubscribe(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let text = match state.engine.unsubscribe(&path).await? {
        UnsubscribeOutcome::Unsubscribed => "You will receive no more of these emails.",
        UnsubscribeOutcome::AlreadyUnsubscribed => {
            "You were already unsubscribed; nothing more will be sent to you."
        }
    };
    Ok(page(
        StatusCode::OK,
        "You are unsubscribed",
        html! { p { (text) } },
    ))
}
