//! The sea-orm idempotency repository.
//!
//! A claim inserts a pending record (no response yet) holding a lease and a reserved resource
//! id. A retry with the same key and request either replays the stored response, finds the first
//! attempt still running, or — once the lease has lapsed, meaning that attempt died — takes the
//! claim over with the same resource id, so the resource is still created at most once.

use crate::entity::idempotency_key::{self, Column};
use crate::error::DbResultExt;
use crate::repository::{IdempotencyClaim, IdempotencyRepository};
use crate::scope::{Scope, now};
use crate::{StorageError, StorageResult};
use ame_domain::OrgId;
use async_trait::async_trait;
use chrono::TimeDelta;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

/// Idempotency records stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlIdempotency {
    scope: Scope,
}

impl SqlIdempotency {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

/// Longest accepted `Idempotency-Key`, in bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// How long until a claim held for `left` lapses, as a whole number of seconds (at least 1).
fn until(left: TimeDelta) -> Duration {
    let millis = left.num_milliseconds().max(0) as u64;
    Duration::from_secs(millis.div_ceil(1000).max(1))
}

fn key_filter(org: OrgId, key: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::OrgId.eq(org.as_uuid()))
        .add(Column::IdempotencyKey.eq(key))
}

#[async_trait]
impl IdempotencyRepository for SqlIdempotency {
    async fn claim(
        &self,
        org: OrgId,
        key: &str,
        request_hash: &str,
        lease: Duration,
    ) -> StorageResult<IdempotencyClaim> {
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(StorageError::Invalid(format!(
                "an idempotency key has 1 to {MAX_IDEMPOTENCY_KEY_LEN} bytes"
            )));
        }
        let lease = TimeDelta::from_std(lease)
            .map_err(|_| StorageError::Invalid("lease too long".to_owned()))?;
        // Two attempts may race to insert the first record; the loser reads the winner's.
        for _ in 0..2 {
            let txn = self.scope.begin_write(org).await?;
            let at = now();
            let existing = idempotency_key::Entity::find()
                .filter(key_filter(org, key))
                .one(&txn)
                .await
                .db()?;
            let claim = match existing {
                None => {
                    let resource_id = uuid::Uuid::now_v7();
                    let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
                        org_id: Set(org.as_uuid()),
                        idempotency_key: Set(key.to_owned()),
                        request_hash: Set(request_hash.to_owned()),
                        resource_id: Set(resource_id),
                        status_code: Set(None),
                        response_body: Set(None),
                        locked_until: Set(at + lease),
                        created_at: Set(at),
                    })
                    .exec_without_returning(&txn)
                    .await
                    .db();
                    match inserted {
                        Ok(_) => IdempotencyClaim::Acquired { resource_id },
                        Err(StorageError::Conflict(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
                Some(record) if record.request_hash != request_hash => IdempotencyClaim::Mismatch,
                Some(record) => match (record.status_code, record.response_body) {
                    (Some(status), Some(body)) => IdempotencyClaim::Completed {
                        status: u16::try_from(status).map_err(|_| {
                            StorageError::Database(format!("stored status {status}"))
                        })?,
                        body,
                    },
                    _ if record.locked_until > at => IdempotencyClaim::InProgress {
                        retry_after: until(record.locked_until - at),
                    },
                    _ => {
                        // The previous attempt's lease lapsed: take over, unless another retry
                        // took over first.
                        let taken = idempotency_key::Entity::update_many()
                            .col_expr(Column::LockedUntil, Expr::value(at + lease))
                            .filter(key_filter(org, key))
                            .filter(Column::LockedUntil.eq(record.locked_until))
                            .filter(Column::StatusCode.is_null())
                            .exec(&txn)
                            .await
                            .db()?;
                        if taken.rows_affected == 1 {
                            IdempotencyClaim::Acquired {
                                resource_id: record.resource_id,
                            }
                        } else {
                            IdempotencyClaim::InProgress {
                                retry_after: until(lease),
                            }
                        }
                    }
                },
            };
            txn.commit().await.db()?;
            return Ok(claim);
        }
        Ok(IdempotencyClaim::InProgress {
            retry_after: Duration::from_secs(1),
        })
    }

    async fn complete(&self, org: OrgId, key: &str, status: u16, body: &str) -> StorageResult<()> {
        let txn = self.scope.begin_write(org).await?;
        let updated = idempotency_key::Entity::update_many()
            .col_expr(Column::StatusCode, Expr::value(i32::from(status)))
            .col_expr(Column::ResponseBody, Expr::value(body.to_owned()))
            .filter(key_filter(org, key))
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        if updated.rows_affected == 1 {
            Ok(())
        } else {
            Err(StorageError::not_found("idempotency key"))
        }
    }

    async fn renew(&self, org: OrgId, key: &str, lease: Duration) -> StorageResult<bool> {
        let lease = TimeDelta::from_std(lease)
            .map_err(|_| StorageError::Invalid("lease too long".to_owned()))?;
        let txn = self.scope.begin_write(org).await?;
        let renewed = idempotency_key::Entity::update_many()
            .col_expr(Column::LockedUntil, Expr::value(now() + lease))
            .filter(key_filter(org, key))
            .filter(Column::StatusCode.is_null())
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(renewed.rows_affected == 1)
    }

    async fn release(&self, org: OrgId, key: &str) -> StorageResult<()> {
        let txn = self.scope.begin_write(org).await?;
        idempotency_key::Entity::delete_many()
            .filter(key_filter(org, key))
            .filter(Column::StatusCode.is_null())
            .exec(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        Ok(())
    }
}
