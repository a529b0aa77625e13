//! Organization API keys: issue, list, revoke (owners and admins).

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::extract::path_id;
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, web};
use ame_domain::{ApiKey, ApiKeyId, MemberRole};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A request for a new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for (1 to 200 characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}]([^\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069\ufeff{}]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}])?[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
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
    let request = body.value;
    let issued = state
        .engine
        .issue_key(&principal, &request.name, request.role)
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
    let items = state.engine.api_keys(&principal).await?;
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
    Ok(web::Json(state.engine.revoke_key(&principal, id).await?))
}
