//! Settling a held job: done, failed with a retry time or dead, or put back to wait; each
//! change fenced on the worker holding the job in this attempt.

use super::micros;
use crate::StorageResult;
use crate::entity::job::{self, Column};
use crate::error::DbResultExt;
use crate::scope::Scope;
use ame_domain::{Job, JobState};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement};

/// Settles a held job on PostgreSQL in one round trip (`ame_settle_job`); false if lost.
pub(super) async fn settle_pg(
    scope: &Scope,
    job: &Job,
    state: JobState,
    run_at: DateTime<Utc>,
    error: Option<String>,
    now: DateTime<Utc>,
) -> StorageResult<bool> {
    let row = scope
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT ame_settle_job($1, $2, $3, $4, $5, $6, $7) AS held",
            [
                job.id.as_uuid().into(),
                job.worker_id.clone().unwrap_or_default().into(),
                (job.attempts as i32).into(),
                state.as_str().into(),
                micros(run_at).into(),
                error.into(),
                micros(now).into(),
            ],
        ))
        .await
        .db()?;
    Ok(row
        .map(|r| r.try_get::<bool>("", "held"))
        .transpose()
        .db()?
        .unwrap_or(false))
}

/// Only the worker holding `job` in this attempt may change it.
pub(super) fn held(job: &Job) -> sea_orm::sea_query::SimpleExpr {
    Column::Id
        .eq(job.id.as_uuid())
        .and(Column::OrgId.eq(job.org_id.as_uuid()))
        .and(Column::State.eq(JobState::Running.as_str()))
        .and(Column::WorkerId.eq(job.worker_id.clone().unwrap_or_default()))
        .and(Column::Attempts.eq(job.attempts as i32))
}

/// Marks a held job done inside `txn` (an earlier attempt's error is cleared: it no longer
/// describes the job); false if the worker lost it.
pub(crate) async fn complete_in<C: ConnectionTrait>(
    txn: &C,
    job: &Job,
    now: DateTime<Utc>,
) -> StorageResult<bool> {
    let now = micros(now);
    let done = job::Entity::update_many()
        .col_expr(Column::State, Expr::value(JobState::Done.as_str()))
        .col_expr(Column::LastError, Expr::value(None::<String>))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::LeaseExpiresAt, Expr::value(None::<DateTime<Utc>>))
        .filter(held(job))
        .exec(txn)
        .await
        .db()?;
    Ok(done.rows_affected == 1)
}

/// Records a failed attempt of a held job inside `txn`: `failed` until `retry_at` while attempts
/// remain, `dead` otherwise (or at once without `retry_at`). The new state, `None` if lost.
pub(crate) async fn fail_in<C: ConnectionTrait>(
    txn: &C,
    job: &Job,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StorageResult<Option<JobState>> {
    let now = micros(now);
    let error: String = error.chars().take(2000).collect();
    let (state, run_at, finished) = match retry_at {
        Some(at) if job.attempts < job.max_attempts => (JobState::Failed, micros(at), None),
        _ => (JobState::Dead, now, Some(now)),
    };
    let changed = job::Entity::update_many()
        .col_expr(Column::State, Expr::value(state.as_str()))
        .col_expr(Column::RunAt, Expr::value(run_at))
        .col_expr(Column::FinishedAt, Expr::value(finished))
        .col_expr(Column::LastError, Expr::value(error))
        .col_expr(Column::LeaseExpiresAt, Expr::value(None::<DateTime<Utc>>))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(held(job))
        .exec(txn)
        .await
        .db()?;
    Ok((changed.rows_affected == 1).then_some(state))
}

/// Puts a held job back to wait until `run_at` without counting the attempt.
pub(crate) async fn postpone_in<C: ConnectionTrait>(
    txn: &C,
    job: &Job,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StorageResult<bool> {
    let moved = job::Entity::update_many()
        .col_expr(Column::State, Expr::value(JobState::Queued.as_str()))
        .col_expr(Column::RunAt, Expr::value(micros(run_at)))
        .col_expr(
            Column::Attempts,
            Expr::value(job.attempts.saturating_sub(1) as i32),
        )
        .col_expr(Column::LeaseExpiresAt, Expr::value(None::<DateTime<Utc>>))
        .col_expr(Column::UpdatedAt, Expr::value(micros(now)))
        .filter(held(job))
        .exec(txn)
        .await
        .db()?;
    Ok(moved.rows_affected == 1)
}
