//! Connecting, migrating and handing out repositories.

use crate::api_keys::SqlApiKeys;
use crate::assets::SqlAssets;
use crate::audit::SqlAudit;
use crate::brands::SqlBrands;
use crate::campaigns::SqlCampaigns;
use crate::contacts::SqlContacts;
use crate::error::{DbResultExt, from_db};
use crate::idempotency::SqlIdempotency;
use crate::ledger::SqlExecution;
use crate::optimisation::SqlOptimisation;
use crate::organizations::SqlOrganizations;
use crate::pages::{SqlLeads, SqlPublicPages};
use crate::queue::SqlJobs;
use crate::results::SqlResults;
use crate::scope::{Scope, set_acting_user};
use crate::statements::StatementPool;
use crate::{StorageError, StorageResult};
use ame_domain::UserId;
use ame_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DbBackend, FromQueryResult, JsonValue, QueryResult,
    Statement, TransactionTrait,
};
use std::time::Duration;

/// Which database engine a [`Storage`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL, the production backend.
    Postgres,
}

/// A connection pool plus the repositories built on it.
///
/// Repositories act for the organization named in each call (through its service principal);
/// [`Storage::acting_as`] gives repositories that act as a specific user instead, so on
/// PostgreSQL row-level security also checks that user's own membership.
#[derive(Debug, Clone)]
pub struct Storage {
    scope: Scope,
}

/// How many PostgreSQL connections a [`Storage`] keeps open and may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSize {
    /// Connections kept open even when idle.
    pub min: u32,
    /// Most connections open at once for transactions.
    pub max: u32,
    /// Most connections open at once for writes that are a single statement (creating a
    /// campaign as the organization), on top of `max`. Half as many as `min` (at most this many)
    /// are opened at start.
    pub statements: u32,
}

impl Default for PoolSize {
    /// One connection kept, sixteen at most: right for commands and tests. A server keeps more
    /// open (`ame serve --db-min-connections`).
    fn default() -> Self {
        PoolSize {
            min: 1,
            max: 16,
            statements: 4,
        }
    }
}

impl Storage {
    /// Connects to `url` (`sqlite://path?mode=rwc`, `sqlite::memory:`, or `postgres://...`)
    /// with the default PostgreSQL pool ([`PoolSize::default`]).
    pub async fn connect(url: &str) -> StorageResult<Self> {
        Self::connect_with(url, PoolSize::default()).await
    }

