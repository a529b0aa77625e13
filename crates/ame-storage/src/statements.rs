//! PostgreSQL connections for statements that run alone: one statement that is its own
//! transaction, such as creating a campaign through `ame_insert_campaign`.
//!
//! sqlx's pool, behind every sea-orm transaction, tests each connection it takes back with a
//! round trip (`Sync`, then waiting for `ReadyForQuery`), in case the query on it was abandoned
//! halfway. For a request that is a single statement, that test is a second round trip to the
//! database, as costly to PostgreSQL as the statement's own. This pool (deadpool) tests a
//! connection only when it may need it: when the statement on it did not run to its end (its
//! future was dropped, or the connection failed) or when it sat idle for [`IDLE_BEFORE_PING`],
//! long enough for a server or proxy to have dropped it.

use crate::error::from_db;
use crate::{StorageError, StorageResult};
use deadpool::managed::{self, Metrics, PoolError, RecycleError, RecycleResult};
use sea_orm::sqlx::postgres::{PgArguments, PgConnectOptions, PgRow};
use sea_orm::sqlx::{self, ConnectOptions, Connection, PgConnection, Postgres};
use sea_orm::{DbErr, RuntimeErr};
use std::sync::Arc;
use std::time::Duration;

/// A connection idle this long is pinged before it is used again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);
/// How long a statement waits for a free connection, a new one, or a ping.
const WAIT: Duration = Duration::from_secs(5);

/// A pooled connection and whether the last statement on it ran to its end.
struct StatementConnection {
    connection: PgConnection,
    settled: bool,
}

/// Opens and checks the pool's connections.
struct Connector {
    options: PgConnectOptions,
}

impl managed::Manager for Connector {
    type Type = StatementConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<StatementConnection, sqlx::Error> {
        Ok(StatementConnection {
            connection: PgConnection::connect_with(&self.options).await?,
            settled: true,
        })
    }

    async fn recycle(
        &self,
        held: &mut StatementConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if !held.settled || metrics.last_used() >= IDLE_BEFORE_PING {
            // sqlx's ping also reads whatever an abandoned statement left unread.
            held.connection
                .ping()
                .await
                .map_err(RecycleError::Backend)?;
            held.settled = true;
        }
        Ok(())
    }
}

/// A pool of connections for single statements (see the module documentation).
#[derive(Clone)]
pub(crate) struct StatementPool {
    pool: managed::Pool<Connector>,
}

impl std::fmt::Debug for StatementPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatementPool")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl StatementPool {
    /// A pool of at most `size` connections to the PostgreSQL database at `url`; connections
    /// are opened when first needed.
    pub(crate) fn new(url: &str, size: u32) -> StorageResult<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| StorageError::Unavailable(e.to_string()))?;
        // As on the transaction pool: statements are not logged by the driver.
        let options = options.disable_statement_logging();
        let pool = managed::Pool::builder(Connector { options })
            .max_size(size.max(1) as usize)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .recycle_timeout(Some(WAIT))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(Self { pool })
    }

    /// Opens up to `count` connections now, so that the first statements do not wait for one.
    pub(crate) async fn open(&self, count: u32) -> StorageResult<()> {
        let mut held = Vec::new();
        for _ in 0..count.min(self.pool.status().max_size as u32) {
            held.push(self.pool.get().await.map_err(pool_error)?);
        }
        Ok(())
    }

    /// Runs `query` on a pooled connection and returns its first row, if any. The statement's
    /// errors go through `map_error` as sea-orm's, so the caller's mapping (constraints,
    /// row-level security) applies; a connection that cannot be had is `Unavailable`.
    pub(crate) async fn fetch_optional(
        &self,
        query: sqlx::query::Query<'_, Postgres, PgArguments>,
        map_error: impl FnOnce(DbErr) -> StorageError,
    ) -> StorageResult<Option<PgRow>> {
        let mut held = self.pool.get().await.map_err(pool_error)?;
        held.settled = false;
        let row = query.fetch_optional(&mut held.connection).await;
        // A statement the database answered, rows or error, leaves the connection ready for the
        // next one. One whose future was dropped halfway never gets here, and one that failed
        // on the connection itself is not marked: the next `get` pings either first.
        held.settled = matches!(&row, Ok(_) | Err(sqlx::Error::Database(_)));
        row.map_err(|e| map_error(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))))
    }

    /// Closes every connection; later statements fail.
    pub(crate) fn close(&self) {
        self.pool.close();
    }
}

fn pool_error(error: PoolError<sqlx::Error>) -> StorageError {
    match error {
        PoolError::Backend(e) => from_db(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))),
        other => StorageError::Unavailable(other.to_string()),
    }
}
