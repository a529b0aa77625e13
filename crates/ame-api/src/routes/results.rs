//! Recorded campaign results and the performance prediction built on them.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::problem::Problem;
use crate::routes::assets::{MAX_SEED, default_seed, query_number};
use crate::routes::path_id;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, get, post, web};
use ame_domain::OrgId;
use ame_domain::{CampaignId, ChannelOutcome, ResultRecord, ResultRecordInput, ResultTotals};
use ame_prediction::{
    DEFAULT_DRAWS, FunnelPerformancePredictor, HistoryModel, Prediction, PredictionError,
    PredictionRequest, Stage,
};
use ame_storage::{
    CampaignRepository, ResultRepository, Storage, StorageError, campaign_group, org_group,
};
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::Mutex;
use utoipa::ToSchema;

/// A campaign's recorded results with their totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignResults {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Every record, by date, channel and asset.
    pub records: Vec<ResultRecord>,
    /// The records' totals (also the campaign's `performance`).
    pub totals: ResultTotals,
}

/// What a results upload changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedResults {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Records written (inserted or replaced).
    pub written: usize,
    /// The campaign's totals afterwards.
    pub totals: ResultTotals,
}

/// The largest accepted results upload: room for the most records one request may carry.
pub const RESULTS_BODY_BYTES: usize = 512 * 1024;

fn campaign_id(path: &web::Path<String>) -> Result<CampaignId, Problem> {
    path_id(path, "campaign").map(CampaignId::from_uuid)
}

/// Record results of a campaign: an array of daily records per channel (and optionally asset).
///
/// Records are upserted by (date, channel, asset): re-sending a day replaces it, so retries never
/// double-count. A measurement left out or `null` is "not measured", different from `0`.
#[utoipa::path(
    tag = "results",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    request_body = Vec<ResultRecordInput>,
    responses((status = 200, description = "The records were written", body = RecordedResults)),
    security(("bearer" = []))
)]
#[post("/campaigns/{id}/results")]
pub async fn record_results(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: JsonBody<Vec<ResultRecordInput>, RESULTS_BODY_BYTES, true>,
) -> Result<web::Json<RecordedResults>, Problem> {
    principal.require_write()?;
    let id = campaign_id(&path)?;
    let records = body.value;
    let written = records.len();
    let totals = principal
        .storage(&state.storage)
        .results()
        .record(principal.org, id, records)
        .await?;
    Ok(web::Json(RecordedResults {
        campaign_id: id,
        written,
        totals,
    }))
}

/// List a campaign's recorded results and their totals.
#[utoipa::path(
    tag = "results",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign's results", body = CampaignResults)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/results")]
pub async fn list_results(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<CampaignResults>, Problem> {
    let id = campaign_id(&path)?;
    let (records, totals) = principal
        .storage(&state.storage)
        .results()
        .list(principal.org, id)
        .await?;
    Ok(web::Json(CampaignResults {
        campaign_id: id,
        records,
        totals,
    }))
}

/// A fitted history and the history revision (revision, units) it was fitted at.
type CachedModel = ((i64, i64), Arc<HistoryModel>);

/// The fitted history, shared by every organization until any organization records results.
#[derive(Debug, Default)]
pub struct PredictionCache {
    slot: Mutex<Option<CachedModel>>,
}

impl PredictionCache {
    /// The model for history revision `key`, fitting it from `load` on a miss. Concurrent misses
    /// wait for one fit instead of fitting in parallel.
    pub async fn model<F>(&self, key: (i64, i64), load: F) -> Result<Arc<HistoryModel>, Problem>
    where
        F: Future<Output = Result<Vec<ChannelOutcome>, StorageError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((cached, model)) = slot.as_ref()
            && *cached == key
        {
            return Ok(model.clone());
        }
        let outcomes = load.await?;
        let model = tokio::task::spawn_blocking(move || HistoryModel::fit(outcomes))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "fitting the prediction history failed");
                Problem::internal()
            })?;
        let model = Arc::new(model);
        *slot = Some((key, model.clone()));
        Ok(model)
    }
}

