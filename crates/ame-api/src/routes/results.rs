//! Recorded campaign results and the performance prediction built on them.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::extract::{campaign_id, query_number, seed};
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpRequest, get, post, web};
use ame_domain::{
    CampaignId, EmailHealth, ResultRecord, ResultRecordInput, ResultTotals, TrackedRequests,
};
use ame_prediction::{Prediction, Stage};
use serde::Serialize;
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
    /// What happened to the campaign's email: delivered, bounced, complained and unsubscribed
    /// counts and rates, with the bulk-sender limits crossed.
    pub email: EmailHealth,
    /// Public clicks and landing page views as received (`raw`) beside those counted, with
    /// why the rest were not (repeated, automated, throttled). Results and predictions use
    /// the counted ones.
    pub requests: TrackedRequests,
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
    let totals = state.engine.record_results(&principal, id, records).await?;
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
    let (records, totals) = state.engine.results(&principal, id).await?;
    let email = state.engine.email_health(&principal, id).await?;
    let requests = state.engine.tracked_requests(&principal, id).await?;
    Ok(web::Json(CampaignResults {
        campaign_id: id,
        records,
        totals,
        email,
        requests,
    }))
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
    let seed = seed(&req)?;
    let draws = query_number::<usize>(&req, "draws", ame_app::DRAWS_RANGE)?;
    if draws.is_some_and(|d| d > ame_prediction::DEFAULT_DRAWS) {
        state.limits.expensive(&principal)?;
    }
    let prediction = state.engine.predict(&principal, id, seed, draws).await?;
    Ok(web::Json(PredictionResponse::new(id, prediction)))
}

impl PredictionResponse {
    /// The response for `prediction` of campaign `id`.
    pub fn new(id: CampaignId, prediction: Prediction) -> Self {
        Self {
            campaign_id: id,
            estimated_reach: prediction.stage(Stage::Reach).map_or(0.0, |s| s.expected),
            estimated_conversions: prediction.stage(Stage::Conversions).map(|s| s.expected),
            confidence: prediction.confidence,
            prediction,
        }
    }
}
