//! Reading again after a dropped database connection: a read changes nothing, so when the
//! database dropped the connection under it (a restart, a failover, a killed backend) it is
//! sent once more on a fresh connection before the caller hears `DatabaseUnavailable`.

use ame_storage::StorageResult;
use std::future::Future;

/// Runs `read`, and once more when the first attempt lost its database connection.
pub(crate) async fn read_twice<T, F, Fut>(read: F) -> StorageResult<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = StorageResult<T>>,
{
    match read().await {
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, "database connection lost during a read; reading again");
            read().await
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_storage::StorageError;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_lost_connection_is_read_again_once_and_other_failures_are_not() {
        let calls = AtomicUsize::new(0);
        let flaky = || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(StorageError::Unavailable("connection reset".into()))
            } else {
                Ok(7)
            }
        };
        assert_eq!(read_twice(flaky).await.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let down = AtomicUsize::new(0);
        let result: StorageResult<()> = read_twice(|| async {
            down.fetch_add(1, Ordering::SeqCst);
            Err(StorageError::Unavailable("down".into()))
        })
        .await;
        assert!(result.unwrap_err().is_transient());
        assert_eq!(down.load(Ordering::SeqCst), 2);

        let missing = AtomicUsize::new(0);
        let result: StorageResult<()> = read_twice(|| async {
            missing.fetch_add(1, Ordering::SeqCst);
            Err(StorageError::NotFound { entity: "campaign" })
        })
        .await;
        assert!(result.is_err());
        assert_eq!(missing.load(Ordering::SeqCst), 1);
    }
}
