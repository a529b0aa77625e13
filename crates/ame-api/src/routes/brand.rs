//! The organization's brand profile, used by every generated asset.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::{get, put, web};
use ame_domain::{BrandProfile, BrandProfileInput};

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
    Ok(web::Json(state.engine.brand(&principal).await?))
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
    Ok(web::Json(
        state.engine.save_brand(&principal, body.value).await?,
    ))
}
