//! Tenant-scoped transactions and shared conversions.

use crate::{StorageError, StorageResult};
use ame_domain::OrgId;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement,
    TransactionTrait,
};

/// Begins a transaction acting for `org`. On PostgreSQL the acting principal (the organization's
/// service user, whose id equals the organization id) is set for this transaction only, which
/// the row-level-security policies read through `auth.uid()`.
pub(crate) async fn begin_for_org(
    db: &DatabaseConnection,
    org: OrgId,
) -> StorageResult<DatabaseTransaction> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        set_acting_user(&txn, &org.to_string()).await?;
    }
    Ok(txn)
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
    .await?;
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
