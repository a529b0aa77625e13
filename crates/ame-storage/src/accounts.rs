//! People who sign in to the dashboard: their passwords (argon2id hashes, checked by the caller)
//! and their server-side sessions, keyed by the SHA-256 of the session cookie.
//!
//! A sign-in and a cookie are resolved before any organization is known; on PostgreSQL those two
//! reads go through the security-definer functions `ame_login_lookup` and `ame_web_session`.
//! Creating, switching and ending a session acts as the session's own user, whom row-level
//! security lets touch only their own sessions.

use crate::error::DbResultExt;
use crate::scope::{Scope, set_acting_user};
use crate::{StorageError, StorageResult};
use ame_domain::{MemberRole, OrgId, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, QueryResult, Statement, TransactionTrait,
    Value,
};
use std::str::FromStr;

/// A password on record for an email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRecord {
    /// The user.
    pub user: UserId,
    /// The argon2id hash (PHC string).
    pub password_hash: String,
}

/// A live dashboard session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// Who signed in.
    pub user: UserId,
    /// Their email address.
    pub email: String,
    /// The organization they are working in (`None` until they pick one).
    pub org: Option<OrgId>,
    /// The token every form of the session must carry.
    pub csrf_token: String,
    /// When they signed in.
    pub created_at: DateTime<Utc>,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// A session to store at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebSession {
    /// SHA-256 of the cookie's value.
    pub id_hash: [u8; 32],
    /// Who signed in.
    pub user: UserId,
    /// The organization they start in.
    pub org: Option<OrgId>,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// When they signed in.
    pub created_at: DateTime<Utc>,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

/// One organization a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The organization.
    pub org: OrgId,
    /// Its name.
    pub org_name: String,
    /// The user's role there.
    pub role: MemberRole,
}

/// Passwords and dashboard sessions.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// Gives the person with `email` `role` in `org` (creating the user) and, with
    /// `password_hash`, that password (ending their sessions). `NotFound` when the acting
    /// principal may not: it must administer `org` and every organization the person is in.
    async fn set_login(
        &self,
        org: OrgId,
        email: &str,
        password_hash: Option<String>,
        role: MemberRole,
        at: DateTime<Utc>,
    ) -> StorageResult<UserId>;
    /// Removes the person with `email` from `org` and ends their sessions there.
    async fn remove_login(&self, org: OrgId, email: &str) -> StorageResult<()>;
    /// The password on record for `email` (case-insensitive), if any.
    async fn login(&self, email: &str) -> StorageResult<Option<LoginRecord>>;
    /// The organizations `user` belongs to, by name (acting as that user).
    async fn memberships(&self, user: UserId) -> StorageResult<Vec<Membership>>;
    /// Stores a new session (acting as its user).
    async fn create_session(&self, session: NewWebSession) -> StorageResult<()>;
    /// The session whose cookie hashes to `id_hash`, if it has not expired at `now`.
    async fn session(
        &self,
        id_hash: [u8; 32],
        now: DateTime<Utc>,
    ) -> StorageResult<Option<WebSession>>;
    /// Moves `user`'s session to another organization.
    async fn switch_session(
        &self,
        user: UserId,
        id_hash: [u8; 32],
        org: OrgId,
    ) -> StorageResult<()>;
    /// Ends `user`'s session.
    async fn end_session(&self, user: UserId, id_hash: [u8; 32]) -> StorageResult<()>;
}

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlAccounts {
    scope: Scope,
}

impl SqlAccounts {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }

    fn backend(&self) -> DbBackend {
        self.scope.db.get_database_backend()
    }

    fn statement(&self, postgres: &str, sqlite: &str, values: Vec<Value>) -> Statement {
        let sql = if self.scope.is_postgres() {
            postgres
        } else {
            sqlite
        };
        Statement::from_sql_and_values(self.backend(), sql, values)
    }

    /// A transaction acting as `user` (or the service principal of `org` when no user acts).
    async fn begin_as(&self, principal: uuid::Uuid) -> StorageResult<DatabaseTransaction> {
        let txn = self.scope.db.begin().await.db()?;
        if self.scope.is_postgres() {
            set_acting_user(&txn, &principal.to_string()).await?;
        }
        Ok(txn)
    }
}

fn role_from(text: &str) -> StorageResult<MemberRole> {
    MemberRole::from_str(text)
        .map_err(|_| StorageError::Database(format!("unknown role `{text}` on record")))
}

fn session_from(row: &QueryResult) -> StorageResult<WebSession> {
    Ok(WebSession {
        user: UserId::from_uuid(row.try_get::<uuid::Uuid>("", "user_id").db()?),
        email: row
            .try_get::<Option<String>>("", "email")
            .db()?
            .unwrap_or_default(),
        org: row
            .try_get::<Option<uuid::Uuid>>("", "org_id")
            .db()?
            .map(OrgId::from_uuid),
        csrf_token: row.try_get::<String>("", "csrf_token").db()?,
        created_at: row.try_get::<DateTime<Utc>>("", "created_at").db()?,
        expires_at: row.try_get::<DateTime<Utc>>("", "expires_at").db()?,
    })
}

