//! An organization's sending state: consecutive sending-side failures and the pause they lead
//! to (`sending_states`, one row per organization, created on its first failure).

use super::SqlExecution;
use crate::StorageResult;
use crate::error::DbResultExt;
use crate::queue::{micros, statement};
use ame_domain::{OrgId, SendingState, SendingStatus};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};

fn to_status(row: Option<QueryResult>) -> StorageResult<SendingStatus> {
    let Some(row) = row else {
        return Ok(SendingStatus::default());
    };
    let failures: i32 = row.try_get("", "consecutive_failures").db()?;
    let paused_at: Option<DateTime<Utc>> = row.try_get("", "paused_at").db()?;
    Ok(SendingStatus {
        state: if paused_at.is_some() {
            SendingState::Paused
        } else {
            SendingState::Active
        },
        consecutive_failures: Ord::max(failures, 0) as u32,
        last_error: row.try_get("", "last_error").db()?,
        paused_at,
    })
}

const COLUMNS: &str = "consecutive_failures, last_error, paused_at";

async fn read(txn: &DatabaseTransaction, org: OrgId) -> StorageResult<SendingStatus> {
    let row = txn
        .query_one_raw(statement(
            txn.get_database_backend(),
            &format!("SELECT {COLUMNS} FROM sending_states WHERE org_id = ?"),
            vec![org.as_uuid().into()],
        ))
        .await
        .db()?;
    to_status(row)
}

impl SqlExecution {
    pub(crate) async fn sending_status_stored(&self, org: OrgId) -> StorageResult<SendingStatus> {
        let txn = self.scope.begin(org).await?;
        let status = read(&txn, org).await?;
        txn.commit().await.db()?;
        Ok(status)
    }

    pub(crate) async fn record_sender_failure_stored(
        &self,
        org: OrgId,
        error: &str,
        pause_after: u32,
        now: DateTime<Utc>,
    ) -> StorageResult<SendingStatus> {
        let now = micros(now);
        let txn = self.scope.begin(org).await?;
        let backend = txn.get_database_backend();
        let row = txn
            .query_one_raw(statement(
                backend,
                &format!(
                    "INSERT INTO sending_states (org_id, consecutive_failures, last_error, paused_at, updated_at) \
                     VALUES (?, 1, ?, CASE WHEN ? <= 1 THEN ? END, ?) \
                     ON CONFLICT (org_id) DO UPDATE SET \
                     consecutive_failures = sending_states.consecutive_failures + 1, \
                     last_error = excluded.last_error, \
                     paused_at = COALESCE(sending_states.paused_at, \
                       CASE WHEN sending_states.consecutive_failures + 1 >= ? THEN excluded.updated_at END), \
                     updated_at = excluded.updated_at \
                     RETURNING {COLUMNS}"
                ),
                vec![
                    org.as_uuid().into(),
                    error.into(),
                    (pause_after as i32).into(),
                    now.into(),
                    now.into(),
                    (pause_after as i32).into(),
                ],
            ))
            .await
            .db()?;
        txn.commit().await.db()?;
        to_status(row)
    }

    pub(crate) async fn reset_sender_failures_stored(
        &self,
        org: OrgId,
        resume: bool,
        now: DateTime<Utc>,
    ) -> StorageResult<SendingStatus> {
        let txn = self.scope.begin(org).await?;
        let sql = if resume {
            "UPDATE sending_states SET consecutive_failures = 0, paused_at = NULL, updated_at = ? \
             WHERE org_id = ?"
        } else {
            "UPDATE sending_states SET consecutive_failures = 0, updated_at = ? \
             WHERE org_id = ? AND consecutive_failures > 0 AND paused_at IS NULL"
        };
        txn.execute_raw(statement(
            txn.get_database_backend(),
            sql,
            vec![micros(now).into(), org.as_uuid().into()],
        ))
        .await
        .db()?;
        let status = read(&txn, org).await?;
        txn.commit().await.db()?;
        Ok(status)
    }
}

/// An organization's sending domain as stored, with its private key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSendingDomain {
    /// The display name.
    pub from_name: String,
    /// The sender address.
    pub from_address: String,
    /// The reply address.
    pub reply_to: Option<String>,
    /// The DKIM selector.
    pub selector: String,
    /// The key's algorithm.
    pub algorithm: ame_domain::DkimAlgorithm,
    /// The private key, PEM.
    pub private_key: String,
    /// The public key as published (base64).
    pub public_key: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoredSendingDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSendingDomain")
            .field("from_address", &self.from_address)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SqlExecution {
    pub(crate) async fn sending_domain_stored(
        &self,
        org: OrgId,
    ) -> StorageResult<Option<StoredSendingDomain>> {
        let txn = self.scope.begin(org).await?;
        let row = txn
            .query_one_raw(statement(
                txn.get_database_backend(),
                "SELECT from_name, from_address, reply_to, dkim_selector, dkim_algorithm, \
                 dkim_private_key, dkim_public_key, updated_at FROM sending_domains WHERE org_id = ?",
                vec![org.as_uuid().into()],
            ))
            .await
            .db()?;
        txn.commit().await.db()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let algorithm: String = row.try_get("", "dkim_algorithm").db()?;
        Ok(Some(StoredSendingDomain {
            from_name: row.try_get("", "from_name").db()?,
            from_address: row.try_get("", "from_address").db()?,
            reply_to: row.try_get("", "reply_to").db()?,
            selector: row.try_get("", "dkim_selector").db()?,
            algorithm: if algorithm == "ed25519" {
                ame_domain::DkimAlgorithm::Ed25519
            } else {
                ame_domain::DkimAlgorithm::Rsa
            },
            private_key: row.try_get("", "dkim_private_key").db()?,
            public_key: row.try_get("", "dkim_public_key").db()?,
            updated_at: row.try_get("", "updated_at").db()?,
        }))
    }

    pub(crate) async fn put_sending_domain_stored(
        &self,
        org: OrgId,
        domain: StoredSendingDomain,
    ) -> StorageResult<StoredSendingDomain> {
        let txn = self.scope.begin_write(org).await?;
        let at = micros(domain.updated_at);
        txn.execute_raw(statement(
            txn.get_database_backend(),
            "INSERT INTO sending_domains (org_id, from_name, from_address, reply_to, dkim_selector, \
             dkim_algorithm, dkim_private_key, dkim_public_key, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (org_id) DO UPDATE SET from_name = excluded.from_name, \
             from_address = excluded.from_address, reply_to = excluded.reply_to, \
             dkim_selector = excluded.dkim_selector, dkim_algorithm = excluded.dkim_algorithm, \
             dkim_private_key = excluded.dkim_private_key, \
             dkim_public_key = excluded.dkim_public_key, updated_at = excluded.updated_at",
            vec![
                org.as_uuid().into(),
                domain.from_name.clone().into(),
                domain.from_address.clone().into(),
                domain.reply_to.clone().into(),
                domain.selector.clone().into(),
                domain.algorithm.as_str().into(),
                domain.private_key.clone().into(),
                domain.public_key.clone().into(),
                at.into(),
            ],
        ))
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(StoredSendingDomain {
            updated_at: at,
            ..domain
        })
    }
}
