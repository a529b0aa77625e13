//! Organization API keys: issue, list, revoke, rotate; and the audit log (owners and admins).

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::extract::{path_id, query_number};
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use ame_domain::{ApiKey, ApiKeyId, AuditEvent, MemberRole};
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
    /// What the key may do; only owners issue owner keys. The key never does more than its
    /// issuer's role at the time of use allows.
    pub role: MemberRole,
    /// When the key stops working (RFC 3339, in the future, at most ten years ahead); never
    /// when left out.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime, example = "2027-06-30T00:00:00Z")]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
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
        .issue_key(&principal, &request.name, request.role, request.expires_at)
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

/// Replace an API key's secret: the old secret stops working at once and a new key with the same
/// name, role and expiry is issued (only owners rotate owner keys).
#[utoipa::path(
    tag = "api-keys",
    params(("id" = uuid::Uuid, Path, description = "API key id")),
    responses(
        (status = 201, description = "The new key with its secret", body = IssuedKey),
        (status = 409, description = "The key tried to rotate itself", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/api-keys/{id}/rotate")]
pub async fn rotate_key(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require_manage()?;
    let id = ApiKeyId::from_uuid(path_id(&path, "API key")?);
    let issued = state.engine.rotate_key(&principal, id).await?;
    Ok(HttpResponse::Created().json(IssuedKey {
        key: issued.key,
        secret: issued.secret,
    }))
}

/// The organization's audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    /// The events.
    pub items: Vec<AuditEvent>,
}

/// Read the organization's audit log (owners and admins): key, membership, brand, status and
/// deletion events with who acted, when and in which request.
#[utoipa::path(
    tag = "api-keys",
    params(("limit" = Option<u64>, Query, description = "How many events, newest first (1 to 500, default 100)", minimum = 1, maximum = 500)),
    responses((status = 200, description = "The newest events", body = AuditLog)),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn audit_log(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<web::Json<AuditLog>, Problem> {
    let limit = query_number::<u64>(&req, "limit", ame_app::AUDIT_LIMIT_RANGE)?;
    let items = state.engine.audit_log(&principal, limit).await?;
    Ok(web::Json(AuditLog { items }))
}
