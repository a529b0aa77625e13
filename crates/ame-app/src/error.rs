//! What a use case can fail with: typed outcomes every caller maps the same way (the HTTP API to
//! problem details, the command line to messages). Failures of our own side (database, blob
//! storage, a crashed task) carry details for the log only, in [`AppError::Internal`].

use ame_domain::{FieldError, TransitionError, ValidationError};
use ame_prediction::PredictionError;
use ame_storage::{BlobError, StorageError};

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;

/// Why a use case did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppError {
    /// The record does not exist in the caller's organization (or at all).
    #[error("{entity} not found in this organization")]
    NotFound {
        /// The kind of record, e.g. `campaign`.
        entity: &'static str,
    },
    /// The caller's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The record changed concurrently; re-read it and retry.
    #[error("the resource changed concurrently; re-read it and retry ({0})")]
    Conflict(String),
    /// The lifecycle does not allow the requested status change.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// One or more fields are invalid.
    #[error("{}", describe(.0))]
    Validation(Vec<FieldError>),
    /// The database refused input that passed validation (a data rule the validation missed).
    #[error("the input breaks a data rule: {0}")]
    Rejected(String),
    /// Nothing says how many people the campaign will reach.
    #[error("{0}")]
    ReachUnknown(String),
    /// The campaign is archived: it keeps its assets and gets no new ones.
    #[error("the campaign is archived; archived campaigns keep their assets but get no new ones")]
    CampaignArchived,
    /// The campaign may not launch yet: its checklist has blocking items.
    #[error("the campaign is not ready to launch: {}", .0.items.iter().filter(|i| i.blocking).map(|i| i.message.as_str()).collect::<Vec<_>>().join("; "))]
    NotReady(ame_domain::Readiness),
    /// The organization has not saved a brand profile.
    #[error("the organization has no brand profile yet")]
    BrandNotSet,
    /// The asset has no file of that name.
    #[error("the asset has no file `{name}`")]
    NoSuchFile {
        /// The name asked for.
        name: String,
        /// The asset's file names.
        allowed: Vec<String>,
    },
    /// No page is published under the slug.
    #[error("no page is published under this address")]
    PageNotFound,
    /// The page's campaign has ended (completed or archived): the page is gone for good.
    #[error("this campaign has ended, so its page and form are no longer available")]
    PageGone,
    /// A lead form without a genuine token from its page served within the last day (a form
    /// scripted from elsewhere, or a page left open too long).
    #[error(
        "the form must be sent from its page as served within the last day: reload the page and send the form again"
    )]
    StaleForm,
    /// The page's campaign is paused: its form takes no leads until it runs again.
    #[error("this campaign is paused, so its form takes no sign-ups for now; try again later")]
    PagePaused,
    /// The asset lists the file, but blob storage no longer holds it.
    #[error("the file is no longer in blob storage; regenerate the campaign's assets")]
    FileMissing,
    /// An API key tried to revoke or rotate itself.
    #[error("a key cannot revoke or rotate itself; use another owner or admin key")]
    CannotRevokeOwnKey,
    /// The idempotency key was used before with a different request.
    #[error("this idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    /// Another attempt with the idempotency key is running; its claim lapses within
    /// `retry_after_seconds` unless it is still alive.
    #[error("a request with this idempotency key is still being processed")]
    IdempotencyInProgress {
        /// Seconds until the running attempt's claim lapses (at least 1).
        retry_after_seconds: u64,
    },
    /// The database lacks migrations, which only an administrator may apply.
    #[error("the database lacks {} migration(s) ({}); run `ame migrate --app-role ...` as a database administrator first", .0.len(), .0.join(", "))]
    SchemaOutdated(Vec<String>),
    /// Our side failed (database, blob storage, a crashed task); the text is for the log only.
    #[error("internal failure: {0}")]
    Internal(String),
    /// The database could not be reached or dropped the connection; nothing was committed and
    /// the request may be sent again. The text is for the log only.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `value` if it lies within `min..=max`; a validation error naming `field` otherwise.
pub(crate) fn within<T>(
    field: &str,
    value: Option<T>,
    (min, max): (u64, u64),
) -> AppResult<Option<T>>
where
    T: Copy + TryInto<u64>,
{
    match value {
        Some(v) if !v.try_into().is_ok_and(|v| (min..=max).contains(&v)) => {
            Err(AppError::Validation(vec![FieldError::new(
                field,
                format!("must be an integer from {min} to {max}"),
            )]))
        }
        _ => Ok(value),
    }
}

impl AppError {
    /// A failure of our own side, logged where it is turned into a response.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        AppError::Internal(what.to_string())
    }
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { entity } => AppError::NotFound { entity },
            StorageError::Forbidden(detail) => AppError::Forbidden(detail),
            StorageError::Conflict(detail) => AppError::Conflict(detail),
            StorageError::Transition(t) => AppError::Transition(t),
            StorageError::Validation(v) => AppError::Validation(v.errors),
            StorageError::Invalid(detail) => AppError::Rejected(detail),
            StorageError::Database(detail) => AppError::Internal(format!("storage: {detail}")),
            StorageError::Unavailable(detail) => AppError::DatabaseUnavailable(detail),
        }
    }
}

impl From<ValidationError> for AppError {
    fn from(e: ValidationError) -> Self {
        AppError::Validation(e.errors)
    }
}

impl From<PredictionError> for AppError {
    fn from(e: PredictionError) -> Self {
        match e {
            PredictionError::ReachUnknown(detail) => AppError::ReachUnknown(detail),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        AppError::Internal(format!("blob storage: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("a background task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_failures_become_internal_and_keep_their_detail_for_the_log() {
        let e = AppError::from(StorageError::Database("connection reset".into()));
        assert_eq!(e, AppError::Internal("storage: connection reset".into()));
        let e = AppError::from(StorageError::NotFound { entity: "campaign" });
        assert_eq!(e.to_string(), "campaign not found in this organization");
    }

    #[test]
    fn validation_lists_every_field() {
        let e = AppError::Validation(vec![FieldError::new("a", "x"), FieldError::new("b", "y")]);
        assert_eq!(e.to_string(), "a: x; b: y");
    }
}
