//! Assets: generating a campaign's set (the seed's endpoint) and reading them.

use crate::auth::Principal;
use crate::extract::{campaign_id, path_id, query_number, seed};
use crate::idempotency::{self, reply};
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ame_domain::{Asset, AssetId, AssetSetVersion, CampaignId, Lead};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// A campaign's asset set.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetList {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its assets, in generation order.
    pub items: Vec<Asset>,
}

/// Generate every asset the campaign's type calls for, as the campaign's new current set.
///
/// Words come from the configured text model (the built-in copywriter by default, three variants
/// per A/B-tested field, every channel limit checked), then landing pages and emails are rendered
/// to HTML, banners to PNG and voice ads to WAV. The set is stored all at once or not at all; the
/// previous set stays readable as an earlier version. With the built-in copywriter the same
/// `seed` gives the same words (by default the seed comes from the campaign id); a remote model
/// gets the seed too but need not honour it. The landing page is published at `/p/{slug}` once
/// the organization has a brand profile (pages with placeholder details stay private). An
/// archived campaign gets no new set (409 `campaign_archived`). Send `Idempotency-Key` to make
/// retries safe.
#[utoipa::path(
    tag = "assets",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        ("seed" = Option<u64>, Query, description = "Seed for the built-in copywriter's choices (0 to 2^53 - 1)", minimum = 0, maximum = 9_007_199_254_740_991_i64),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible ASCII characters, e.g. a UUID", min_length = 1, max_length = 255, pattern = r"^[!-~]{1,255}$"),
    ),
    responses((status = 201, description = "The generated asset set", body = AssetList,
        headers(("Location" = String, description = "Path of the campaign's asset list")),
        links(
            ("GetFirstAsset" = (operation_id = "get_asset", parameters(("id" = "$response.body#/items/0/id")))),
            ("ListAssets" = (operation_id = "list_campaign_assets", parameters(("id" = "$response.body#/campaign_id")))),
        )
    ),
    (status = 409, description = "The campaign is archived; or a request with the same `Idempotency-Key` is still running, or what it created has since been deleted", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/generate-assets/{id}")]
pub async fn generate_assets(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require_write()?;
    let id = campaign_id(&path)?;
    let seed = seed(&req)?;
    let digest = crate::body::hex(&Sha256::digest(req.query_string().as_bytes()));
    let engine = &state.engine;
    let caller = &principal;
    idempotency::run(
        &req,
        &state,
        &principal,
        &digest,
        asset_list_location,
        Some(&|| state.limits.expensive(&principal)),
        |reserved| async move {
            let reserved = reserved.map(ame_domain::AssetId::from_uuid);
            let items = engine.generate_assets(caller, id, seed, reserved).await?;
            reply(
                StatusCode::CREATED,
                &AssetList {
                    campaign_id: id,
                    items,
                },
            )
        },
    )
    .await
}

/// Where a generated set lives: its campaign's asset list.
fn asset_list_location(created: &serde_json::Value) -> Option<String> {
    created["campaign_id"]
        .as_str()
        .map(|id| format!("/api/marketing/campaigns/{id}/assets"))
}

/// List a campaign's assets: the current set, or an earlier version.
#[utoipa::path(
    tag = "assets",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        ("version" = Option<i32>, Query, description = "An earlier version of the set (see the versions list); the current set when left out", minimum = 1, maximum = 2_147_483_647),
    ),
    responses((status = 200, description = "The campaign's assets", body = AssetList)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/assets")]
pub async fn list_campaign_assets(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<AssetList>, Problem> {
    let id = campaign_id(&path)?;
    let version = query_number::<i32>(&req, "version", (1, i32::MAX as u64))?;
    let items = state
        .engine
        .campaign_assets(&principal, id, version)
        .await?;
    Ok(web::Json(AssetList {
        campaign_id: id,
        items,
    }))
}

/// Read an asset.
#[utoipa::path(
    tag = "assets",
    params(("id" = uuid::Uuid, Path, description = "Asset id")),
    responses((status = 200, description = "The asset", body = Asset)),
    security(("bearer" = []))
)]
#[get("/assets/{id}")]
pub async fn get_asset(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<Asset>, Problem> {
    let id = AssetId::from_uuid(path_id(&path, "asset")?);
    Ok(web::Json(state.engine.asset(&principal, id).await?))
}

/// The versions of a campaign's asset set.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetVersionList {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Every version, newest first.
    pub items: Vec<AssetSetVersion>,
}

/// List the versions of a campaign's asset set (each generation is one version).
#[utoipa::path(
    tag = "assets",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "Every version, newest first", body = AssetVersionList)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/asset-versions")]
pub async fn list_asset_versions(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<AssetVersionList>, Problem> {
    let id = campaign_id(&path)?;
    let items = state.engine.asset_versions(&principal, id).await?;
    Ok(web::Json(AssetVersionList {
        campaign_id: id,
        items,
    }))
}

/// Download a rendered file of an asset (HTML page or email, plain-text email, PNG banner, WAV).
///
/// The names are listed in the asset's `metadata.files`.
#[utoipa::path(
    tag = "assets",
    params(
        ("id" = uuid::Uuid, Path, description = "Asset id"),
        ("name" = String, Path, description = "File name from the asset's `metadata.files`, e.g. `index.html`", pattern = r"^[a-z0-9][a-z0-9.-]{0,63}$"),
    ),
    responses((status = 200, description = "The file", content(
        (String = "text/html"), (String = "text/plain"),
        (Vec<u8> = "image/png"), (Vec<u8> = "audio/wav"),
    ))),
    security(("bearer" = []))
)]
#[get("/assets/{id}/files/{name}")]
pub async fn get_asset_file(
    principal: Principal,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (id, name) = path.into_inner();
    let id = AssetId::from_uuid(path_id(&id, "asset")?);
    let file = state.engine.open_asset_file(&principal, id, &name).await?;
    Ok(crate::files::stream(file, "private, max-age=300"))
}

/// A campaign's leads.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadList {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The newest leads first (at most `limit`).
    pub items: Vec<Lead>,
}

/// List the leads a campaign's landing page collected, newest first.
#[utoipa::path(
    tag = "assets",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        ("limit" = Option<u64>, Query, description = "At most this many (1 to 500, default 100)", minimum = 1, maximum = 500),
    ),
    responses((status = 200, description = "The leads", body = LeadList)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/leads")]
pub async fn list_leads(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<LeadList>, Problem> {
    let id = campaign_id(&path)?;
    let limit = query_number::<u64>(&req, "limit", ame_app::LEADS_LIMIT_RANGE)?;
    let items = state.engine.leads(&principal, id, limit).await?;
    Ok(web::Json(LeadList {
        campaign_id: id,
        items,
    }))
}
