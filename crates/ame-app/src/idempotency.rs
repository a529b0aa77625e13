//! Running a creating operation at most once per idempotency key: the first reply is stored and
//! handed back to retries with the same key and request. The running attempt renews its claim
//! (a heartbeat every third of the lease), so a live operation keeps its key however long it
//! takes while a crashed one's key is taken over within the lease, and the retry creates the
//! resource under the id reserved the first time. A failure worth retrying frees the key at
//! once, and keeps trying to when the database itself was what failed.
//! What a reply is (a status and a body) is the caller's business; this module only keeps it.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppError;
use ame_domain::OrgId;
use ame_storage::{IdempotencyClaim, IdempotencyRepository};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How often a failed attempt retries freeing its key while the database is unreachable.
const RELEASE_RETRY: Duration = Duration::from_millis(250);

/// A request made idempotent by a client's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentRequest {
    /// The key, already scoped by the caller to the operation and resource it was sent to.
    pub key: String,
    /// A fingerprint of the request; the same key with another fingerprint is refused.
    pub fingerprint: String,
}

/// The reply of an idempotent operation, stored and handed back as it is (the caller decides
/// what it means: a created resource, or a refusal that a retry would only repeat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// The reply's status.
    pub status: u16,
    /// The reply's body.
    pub body: String,
}

/// What running an idempotent operation gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent {
    /// The operation ran now.
    Fresh(StoredReply),
    /// An earlier attempt's reply, replayed.
    Replayed(StoredReply),
}

impl Engine {
    /// Runs `operation` at most once per `request` key. It receives the id reserved for what it
    /// creates, the same on every retry. A failure worth retrying (`Err`) releases the key; a
    /// reply (`Ok`, refusals included) is stored.
    pub async fn run_idempotent<F, Fut, E>(
        &self,
        caller: &Caller,
        request: &IdempotentRequest,
        operation: F,
    ) -> Result<Idempotent, E>
    where
        F: FnOnce(uuid::Uuid) -> Fut,
        Fut: Future<Output = Result<StoredReply, E>>,
        E: From<AppError>,
    {
        let store = self.repos(caller).idempotency;
        let claim = store
            .claim(
                caller.org,
                &request.key,
                &request.fingerprint,
                self.idempotency_lease(),
            )
            .await
            .map_err(AppError::from)?;
        match claim {
            IdempotencyClaim::Completed { status, body } => {
                Ok(Idempotent::Replayed(StoredReply { status, body }))
            }
            IdempotencyClaim::Mismatch => Err(AppError::IdempotencyKeyReused.into()),
            IdempotencyClaim::InProgress { retry_after } => Err(AppError::IdempotencyInProgress {
                retry_after_seconds: retry_after.as_secs().max(1),
            }
            .into()),
            IdempotencyClaim::Acquired { resource_id } => {
                let lease = self.idempotency_lease();
                let beat = (lease / 3).max(Duration::from_millis(50));
                let running = operation(resource_id);
                tokio::pin!(running);
                let result = loop {
                    tokio::select! {
                        result = &mut running => break result,
                        () = tokio::time::sleep(beat) => {
                            if let Err(e) = store.renew(caller.org, &request.key, lease).await {
                                tracing::warn!(error = %e, "could not renew an idempotency claim");
                            }
                        }
                    }
                };
                let reply = match result {
                    Ok(reply) => reply,
                    Err(failure) => {
                        release(store.clone(), caller.org, request.key.clone(), lease).await;
                        return Err(failure);
                    }
                };
                store
                    .complete(caller.org, &request.key, reply.status, &reply.body)
                    .await
                    .map_err(AppError::from)?;
                Ok(Idempotent::Fresh(reply))
            }
        }
    }
}

/// Frees `key` for a retry. When that fails (the database is what failed), a task keeps
/// trying every [`RELEASE_RETRY`] until it succeeds or the claim would have lapsed anyway, so a
/// retry after the database's return finds the key free within a fraction of a second.
async fn release(store: Arc<dyn IdempotencyRepository>, org: OrgId, key: String, lease: Duration) {
    if store.release(org, &key).await.is_ok() {
        return;
    }
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + lease;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(RELEASE_RETRY).await;
            match store.release(org, &key).await {
                Ok(()) => return,
                Err(e) => tracing::debug!(error = %e, "an idempotency key is not free yet"),
            }
        }
        tracing::warn!("an idempotency key stays claimed until its lease lapses");
    });
}

#[cfg(test)]
mod tests {
    use crate::fakes::*;
    use ame_storage::IdempotencyClaim;

    fn request() -> IdempotentRequest {
        IdempotentRequest {
            key: "k".into(),
            fingerprint: "f".into(),
        }
    }