/// A performance prediction: the seed's three fields plus every stage's intervals, the rates,
/// the history used and a one-line explanation.
#[derive(Debug, Serialize, ToSchema)]
pub struct PredictionResponse {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Point forecast of reach (the median).
    pub estimated_reach: f64,
    /// Point forecast of conversions; `null` when the history never measured conversions.
    pub estimated_conversions: Option<f64>,
    /// 0–100 from the relative width of the 80% interval of the last predicted stage.
    pub confidence: u8,
    /// Every stage, the rates, the history used and how it was made.
    #[serde(flatten)]
    pub prediction: Prediction,
}

/// Predict a campaign's performance from recorded results.
///
/// Pools every organization's recorded results (only aggregates, never another organization's
/// records), this organization's own, and — while the campaign runs — its results so far.
/// 422 `reach_unknown` when neither `planned_reach` nor `budget` says how far it will reach.
#[utoipa::path(
    tag = "campaigns",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        ("seed" = Option<u64>, Query, description = "Seed of the Monte Carlo draws (0 to 2^53 - 1; default derived from the campaign id)", minimum = 0, maximum = 9_007_199_254_740_991_i64),
        ("draws" = Option<u32>, Query, description = "Monte Carlo draws, 100 to 20000 (default 4000)", minimum = 100, maximum = 20000),
    ),
    responses((status = 200, description = "The prediction", body = PredictionResponse)),
    security(("bearer" = []))
)]
#[get("/predict/{id}")]
pub async fn predict(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<PredictionResponse>, Problem> {
    let id = campaign_id(&path)?;
    let seed = query_number::<u64>(&req, "seed", (0, MAX_SEED))?;
    let draws = query_number::<usize>(&req, "draws", (100, 20_000))?;
    let storage = principal.storage(&state.storage);
    predict_campaign(
        &storage,
        &state.prediction_cache,
        principal.org,
        id,
        seed,
        draws,
    )
    .await
    .map(web::Json)
}

/// Predicts campaign `id` of `org`: reads the campaign and the history's revision (fitting the
/// shared model when it changed; it holds the campaign's own results too), then runs the Monte
/// Carlo.
pub async fn predict_campaign(
    storage: &Storage,
    cache: &PredictionCache,
    org: OrgId,
    id: CampaignId,
    seed: Option<u64>,
    draws: Option<usize>,
) -> Result<PredictionResponse, Problem> {
    let campaign = storage.campaigns().get(org, id).await?;
    let results = storage.results();
    let revision = results.history_revision(org).await?;
    let model = cache.model(revision, results.history(org, None)).await?;
    // The history at this revision holds the campaign's own channel totals.
    let own_results = model.outcomes_of(campaign_group(id));
    let request = PredictionRequest {
        campaign_type: campaign.campaign_type,
        channels: campaign.plan.channels.clone(),
        org_group: org_group(org),
        planned_reach: campaign.plan.planned_reach.map(|r| r as f64),
        budget: campaign.plan.budget.and_then(|b| b.to_f64()),
        own_results_in_history: !own_results.is_empty(),
        own_results,
        seed: seed.unwrap_or_else(|| default_seed(id)),
        draws: draws.unwrap_or(DEFAULT_DRAWS),
    };
    let prediction = tokio::task::spawn_blocking(move || {
        FunnelPerformancePredictor::new(&model).predict(&request)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "prediction failed");
        Problem::internal()
    })?
    .map_err(|e| match e {
        PredictionError::ReachUnknown(detail) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "reach_unknown", detail)
                .with_allowed(["planned_reach", "budget"])
        }
    })?;
    Ok(PredictionResponse {
        campaign_id: id,
        estimated_reach: prediction.stage(Stage::Reach).map_or(0.0, |s| s.expected),
        estimated_conversions: prediction.stage(Stage::Conversions).map(|s| s.expected),
        confidence: prediction.confidence,
        prediction,
    })
}
