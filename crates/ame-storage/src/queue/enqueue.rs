//! Writing jobs: enqueueing inside the caller's transaction, and what a campaign's status
//! change does to its jobs (start, park, wake, cancel), applied in the change's transaction.

use super::micros;
use crate::StorageResult;
use crate::entity::job::{self, Column};
use crate::error::DbResultExt;
use ame_domain::{
    CampaignId, JobState, NewJob, OnDuplicate, OrgId, TransitionEffects, kinds, parked_until,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    Statement, Value,
};

/// Writes `?` placeholders as the backend wants them (`$1`, `$2`, … on PostgreSQL).
pub(crate) fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        Statement::from_sql_and_values(backend, out, values)
    } else {
        Statement::from_sql_and_values(backend, sql, values)
    }
}

/// Enqueues `jobs` inside `txn` (which acts for `org`).
pub(crate) async fn enqueue_in<C: ConnectionTrait>(
    txn: &C,
    org: OrgId,
    jobs: &[NewJob],
    now: DateTime<Utc>,
) -> StorageResult<u64> {
    let backend = txn.get_database_backend();
    let now = micros(now);
    let mut changed = 0;
    for new in jobs {
        let conflict = match new.on_duplicate {
            OnDuplicate::Keep => "DO NOTHING",
            OnDuplicate::Requeue => {
                "DO UPDATE SET state = 'queued', run_at = excluded.run_at, attempts = 0, \
                 max_attempts = excluded.max_attempts, payload = excluded.payload, \
                 last_error = NULL, finished_at = NULL, lease_expires_at = NULL, \
                 updated_at = excluded.updated_at WHERE jobs.state <> 'running'"
            }
        };
        let sql = format!(
            "INSERT INTO jobs (id, org_id, kind, campaign_id, dedupe_key, payload, state, run_at, \
             attempts, max_attempts, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?) \
             ON CONFLICT (org_id, kind, dedupe_key) {conflict}"
        );
        let result = txn
            .execute_raw(statement(
                backend,
                &sql,
                vec![
                    uuid::Uuid::now_v7().into(),
                    org.as_uuid().into(),
                    new.spec.kind().into(),
                    new.campaign_id.map(|c| c.as_uuid()).into(),
                    new.dedupe_key.clone().into(),
                    new.spec.payload().into(),
                    micros(new.run_at).into(),
                    (Ord::min(new.max_attempts, i32::MAX as u32) as i32).into(),
                    now.into(),
                    now.into(),
                ],
            ))
            .await
            .db()?;
        changed += result.rows_affected();
    }
    Ok(changed)
}

/// Applies what a campaign's status change does to its jobs, inside the change's transaction.
pub(crate) async fn apply_effects(
    txn: &DatabaseTransaction,
    org: OrgId,
    campaign: CampaignId,
    effects: &TransitionEffects,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    let now = micros(now);
    enqueue_in(txn, org, &effects.enqueue, now).await?;
    let waiting = [JobState::Queued.as_str(), JobState::Failed.as_str()];
    let of_campaign = Column::OrgId
        .eq(org.as_uuid())
        .and(Column::CampaignId.eq(campaign.as_uuid()));
    if effects.cancel {
        job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Cancelled.as_str()))
            .col_expr(Column::FinishedAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(of_campaign.clone())
            .filter(Column::State.is_in(waiting))
            // Notices of what already happened still go out after the campaign ends.
            .filter(Column::Kind.ne(kinds::NOTIFY_EVENT))
            .exec(txn)
            .await
            .db()?;
        crate::ledger::cancel_pending(txn, org, campaign, now).await?;
    }
    if effects.park {
        job::Entity::update_many()
            .col_expr(Column::RunAt, Expr::value(parked_until()))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(of_campaign.clone())
            .filter(Column::Kind.eq(kinds::SEND_EMAIL))
            .filter(Column::State.is_in(waiting))
            .exec(txn)
            .await
            .db()?;
    }
    if effects.wake {
        job::Entity::update_many()
            .col_expr(Column::RunAt, Expr::value(now))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(of_campaign)
            .filter(Column::State.is_in(waiting))
            .filter(Column::RunAt.gte(parked_until()))
            .exec(txn)
            .await
            .db()?;
    }
    Ok(())
}
