//! RFC 9457 problem details: every error the API returns, as `application/problem+json`.
//!
//! # The error policy
//!
//! - Every error body is a [`ProblemDetails`] whose `code` is one of the closed set
//!   [`ErrorCode`] (published as an `enum` in the OpenAPI document); a code, once released, keeps
//!   its name and meaning. `type` is `urn:ame:problem:<code>`.
//! - Use cases fail with [`AppError`]; [`From<AppError>`](Problem#impl-From<AppError>-for-Problem)
//!   is the one place that decides their status: missing or another organization's records 404
//!   (indistinguishable), role refusals 403, lost races and refused transitions 409 (with the
//!   allowed targets), invalid input 422 naming every field and the allowed values, reach that
//!   cannot be known 422.
//! - What the HTTP layer itself refuses (credentials 401, unreadable ids, queries, bodies and
//!   headers 400, media types 415, sizes 413, routes 404/405) is built here too, with the same
//!   codes.
//! - A 500 says only that the failure was logged: its detail never names a table, a query, a
//!   host, a file or a credential. The cause goes to the log with the request id.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use ame_app::AppError;
use ame_domain::{FieldError, TransitionError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// Defines [`ErrorCode`] from one list: each variant, its doc and its wire name.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $text:literal),+ $(,)?) => {
        /// The stable machine-readable code of every problem the API returns.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant),+
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as it appears in `code` and `type`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text),+
                }
            }
        }
    };
}

