//! Confirming a landing-page sign-up (double opt-in): the emailed link opens a page with one
//! button, and only pressing it subscribes the address, so a mail scanner that follows links
//! confirms nothing.

use super::tracking::page;
use crate::problem::{ErrorCode, Problem, ProblemDetails};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use ame_domain::OptInConfirmation;
use maud::html;

/// The page a confirmation link opens: one button that confirms (nothing changes until it is
/// pressed).
#[utoipa::path(
    tag = "public",
    params(
        ("slug" = String, Path, description = "The slug of the page the sign-up was made on", pattern = r"^[a-z0-9-]{1,80}$"),
        ("token" = String, Path, description = "The confirmation link's token", max_length = 2048, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"),
    ),
    responses(
        (status = 200, description = "A page with a confirm button", content_type = "text/html", body = String),
        (status = 404, description = "Not a genuine confirmation link of this page", body = ProblemDetails, content_type = "application/problem+json"),
    ),
)]
#[get("/p/{slug}/confirm/{token}")]
pub async fn confirmation_page(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (slug, token) = path.into_inner();
    let brand = state.engine.confirmation_page(&slug, &token).await?;
    Ok(page(
        StatusCode::OK,
        "Confirm your subscription",
        html! {
            p { "Press the button to confirm that you want to hear from " (brand.company_name) "." }
            form method="post" action={ "/p/" (slug) "/confirm/" (token) } {
                button type="submit" style="font-size:1rem;padding:.6rem 1.2rem" { "Yes, subscribe me" }
            }
        },
    ))
}

/// Confirm a sign-up: the address becomes a subscribed contact and counts as a lead of the
/// campaign whose page took it. Answers a plain page.
#[utoipa::path(
    tag = "public",
    params(
        ("slug" = String, Path, description = "The slug of the page the sign-up was made on", pattern = r"^[a-z0-9-]{1,80}$"),
        ("token" = String, Path, description = "The confirmation link's token", max_length = 2048, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"),
    ),
    responses(
        (status = 200, description = "Confirmed (or confirmed before): a page saying so", content_type = "text/html", body = String),
        (status = 404, description = "Not a genuine confirmation link of this page", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, description = "The link expired: sign up again on the page", body = ProblemDetails, content_type = "application/problem+json"),
    ),
)]
#[post("/p/{slug}/confirm/{token}")]
pub async fn confirm_sign_up(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (slug, token) = path.into_inner();
    let text = match state.engine.confirm_sign_up(&slug, &token).await? {
        OptInConfirmation::Confirmed(_) => "Thank you: your subscription is confirmed.",
        OptInConfirmation::AlreadyConfirmed => "Your subscription was already confirmed.",
        OptInConfirmation::Expired => {
            return Err(Problem::new(
                StatusCode::GONE,
                ErrorCode::ConfirmationExpired,
                "this confirmation link has expired (links work for 7 days): sign up again on the page to get a new one",
            ));
        }
    };
    Ok(page(
        StatusCode::OK,
        "You are subscribed",
        html! {
            p { (text) }
            p { a href={ "/p/" (slug) } { "Back to the page" } }
        },
    ))
}