    /// Connects to `url`; on PostgreSQL the pool keeps `size.min` connections open (opened in
    /// the background at start, so the first requests do not pay for connecting) and opens up
    /// to `size.max`. SQLite always uses one connection.
    pub async fn connect_with(url: &str, size: PoolSize) -> StorageResult<Self> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5));
        if url.starts_with("postgres") {
            // A connection that has just been used is not pinged again before the next request
            // takes it (that ping was a round trip in every request's path); one idle for longer
            // than a server or proxy might silently drop it still is.
            options
                .max_connections(size.max.max(1))
                .min_connections(size.min.min(size.max.max(1)))
                .test_before_acquire_if_idle_for(Duration::from_secs(30));
        } else {
            // One writer connection: SQLite serialises writes anyway, and an in-memory database
            // exists only inside its connection.
            options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None::<Duration>)
                .max_lifetime(None::<Duration>);
            if !url.contains(":memory:") && !url.contains("mode=memory") {
                // A file database: write-ahead logging so readers never block the writer,
                // and a busy timeout instead of immediate "database is locked" errors.
                options.map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                });
            }
        }
        let db = Database::connect(options).await.db()?;
        let statements = if url.starts_with("postgres") {
            let pool = StatementPool::new(url, size.statements)?;
            pool.open(size.min.min(size.statements) / 2).await?;
            Some(pool)
        } else {
            None
        };
        Ok(Self {
            scope: Scope {
                db,
                acting_user: None,
                statements,
            },
        })
    }

    /// The same pool, with repositories acting as `user`: every call first checks that `user` is
    /// a member of the organization it names (`NotFound` otherwise), and on PostgreSQL
    /// `auth.uid()` is that user for the row-level-security policies.
    pub fn acting_as(&self, user: UserId) -> Storage {
        Storage {
            scope: Scope {
                db: self.scope.db.clone(),
                acting_user: Some(user),
                statements: self.scope.statements.clone(),
            },
        }
    }

    /// Which engine this storage uses.
    pub fn backend(&self) -> Backend {
        match self.scope.db.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> StorageResult<()> {
        Migrator::up(&self.scope.db, None).await.db()
    }

    /// Rolls back every applied migration (for tests and tear-down tooling).
    pub async fn rollback_all(&self) -> StorageResult<()> {
        Migrator::down(&self.scope.db, None).await.db()
    }

    /// Names of the applied migrations, oldest first.
    pub async fn applied_migrations(&self) -> StorageResult<Vec<String>> {
        let applied = Migrator::get_applied_migrations(&self.scope.db)
            .await
            .db()?;
        Ok(applied.iter().map(|m| m.name().to_owned()).collect())
    }

    /// Names of the migrations not yet applied, oldest first. Reads the migration table only
    /// (unlike the migrator, which would try to create it), so the application role may ask.
    pub async fn pending_migrations(&self) -> StorageResult<Vec<String>> {
        let applied: Vec<String> = match self
            .select_json("SELECT version FROM seaql_migrations", None)
            .await
        {
            Ok(rows) => rows
                .iter()
                .filter_map(|r| {
                    r.get("version")
                        .and_then(JsonValue::as_str)
                        .map(str::to_owned)
                })
                .collect(),
            Err(StorageError::Database(detail)) if detail.contains("seaql_migrations") => {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok(Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .filter(|name| !applied.contains(name))
            .collect())
    }

    /// Whether the database holds no organization yet. Only meaningful on a connection that sees
    /// every organization: SQLite, or a PostgreSQL administrator (row-level security hides other
    /// organizations from the application role).
    pub async fn has_no_organizations(&self) -> StorageResult<bool> {
        let rows = self
            .select_json("SELECT COUNT(*) AS n FROM organizations", None)
            .await?;
        Ok(rows
            .first()
            .and_then(|r| r.get("n"))
            .and_then(JsonValue::as_i64)
            == Some(0))
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> StorageResult<()> {
        self.scope.db.ping().await.db()
    }

    /// Closes the pool.
    pub async fn close(self) -> StorageResult<()> {
        if let Some(statements) = &self.scope.statements {
            statements.close();
        }
        self.scope.db.close().await.db()
    }

    /// The organization repository.
    pub fn organizations(&self) -> SqlOrganizations {
        SqlOrganizations::new(self.scope.clone())
    }

    /// The campaign repository.
    pub fn campaigns(&self) -> SqlCampaigns {
        SqlCampaigns::new(self.scope.clone())
    }

    /// The asset repository.
    pub fn assets(&self) -> SqlAssets {
        SqlAssets::new(self.scope.clone())
    }

    /// Contacts and segments.
    pub fn contacts(&self) -> SqlContacts {
        SqlContacts::new(self.scope.clone())
    }

    /// The durable job queue.
    pub fn jobs(&self) -> SqlJobs {
        SqlJobs::new(self.scope.clone())
    }

    /// The delivery ledger, tracking events and webhook connectors.
    pub fn execution(&self) -> SqlExecution {
        SqlExecution::new(self.scope.clone())
    }

    /// Outcomes, variant tests, landing-page visitors and targeting models.
    pub fn optimisation(&self) -> SqlOptimisation {
        SqlOptimisation::new(self.scope.clone())
    }

    /// Stored rankings of campaigns' audiences.
    pub fn audience_scores(&self) -> crate::SqlAudienceScores {
        crate::SqlAudienceScores::new(self.scope.clone())
    }

    /// Dashboard sign-in: passwords and sessions.
    pub fn accounts(&self) -> crate::SqlAccounts {
        crate::SqlAccounts::new(self.scope.clone())
    }

    /// The audit log repository.
    pub fn audit(&self) -> SqlAudit {
        SqlAudit::new(self.scope.clone())
    }

    /// The API key repository.
    pub fn api_keys(&self) -> SqlApiKeys {
        SqlApiKeys::new(self.scope.clone())
    }

    /// The brand profile repository.
    pub fn brands(&self) -> SqlBrands {
        SqlBrands::new(self.scope.clone())
    }

    /// Public landing pages and lead submissions (not scoped by an organization).
    pub fn public_pages(&self) -> SqlPublicPages {
        SqlPublicPages::new(self.scope.clone())
    }

    /// The lead repository.
    pub fn leads(&self) -> SqlLeads {
        SqlLeads::new(self.scope.clone())
    }

    /// The result repository (recorded results and the predictor's history).
    pub fn results(&self) -> SqlResults {
        SqlResults::new(self.scope.clone())
    }

    /// The idempotency-key repository.
    pub fn idempotency(&self) -> SqlIdempotency {
        SqlIdempotency::new(self.scope.clone())
    }

    /// Runs one or more raw SQL statements, unscoped (tests and tooling; never with user input).
    #[cfg(feature = "test-util")]
    pub async fn execute_sql(&self, sql: &str) -> StorageResult<()> {
        self.scope.db.execute_unprepared(sql).await.db()?;
        Ok(())
    }

    /// Runs a raw `SELECT` and returns each row as a JSON object, unscoped (tests and tooling).
    /// On PostgreSQL, `acting_user` becomes `auth.uid()` for the query, exactly as for repository
    /// calls, so this shows what row-level security lets that user see.
    #[cfg(feature = "test-util")]
    pub async fn query_json(
        &self,
        sql: &str,
        acting_user: Option<UserId>,
    ) -> StorageResult<Vec<JsonValue>> {
        self.select_json(sql, acting_user).await
    }

    async fn select_json(
        &self,
        sql: &str,
        acting_user: Option<UserId>,
    ) -> StorageResult<Vec<JsonValue>> {
        let backend = self.scope.db.get_database_backend();
        let txn = self.scope.db.begin().await.db()?;
        if let (DbBackend::Postgres, Some(user)) = (backend, acting_user) {
            set_acting_user(&txn, &user.to_string()).await?;
        }
        let statement = Statement::from_string(backend, sql.to_owned());
        let rows = match backend {
            DbBackend::Postgres => JsonValue::find_by_statement(statement)
                .all(&txn)
                .await
                .db()?,
            _ => txn
                .query_all_raw(statement)
                .await
                .db()?
                .iter()
                .map(sqlite_row_to_json)
                .collect(),
        };
        txn.commit().await.db()?;
        Ok(rows)
    }
}

/// Converts a SQLite row by trying the storage classes SQLite has (sea-orm's own conversion
/// skips computed columns, which carry no declared type).
fn sqlite_row_to_json(row: &QueryResult) -> JsonValue {
    let mut object = serde_json::Map::new();
    for (index, name) in row.column_names().into_iter().enumerate() {
        let value = if let Ok(v) = row.try_get_by_index::<Option<i64>>(index) {
            v.map_or(JsonValue::Null, JsonValue::from)
        } else if let Ok(v) = row.try_get_by_index::<Option<f64>>(index) {
            v.map_or(JsonValue::Null, JsonValue::from)
        } else if let Ok(v) = row.try_get_by_index::<Option<String>>(index) {
            v.map_or(JsonValue::Null, JsonValue::from)
        } else if let Ok(v) = row.try_get_by_index::<Option<Vec<u8>>>(index) {
            v.map_or(JsonValue::Null, |bytes| {
                JsonValue::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
            })
        } else {
            JsonValue::Null
        };
        object.insert(name, value);
    }
    JsonValue::Object(object)
}

/// PostgreSQL provisioning: the ordinary login role the application connects as.
impl Storage {
    /// Creates (or updates) `role`, a login role that is neither superuser nor BYPASSRLS and is a
    /// member of `authenticated`, so the row-level-security policies apply to it; grants it what
    /// the application needs in the current database. Call on a connection with CREATEROLE rights.
    pub async fn provision_app_role(
        &self,
        role: &str,
        password: Option<&str>,
    ) -> StorageResult<()> {
        if self.backend() != Backend::Postgres {
            return Ok(());
        }
        if role.is_empty()
            || !role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(StorageError::Invalid(format!(
                "role name `{role}` must use only lowercase letters, digits and underscores"
            )));
        }
        let password_clause = match password {
            Some(p) => format!("PASSWORD '{}'", p.replace('\'', "''")),
            None => "PASSWORD NULL".to_owned(),
        };
        // Roles are cluster-wide: the role itself is set up only when it is missing or wrong
        // (concurrent set-ups of the same role can collide, so that step is retried).
        let cluster_sql = format!(
            r#"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
    CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;
ALTER ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS {password_clause};
GRANT authenticated TO {role};
"#
        );
        let ready_sql = format!(
            "SELECT 1 AS ready FROM pg_roles WHERE rolname = '{role}' AND rolcanlogin AND NOT rolsuper \
             AND NOT rolbypassrls AND pg_has_role('{role}', 'authenticated', 'MEMBER')"
        );
        let mut attempt = 0;
        loop {
            let ready = password.is_none() && !self.select_json(&ready_sql, None).await?.is_empty();
            if ready {
                break;
            }
            match self.scope.db.execute_unprepared(&cluster_sql).await {
                Ok(_) => break,
                Err(e) if attempt < 5 => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "retrying application role set-up");
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => return Err(from_db(e)),
            }
        }
        let database_sql = format!(
            r#"
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT ON seaql_migrations TO {role};
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO {role}', current_database()); END $$;
"#
        );
        self.scope.db.execute_unprepared(&database_sql).await.db()?;
        Ok(())
    }
}
