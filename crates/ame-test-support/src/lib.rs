//! Test helpers: throwaway databases with the real migrations applied.
//!
//! * [`TestDb::sqlite`] — a private in-memory SQLite database.
//! * [`TestDb::postgres`] — a fresh database on the PostgreSQL server named by
//!   `AME_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`), migrated by
//!   the administrative user, used through the ordinary application role [`APP_ROLE`] (so
//!   row-level security applies), and dropped when the `TestDb` is dropped.
//!
//! PostgreSQL tests fail loudly when the server cannot be reached; they never skip.

#![allow(clippy::expect_used)]

pub mod dovecot;

use ame_storage::{Backend, PoolSize, Storage};
use url::Url;

/// Environment variable naming the PostgreSQL server (an administrative connection) for tests.
pub const DATABASE_URL_ENV: &str = "AME_TEST_DATABASE_URL";
/// Server used when [`DATABASE_URL_ENV`] is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The ordinary (non-superuser, non-BYPASSRLS) role tests connect as.
pub const APP_ROLE: &str = "ame_app";
/// Its password (servers that ask for one over TCP, as Debian's default `pg_hba.conf` does).
pub const APP_ROLE_PASSWORD: &str = "ame_app_test";

/// A migrated throwaway database.
#[derive(Debug)]
pub struct TestDb {
    /// Storage connected as the application would connect (on PostgreSQL: as [`APP_ROLE`]).
    pub storage: Storage,
    /// Storage connected as the administrator (superuser on PostgreSQL; same as `storage` on SQLite).
    pub admin: Storage,
    /// The URL `storage` connected to.
    app_url: String,
    /// Drops the PostgreSQL database when the `TestDb` goes away.
    _dropper: Option<Dropper>,
    /// Holds the SQLite file's directory until the `TestDb` goes away.
    _dir: Option<tempfile::TempDir>,
}

/// Drops the throwaway database (after closing its pools) when dropped.
#[derive(Debug)]
struct Dropper {
    server_url: String,
    database: String,
    pools: Vec<Storage>,
}

impl TestDb {
    /// A fresh SQLite database file (in a temporary directory, removed afterwards) with every
    /// migration applied: a file, as in production, so a connection the pool replaces sees the
    /// same data.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("ame.db").display());
        let storage = Storage::connect(&url).await.expect("open SQLite");
        storage.migrate().await.expect("migrate SQLite");
        Self {
            admin: storage.clone(),
            storage,
            app_url: url,
            _dropper: None,
            _dir: Some(dir),
        }
    }

    /// A fresh PostgreSQL database with every migration applied, dropped afterwards.
    ///
    /// # Panics
    /// When the server is unreachable: PostgreSQL tests must fail, not skip.
    pub async fn postgres() -> Self {
        let server_url =
            std::env::var(DATABASE_URL_ENV).unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
        let database = format!("ame_test_{}", uuid::Uuid::new_v4().simple());
        let server = Storage::connect(&server_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server at {server_url} (set {DATABASE_URL_ENV}); \
                 `cargo xtask test` starts or installs one. Error: {e}"
            )
        });
        server
            .execute_sql(&format!("CREATE DATABASE {database}"))
            .await
            .expect("create the test database");
        server.close().await.expect("close the server connection");
        // From here on the database is dropped even if set-up fails.
        let mut guard = Dropper {
            server_url: server_url.clone(),
            database: database.clone(),
            pools: Vec::new(),
        };

        let admin_url = with_database(&server_url, &database, None);
        let admin = Storage::connect(&admin_url)
            .await
            .expect("connect to the test database");
        guard.pools.push(admin.clone());
        admin.migrate().await.expect("migrate PostgreSQL");
        admin
            .provision_app_role(APP_ROLE, Some(APP_ROLE_PASSWORD))
            .await
            .expect("provision the application role");
        let app_url = with_database(&server_url, &database, Some((APP_ROLE, APP_ROLE_PASSWORD)));
        let storage = Storage::connect(&app_url)
            .await
            .expect("connect as the application role");
        guard.pools.push(storage.clone());
        Self {
            storage,
            admin,
            app_url,
            _dropper: Some(guard),
            _dir: None,
        }
    }

    /// A fresh database of the given backend.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// Another storage connected as `storage` is, with pools of `size`; close it before the
    /// `TestDb` goes away.
    pub async fn storage_with(&self, size: PoolSize) -> Storage {
        Storage::connect_with(&self.app_url, size)
            .await
            .expect("connect as the application role")
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.storage.backend()
    }
}

/// `url` with its path set to `database` and, when given, its user replaced.
fn with_database(url: &str, database: &str, credentials: Option<(&str, &str)>) -> String {
    let mut parsed = Url::parse(url).expect("AME_TEST_DATABASE_URL must be a postgres:// URL");
    parsed.set_path(&format!("/{database}"));
    if let Some((user, password)) = credentials {
        parsed.set_username(user).expect("set the user name");
        parsed
            .set_password(Some(password))
            .expect("set the password");
    }
    parsed.to_string()
}

impl Drop for Dropper {
    fn drop(&mut self) {
        let pools = std::mem::take(&mut self.pools);
        let server_url = self.server_url.clone();
        let database = self.database.clone();
        // Drop may run inside a test's runtime, which cannot be blocked on; use a private one.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                for pool in pools {
                    let _ = pool.close().await;
                }
                let server = Storage::connect(&server_url)
                    .await
                    .expect("reconnect to drop the test database");
                server
                    .execute_sql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                    .await
                    .expect("drop the test database");
                let _ = server.close().await;
            })
        })
        .join();
        if outcome.is_err() && !std::thread::panicking() {
            panic!(
                "dropping the PostgreSQL test database {} failed",
                self.database
            );
        }
    }
}

/// Defines each listed async test function (taking a [`TestDb`]) twice: once in a `sqlite`
/// module and once in a `postgres` module, so every behaviour is checked on both backends.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::TestDb::sqlite().await).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::postgres().await).await;
                }
            )+
        }
    };
}
