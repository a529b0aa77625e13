//! Organization API keys: issue, list, revoke (owners and admins).

use crate::auth::{Actor, Principal};
use crate::body::JsonBody;
use crate::problem::{Problem, ProblemDetails};
use crate::routes::path_id;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, web};
use ame_domain::{ApiKey, ApiKeyId, MemberRole};
use ame_storage::ApiKeyRepository;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A request for a new API key.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKey {
    /// What the key is for (1 to 200 characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: String,
    /// What the key may do; only owners issue owner keys.
    pub role: MemberRole,
}

/// A newly issued key. The secret is shown only here, once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKey {
    /// The stored key.
    pub key: ApiKey,
    /// The secret to send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// The organization's API keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Newest first, revoked keys included.
    pub items: Vec<ApiKey>,
}

/// Issue an API key for the caller's organization.
#[utoipa::path(
    tag = "api-keys",
    request_body(content = NewApiKey, content_type = "application/json"),
    responses((status = 201, description = "The issued key with its secret", body = IssuedKey,
        links(("RevokeKey" = (operation_id = "revoke_key", parameters(("id" = "$response.body#/key/id"))))),
    )),
    security(("bearer" = []))
)]
#[post("/api-keys")]
pub async fn create_key(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody<NewApiKey>,
) -> Result<HttpResponse, Problem> {
    principal.require_manage()?;
    let request = body.value;
    if request.role == MemberRole::Owner && principal.role != MemberRole::Owner {
        return Err(Problem::forbidden("only an owner may issue owner keys"));
    }
    let issued = principal
        .storage(&state.storage)
        .api_keys()
        .create(principal.org, &request.name, request.role)
        .await?;
    Ok(HttpResponse::Created().json(IssuedKey {
        key: issued.key,
        secret: issued.secret,
    }))
}

/// List the organization's API keys (never their secrets).
#[utoipa::path(
    tag = "api-keys",
    responses((status = 200, description = "The keys", body = ApiKeyList)),
    security(("bearer" = []))
)]
#[get("/api-keys")]
pub async fn list_keys(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<ApiKeyList>, Problem> {
    principal.require_manage()?;
    let items = principal
        .storage(&state.storage)
        .api_keys()
        .list(principal.org)
        .await?;
    Ok(web::Json(ApiKeyList { items }))
}

/// Revoke an API key; it stops authenticating at once.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = uuid::Uuid, Path, description = "API key id")),
    responses(
        (status = 200, description = "The revoked key", body = ApiKey),
        (status = 409, description = "The key tried to revoke itself", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_key(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<ApiKey>, Problem> {
    principal.require_manage()?;
    let id = ApiKeyId::from_uuid(path_id(&path, "API key")?);
    if principal.actor == Actor::ApiKey(id) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "cannot_revoke_own_key",
            "a key cannot revoke itself; revoke it with another owner or admin key",
        ));
    }
    let keys = principal.storage(&state.storage).api_keys();
    if principal.role != MemberRole::Owner {
        let target = keys
            .list(principal.org)
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or_else(|| Problem::not_found("API key"))?;
        if target.role == MemberRole::Owner {
            return Err(Problem::forbidden("only an owner may revoke owner keys"));
        }
    }
    let revoked = keys.revoke(principal.org, id).await?;
    state.key_cache.evict(id);
    Ok(web::Json(revoked))
}