error_codes! {
    /// 422: one or more fields are invalid (`errors` names each).
    ValidationFailed => "validation_failed",
    /// 404: no such record in the caller's organization, no such file or page.
    NotFound => "not_found",
    /// 401: missing, malformed, unknown, revoked or expired credentials.
    Unauthorized => "unauthorized",
    /// 403: the caller's role does not allow this.
    Forbidden => "forbidden",
    /// 409: the record changed concurrently.
    Conflict => "conflict",
    /// 409: the lifecycle does not allow this status change (`allowed` lists the targets).
    InvalidTransition => "invalid_transition",
    /// 422: the database refused input that passed validation.
    Rejected => "rejected",
    /// 400: a path id is not a UUID.
    InvalidId => "invalid_id",
    /// 400: the query string is malformed.
    InvalidQuery => "invalid_query",
    /// 400: a lead form is malformed.
    InvalidForm => "invalid_form",
    /// 400: the body is not well-formed JSON.
    MalformedJson => "malformed_json",
    /// 400: the body could not be read.
    UnreadableBody => "unreadable_body",
    /// 415: the body's media type is not accepted.
    UnsupportedMediaType => "unsupported_media_type",
    /// 413: the body is too large.
    PayloadTooLarge => "payload_too_large",
    /// 400: a user token did not name the organization.
    MissingOrgHeader => "missing_org_header",
    /// 400: the organization header is not a UUID.
    InvalidOrgHeader => "invalid_org_header",
    /// 400: the `Idempotency-Key` header is malformed.
    InvalidIdempotencyKey => "invalid_idempotency_key",
    /// 422: the `Idempotency-Key` was used before with a different request.
    IdempotencyKeyReused => "idempotency_key_reused",
    /// 409: a request with the `Idempotency-Key` is still running.
    IdempotencyInProgress => "idempotency_in_progress",
    /// 409: the `Idempotency-Key`'s request ran, and what it created was deleted since.
    IdempotencyResourceDeleted => "idempotency_resource_deleted",
    /// 422: neither planned reach nor budget says how far the campaign will reach.
    ReachUnknown => "reach_unknown",
    /// 409: the campaign is archived and gets no new assets.
    CampaignArchived => "campaign_archived",
    /// 503: the database could not be reached; `Retry-After` says when to try again.
    DatabaseUnavailable => "database_unavailable",
    /// 429: a rate limit was reached; `Retry-After` says when to try again.
    RateLimited => "rate_limited",
    /// 403: a lead form was posted from another site.
    CrossOriginForm => "cross_origin_form",
    /// 403: a lead form came without a genuine token from its page served within the last day.
    StaleForm => "stale_form",
    /// 410: the page's campaign has ended.
    PageGone => "page_gone",
    /// 409: the page's campaign is paused and takes no leads.
    PagePaused => "page_paused",
    /// 410: a sign-up's confirmation link expired; signing up again sends a new one.
    ConfirmationExpired => "confirmation_expired",
    /// 404: the organization has no brand profile yet.
    BrandNotSet => "brand_not_set",
    /// 409: the campaign may not be scheduled or activated yet (`unmet` lists what it lacks).
    CampaignNotReady => "campaign_not_ready",
    /// 404: the asset lists the file, but blob storage no longer holds it.
    FileMissing => "file_missing",
    /// 409: an API key tried to revoke itself.
    CannotRevokeOwnKey => "cannot_revoke_own_key",
    /// 404: nothing is served at the path.
    NoRoute => "no_route",
    /// 405: the path does not support the method (`allowed` lists those it does).
    MethodNotAllowed => "method_not_allowed",
    /// 500: the server failed; the cause is logged, never returned.
    InternalError => "internal_error",
    /// 404: this server has no credentials for the email provider's webhook.
    ProviderNotConfigured => "provider_not_configured",
    /// 422: the body is not an event the email provider sends.
    InvalidProviderEvent => "invalid_provider_event",
    /// 503: a service the request depends on (an email provider's certificate) did not answer.
    UpstreamUnavailable => "upstream_unavailable",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error response: what went wrong, in a form clients can act on (boxed, so results that
/// carry it stay small).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Problem(Box<ProblemDetails>);

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;

    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

/// The body of every error response (RFC 9457 problem details plus `code`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// A URI naming the kind of problem (`urn:ame:problem:<code>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this case and, where it helps, what is allowed.
    pub detail: String,
    /// A stable machine-readable code, e.g. `validation_failed`.
    pub code: ErrorCode,
    /// For validation problems: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<FieldError>,
    /// For closed sets (statuses, roles, media types, methods): the accepted values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub allowed: Option<Vec<String>>,
    /// For `campaign_not_ready`: every requirement the campaign does not meet.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub unmet: Vec<ame_domain::ReadinessItem>,
    #[serde(skip)]
    #[schema(ignore)]
    headers: Vec<(header::HeaderName, String)>,
}

impl Problem {
    /// A problem with a status, a stable code and a detail message.
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemDetails {
            problem_type: format!("urn:ame:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            errors: Vec::new(),
            allowed: None,
            unmet: Vec::new(),
            headers: Vec::new(),
        }))
    }

    /// 400: the request could not be read.
    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: no or invalid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, detail)
            .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"ame\"".to_owned())
    }

    /// 403: authenticated, but the role does not allow this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
    }

    /// 404: no such resource in the caller's organization.
    pub fn not_found(entity: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{entity} not found in this organization"),
        )
    }

    /// 422: one or more fields are invalid.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut problem = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            detail,
        );
        problem.errors = errors;
        problem
    }

    /// 500: something failed on our side; the detail says nothing about internals.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "the server failed to handle the request; it has been logged, retry later",
        )
    }

    /// Adds the accepted values.
    pub fn with_allowed<S: ToString>(mut self, allowed: impl IntoIterator<Item = S>) -> Self {
        self.allowed = Some(allowed.into_iter().map(|s| s.to_string()).collect());
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: header::HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl Problem {
    /// The body as JSON. Serializing a problem cannot fail (strings, numbers and a closed enum);
    /// should it ever, the body is the generic 500 body rather than an empty one.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a problem could not be serialized");
            r#"{"type":"urn:ame:problem:internal_error","title":"Internal Server Error","status":500,"detail":"the server failed to handle the request; it has been logged, retry later","code":"internal_error"}"#
                .to_owned()
        })
    }

    /// The status as an actix status code.
    pub fn status_code_value(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status_code_value()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.insert_header((name.clone(), value));
            }
        }
        response.body(self.to_json())
    }
}

