//! The durable job queue: enqueue (inside the caller's transaction when a change needs a job),
//! claim with a lease, heartbeat, complete, fail with a retry time, and list or retry dead jobs.
//!
//! A claimed job's `run_at` is its lease expiry, so one partial index over `run_at` finds both
//! due jobs and jobs whose worker stopped. Every change a worker makes to a claimed job is
//! fenced on `(state = running, worker_id, attempts)`: a worker whose lease ran out and whose job
//! was claimed again can no longer complete or fail it.

use crate::entity::job::{self, Column};
use crate::error::DbResultExt;
use crate::scope::{Scope, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{
    CampaignId, Cursor, Job, JobId, JobSpec, JobState, NewJob, OrgId, Page, PageRequest,
};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement, TransactionTrait,
};
use std::collections::BTreeMap;

mod enqueue;
mod settle;

pub(crate) use enqueue::{apply_effects, enqueue_in, statement};
pub(crate) use settle::{complete_in, fail_in, postpone_in};
use settle::{held, settle_pg};

/// The queue as the worker and the API see it.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues `jobs` for `org` (each kept or requeued on a duplicate key, as it says);
    /// returns how many rows were inserted or requeued.
    async fn enqueue(
        &self,
        org: OrgId,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> StorageResult<u64>;
    /// Claims up to `limit` due jobs of any organization for `worker`, leased for `lease`.
    async fn claim(
        &self,
        worker: &str,
        limit: u32,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<Job>>;
    /// Extends the lease of a job `worker` still holds; false if it lost it.
    async fn heartbeat(
        &self,
        job: &Job,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Marks a held job done; false if the worker lost it.
    async fn complete(&self, job: &Job, now: DateTime<Utc>) -> StorageResult<bool>;
    /// Records a failed attempt: retried at `retry_at` while attempts remain, dead otherwise
    /// (or at once when `retry_at` is `None`). Returns the job's new state, `None` if lost.
    async fn fail(
        &self,
        job: &Job,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<JobState>>;
    /// Puts a held job back to wait until `run_at` without counting the attempt (a send
    /// outside its window, a paused campaign, a rate limit); false if lost.
    async fn postpone(
        &self,
        job: &Job,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Like [`JobQueue::postpone`], also replacing the job's arguments with `spec` (a send
    /// that reserved its slot keeps the reservation), in one transaction; false if lost.
    async fn postpone_with(
        &self,
        job: &Job,
        spec: &JobSpec,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<bool>;
    /// Gives a held job up so another worker may take it at once (a worker shutting down);
    /// the attempt does not count.
    async fn release(&self, job: &Job, now: DateTime<Utc>) -> StorageResult<bool>;
    /// One job of `org`.
    async fn get(&self, org: OrgId, id: JobId) -> StorageResult<Job>;
    /// Jobs of `org`, most recently changed first, optionally only in `state`.
    async fn list(
        &self,
        org: OrgId,
        state: Option<JobState>,
        page: PageRequest,
    ) -> StorageResult<Page<Job>>;
    /// Queues a dead or failed job of `org` again, due now, with fresh attempts.
    /// `Conflict` for a job in any other state.
    async fn retry(&self, org: OrgId, id: JobId, now: DateTime<Utc>) -> StorageResult<Job>;
    /// How many jobs are in each (kind, state), across organizations (for `/metrics`).
    async fn depth(&self) -> StorageResult<BTreeMap<(String, String), i64>>;
    /// Brings `campaign`'s queued jobs of `kind` due later forward to `now`, or to `spacing`
    /// after they were queued when that is later (so a burst of triggers runs the job at most
    /// once per `spacing`); returns how many moved.
    async fn hurry(
        &self,
        org: OrgId,
        campaign: CampaignId,
        kind: &'static str,
        spacing: TimeDelta,
        now: DateTime<Utc>,
    ) -> StorageResult<u64>;
}

/// The queue stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlJobs {
    scope: Scope,
}

impl SqlJobs {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

/// Microsecond precision, as both databases store it.
pub(crate) fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

fn lease_delta(lease: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(lease).unwrap_or(TimeDelta::hours(1))
}

pub(crate) fn to_domain(m: job::Model) -> StorageResult<Job> {
    Ok(Job {
        id: JobId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        kind: m.kind,
        campaign_id: m.campaign_id.map(CampaignId::from_uuid),
        dedupe_key: m.dedupe_key,
        payload: m.payload,
        state: parse_stored("state", &m.state)?,
        run_at: m.run_at,
        attempts: Ord::max(m.attempts, 0) as u32,
        max_attempts: Ord::max(m.max_attempts, 1) as u32,
        worker_id: m.worker_id,
        last_error: m.last_error,
        created_at: m.created_at,
        updated_at: m.updated_at,
        finished_at: m.finished_at,
    })
}

async fn find_in<C: ConnectionTrait>(txn: &C, org: OrgId, id: JobId) -> StorageResult<job::Model> {
    job::Entity::find()
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::OrgId.eq(org.as_uuid()))
        .one(txn)
        .await
        .db()?
        .ok_or(StorageError::not_found("job"))
}

#[async_trait]
impl JobQueue for SqlJobs {
    async fn enqueue(
        &self,
        org: OrgId,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> StorageResult<u64> {
        let txn = self.scope.begin(org).await?;
        let changed = enqueue_in(&txn, org, &jobs, now).await?;
        txn.commit().await.db()?;
        Ok(changed)
    }

    async fn claim(
        &self,
        worker: &str,
        limit: u32,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> StorageResult<Vec<Job>> {
        let now = micros(now);
        let until = micros(now + lease_delta(lease));
        let limit = i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let rows = if self.scope.is_postgres() {
            job::Entity::find()
                .from_raw_sql(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT * FROM ame_claim_jobs($1, $2, $3, $4)",
                    [
                        worker.into(),
                        limit.into(),
                        (Ord::max(lease_delta(lease).num_seconds(), 1) as i32).into(),
                        now.into(),
                    ],
                ))
                .all(&self.scope.db)
                .await
                .db()?
        } else {
            // SQLite has one writer at a time: the dead-marking and the claim run in one
            // transaction, and the claim is a single UPDATE … RETURNING.
            let txn = self.scope.db.begin().await.db()?;
            txn.execute_raw(statement(
                DbBackend::Sqlite,
                "UPDATE jobs SET state = 'dead', finished_at = ?, updated_at = ?, \
                 lease_expires_at = NULL, \
                 last_error = 'the worker holding it stopped during its last attempt' || \
                   COALESCE(' (earlier: ' || last_error || ')', '') \
                 WHERE state = 'running' AND run_at <= ? AND attempts >= max_attempts",
                vec![now.into(), now.into(), now.into()],
            ))
            .await
            .db()?;
            let rows = job::Entity::find()
                .from_raw_sql(statement(
                    DbBackend::Sqlite,
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker_id = ?, \
                     run_at = ?, lease_expires_at = ?, updated_at = ? \
                     WHERE id IN (SELECT id FROM jobs \
                       WHERE state IN ('queued', 'failed', 'running') AND run_at <= ? \
                       ORDER BY run_at LIMIT ?) \
                     RETURNING *",
                    vec![
                        worker.into(),
                        until.into(),
                        until.into(),
                        now.into(),
                        now.into(),
                        limit.into(),
                    ],
                ))
                .all(&txn)
                .await
                .db()?;
            txn.commit().await.db()?;
            rows
        };
        let mut jobs = rows
            .into_iter()
            .map(to_domain)
            .collect::<StorageResult<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.created_at, j.id));
        Ok(jobs)
    }

    async fn heartbeat(
        &self,
        job: &Job,
        lease: std::time::Duration,
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let until = micros(now + lease_delta(lease));
        if self.scope.is_postgres() {
            return settle_pg(&self.scope, job, JobState::Running, until, None, now).await;
        }
        let txn = self.scope.begin(job.org_id).await?;
        let extended = job::Entity::update_many()
            .col_expr(Column::RunAt, Expr::value(until))
            .col_expr(Column::LeaseExpiresAt, Expr::value(until))
            .filter(held(job))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(extended.rows_affected == 1)
    }

    async fn complete(&self, job: &Job, now: DateTime<Utc>) -> StorageResult<bool> {
        if self.scope.is_postgres() {
            return settle_pg(&self.scope, job, JobState::Done, now, None, now).await;
        }
        let txn = self.scope.begin(job.org_id).await?;
        let done = complete_in(&txn, job, now).await?;
        txn.commit().await.db()?;
        Ok(done)
    }

    async fn fail(
        &self,
        job: &Job,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StorageResult<Option<JobState>> {
        let now = micros(now);
        let error: String = error.chars().take(2000).collect();
        let next = match retry_at {
            Some(at) if job.attempts < job.max_attempts => (JobState::Failed, micros(at), None),
            _ => (JobState::Dead, now, Some(now)),
        };
        if self.scope.is_postgres() {
            let held = settle_pg(&self.scope, job, next.0, next.1, Some(error), now).await?;
            return Ok(held.then_some(next.0));
        }
        let txn = self.scope.begin(job.org_id).await?;
        let state = fail_in(&txn, job, &error, retry_at, now).await?;
        txn.commit().await.db()?;
        Ok(state)
    }

    async fn postpone(
        &self,
        job: &Job,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        if self.scope.is_postgres() {
            return settle_pg(&self.scope, job, JobState::Queued, run_at, None, now).await;
        }
        let txn = self.scope.begin(job.org_id).await?;
        let moved = postpone_in(&txn, job, run_at, now).await?;
        txn.commit().await.db()?;
        Ok(moved)
    }

    async fn postpone_with(
        &self,
        job: &Job,
        spec: &JobSpec,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StorageResult<bool> {
        let txn = self.scope.begin(job.org_id).await?;
        job::Entity::update_many()
            .col_expr(Column::Payload, Expr::value(spec.payload()))
            .filter(held(job))
            .exec(&txn)
            .await
            .db()?;
        let moved = postpone_in(&txn, job, run_at, now).await?;
        txn.commit().await.db()?;
        Ok(moved)
    }

    async fn release(&self, job: &Job, now: DateTime<Utc>) -> StorageResult<bool> {
        self.postpone(job, now, now).await
    }

    async fn get(&self, org: OrgId, id: JobId) -> StorageResult<Job> {
        let txn = self.scope.begin(org).await?;
        let found = find_in(&txn, org, id).await?;
        txn.commit().await.db()?;
        to_domain(found)
    }

    async fn list(
        &self,
        org: OrgId,
        state: Option<JobState>,
        page: PageRequest,
    ) -> StorageResult<Page<Job>> {
        let mut query = job::Entity::find().filter(Column::OrgId.eq(org.as_uuid()));
        if let Some(state) = state {
            query = query.filter(Column::State.eq(state.as_str()));
        }
        if let Some(after) = page.after {
            query = query.filter(
                Expr::tuple([Expr::col(Column::UpdatedAt), Expr::col(Column::Id)]).lt(Expr::tuple(
                    [Expr::value(after.created_at), Expr::value(after.id)],
                )),
            );
        }
        let limit = page.limit() as usize;
        let txn = self.scope.begin(org).await?;
        let mut rows = query
            .order_by_desc(Column::UpdatedAt)
            .order_by_desc(Column::Id)
            .limit(limit as u64 + 1)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = has_more
            .then(|| {
                rows.last().map(|last| {
                    Cursor {
                        created_at: last.updated_at,
                        id: last.id,
                    }
                    .encode()
                })
            })
            .flatten();
        Ok(Page {
            items: rows
                .into_iter()
                .map(to_domain)
                .collect::<StorageResult<_>>()?,
            next_cursor,
        })
    }

    async fn retry(&self, org: OrgId, id: JobId, now: DateTime<Utc>) -> StorageResult<Job> {
        let now = micros(now);
        let txn = self.scope.begin_write(org).await?;
        let found = find_in(&txn, org, id).await?;
        let state: JobState = parse_stored("state", &found.state)?;
        if !matches!(state, JobState::Dead | JobState::Failed) {
            return Err(StorageError::Conflict(format!(
                "only dead or failed jobs can be retried; this one is {state}"
            )));
        }
        job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Queued.as_str()))
            .col_expr(Column::RunAt, Expr::value(now))
            .col_expr(Column::Attempts, Expr::value(0))
            .col_expr(Column::FinishedAt, Expr::value(None::<DateTime<Utc>>))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .filter(Column::State.eq(state.as_str()))
            .exec(&txn)
            .await
            .db()?;
        let retried = find_in(&txn, org, id).await?;
        txn.commit().await.db()?;
        to_domain(retried)
    }

    async fn hurry(
        &self,
        org: OrgId,
        campaign: CampaignId,
        kind: &'static str,
        spacing: TimeDelta,
        now: DateTime<Utc>,
    ) -> StorageResult<u64> {
        let now = micros(now);
        let txn = self.scope.begin_write(org).await?;
        let mut moved = 0;
        // Queued long enough ago: due now. Queued within `spacing`: due `spacing` after now
        // at the latest (never later than it already was).
        for (queued, due) in [
            (Column::CreatedAt.lte(now - spacing), now),
            (Column::CreatedAt.gt(now - spacing), now + spacing),
        ] {
            moved += job::Entity::update_many()
                .col_expr(Column::RunAt, Expr::value(due))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::OrgId.eq(org.as_uuid()))
                .filter(Column::CampaignId.eq(campaign.as_uuid()))
                .filter(Column::Kind.eq(kind))
                .filter(Column::State.eq(JobState::Queued.as_str()))
                .filter(Column::RunAt.gt(due))
                .filter(queued)
                .exec(&txn)
                .await
                .db()?
                .rows_affected;
        }
        txn.commit().await.db()?;
        Ok(moved)
    }

    async fn depth(&self) -> StorageResult<BTreeMap<(String, String), i64>> {
        let sql = if self.scope.is_postgres() {
            "SELECT kind, state, n FROM ame_job_depth()"
        } else {
            "SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state"
        };
        let rows = self
            .scope
            .db
            .query_all_raw(Statement::from_string(
                self.scope.db.get_database_backend(),
                sql,
            ))
            .await
            .db()?;
        let mut depth = BTreeMap::new();
        for row in rows {
            let kind: String = row.try_get("", "kind").db()?;
            let state: String = row.try_get("", "state").db()?;
            let n: i64 = row.try_get("", "n").db()?;
            depth.insert((kind, state), n);
        }
        Ok(depth)
    }
}