    fn created() -> StoredReply {
        StoredReply {
            status: 201,
            body: "{}".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_live_attempt_renews_its_claim_however_long_it_runs() {
        let mut mocks = Mocks::default();
        mocks
            .idempotency
            .expect_claim()
            .times(1)
            .returning(|_, _, _, _| {
                Ok(IdempotencyClaim::Acquired {
                    resource_id: uuid::Uuid::now_v7(),
                })
            });
        let renewals = Arc::new(Mutex::new(0));
        let counted = renewals.clone();
        mocks
            .idempotency
            .expect_renew()
            .withf(|_, key, lease| key == "k" && *lease == Duration::from_secs(3))
            .returning(move |_, _, _| {
                *counted.lock().unwrap() += 1;
                Ok(true)
            });
        mocks
            .idempotency
            .expect_complete()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let engine = mocks
            .engine()
            .with_idempotency_lease(Duration::from_secs(3));
        assert_eq!(
            Mocks::default().engine().idempotency_lease(),
            DEFAULT_IDEMPOTENCY_LEASE
        );
        // Ten seconds of work under a three-second lease: renewed every second.
        let outcome = engine
            .run_idempotent(&caller(MemberRole::Member), &request(), |_| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok::<_, AppError>(created())
            })
            .await
            .unwrap();
        assert_eq!(outcome, Idempotent::Fresh(created()));
        assert!(*renewals.lock().unwrap() >= 9, "{renewals:?}");
    }

    #[tokio::test]
    async fn a_retry_during_a_live_claim_is_told_how_long_it_may_last() {
        let mut mocks = Mocks::default();
        mocks.idempotency.expect_claim().returning(|_, _, _, _| {
            Ok(IdempotencyClaim::InProgress {
                retry_after: Duration::from_secs(7),
            })
        });
        let outcome = mocks
            .engine()
            .run_idempotent(&caller(MemberRole::Member), &request(), |_| async {
                Ok::<_, AppError>(created())
            })
            .await;
        assert_eq!(
            outcome,
            Err(AppError::IdempotencyInProgress {
                retry_after_seconds: 7
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_the_database_could_not_free_is_freed_as_soon_as_it_returns() {
        let mut mocks = Mocks::default();
        mocks.idempotency.expect_claim().returning(|_, _, _, _| {
            Ok(IdempotencyClaim::Acquired {
                resource_id: uuid::Uuid::now_v7(),
            })
        });
        // The database is down for the first three attempts to free the key.
        let attempts = Arc::new(Mutex::new(0));
        let counted = attempts.clone();
        mocks.idempotency.expect_release().returning(move |_, _| {
            let mut n = counted.lock().unwrap();
            *n += 1;
            if *n <= 3 {
                Err(ame_storage::StorageError::Unavailable(
                    "connection refused".into(),
                ))
            } else {
                Ok(())
            }
        });
        let engine = mocks.engine();
        let failed = engine
            .run_idempotent(&caller(MemberRole::Member), &request(), |_| async {
                Err::<StoredReply, _>(AppError::DatabaseUnavailable("down".into()))
            })
            .await;
        assert!(matches!(failed, Err(AppError::DatabaseUnavailable(_))));
        assert_eq!(*attempts.lock().unwrap(), 1);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            *attempts.lock().unwrap(),
            4,
            "freed on the first try after the database returned"
        );
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(*attempts.lock().unwrap(), 4, "and then left alone");
    }

    #[tokio::test]
    async fn an_idempotent_failure_of_ours_frees_the_key_and_a_reply_is_stored() {
        let request = IdempotentRequest {
            key: "k".into(),
            fingerprint: "f".into(),
        };
        let reserved = uuid::Uuid::now_v7();
        let mut mocks = Mocks::default();
        mocks
            .idempotency
            .expect_claim()
            .times(2)
            .returning(move |_, _, _, _| {
                Ok(IdempotencyClaim::Acquired {
                    resource_id: reserved,
                })
            });
        mocks
            .idempotency
            .expect_release()
            .times(1)
            .returning(|_, _| Ok(()));
        mocks
            .idempotency
            .expect_complete()
            .withf(|_, key, status, body| key == "k" && *status == 422 && body == "refused")
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let engine = mocks.engine();
        let caller = caller(MemberRole::Member);
        let failed = engine
            .run_idempotent(&caller, &request, |id| async move {
                assert_eq!(id, reserved);
                Err::<StoredReply, _>(AppError::internal("disk full"))
            })
            .await;
        assert!(matches!(failed, Err(AppError::Internal(_))));
        let refused = engine
            .run_idempotent(&caller, &request, |_| async {
                Ok::<_, AppError>(StoredReply {
                    status: 422,
                    body: "refused".into(),
                })
            })
            .await
            .unwrap();
        assert!(matches!(refused, Idempotent::Fresh(r) if r.status == 422));
    }
}
