//! Signing in and out, and switching organization.

use crate::error::WebError;
use crate::form::{FormData, csrf_field};
use crate::layout::{document, respond, see_other};
use crate::session::Ctx;
use crate::session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, expired, resolve, same_token};
use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use ame_app::{Engine, SignInError};
use base64::Engine as _;
use maud::{Markup, html};

fn random_token() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn login_page(token: &str, email: &str, error: Option<&str>) -> Markup {
    document(
        "Sign in",
        html! {
            main #main .narrow {
                h1 { "Sign in to AME" }
                @if let Some(error) = error {
                    p #form-error .error-summary role="alert" { (error) }
                }
                form #login-form method="post" action="/login" .card {
                    (csrf_field(token))
                    div .field {
                        label for="email" { "Email" }
                        input #email type="email" name="email" value=(email) autocomplete="username" required;
                    }
                    div .field {
                        label for="password" { "Password" }
                        input #password type="password" name="password" autocomplete="current-password" required;
                    }
                    button type="submit" { "Sign in" }
                }
                p .muted { "Accounts are created by an administrator with " code { "ame user add" } "." }
            }
        },
    )
}

fn login_response(
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let token = random_token()?;
    let mut response = respond(status, login_page(&token, email, error));
    response
        .add_cookie(&cookie(req, LOGIN_CSRF_COOKIE, token))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(response)
}

/// `GET /login`: the form (or straight to the campaigns when already signed in).
pub async fn form(req: HttpRequest, engine: Data<Engine>) -> Result<HttpResponse, WebError> {
    if let Some((session, _)) = resolve(&req, &engine).await?
        && session.caller.is_some()
    {
        return Ok(see_other("/app/campaigns"));
    }
    login_response(&req, StatusCode::OK, "", None)
}

/// `POST /login`: checks the password and starts a new session.
pub async fn submit(
    req: HttpRequest,
    engine: Data<Engine>,
    body: Bytes,
) -> Result<HttpResponse, WebError> {
    let form = FormData::parse(&body)?;
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    match (form.get("csrf"), expected) {
        (Some(sent), Some(expected)) if same_token(sent, &expected) => {}
        _ => return Err(WebError::csrf()),
    }
    let email = form.get("email").unwrap_or_default().trim().to_owned();
    let password = form.get("password").unwrap_or_default();
    let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let address = req.peer_addr().map(|a| a.ip());
    match engine
        .sign_in(&email, password, address, previous.as_deref())
        .await
    {
        Ok(signed_in) => {
            let mut response = see_other("/app/campaigns");
            response
                .add_cookie(&cookie(&req, SESSION_COOKIE, signed_in.cookie))
                .and_then(|()| response.add_cookie(&expired(&req, LOGIN_CSRF_COOKIE)))
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(response)
        }
        Err(SignInError::WrongCredentials) => login_response(
            &req,
            StatusCode::UNAUTHORIZED,
            &email,
            Some("The email address or password is wrong."),
        ),
        Err(SignInError::Throttled { retry_after, what }) => {
            let mut response = login_response(
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                &email,
                Some(&format!(
                    "Too many {}. Please wait {retry_after} seconds and try again.",
                    what.describe()
                )),
            )?;
            if let Ok(value) = header::HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Ok(response)
        }
        Err(SignInError::App(e)) => Err(e.into()),
    }
}

/// `POST /logout`: ends the session (server side) and clears the cookie.
pub async fn logout(
    req: HttpRequest,
    engine: Data<Engine>,
    body: Bytes,
) -> Result<HttpResponse, WebError> {
    if let Some((session, value)) = resolve(&req, &engine).await? {
        let form = FormData::parse(&body)?;
        match form.get("csrf") {
            Some(sent) if same_token(sent, &session.session.csrf_token) => {}
            _ => return Err(WebError::csrf()),
        }
        engine.sign_out(&value).await?;
    }
    let mut response = see_other("/login");
    response
        .add_cookie(&expired(&req, SESSION_COOKIE))
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(response)
}

/// `POST /app/org`: works in another of the person's organizations.
pub async fn switch_org(ctx: Ctx, body: Bytes) -> Result<HttpResponse, WebError> {
    let form = super::checked_form(&ctx, &body)?;
    let org = form
        .get("org")
        .and_then(|o| o.parse::<uuid::Uuid>().ok())
        .ok_or_else(|| WebError::BadRequest("choose an organization".into()))?;
    ctx.engine
        .switch_organization(&ctx.cookie, ame_domain::OrgId::from_uuid(org))
        .await?;
    Ok(see_other("/app/campaigns"))
}
