//! Optimisation: outcome records, a campaign's lift over its holdout, its variant tests, and
//! predictive audience targeting.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::extract::{campaign_id, query_pairs};
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use ame_app::optimisation::{ModelSummary, OutcomeImport, ScorePage};
use ame_domain::{ExperimentReport, FieldError, Goal, LiftReport, NewOutcome};
use serde::Serialize;
use utoipa::ToSchema;

/// Largest outcome request body: 1,000 records.
pub const OUTCOMES_BODY_BYTES: usize = 1024 * 1024;

/// A campaign's variant tests.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentList {
    /// One per tested field.
    pub items: Vec<ExperimentReport>,
}

/// Reads `goal` (default `conversions`), `limit` and `cursor` from the query string; any other
/// parameter is refused, naming what is allowed.
fn goal_query(req: &HttpRequest, paged: bool) -> Result<(Goal, u64, Option<String>), Problem> {
    let mut goal = Goal::Conversions;
    let mut limit = 50;
    let mut cursor = None;
    let mut errors = Vec::new();
    let allowed: &[&str] = if paged {
        &["goal", "limit", "cursor"]
    } else {
        &["goal"]
    };
    for (name, value) in query_pairs(req.query_string())? {
        match name.as_str() {
            "goal" => match value.parse() {
                Ok(g) => goal = g,
                Err(_) => errors.push(FieldError::with_allowed(
                    "goal",
                    format!("is not a goal; got `{value}`"),
                    Goal::NAMES,
                )),
            },
            "limit" if paged => match value.parse::<u64>() {
                Ok(n) if (1..=1000).contains(&n) => limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("must be an integer from 1 to 1000; got `{value}`"),
                )),
            },
            "cursor" if paged => cursor = Some(value),
            other => errors.push(FieldError::with_allowed(
                other,
                "is not a parameter of this endpoint",
                allowed,
            )),
        }
    }
    if errors.is_empty() {
        Ok((goal, limit, cursor))
    } else {
        Err(Problem::validation(errors))
    }
}

/// Record outcomes of earlier sends of a campaign: 1 to 1,000 records
/// `{email, group, variants?, clicked?, converted?, value?}`, all or nothing. Every address
/// must name a contact of the organization; re-sending a contact replaces its record. Larger
/// files go through `ame outcomes import`.
#[utoipa::path(
    tag = "optimisation",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    request_body(content = Vec<NewOutcome>, content_type = "application/json"),
    responses(
        (status = 200, description = "Records written", body = OutcomeImport),
        (status = 422, description = "A record is invalid or names no contact (`[i].field`)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id}/outcomes")]
pub async fn record_outcomes(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: JsonBody<Vec<NewOutcome>, OUTCOMES_BODY_BYTES, true>,
) -> Result<web::Json<OutcomeImport>, Problem> {
    let id = campaign_id(&path)?;
    Ok(web::Json(
        state
            .engine
            .record_outcomes(&principal, id, body.value)
            .await?,
    ))
}

