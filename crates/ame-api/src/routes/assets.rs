//! Assets: generating a campaign's set (the seed's endpoint) and reading them.

use crate::auth::Principal;
use crate::idempotency::{self, Reply};
use crate::problem::Problem;
use crate::routes::campaigns::campaign_id;
use crate::routes::path_id;
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ame_domain::{
    Asset, AssetId, AssetSetVersion, AssetType, CampaignId, FieldError, Lead, NewAsset,
};
use ame_generation::Brief;
use ame_storage::{
    AssetRepository, BrandRepository, CampaignRepository, LeadRepository, PageToPublish, blob_key,
};
use bytes::Bytes;
use futures::StreamExt;
use serde::Serialize;
use serde_json::json;
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
/// the organization has a brand profile (pages with placeholder details stay private). Send
/// `Idempotency-Key` to make retries safe.
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
    let seed = query_number::<u64>(&req, "seed", (0, MAX_SEED))?;
    let storage = principal.storage(&state.storage);
    let org = principal.org;
    let locate: idempotency::Locate = |body| {
        body["campaign_id"]
            .as_str()
            .map(|id| format!("/api/marketing/campaigns/{id}/assets"))
    };
    let digest = crate::body::hex(&Sha256::digest(req.query_string().as_bytes()));
    let generator = state.generator.clone();
    let blobs = state.blobs.clone();
    idempotency::run(&req, &state, &principal, &digest, locate, |_| async move {
        let campaign = storage.campaigns().get(org, id).await?;
        let brand = storage.brands().get(org).await?.map(|p| p.brand);
        let seed = seed.unwrap_or_else(|| default_seed(id));
        let brief = Brief::new(campaign, brand, seed);
        let generated = generator.generate(&brief).await;
        let mut assets = Vec::with_capacity(generated.len());
        let mut page = None;
        for (index, mut g) in generated.into_iter().enumerate() {
            let mut files = Vec::with_capacity(g.files.len());
            for mut file in std::mem::take(&mut g.files) {
                let key = blob_key(&org.to_string(), &file.sha256);
                blobs
                    .put(&key, Bytes::from(std::mem::take(&mut file.bytes)))
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "could not store a rendered file");
                        Problem::internal()
                    })?;
                if g.asset_type == AssetType::LandingPage
                    && file.name == "index.html"
                    && !brief.brand_is_placeholder
                {
                    page = Some(PageToPublish {
                        asset_index: index,
                        slug: brief.page_slug(),
                        file_key: key.clone(),
                    });
                }
                let mut entry = serde_json::to_value(&file).unwrap_or_default();
                entry["key"] = json!(key);
                entry["uri"] = json!(blobs.uri(&key));
                files.push(entry);
            }
            g.metadata["files"] = json!(files);
            assets.push(NewAsset {
                asset_type: g.asset_type,
                content: g.content,
                metadata: g.metadata,
            });
        }
        let items = storage
            .assets()
            .replace_set_publishing(org, id, assets, page)
            .await?;
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

/// Largest accepted seed (the largest integer JSON numbers carry exactly).
pub(crate) const MAX_SEED: u64 = 9_007_199_254_740_991;

/// The seed used when the request names none: derived from the campaign id, so regenerating a
/// campaign without a seed gives the same words.
pub(crate) fn default_seed(id: CampaignId) -> u64 {
    let bytes = id.as_uuid().as_bytes().to_owned();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes[8..]);
    u64::from_le_bytes(first) & MAX_SEED
}

/// An optional integer query parameter within `min..=max`.
pub(crate) fn query_number<T: TryFrom<u64>>(
    req: &HttpRequest,
    name: &str,
    (min, max): (u64, u64),
) -> Result<Option<T>, Problem> {
    let pairs =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map_err(|e| {
            Problem::bad_request(
                "invalid_query",
                format!("the query string is malformed: {e}"),
            )
        })?;
    let Some((_, raw)) = pairs.iter().find(|(k, _)| k == name) else {
        return Ok(None);
    };
    let invalid = || {
        Problem::validation(vec![FieldError::new(
            name,
            format!("must be an integer from {min} to {max}; got `{raw}`"),
        )])
    };
    let value: u64 = raw.parse().map_err(|_| invalid())?;
    if !(min..=max).contains(&value) {
        return Err(invalid());
    }
    T::try_from(value).map(Some).map_err(|_| invalid())
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
    let assets = principal.storage(&state.storage).assets();
    let items = match version {
        Some(v) => assets.list_version(principal.org, id, v).await?,
        None => assets.list_for_campaign(principal.org, id).await?,
    };
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
    let items = principal
        .storage(&state.storage)
        .assets()
        .versions(principal.org, id)
        .await?;
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
    let id = AssetId::from_uuid(crate::routes::path_id(&web::Path::from(id), "asset")?);
    let asset = principal
        .storage(&state.storage)
        .assets()
        .get(principal.org, id)
        .await?;
    let file = asset.metadata["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["name"] == name.as_str()))
        .ok_or_else(|| {
            let names: Vec<String> = asset.metadata["files"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("the asset has no file `{name}`"),
            )
            .with_allowed(names)
        })?;
    let key = file["key"].as_str().unwrap_or_default();
    let media_type = file["media_type"]
        .as_str()
        .unwrap_or("application/octet-stream");
    stream_file(&state, key, media_type, "private, max-age=300").await
}

/// Streams the stored file under `key` (content-addressed, so its hash is the ETag).
pub(crate) async fn stream_file(
    state: &AppState,
    key: &str,
    media_type: &str,
    cache: &str,
) -> Result<HttpResponse, Problem> {
    let sha = key.rsplit('/').next().unwrap_or_default().to_owned();
    let media_type = media_type.to_owned();
    let opened = state.blobs.open(key).await.map_err(|e| {
        tracing::error!(error = %e, "could not read a rendered file");
        Problem::internal()
    })?;
    let Some((size, stream)) = opened else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "file_missing",
            "the file is no longer in blob storage; regenerate the campaign's assets",
        ));
    };
    let stream = stream.map(|chunk| chunk.map_err(actix_web::error::ErrorInternalServerError));
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::CACHE_CONTROL, cache.to_owned()))
        .insert_header((header::ETAG, format!("\"{sha}\"")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .no_chunking(size)
        .streaming(stream))
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
    let limit = query_number::<u64>(&req, "limit", (1, 500))?.unwrap_or(100);
    let items = principal
        .storage(&state.storage)
        .leads()
        .list(principal.org, id, limit)
        .await?;
    Ok(web::Json(LeadList {
        campaign_id: id,
        items,
    }))
}
