//! `Idempotency-Key` over HTTP for requests that create things: reads and scopes the key, and
//! turns what [`ame_app::Engine::run_idempotent`] gives into responses. The first response is
//! stored and replayed to retries with the same key, path and body; the same key on the same path
//! with a different body is refused with 422.

use crate::auth::Principal;
use crate::problem::{ErrorCode, IDEMPOTENCY_HEADER, PROBLEM_JSON, Problem};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use ame_app::{AppError, Idempotent, IdempotentRequest, StoredReply};
use ame_domain::CampaignId;
use ame_storage::MAX_IDEMPOTENCY_KEY_LEN;
use sha2::{Digest, Sha256};
use std::future::Future;

/// The response header marking a replayed response.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// Where a created resource lives, derived from the response body (so replays carry it too).
pub type Locate = fn(&serde_json::Value) -> Option<String>;

/// A successful reply: `status` and `value` as JSON.
pub fn reply<T: serde::Serialize>(status: StatusCode, value: &T) -> Result<StoredReply, Problem> {
    let body = serde_json::to_string(value).map_err(|e| {
        tracing::error!(error = %e, "response serialization failed");
        Problem::internal()
    })?;
    Ok(StoredReply {
        status: status.as_u16(),
        body,
    })
}

fn respond(reply: StoredReply, replayed: bool, locate: Locate) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
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
        && let Some(location) = serde_json::from_str(&reply.body)
            .ok()
            .as_ref()
            .and_then(locate)
    {
        response.insert_header((header::LOCATION, location));
    }
    response.body(reply.body)
}

/// The request's idempotency key, scoped to its method and path (the same key on another path
/// is another key), with the request's fingerprint.
fn request_of(req: &HttpRequest, fingerprint: &str) -> Result<Option<IdempotentRequest>, Problem> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let invalid = || {
        Problem::bad_request(
            ErrorCode::InvalidIdempotencyKey,
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
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"\n");
    hasher.update(text.as_bytes());
    Ok(Some(IdempotentRequest {
        key: crate::body::hex(&hasher.finalize()),
        fingerprint: fingerprint.to_owned(),
    }))
}

/// What an operation costs against a rate limit, taken only when it actually runs (a retry
/// answered from the stored reply, or refused while the first attempt runs, costs nothing).
pub type Charge<'a> = Option<&'a (dyn Fn() -> Result<(), Problem> + Sync)>;

/// Runs `operation` at most once per idempotency key, after `charge`. It receives the id
/// reserved for what it creates (the same on every retry), or `None` without a key. A refusal
/// (4xx but 429) is stored and replayed like a success; a failure of ours (5xx) or a limit
/// (429) frees the key for a retry. An attempt that
/// lost its database connection is run once more at once, in fresh transactions under the same
/// reserved id (so it cannot create twice). A replayed creation whose campaign has since been
/// deleted is refused (409), never a dangling `Location`.
pub async fn run<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    fingerprint: &str,
    locate: Locate,
    charge: Charge<'_>,
    operation: F,
) -> Result<HttpResponse, Problem>
where
    F: Fn(Option<uuid::Uuid>) -> Fut,
    Fut: Future<Output = Result<StoredReply, Problem>>,
{
    let Some(request) = request_of(req, fingerprint)? else {
        if let Some(charge) = charge {
            charge()?;
        }
        return Ok(respond(operation(None).await?, false, locate));
    };
    let outcome = state
        .engine
        .run_idempotent(principal, &request, |reserved| async move {
            if let Some(charge) = charge {
                charge()?;
            }
            let first = operation(Some(reserved)).await;
            let result = match first {
                Err(problem) if problem.code == ErrorCode::DatabaseUnavailable => {
                    tracing::warn!(
                        "database connection lost during a keyed creation; running it again"
                    );
                    operation(Some(reserved)).await
                }
                other => other,
            };
            match result {
                Err(problem) if problem.status < 500 && problem.status != 429 => Ok(StoredReply {
                    status: problem.status,
                    body: problem.to_json(),
                }),
                other => other,
            }
        })
        .await?;
    match outcome {
        Idempotent::Fresh(reply) => Ok(respond(reply, false, locate)),
        Idempotent::Replayed(reply) => {
            if reply.status == StatusCode::CREATED.as_u16()
                && let Some(campaign) = created_in_campaign(&reply.body)
                && let Err(AppError::NotFound { .. }) =
                    state.engine.campaign(principal, campaign).await
            {
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    ErrorCode::IdempotencyResourceDeleted,
                    format!(
                        "a request with this {IDEMPOTENCY_HEADER} already ran, and what it created has since been deleted; send a new key to create it again"
                    ),
                ));
            }
            Ok(respond(reply, true, locate))
        }
    }
}

/// The campaign a stored creation response belongs to: its `campaign_id`, else its `id` (both
/// idempotent operations create something that lives in a campaign).
fn created_in_campaign(body: &str) -> Option<CampaignId> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let id = value["campaign_id"]
        .as_str()
        .or_else(|| value["id"].as_str())?;
    id.parse::<uuid::Uuid>().ok().map(CampaignId::from_uuid)
}
