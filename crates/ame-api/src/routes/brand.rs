//! The organization's brand profile, used by every generated asset.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::problem::Problem;
use crate::state::AppState;
use crate::upload::LogoBody;
use actix_web::{HttpResponse, delete, get, put, web};
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

/// An image file's bytes (PNG or SVG).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageFile(pub Vec<u8>);

/// Upload the brand's logo (PNG or SVG, at most 1 MiB, at least 16×16 pixels).
///
/// It is normalised to a PNG of at most 512 pixels a side (an SVG is rendered; nothing it
/// links to is loaded) and drawn on banners and landing pages generated from now on. Needs a
/// saved brand profile (404 `brand_not_set`).
#[utoipa::path(
    tag = "brand",
    request_body(description = "The logo file", content(
        (ImageFile = "image/png"), (ImageFile = "image/svg+xml"),
    )),
    responses(
        (status = 200, description = "The brand profile with its logo", body = BrandProfile),
        (status = 404, description = "No brand profile is saved yet (`brand_not_set`)", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The logo is larger than 1 MiB", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `image/png` or `image/svg+xml`", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The file is not a readable PNG or SVG of at least 16×16 visible pixels", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/brand/logo")]
pub async fn put_logo(
    principal: Principal,
    state: web::Data<AppState>,
    body: LogoBody,
) -> Result<web::Json<BrandProfile>, Problem> {
    Ok(web::Json(
        state
            .engine
            .upload_logo(&principal, &body.media_type, &body.bytes)
            .await?,
    ))
}

/// Download the brand's logo (the normalised PNG); 404 when none is uploaded.
#[utoipa::path(
    tag = "brand",
    responses(
        (status = 200, description = "The logo", content((ImageFile = "image/png"))),
        (status = 404, description = "No brand profile (`brand_not_set`) or no logo uploaded (`file_missing`)", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/brand/logo")]
pub async fn get_logo(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let file = state.engine.brand_logo(&principal).await?;
    Ok(crate::files::stream(file, "private, max-age=300"))
}

/// Remove the brand's logo; assets generated from now on show the brand name instead.
#[utoipa::path(
    tag = "brand",
    responses(
        (status = 200, description = "The brand profile without a logo", body = BrandProfile),
        (status = 404, description = "No brand profile is saved yet (`brand_not_set`)", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/brand/logo")]
pub async fn delete_logo(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<BrandProfile>, Problem> {
    Ok(web::Json(state.engine.remove_logo(&principal).await?))
}
