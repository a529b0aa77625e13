//! `Idempotency-Key` handling for requests that create things: the first response is stored and
//! replayed to retries with the same key, path and body; the same key on the same path with a
//! different body is refused with 422.

use crate::auth::Principal;
use crate::problem::{PROBLEM_JSON, Problem};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use ame_storage::{
    CampaignRepository, IdempotencyClaim, IdempotencyRepository, MAX_IDEMPOTENCY_KEY_LEN,
};
use sha2::{Digest, Sha256};
use std::future::Future;

/// The request header carrying the key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The response header marking a replayed response.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// A successful outcome of an idempotent operation.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body.
    pub body: String,
}

impl Reply {
    /// A reply with `status` and `value` serialized as JSON.
    pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Result<Self, Problem> {
        let body = serde_json::to_string(value).map_err(|e| {
            tracing::error!(error = %e, "response serialization failed");
            Problem::internal()
        })?;
        Ok(Self { status, body })
    }
}

/// Where a created resource lives, derived from the response body (so replays carry it too).
pub type Locate = fn(&serde_json::Value) -> Option<String>;

fn respond(status: StatusCode, body: String, replayed: bool, locate: Locate) -> HttpResponse {
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, content_type));
    if replayed {
        response.insert_header((REPLAYED_HEADER, "true"));
    }
    if status == StatusCode::CREATED
        && let Some(location) = serde_json::from_str(&body).ok().as_ref().and_then(locate)
    {
        response.insert_header((header::LOCATION, location));
    }
    response.body(body)
}

fn key_of(req: &HttpRequest) -> Result<Option<String>, Problem> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let invalid = || {
        Problem::bad_request(
            "invalid_idempotency_key",
            format!(
                "{IDEMPOTENCY_HEADER} must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters, e.g. a UUID"
            ),
        )
    };
    let text = value.to_str().map_err(|_| invalid())?;
    if text.is_empty()
        || text.len() > MAX_IDEMPOTENCY_KEY_LEN
        || !text.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid());
    }
    Ok(Some(text.to_owned()))
}

/// The campaign a stored creation response belongs to: its `campaign_id`, else its `id`.
fn created_in_campaign(body: &str) -> Option<ame_domain::CampaignId> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let id = value["campaign_id"]
        .as_str()
        .or_else(|| value["id"].as_str())?;
    id.parse::<uuid::Uuid>()
        .ok()
        .map(ame_domain::CampaignId::from_uuid)
}

/// Runs `operation` at most once per idempotency key. `operation` receives the id reserved for
/// the resource it creates (the same on every retry), or `None` without a key.
pub async fn run<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    body_digest: &str,
    locate: Locate,
    operation: F,
) -> Result<HttpResponse, Problem>
where
    F: FnOnce(Option<uuid::Uuid>) -> Fut,
    Fut: Future<Output = Result<Reply, Problem>>,
{
    let Some(key) = key_of(req)? else {
        let reply = operation(None).await?;
        return Ok(respond(reply.status, reply.body, false, locate));
    };
    // Keys are scoped to the operation and resource they were sent to: the same key on another
    // path is another key. Within one path, the body must match.
    let key = {
        let mut hasher = Sha256::new();
        hasher.update(req.method().as_str());
        hasher.update(b" ");
        hasher.update(req.path());
        hasher.update(b"\n");
        hasher.update(key.as_bytes());
        crate::body::hex(&hasher.finalize())
    };
    let fingerprint = body_digest;
    let store = principal.storage(&state.storage).idempotency();
    let org = principal.org;
    match store
        .claim(org, &key, fingerprint, state.idempotency_lease)
        .await?
    {
        IdempotencyClaim::Completed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            // Never hand out a dangling Location: both idempotent operations create something
            // that lives in a campaign, so a replayed creation whose campaign has since been
            // deleted is refused instead.
            if status == StatusCode::CREATED
                && let Some(campaign) = created_in_campaign(&body)
                && let Err(ame_storage::StorageError::NotFound { .. }) = principal
                    .storage(&state.storage)
                    .campaigns()
                    .get(org, campaign)
                    .await
            {
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    "idempotency_resource_deleted",
                    format!(
                        "a request with this {IDEMPOTENCY_HEADER} already ran, and what it created has since been deleted; send a new key to create it again"
                    ),
                ));
            }
            Ok(respond(status, body, true, locate))
        }
        IdempotencyClaim::Mismatch => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "this {IDEMPOTENCY_HEADER} was already used for a different request; use a new key for a new request"
            ),
        )),
        IdempotencyClaim::InProgress => Err(Problem::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            "a request with this key is still being processed; retry shortly",
        )
        .with_header(header::RETRY_AFTER, "1".to_owned())),
        IdempotencyClaim::Acquired { resource_id } => {
            let (status, body) = match operation(Some(resource_id)).await {
                Ok(reply) => (reply.status, reply.body),
                Err(problem) if problem.status < 500 => (
                    problem.status_code_value(),
                    serde_json::to_string(&problem).unwrap_or_default(),
                ),
                Err(problem) => {
                    if let Err(e) = store.release(org, &key).await {
                        tracing::warn!(error = %e, "could not release an idempotency key");
                    }
                    return Err(problem);
                }
            };
            store.complete(org, &key, status.as_u16(), &body).await?;
            Ok(respond(status, body, false, locate))
        }
    }
}
