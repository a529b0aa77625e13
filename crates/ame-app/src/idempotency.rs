//! Running a creating operation at most once per idempotency key: the first reply is stored and
//! replayed to retries with the same key and request; a crashed attempt's claim is taken over
//! after the lease, and the retry creates the resource under the id reserved the first time.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppError;
use ame_domain::CampaignId;
use ame_storage::{IdempotencyClaim, StorageError};
use std::future::Future;

/// A request made idempotent by a client's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentRequest {
    /// The key, already scoped by the caller to the operation and resource it was sent to.
    pub key: String,
    /// A fingerprint of the request; the same key with another fingerprint is refused.
    pub fingerprint: String,
}

/// The reply of an idempotent operation, stored and replayed as it is (the caller decides what
/// the body is: a created resource or an error it must not retry, as JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// The status the reply carries (HTTP semantics: < 500).
    pub status: u16,
    /// The body, JSON.
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
    /// creates (the same on every retry), or `None` without a key. A failure that is worth
    /// retrying (`Err`) releases the key; a reply (`Ok`, also for refusals) is stored.
    pub async fn run_idempotent<F, Fut, E>(
        &self,
        caller: &Caller,
        request: Option<&IdempotentRequest>,
        operation: F,
    ) -> Result<Idempotent, E>
    where
        F: FnOnce(Option<uuid::Uuid>) -> Fut,
        Fut: Future<Output = Result<StoredReply, E>>,
        E: From<AppError>,
    {
        let Some(request) = request else {
            return operation(None).await.map(Idempotent::Fresh);
        };
        let repos = self.repos(caller);
        let store = repos.idempotency;
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
                // Never replay a creation whose campaign has since been deleted: both idempotent
                // operations create something that lives in a campaign.
                if status == 201
                    && let Some(campaign) = created_in_campaign(&body)
                    && let Err(StorageError::NotFound { .. }) =
                        repos.campaigns.get(caller.org, campaign).await
                {
                    return Err(AppError::IdempotencyResourceDeleted.into());
                }
                Ok(Idempotent::Replayed(StoredReply { status, body }))
            }
            IdempotencyClaim::Mismatch => Err(AppError::IdempotencyKeyReused.into()),
            IdempotencyClaim::InProgress => Err(AppError::IdempotencyInProgress.into()),
            IdempotencyClaim::Acquired { resource_id } => {
                let reply = match operation(Some(resource_id)).await {
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

/// The campaign a stored creation reply belongs to: its `campaign_id`, else its `id`.
fn created_in_campaign(body: &str) -> Option<CampaignId> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let id = value["campaign_id"]
        .as_str()
        .or_else(|| value["id"].as_str())?;
    id.parse::<uuid::Uuid>().ok().map(CampaignId::from_uuid)
}