impl From<TransitionError> for Problem {
    fn from(e: TransitionError) -> Self {
        Problem::new(
            StatusCode::CONFLICT,
            ErrorCode::InvalidTransition,
            e.to_string(),
        )
        .with_allowed(e.allowed.iter().map(|s| s.as_str()))
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound { entity } => Problem::not_found(entity),
            AppError::Forbidden(detail) => Problem::forbidden(detail),
            e @ AppError::Conflict(_) => {
                Problem::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string())
            }
            AppError::Transition(t) => t.into(),
            AppError::Validation(errors) => Problem::validation(errors),
            AppError::Rejected(detail) => {
                tracing::warn!(%detail, "the database rejected input that passed validation");
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::Rejected,
                    "the input breaks a data rule; check the field limits in the API documentation",
                )
            }
            AppError::ReachUnknown(detail) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ReachUnknown,
                detail,
            )
            .with_allowed(["planned_reach", "budget"]),
            e @ AppError::CampaignArchived => Problem::new(
                StatusCode::CONFLICT,
                ErrorCode::CampaignArchived,
                e.to_string(),
            ),
            AppError::NotReady(readiness) => {
                let detail = AppError::NotReady(readiness.clone()).to_string();
                let mut problem =
                    Problem::new(StatusCode::CONFLICT, ErrorCode::CampaignNotReady, detail);
                problem.0.unmet = readiness.items;
                problem
            }
            AppError::BrandNotSet => Problem::new(
                StatusCode::NOT_FOUND,
                ErrorCode::BrandNotSet,
                "the organization has no brand profile yet; PUT /api/marketing/brand to set one",
            ),
            AppError::NoSuchFile { name, allowed } => Problem::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("the asset has no file `{name}`"),
            )
            .with_allowed(allowed),
            e @ AppError::PageNotFound => {
                Problem::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, e.to_string())
            }
            e @ AppError::PageGone => {
                Problem::new(StatusCode::GONE, ErrorCode::PageGone, e.to_string())
            }
            e @ AppError::PagePaused => {
                Problem::new(StatusCode::CONFLICT, ErrorCode::PagePaused, e.to_string())
            }
            e @ AppError::StaleForm => {
                Problem::new(StatusCode::FORBIDDEN, ErrorCode::StaleForm, e.to_string())
            }
            e @ AppError::FileMissing => {
                Problem::new(StatusCode::NOT_FOUND, ErrorCode::FileMissing, e.to_string())
            }
            e @ AppError::CannotRevokeOwnKey => Problem::new(
                StatusCode::CONFLICT,
                ErrorCode::CannotRevokeOwnKey,
                e.to_string(),
            ),
            AppError::IdempotencyKeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
                format!(
                    "this {IDEMPOTENCY_HEADER} was already used for a different request; use a new key for a new request"
                ),
            ),
            AppError::IdempotencyInProgress {
                retry_after_seconds,
            } => Problem::new(
                StatusCode::CONFLICT,
                ErrorCode::IdempotencyInProgress,
                format!(
                    "a request with this key is still being processed; if it has stopped, a \
                     retry takes over within {retry_after_seconds} s"
                ),
            )
            .with_header(header::RETRY_AFTER, retry_after_seconds.to_string()),
            AppError::DatabaseUnavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::DatabaseUnavailable,
                    "the database is not reachable right now; nothing was changed, so send the request again shortly (with the same Idempotency-Key for a creation)",
                )
                .with_header(header::RETRY_AFTER, "1".to_owned())
            }
            e @ (AppError::SchemaOutdated(_) | AppError::Internal(_)) => {
                tracing::error!(error = %e, "request failed on our side");
                Problem::internal()
            }
        }
    }
}

