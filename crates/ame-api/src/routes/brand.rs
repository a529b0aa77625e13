//! The organization's brand profile, used by every generated asset.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, put, web};
use ame_domain::{BrandProfile, BrandProfileInput};
use ame_storage::BrandRepository;

/// Read the organization's brand profile.
///
/// 404 `brand_not_set` until one is saved; generation then uses clearly marked placeholders.
#[utoipa::path(
    tag = "brand",
    responses((status = 200, description = "The brand profile", body = BrandProfile)),
    security(("bearer" = []))
)]
#[get("/brand")]
pub async fn get_brand(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<BrandProfile>, Problem> {
    principal
        .storage(&state.storage)
        .brands()
        .get(principal.org)
        .await?
        .map(web::Json)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "brand_not_set",
                "the organization has no brand profile yet; PUT /api/marketing/brand to set one",
            )
        })
}

/// Save (create or replace) the organization's brand profile.
#[utoipa::path(
    tag = "brand",
    request_body = BrandProfileInput,
    responses((status = 200, description = "The saved brand profile", body = BrandProfile)),
    security(("bearer" = []))
)]
#[put("/brand")]
pub async fn put_brand(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody<BrandProfileInput>,
) -> Result<web::Json<BrandProfile>, Problem> {
    principal.require_write()?;
    let brand = body
        .value
        .validate()
        .map_err(|e| Problem::validation(e.errors))?;
    let saved = principal
        .storage(&state.storage)
        .brands()
        .put(principal.org, brand)
        .await?;
    Ok(web::Json(saved))
}
