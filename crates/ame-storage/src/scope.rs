//! Tenant-scoped transactions and shared conversions.

use crate::entity::membership;
use crate::error::DbResultExt;
use crate::statements::StatementPool;
use crate::{StorageError, StorageResult};
use ame_domain::{MemberRole, OrgId, UserId};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, Statement,
    TransactionTrait,
};

/// A connection pool plus who is acting: a specific user, or (when `None`) the organization
/// itself through its service principal.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) db: DatabaseConnection,
    pub(crate) acting_user: Option<UserId>,
    /// Connections for single statements, on PostgreSQL (see [`StatementPool`]).
    pub(crate) statements: Option<StatementPool>,
}

impl Scope {
    /// Whether the pool talks to PostgreSQL.
    pub(crate) fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// Begins a transaction acting within `org`.
    ///
    /// On PostgreSQL the acting principal is set for this transaction only, and the
    /// row-level-security policies read it through `auth.uid()`: the acting user, or the
    /// organization's service user (whose id equals the organization id). When a user acts, their
    /// membership of `org` is checked on both backends; a non-member gets `NotFound`.
    pub(crate) async fn begin(&self, org: OrgId) -> StorageResult<DatabaseTransaction> {
        self.begin_with_role(org).await.map(|(txn, _)| txn)
    }

    /// Ends a transaction that only read: nothing to keep, so instead of waiting for a
    /// `COMMIT` the transaction is dropped, and its `ROLLBACK` travels with the connection's
    /// return to the pool, off the request's path (on PostgreSQL; SQLite rolls back in place).
    pub(crate) fn end_read(txn: DatabaseTransaction) {
        drop(txn);
    }

    /// Like [`Scope::begin`], for a change: an acting user must have a role that may write
    /// (`Forbidden` for viewers).
    pub(crate) async fn begin_write(&self, org: OrgId) -> StorageResult<DatabaseTransaction> {
        let txn = self.begin_writing().await?;
        let (txn, role) = self.acting_in(txn, org).await?;
        if !role.can_write() {
            return Err(StorageError::Forbidden(format!(
                "a {role} of the organization may read but not change campaigns"
            )));
        }
        Ok(txn)
    }

    /// Like [`Scope::begin`], also returning the acting principal's role in `org`
    /// (`Owner` for the organization's own service principal).
    pub(crate) async fn begin_with_role(
        &self,
        org: OrgId,
    ) -> StorageResult<(DatabaseTransaction, MemberRole)> {
        let txn = self.db.begin().await.db()?;
        self.acting_in(txn, org).await
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once, with a
    /// statement that changes nothing: a transaction that read first and wrote later would fail
    /// at once with "database is locked" whenever another process (a command-line import
    /// beside `ame serve`) wrote in between, since SQLite cannot move its snapshot forward;
    /// taking the lock first makes it wait its turn under the busy timeout instead.
    pub(crate) async fn begin_writing(&self) -> StorageResult<DatabaseTransaction> {
        let txn = self.db.begin().await.db()?;
        if !self.is_postgres() {
            txn.execute_unprepared("UPDATE organizations SET id = id WHERE 0")
                .await
                .db()?;
        }
        Ok(txn)
    }

    /// Sets who acts in `txn` within `org` and reads their role there.
    async fn acting_in(
        &self,
        txn: DatabaseTransaction,
        org: OrgId,
    ) -> StorageResult<(DatabaseTransaction, MemberRole)> {
        let acting = self
            .acting_user
            .map_or(org.as_uuid(), |user| user.as_uuid());
        if self.is_postgres() {
            set_acting_user(&txn, &acting.to_string()).await?;
        }
        let role = match self.acting_user {
            None => MemberRole::Owner,
            // A service principal acts only through `acting_user: None`, never as a user.
            Some(user) if user.as_uuid() == org.as_uuid() => {
                return Err(StorageError::not_found("organization"));
            }
            Some(user) => role_in(&txn, user, org)
                .await?
                .ok_or(StorageError::not_found("organization"))?,
        };
        Ok((txn, role))
    }
}

/// The role of `user` in `org`, if a member (as far as the transaction may see).
pub(crate) async fn role_in(
    txn: &DatabaseTransaction,
    user: UserId,
    org: OrgId,
) -> StorageResult<Option<MemberRole>> {
    membership::Entity::find_by_id((user.as_uuid(), org.as_uuid()))
        .one(txn)
        .await
        .db()?
        .map(|m| parse_stored("role", &m.role))
        .transpose()
}

/// Sets the acting user (`auth.uid()`) for the rest of the PostgreSQL transaction, in both
/// forms Supabase's `auth.uid()` has read over its versions (`request.jwt.claim.sub` and the
/// `sub` of `request.jwt.claims`), so the same policies work on Supabase and on plain PostgreSQL.
pub(crate) async fn set_acting_user(txn: &DatabaseTransaction, user_id: &str) -> StorageResult<()> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('request.jwt.claim.sub', $1, true), \
                set_config('request.jwt.claims', json_build_object('sub', $1::text, 'role', 'authenticated')::text, true)",
        [user_id.into()],
    ))
    .await.db()?;
    Ok(())
}

/// The current time at the database's precision (microseconds), so values round-trip exactly.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Parses a value the database constrains to a closed vocabulary.
pub(crate) fn parse_stored<T: std::str::FromStr>(column: &str, value: &str) -> StorageResult<T> {
    value.parse().map_err(|_| {
        StorageError::Database(format!("unexpected {column} `{value}` in the database"))
    })
}
