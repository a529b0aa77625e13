//! RFC 9457 problem details: every error the API returns, as `application/problem+json`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use ame_domain::{FieldError, TransitionError};
use ame_storage::StorageError;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

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
    pub code: String,
    /// For validation problems: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<FieldError>,
    /// For closed sets (statuses, roles, media types, methods): the accepted values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub allowed: Option<Vec<String>>,
    #[serde(skip)]
    #[schema(ignore)]
    headers: Vec<(header::HeaderName, String)>,
}

impl Problem {
    /// A problem with a status, a stable code and a detail message.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemDetails {
            problem_type: format!("urn:ame:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
            allowed: None,
            headers: Vec::new(),
        }))
    }

    /// 400: the request could not be read.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: no or invalid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
            .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"ame\"".to_owned())
    }

    /// 403: authenticated, but the role does not allow this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: no such resource in the caller's organization.
    pub fn not_found(entity: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
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
            "validation_failed",
            detail,
        );
        problem.errors = errors;
        problem
    }

    /// 500: something failed on our side; the detail says nothing about internals.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
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
        response.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl From<TransitionError> for Problem {
    fn from(e: TransitionError) -> Self {
        Problem::new(StatusCode::CONFLICT, "invalid_transition", e.to_string())
            .with_allowed(e.allowed.iter().map(|s| s.as_str()))
    }
}

impl From<StorageError> for Problem {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { entity } => Problem::not_found(entity),
            StorageError::Forbidden(detail) => Problem::forbidden(detail),
            StorageError::Conflict(detail) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("the resource changed concurrently; re-read it and retry ({detail})"),
            ),
            StorageError::Transition(t) => t.into(),
            StorageError::Validation(v) => Problem::validation(v.errors),
            StorageError::Invalid(detail) => {
                tracing::warn!(%detail, "the database rejected input that passed validation");
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "rejected",
                    "the input breaks a data rule; check the field limits in the API documentation",
                )
            }
            StorageError::Database(detail) => {
                tracing::error!(%detail, "storage failure");
                Problem::internal()
            }
        }
    }
}

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
        assert_eq!((p.status, p.code.as_str()), (409, "invalid_transition"));
        assert_eq!(p.allowed, Some(vec!["archived".to_owned()]));
    }

    #[test]
    fn database_failures_never_leak_details() {
        let p = Problem::from(StorageError::Database(
            "password authentication failed".into(),
        ));
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
}
