//! Assets: generating a campaign's set (the seed's endpoint) and reading them.

use crate::auth::Principal;
use crate::idempotency::{self, Reply};
use crate::problem::Problem;
use crate::routes::campaigns::campaign_id;
use crate::routes::path_id;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ame_domain::{Asset, AssetId, CampaignId};
use ame_storage::{AssetRepository, CampaignRepository};
use serde::Serialize;
use utoipa::ToSchema;

/// A campaign's asset set.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetList {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its assets, in generation order.
    pub items: Vec<Asset>,
}

/// Generate every asset the campaign's type calls for, replacing the previous set.
///
/// The set is stored all at once or not at all. Send `Idempotency-Key` to make retries safe.
#[utoipa::path(
    tag = "assets",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible ASCII characters, e.g. a UUID", min_length = 1, max_length = 255, pattern = r"^[!-~]{1,255}$"),
    ),
    responses((status = 201, description = "The generated asset set", body = AssetList,
        headers(("Location" = String, description = "Path of the campaign's asset list")),
        links(
            ("GetFirstAsset" = (operation_id = "get_asset", parameters(("id" = "$response.body#/items/0/id")))),
            ("ListAssets" = (operation_id = "list_campaign_assets", parameters(("id" = "$response.body#/campaign_id")))),
        )
    )),
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
    let storage = principal.storage(&state.storage);
    let org = principal.org;
    let locate: idempotency::Locate = |body| {
        body["campaign_id"]
            .as_str()
            .map(|id| format!("/api/marketing/campaigns/{id}/assets"))
    };
    idempotency::run(&req, &state, &principal, "", locate, |_| async move {
        let campaign = storage.campaigns().get(org, id).await?;
        let assets = ame_generation::build_outline_assets(&campaign);
        let items = storage.assets().replace_set(org, id, assets).await?;
        Reply::json(
            StatusCode::CREATED,
            &AssetList {
                campaign_id: id,
                items,
            },
        )
    })
    .await
}

/// List a campaign's assets.
#[utoipa::path(
    tag = "assets",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign's assets", body = AssetList)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/assets")]
pub async fn list_campaign_assets(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<AssetList>, Problem> {
    let id = campaign_id(&path)?;
    let items = principal
        .storage(&state.storage)
        .assets()
        .list_for_campaign(principal.org, id)
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
    let asset = principal
        .storage(&state.storage)
        .assets()
        .get(principal.org, id)
        .await?;
    Ok(web::Json(asset))
}
