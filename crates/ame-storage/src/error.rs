//! Storage errors: typed outcomes callers can act on, never sea-orm types.

use ame_domain::{TransitionError, ValidationError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Result of a storage call.
pub type StorageResult<T> = Result<T, StorageError>;

/// What went wrong in a storage call.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The record does not exist for this organization (or at all).
    #[error("{entity} not found")]
    NotFound {
        /// The kind of record, e.g. `campaign`.
        entity: &'static str,
    },
    /// The acting user's role in the organization does not allow this change.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The change lost a race or collides with existing data; re-read and retry.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The lifecycle does not allow the requested status change.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The input failed domain validation.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The database rejected the data (a CHECK, NOT NULL or foreign-key constraint).
    #[error("rejected by the database: {0}")]
    Invalid(String),
    /// The database failed; details are for the log, not for clients.
    #[error("database error: {0}")]
    Database(String),
    /// The database could not be reached or dropped the connection (a restart, a failover, a
    /// killed backend): nothing was committed, and trying again may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl StorageError {
    /// Whether trying again may succeed: the database was unreachable or dropped the connection.
    pub fn is_transient(&self) -> bool {
        matches!(self, StorageError::Unavailable(_))
    }

    /// Whether the error means "the state changed under you" (a lost race or a refused transition).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StorageError::Conflict(_) | StorageError::Transition(_)
        )
    }

    pub(crate) fn not_found(entity: &'static str) -> Self {
        StorageError::NotFound { entity }
    }
}

/// PostgreSQL's SQLSTATE for "insufficient privilege", raised when a row-level-security
/// policy refuses a write.
const PG_INSUFFICIENT_PRIVILEGE: &str = "42501";
/// PostgreSQL's SQLSTATE for a serialization failure between concurrent transactions.
const PG_SERIALIZATION_FAILURE: &str = "40001";
/// PostgreSQL's SQLSTATE for a detected deadlock.
const PG_DEADLOCK_DETECTED: &str = "40P01";

/// Converts sea-orm results into storage results (kept crate-private so no sea-orm type appears
/// in this crate's public API, not even as a `From` impl).
pub(crate) trait DbResultExt<T> {
    /// Maps a sea-orm error to a typed [`StorageError`].
    fn db(self) -> StorageResult<T>;
}

impl<T> DbResultExt<T> for Result<T, DbErr> {
    fn db(self) -> StorageResult<T> {
        self.map_err(from_db)
    }
}

/// SQLSTATE classes and codes meaning the connection is gone: connection exceptions (`08…`),
/// and the server shutting down, crashing or not yet accepting connections (`57P01`–`57P03`).
fn is_connection_loss(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

/// Whether `err` means the connection was lost or never made (nothing was committed).
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
            Sqlx::Protocol(_) => true,
            Sqlx::Database(db) => db.code().as_deref().is_some_and(is_connection_loss),
            _ => false,
        },
        DbErr::Conn(_) => true,
        _ => false,
    }
}

/// Classifies a sea-orm error.
pub(crate) fn from_db(err: DbErr) -> StorageError {
    if is_unavailable(&err) {
        return StorageError::Unavailable(err.to_string());
    }
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => return StorageError::Conflict(msg),
        Some(SqlErr::ForeignKeyConstraintViolation(msg)) => return StorageError::Invalid(msg),
        _ => {}
    }
    if let DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) = &err
        && let sea_orm::sqlx::Error::Database(db) = e.as_ref()
    {
        use sea_orm::sqlx::error::ErrorKind;
        match db.kind() {
            ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                return StorageError::Invalid(db.message().to_owned());
            }
            _ => {}
        }
        match db.code().as_deref() {
            // Row-level security refused a write: to this tenant the row does not exist.
            Some(PG_INSUFFICIENT_PRIVILEGE) if db.message().contains("row-level security") => {
                return StorageError::NotFound { entity: "record" };
            }
            Some(PG_SERIALIZATION_FAILURE | PG_DEADLOCK_DETECTED) => {
                return StorageError::Conflict(format!(
                    "concurrent change, retry: {}",
                    db.message()
                ));
            }
            _ => {}
        }
    }
    StorageError::Database(err.to_string())
}