#[async_trait]
impl AccountRepository for SqlAccounts {
    async fn set_login(
        &self,
        org: OrgId,
        email: &str,
        password_hash: Option<String>,
        role: MemberRole,
        at: DateTime<Utc>,
    ) -> StorageResult<UserId> {
        if self.scope.is_postgres() {
            let acting = self
                .scope
                .acting_user
                .map_or(org.as_uuid(), |u| u.as_uuid());
            let txn = self.begin_as(acting).await?;
            let row = txn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT ame_set_user_login($1, $2, $3, $4, $5) AS user_id",
                    vec![
                        org.as_uuid().into(),
                        email.into(),
                        password_hash.into(),
                        role.as_str().into(),
                        at.into(),
                    ],
                ))
                .await
                .db()?;
            let user = row
                .map(|r| r.try_get::<Option<uuid::Uuid>>("", "user_id"))
                .transpose()
                .db()?
                .flatten()
                .ok_or(StorageError::not_found("organization"))?;
            txn.commit().await.db()?;
            return Ok(UserId::from_uuid(user));
        }
        let (txn, acting_role) = self.scope.begin_with_role(org).await?;
        let touches_owner_role = |target: Option<MemberRole>| {
            (role == MemberRole::Owner || target == Some(MemberRole::Owner))
                && acting_role != MemberRole::Owner
        };
        if !acting_role.can_manage() {
            return Err(StorageError::not_found("organization"));
        }
        let existing = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT id FROM users WHERE lower(email) = lower(?) AND NOT is_service",
                [email.into()],
            ))
            .await
            .db()?
            .map(|r| r.try_get::<uuid::Uuid>("", "id"))
            .transpose()
            .db()?;
        let user = match existing {
            Some(user) => {
                // With one administrator per database file, every organization is the
                // caller's; only the owner rule applies.
                let target = crate::scope::role_in(&txn, UserId::from_uuid(user), org).await?;
                if touches_owner_role(target) {
                    return Err(StorageError::not_found("organization"));
                }
                user
            }
            None => {
                if touches_owner_role(None) {
                    return Err(StorageError::not_found("organization"));
                }
                let user = uuid::Uuid::new_v4();
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO users (id, email, is_service, created_at) VALUES (?, lower(?), 0, ?)",
                    vec![user.into(), email.into(), at.into()],
                ))
                .await
                .db()?;
                user
            }
        };
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO user_organizations (user_id, org_id, role, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (user_id, org_id) DO UPDATE SET role = excluded.role",
            vec![user.into(), org.as_uuid().into(), role.as_str().into(), at.into()],
        ))
        .await
        .db()?;
        if let Some(hash) = password_hash {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO user_passwords (user_id, password_hash, updated_at) VALUES (?, ?, ?) \
                 ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, \
                 updated_at = excluded.updated_at",
                vec![user.into(), hash.into(), at.into()],
            ))
            .await
            .db()?;
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "DELETE FROM web_sessions WHERE user_id = ?",
                [user.into()],
            ))
            .await
            .db()?;
        }
        txn.commit().await.db()?;
        Ok(UserId::from_uuid(user))
    }

    async fn remove_login(&self, org: OrgId, email: &str) -> StorageResult<()> {
        if self.scope.is_postgres() {
            let acting = self
                .scope
                .acting_user
                .map_or(org.as_uuid(), |u| u.as_uuid());
            let txn = self.begin_as(acting).await?;
            let removed = txn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT ame_remove_user_login($1, $2) AS removed",
                    vec![org.as_uuid().into(), email.into()],
                ))
                .await
                .db()?
                .map(|r| r.try_get::<bool>("", "removed"))
                .transpose()
                .db()?
                .unwrap_or(false);
            if !removed {
                return Err(StorageError::not_found("member"));
            }
            txn.commit().await.db()?;
            return Ok(());
        }
        let (txn, acting_role) = self.scope.begin_with_role(org).await?;
        let target = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT u.id AS id, m.role AS role FROM users u \
                 JOIN user_organizations m ON m.user_id = u.id AND m.org_id = ? \
                 WHERE lower(u.email) = lower(?) AND NOT u.is_service",
                vec![org.as_uuid().into(), email.into()],
            ))
            .await
            .db()?;
        let Some(target) = target else {
            return Err(StorageError::not_found("member"));
        };
        let user = target.try_get::<uuid::Uuid>("", "id").db()?;
        let role = role_from(&target.try_get::<String>("", "role").db()?)?;
        if !acting_role.can_manage()
            || (role == MemberRole::Owner && acting_role != MemberRole::Owner)
        {
            return Err(StorageError::not_found("member"));
        }
        for sql in [
            "DELETE FROM user_organizations WHERE user_id = ? AND org_id = ?",
            "DELETE FROM web_sessions WHERE user_id = ? AND (org_id = ? OR org_id IS NULL)",
        ] {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                vec![user.into(), org.as_uuid().into()],
            ))
            .await
            .db()?;
        }
        txn.commit().await.db()?;
        Ok(())
    }

    async fn login(&self, email: &str) -> StorageResult<Option<LoginRecord>> {
        let row = self
            .scope
            .db
            .query_one_raw(self.statement(
                "SELECT user_id, password_hash FROM ame_login_lookup($1)",
                "SELECT u.id AS user_id, p.password_hash AS password_hash FROM users u \
                 JOIN user_passwords p ON p.user_id = u.id \
                 WHERE lower(u.email) = lower(?) AND NOT u.is_service",
                vec![email.into()],
            ))
            .await
            .db()?;
        row.map(|row| {
            Ok(LoginRecord {
                user: UserId::from_uuid(row.try_get::<uuid::Uuid>("", "user_id").db()?),
                password_hash: row.try_get::<String>("", "password_hash").db()?,
            })
        })
        .transpose()
    }

    async fn memberships(&self, user: UserId) -> StorageResult<Vec<Membership>> {
        let txn = self.begin_as(user.as_uuid()).await?;
        let rows = txn
            .query_all_raw(self.statement(
                "SELECT o.id AS org_id, o.name AS name, m.role AS role FROM user_organizations m \
                 JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.name, o.id",
                "SELECT o.id AS org_id, o.name AS name, m.role AS role FROM user_organizations m \
                 JOIN organizations o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name, o.id",
                vec![user.as_uuid().into()],
            ))
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.iter()
            .map(|row| {
                Ok(Membership {
                    org: OrgId::from_uuid(row.try_get::<uuid::Uuid>("", "org_id").db()?),
                    org_name: row.try_get::<String>("", "name").db()?,
                    role: role_from(&row.try_get::<String>("", "role").db()?)?,
                })
            })
            .collect()
    }

    async fn create_session(&self, session: NewWebSession) -> StorageResult<()> {
        let txn = self.begin_as(session.user.as_uuid()).await?;
        txn.execute_raw(self.statement(
            "INSERT INTO web_sessions (id_hash, user_id, org_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            "INSERT INTO web_sessions (id_hash, user_id, org_id, csrf_token, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                session.id_hash.to_vec().into(),
                session.user.as_uuid().into(),
                session.org.map(|o| o.as_uuid()).into(),
                session.csrf_token.into(),
                session.created_at.into(),
                session.expires_at.into(),
            ],
        ))
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(())
    }

    async fn session(
        &self,
        id_hash: [u8; 32],
        now: DateTime<Utc>,
    ) -> StorageResult<Option<WebSession>> {
        let row = self
            .scope
            .db
            .query_one_raw(self.statement(
                "SELECT user_id, email, org_id, csrf_token, created_at, expires_at \
                 FROM ame_web_session($1, $2)",
                "SELECT s.user_id AS user_id, u.email AS email, s.org_id AS org_id, \
                 s.csrf_token AS csrf_token, s.created_at AS created_at, s.expires_at AS expires_at \
                 FROM web_sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id_hash = ? AND s.expires_at > ?",
                vec![id_hash.to_vec().into(), now.into()],
            ))
            .await
            .db()?;
        row.as_ref().map(session_from).transpose()
    }

    async fn switch_session(
        &self,
        user: UserId,
        id_hash: [u8; 32],
        org: OrgId,
    ) -> StorageResult<()> {
        let txn = self.begin_as(user.as_uuid()).await?;
        let changed = txn
            .execute_raw(self.statement(
                "UPDATE web_sessions SET org_id = $1 WHERE id_hash = $2 AND user_id = $3",
                "UPDATE web_sessions SET org_id = ? WHERE id_hash = ? AND user_id = ?",
                vec![
                    org.as_uuid().into(),
                    id_hash.to_vec().into(),
                    user.as_uuid().into(),
                ],
            ))
            .await
            .db()?;
        if changed.rows_affected() != 1 {
            return Err(StorageError::not_found("session"));
        }
        txn.commit().await.db()?;
        Ok(())
    }

    async fn end_session(&self, user: UserId, id_hash: [u8; 32]) -> StorageResult<()> {
        let txn = self.begin_as(user.as_uuid()).await?;
        txn.execute_raw(self.statement(
            "DELETE FROM web_sessions WHERE id_hash = $1 AND user_id = $2",
            "DELETE FROM web_sessions WHERE id_hash = ? AND user_id = ?",
            vec![id_hash.to_vec().into(), user.as_uuid().into()],
        ))
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(())
    }
}
