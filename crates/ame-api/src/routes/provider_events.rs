//! Email service providers' event webhooks: `POST /webhooks/email-events/{provider}` takes
//! Amazon SES (SNS), SendGrid, Postmark and Mailgun bounce and complaint events, authenticated
//! the way each provider signs them, and applies them to the messages they name.

use crate::problem::{ErrorCode, Problem};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use ame_app::feedback::FeedbackSummary;
use ame_app::feedback::providers::{Provider, WebhookCall, WebhookError};

impl From<WebhookError> for Problem {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::NotConfigured(_) => Problem::new(
                StatusCode::NOT_FOUND,
                ErrorCode::ProviderNotConfigured,
                format!("{e}; set its credentials (see `ame serve --help`) to take its events"),
            ),
            WebhookError::Unauthenticated(detail) => Problem::unauthorized(detail),
            WebhookError::Malformed { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidProviderEvent,
                e.to_string(),
            ),
            WebhookError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "an email provider's webhook could not be checked");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::UpstreamUnavailable,
                    "the provider's signing certificate could not be fetched; the provider retries",
                )
            }
            WebhookError::Apply(e) => e.into(),
        }
    }
}

/// Take an email service provider's bounce, complaint and delivery events. Each provider's
/// calls are authenticated as it documents (SNS: RSA signature with AWS's certificate and an
/// allowed topic; SendGrid: ECDSA signature headers; Postmark: the basic credentials of the
/// webhook URL; Mailgun: HMAC signature with a timestamp at most 10 minutes off). Hard bounces
/// and complaints change the contact's consent and the campaign's rates, once.
#[utoipa::path(
    tag = "public",
    params(("provider" = String, Path, description = "The provider", pattern = "^(amazon-ses|sendgrid|postmark|mailgun)$")),
    request_body(content = String, description = "The provider's event body, as it sends it", content_type = "application/json"),
    responses(
        (status = 200, description = "Taken: what the events changed", body = FeedbackSummary),
        (status = 401, description = "The signature or credentials did not verify", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No such provider, or no credentials for it on this server", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Not an event body of this provider", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 503, description = "The provider's certificate could not be fetched; the provider retries", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
#[post("/webhooks/email-events/{provider}")]
pub async fn receive_provider_events(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let provider = Provider::parse(&path).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("`{path}` is not an email provider AME takes events from"),
        )
        .with_allowed(Provider::NAMES)
    })?;
    let call = WebhookCall {
        headers: request
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    name.as_str().to_ascii_lowercase(),
                    value.to_str().ok()?.to_owned(),
                ))
            })
            .collect(),
        body: body.to_vec(),
    };
    let summary = state
        .engine
        .receive_provider_events(provider, &call)
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}
