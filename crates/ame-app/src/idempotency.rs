//! Running a creating operation at most once per idempotency key: the first reply is stored and
//! handed back to retries with the same key and request; a crashed attempt's claim is taken over
//! after the lease, and the retry creates the resource under the id reserved the first time.
//! What a reply is (a status and a body) is the caller's business; this module only keeps it.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppError;
use ame_storage::IdempotencyClaim;
use std::future::Future;

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
            IdempotencyClaim::InProgress => Err(AppError::IdempotencyInProgress.into()),
            IdempotencyClaim::Acquired { resource_id } => {
                let reply = match operation(resource_id).await {
                    Ok(reply) => reply,
                    Err(failure) => {
                        if let Err(e) = store.release(caller.org, &request.key).await {
                            tracing::warn!(error = %e, "could not release an idempotency key");
                        }
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

#[cfg(test)]
mod tests {
    use crate::fakes::*;
    use ame_storage::IdempotencyClaim;

    #[tokio::test]
    async fn the_idempotency_lease_covers_every_retry_of_the_slowest_generation() {
        let engine = Mocks::default().engine();
        assert_eq!(engine.idempotency_lease(), DEFAULT_IDEMPOTENCY_LEASE);

        let slow = FakeModel {
            longest: Duration::from_secs(300),
            ..FakeModel::default()
        };
        let mut mocks = Mocks::default();
        let lease = Arc::new(Mutex::new(None));
        let claimed = lease.clone();
        mocks
            .idempotency
            .expect_claim()
            .times(1)
            .returning(move |_, _, _, lease| {
                *claimed.lock().unwrap() = Some(lease);
                Ok(IdempotencyClaim::InProgress)
            });
        let engine = mocks
            .engine()
            .with_generator(Generator::new(Arc::new(slow), Arc::new(SilentSpeech)));
        // The largest asset set has three assets: 3 × 300 s of writing, plus time to render.
        assert!(engine.idempotency_lease() >= Duration::from_secs(900));
        let request = IdempotentRequest {
            key: "k".into(),
            fingerprint: "f".into(),
        };
        let outcome = engine
            .run_idempotent(&caller(MemberRole::Member), &request, |_| async {
                Ok::<_, AppError>(StoredReply {
                    status: 201,
                    body: "{}".into(),
                })
            })
            .await;
        assert_eq!(outcome, Err(AppError::IdempotencyInProgress));
        assert_eq!(*lease.lock().unwrap(), Some(engine.idempotency_lease()));
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
