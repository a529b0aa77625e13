//! What a dashboard request can end in besides its page: a redirect to sign in, or an error
//! page (HTML, with the same layout rules as every page).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use ame_app::AppError;
use maud::{DOCTYPE, html};

/// A failed dashboard request.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No live session: go to the sign-in page.
    #[error("sign in first")]
    SignIn,
    /// The form lacked the session's CSRF token, or the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here (or it belongs to another organization).
    #[error("{0}")]
    NotFound(String),
    /// The request itself is unreadable.
    #[error("{0}")]
    BadRequest(String),
    /// Our side failed; the text is for the log only.
    #[error("internal failure: {0}")]
    Internal(String),
    /// The database is unreachable for now.
    #[error("the database is unavailable; try again in a moment")]
    Unavailable,
}

impl WebError {
    /// The session lacks a valid CSRF token.
    pub fn csrf() -> Self {
        WebError::Forbidden(
            "this form is out of date or was not sent from AME (its security token is missing \
             or wrong); reload the page and try again"
                .into(),
        )
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound { entity } => WebError::NotFound(format!(
                "This {entity} does not exist in your organization."
            )),
            AppError::Forbidden(detail) => WebError::Forbidden(detail),
            AppError::DatabaseUnavailable(_) => WebError::Unavailable,
            AppError::Internal(detail) => WebError::Internal(detail),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn => StatusCode::SEE_OTHER,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::SignIn = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        let status = self.status_code();
        let message = match self {
            WebError::Internal(detail) => {
                tracing::error!(detail, "dashboard request failed");
                "Something went wrong on our side. It has been logged; please try again.".to_owned()
            }
            other => other.to_string(),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let page = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · AME" }
                    link rel="stylesheet" href=(crate::static_files::CSS_PATH);
                }
                body {
                    main #main .narrow {
                        h1 { (status.as_u16()) " " (title) }
                        p #error-message role="alert" { (message) }
                        p { a href="/app/campaigns" { "Back to campaigns" } }
                    }
                }
            }
        };
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                crate::CONTENT_SECURITY_POLICY,
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(page.into_string())
    }
}