/// The request header carrying an idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::CampaignStatus;

    #[test]
    fn transitions_become_conflicts_listing_allowed_targets() {
        let e = CampaignStatus::Completed
            .transition_to(CampaignStatus::Active)
            .unwrap_err();
        let p = Problem::from(e);
        assert_eq!((p.status, p.code), (409, ErrorCode::InvalidTransition));
        assert_eq!(p.allowed, Some(vec!["archived".to_owned()]));
    }

    #[test]
    fn database_failures_never_leak_details() {
        let p = Problem::from(AppError::from(ame_storage::StorageError::Database(
            "password authentication failed".into(),
        )));
        assert_eq!(p.status, 500);
        assert!(!serde_json::to_string(&p).unwrap().contains("password"));
    }

    #[test]
    fn bodies_are_problem_json_with_type_and_code() {
        let r = Problem::unauthorized("missing").error_response();
        assert_eq!(r.headers().get(header::CONTENT_TYPE).unwrap(), PROBLEM_JSON);
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
        let v = serde_json::to_value(Problem::validation(vec![FieldError::new("a", "b")])).unwrap();
        assert_eq!(v["type"], "urn:ame:problem:validation_failed");
        assert_eq!(v["errors"][0]["field"], "a");
        assert!(v.get("allowed").is_none());
    }

    #[test]
    fn codes_are_pinned_and_serialize_as_their_names() {
        let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "validation_failed",
                "not_found",
                "unauthorized",
                "forbidden",
                "conflict",
                "invalid_transition",
                "rejected",
                "invalid_id",
                "invalid_query",
                "invalid_form",
                "malformed_json",
                "unreadable_body",
                "unsupported_media_type",
                "payload_too_large",
                "missing_org_header",
                "invalid_org_header",
                "invalid_idempotency_key",
                "idempotency_key_reused",
                "idempotency_in_progress",
                "idempotency_resource_deleted",
                "reach_unknown",
                "campaign_archived",
                "database_unavailable",
                "rate_limited",
                "cross_origin_form",
                "stale_form",
                "page_gone",
                "page_paused",
                "confirmation_expired",
                "brand_not_set",
                "campaign_not_ready",
                "file_missing",
                "cannot_revoke_own_key",
                "no_route",
                "method_not_allowed",
                "internal_error",
                "provider_not_configured",
                "invalid_provider_event",
                "upstream_unavailable",
            ]
        );
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn every_app_error_maps_to_a_client_status_except_our_own_failures() {
        let cases = [
            (
                AppError::NotFound { entity: "campaign" },
                404,
                ErrorCode::NotFound,
            ),
            (AppError::Forbidden("x".into()), 403, ErrorCode::Forbidden),
            (AppError::Conflict("x".into()), 409, ErrorCode::Conflict),
            (
                AppError::Validation(vec![FieldError::new("a", "b")]),
                422,
                ErrorCode::ValidationFailed,
            ),
            (AppError::Rejected("check".into()), 422, ErrorCode::Rejected),
            (
                AppError::ReachUnknown("x".into()),
                422,
                ErrorCode::ReachUnknown,
            ),
            (AppError::CampaignArchived, 409, ErrorCode::CampaignArchived),
            (AppError::BrandNotSet, 404, ErrorCode::BrandNotSet),
            (
                AppError::NoSuchFile {
                    name: "a".into(),
                    allowed: vec!["b".into()],
                },
                404,
                ErrorCode::NotFound,
            ),
            (AppError::PageNotFound, 404, ErrorCode::NotFound),
            (AppError::PageGone, 410, ErrorCode::PageGone),
            (AppError::StaleForm, 403, ErrorCode::StaleForm),
            (
                AppError::DatabaseUnavailable("connection reset".into()),
                503,
                ErrorCode::DatabaseUnavailable,
            ),
            (AppError::PagePaused, 409, ErrorCode::PagePaused),
            (AppError::FileMissing, 404, ErrorCode::FileMissing),
            (
                AppError::CannotRevokeOwnKey,
                409,
                ErrorCode::CannotRevokeOwnKey,
            ),
            (
                AppError::IdempotencyKeyReused,
                422,
                ErrorCode::IdempotencyKeyReused,
            ),
            (
                AppError::IdempotencyInProgress {
                    retry_after_seconds: 5,
                },
                409,
                ErrorCode::IdempotencyInProgress,
            ),
            (
                AppError::SchemaOutdated(vec!["m1".into()]),
                500,
                ErrorCode::InternalError,
            ),
            (
                AppError::Internal("pool timed out at db.internal".into()),
                500,
                ErrorCode::InternalError,
            ),
        ];
        for (error, status, code) in cases {
            let p = Problem::from(error);
            assert_eq!((p.status, p.code), (status, code), "{p}");
            assert!(!p.to_json().contains("db.internal"));
        }
    }
}