/// A campaign's incremental lift over its randomly held-out control group, intention to treat
/// (every contact assigned counts in its group, whatever happened to its messages; contacts
/// who converted before their assignment count in neither): clicks and conversions (absolute
/// with Newcombe's interval, relative with Katz's) and revenue per contact (difference of
/// means with Welch's interval; `bootstrap=N` adds a percentile bootstrap interval over N
/// resamples, 100 to 10,000). A metric nobody recorded is `null`.
#[utoipa::path(
    tag = "optimisation",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        ("bootstrap" = Option<u32>, Query, minimum = 100, maximum = 10000,
            description = "Resamples of a bootstrap interval for the revenue lift"),
    ),
    responses(
        (status = 200, description = "Counts per group and the lift", body = LiftReport),
        (status = 422, description = "A bad query parameter", body = ProblemDetails,
            content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/lift")]
pub async fn campaign_lift(
    principal: Principal,
    path: web::Path<String>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<web::Json<LiftReport>, Problem> {
    let id = campaign_id(&path)?;
    let mut bootstrap = None;
    let mut errors = Vec::new();
    for (name, value) in query_pairs(req.query_string())? {
        match name.as_str() {
            "bootstrap" => match value.parse::<u32>() {
                Ok(n) => bootstrap = Some(n),
                Err(_) => errors.push(FieldError::new(
                    "bootstrap",
                    format!("must be a whole number of resamples from 100 to 10000; got `{value}`"),
                )),
            },
            other => errors.push(FieldError::with_allowed(
                other,
                "is not a parameter of this endpoint",
                &["bootstrap"],
            )),
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    Ok(web::Json(
        state
            .engine
            .campaign_lift_with(&principal, id, bootstrap)
            .await?,
    ))
}

/// A campaign's variant tests (email subjects per step, landing-page headline and button):
/// per arm its exposures, successes, posterior mean and 95% interval, probability of being
/// best and current weight; the state (`burn_in`, `optimising`, `promoted`) and the winner.
#[utoipa::path(
    tag = "optimisation",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The tests", body = ExperimentList)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/experiments")]
pub async fn campaign_experiments(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<ExperimentList>, Problem> {
    let id = campaign_id(&path)?;
    Ok(web::Json(ExperimentList {
        items: state.engine.experiments(&principal, id).await?,
    }))
}

/// Train the organization's targeting model for a goal from its outcomes (the worker also
/// retrains it when outcomes change).
#[utoipa::path(
    tag = "optimisation",
    params(("goal" = Option<Goal>, Query, description = "What to predict (default `conversions`)")),
    responses(
        (status = 200, description = "The trained model", body = ModelSummary),
        (status = 409, description = "Too few outcomes: says how many there are and how many are needed", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/targeting/train")]
pub async fn train_targeting(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let (goal, _, _) = goal_query(&req, false)?;
    let model = state.engine.train_targeting(&principal, goal).await?;
    Ok(HttpResponse::Ok().json(model))
}

/// The organization's targeting model for a goal: when it was trained, on how many outcomes,
/// its features and coefficients, and its held-out AUC, top-decile lift, calibration error and
/// (with control outcomes) Qini coefficient.
#[utoipa::path(
    tag = "optimisation",
    params(("goal" = Option<Goal>, Query, description = "What it predicts (default `conversions`)")),
    responses(
        (status = 200, description = "The model", body = ModelSummary),
        (status = 409, description = "No model has been trained for this goal yet", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/targeting/model")]
pub async fn targeting_model(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<web::Json<ModelSummary>, Problem> {
    let (goal, _, _) = goal_query(&req, false)?;
    Ok(web::Json(
        state.engine.targeting_model(&principal, goal).await?,
    ))
}

/// Rank a campaign's audience by the targeting model: per contact the probability of a
/// response, its expected value and (with control outcomes) its uplift, best first, in pages.
/// The ranking is scored once per model version and state of the audience and stored: the
/// first page scores again when the model, the organization's contacts or outcomes, or the
/// campaign changed (or after a day); later pages read the ranking their cursor belongs to.
#[utoipa::path(
    tag = "optimisation",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        ("goal" = Option<Goal>, Query, description = "What to predict (default `conversions`)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 50)", minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page", pattern = r"^[A-Za-z0-9_-]*$"),
    ),
    responses(
        (status = 200, description = "One page of scored contacts", body = ScorePage),
        (status = 409, description = "No model has been trained for this goal yet, or the cursor belongs to a ranking that has since been replaced (start again without a cursor)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id}/audience/score")]
pub async fn score_audience(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<ScorePage>, Problem> {
    let id = campaign_id(&path)?;
    let (goal, limit, cursor) = goal_query(&req, true)?;
    Ok(web::Json(
        state
            .engine
            .score_audience(&principal, id, goal, limit, cursor.as_deref())
            .await?,
    ))
}
