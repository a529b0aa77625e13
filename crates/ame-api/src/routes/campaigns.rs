//! Campaigns: the seed's create, list and predict endpoints, plus read, edit, delete and
//! lifecycle transitions.

use crate::auth::Principal;
use crate::body::{JsonBody, field_error};
use crate::extract::{campaign_id, list_query};
use crate::idempotency::{self, reply};
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use ame_domain::{
    Campaign, CampaignFilter, CampaignId, CampaignStatus, CampaignType, Channel, NewCampaign,
    PageRequest, PlanPatch, Readiness,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One page of campaigns, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignPage {
    /// The campaigns on this page.
    pub items: Vec<Campaign>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Query parameters of the campaign list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCampaignsQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (empty or absent: the first page).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Only campaigns in this status.
    pub status: Option<CampaignStatus>,
    /// Only campaigns of this type.
    pub campaign_type: Option<CampaignType>,
    /// Only campaigns whose name or objective contains this text (case-insensitive).
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// A lifecycle transition request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The status to move to.
    pub status: CampaignStatus,
    /// Apply only if the campaign is in this status now (409 otherwise).
    #[serde(default)]
    pub expected_status: Option<CampaignStatus>,
}

/// Edits to a draft campaign: fields left out stay as they are; `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// New objective (3 to 500 characters).
    #[serde(default)]
    #[schema(
        min_length = 3,
        max_length = 500,
        pattern = r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}][^\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069\ufeff{}]+[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}][\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub objective: Option<String>,
    /// New name, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = r"^[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}]([^\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069\ufeff{}]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200b\u2028\u2029\u202a-\u202f\u205f\u2066-\u2069\u3000\ufeff{}])?[\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$")]
    pub name: Option<Option<String>>,
    /// New planned reach, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub planned_reach: Option<Option<i64>>,
    /// New budget as a decimal string, or `null` to clear it.
    #[serde(default, deserialize_with = "present_money")]
    #[schema(value_type = Option<String>, example = "2500.00", pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$")]
    pub budget: Option<Option<Decimal>>,
    /// New channel list.
    #[serde(default)]
    #[schema(max_items = 16)]
    pub channels: Option<Vec<Channel>>,
    /// New start, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$", example = "2027-01-05T09:00:00Z")]
    pub start_at: Option<Option<DateTime<Utc>>>,
    /// New end, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>, pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$", example = "2027-03-31T17:00:00Z")]
    pub end_at: Option<Option<DateTime<Utc>>>,
    /// New IANA time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// New audience, or `null` to send no email.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ame_domain::Audience>)]
    pub audience: Option<Option<ame_domain::Audience>>,
    /// New send window, or `null` for the default (Monday to Friday, 09:00–17:00 local).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ame_domain::SendWindow>)]
    pub send_window: Option<Option<ame_domain::SendWindow>>,
    /// New holdout share (0 to 0.5), or `null` for the default 0.1.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, minimum = 0.0, maximum = 0.5)]
    pub holdout_fraction: Option<Option<f64>>,
    /// New targeting, or `null` to send to the whole audience.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ame_domain::Targeting>)]
    pub targeting: Option<Option<ame_domain::Targeting>>,
}

/// A field that is present (possibly `null`), as opposed to left out.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A budget that is present (possibly `null`), written as a decimal string.
fn present_money<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Decimal>>, D::Error> {
    ame_domain::money_text(deserializer).map(Some)
}

impl From<CampaignPatch> for PlanPatch {
    fn from(p: CampaignPatch) -> Self {
        PlanPatch {
            objective: p.objective,
            name: p.name,
            planned_reach: p.planned_reach,
            budget: p.budget,
            channels: p.channels,
            start_at: p.start_at,
            end_at: p.end_at,
            timezone: p.timezone,
            audience: p.audience,
            send_window: p.send_window,
            holdout_fraction: p.holdout_fraction,
            targeting: p.targeting,
        }
    }
}

/// Create a campaign (in `draft`).
///
/// Send `Idempotency-Key` to make retries safe: a retry with the same key and body returns the
/// first response and creates nothing new.
#[utoipa::path(
    tag = "campaigns",
    request_body(content = NewCampaign, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible ASCII characters, e.g. a UUID", min_length = 1, max_length = 255, pattern = r"^[!-~]{1,255}$")),
    responses((status = 201, description = "The created campaign", body = Campaign,
        headers(("Location" = String, description = "Path of the created campaign")),
        links(
            ("GetCampaign" = (operation_id = "get_campaign", parameters(("id" = "$response.body#/id")))),
            ("EditCampaign" = (operation_id = "patch_campaign", parameters(("id" = "$response.body#/id")))),
            ("ChangeStatus" = (operation_id = "change_status", parameters(("id" = "$response.body#/id")))),
            ("GenerateAssets" = (operation_id = "generate_assets", parameters(("id" = "$response.body#/id")))),
            ("ListAssets" = (operation_id = "list_campaign_assets", parameters(("id" = "$response.body#/id")))),
            ("Predict" = (operation_id = "predict", parameters(("id" = "$response.body#/id")))),
            ("DeleteCampaign" = (operation_id = "delete_campaign", parameters(("id" = "$response.body#/id")))),
        )
    )),
    security(("bearer" = []))
)]
#[post("/campaign")]
pub async fn create_campaign(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<NewCampaign>,
) -> Result<HttpResponse, Problem> {
    let valid = state.engine.check_new_campaign(&principal, body.value)?;
    let engine = &state.engine;
    let caller = &principal;
    idempotency::run(
        &req,
        &state,
        &principal,
        &body.digest,
        campaign_location,
        None,
        |reserved| {
            let valid = valid.clone();
            async move {
                let reserved = reserved.map(CampaignId::from_uuid);
                let campaign = engine.create_campaign(caller, valid, reserved).await?;
                reply(StatusCode::CREATED, &campaign)
            }
        },
    )
    .await
}

/// Where a created campaign lives: `/api/marketing/campaigns/{id}`.
fn campaign_location(created: &serde_json::Value) -> Option<String> {
    created["id"]
        .as_str()
        .map(|id| format!("/api/marketing/campaigns/{id}"))
}

fn parse_list_query(query: &str) -> Result<(CampaignFilter, PageRequest), Problem> {
    let mut filter = CampaignFilter::default();
    let page = list_query(query, |name, value, errors| match name {
        "status" => match value.parse() {
            Ok(s) => filter.status = Some(s),
            Err(e) => errors.push(field_error("status".into(), format!("{e}"))),
        },
        "campaign_type" => match value.parse() {
            Ok(t) => filter.campaign_type = Some(t),
            Err(e) => errors.push(field_error("campaign_type".into(), format!("{e}"))),
        },
        "q" => match CampaignFilter::search_text(value) {
            Ok(text) => filter.search = text,
            Err(e) => errors.push(field_error("q".into(), e.message)),
        },
        _ => {}
    })?;
    Ok((filter, page))
}

/// List campaigns, newest first, one page at a time.
#[utoipa::path(
    tag = "campaigns",
    params(ListCampaignsQuery),
    responses((status = 200, description = "One page of campaigns", body = CampaignPage)),
    security(("bearer" = []))
)]
#[get("/campaigns")]
pub async fn list_campaigns(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<web::Json<CampaignPage>, Problem> {
    let (filter, page) = parse_list_query(req.query_string())?;
    let page = state
        .engine
        .list_campaigns(&principal, filter, page)
        .await?;
    Ok(web::Json(CampaignPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Read a campaign.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign", body = Campaign)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<Campaign>, Problem> {
    let id = campaign_id(&path)?;
    Ok(web::Json(state.engine.campaign(&principal, id).await?))
}

/// Edit the objective and plan of a draft campaign.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    request_body(content = CampaignPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "The edited campaign", body = Campaign),
        (status = 409, description = "The campaign is no longer a draft, or changed concurrently", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/campaigns/{id}")]
pub async fn patch_campaign(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: JsonBody<CampaignPatch>,
) -> Result<web::Json<Campaign>, Problem> {
    principal.require_write()?;
    let id = campaign_id(&path)?;
    let campaign = state
        .engine
        .edit_campaign(&principal, id, body.value.into())
        .await?;
    Ok(web::Json(campaign))
}

/// Delete a campaign and its assets.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/campaigns/{id}")]
pub async fn delete_campaign(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require_write()?;
    let id = campaign_id(&path)?;
    state.engine.delete_campaign(&principal, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Move a campaign through its lifecycle.
///
/// Allowed: draft → scheduled, active, archived; scheduled → active, paused, draft, archived;
/// active → paused, completed; paused → active, completed, archived; completed → archived.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    request_body(content = StatusChange, content_type = "application/json"),
    responses(
        (status = 200, description = "The campaign in its new status", body = Campaign),
        (status = 409, description = "The lifecycle does not allow this change (`allowed` lists the possible targets), `expected_status` no longer holds, or the campaign is not ready to be scheduled or activated (`campaign_not_ready`; `unmet` lists what it lacks)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/campaigns/{id}/status")]
pub async fn change_status(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: JsonBody<StatusChange>,
) -> Result<web::Json<Campaign>, Problem> {
    principal.require_write()?;
    let id = campaign_id(&path)?;
    let change = body.value;
    let campaign = state
        .engine
        .change_status(&principal, id, change.status, change.expected_status)
        .await?;
    Ok(web::Json(campaign))
}

/// What a campaign still needs before it may be scheduled or activated: a brand profile,
/// generated assets (an email sequence when its type sends email), an audience with someone in
/// it, and a usable sender. Blocking items make scheduling answer 409 `campaign_not_ready`;
/// a planned start in the past is a warning.
#[utoipa::path(
    tag = "campaigns",
    params(("id" = uuid::Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The launch checklist", body = Readiness)),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/readiness")]
pub async fn campaign_readiness(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<Readiness>, Problem> {
    let id = campaign_id(&path)?;
    Ok(web::Json(
        state.engine.campaign_readiness(&principal, id).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_report_every_bad_parameter() {
        let (filter, page) = parse_list_query("limit=5&status=active&foo=bar").unwrap();
        assert_eq!(page.limit(), 5);
        assert_eq!(filter.status, Some(CampaignStatus::Active));
        let p = parse_list_query("limit=0&status=running&campaign_type=x&cursor=zz").unwrap_err();
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["status", "campaign_type", "cursor", "limit"]);
        assert_eq!(p.errors[0].allowed.as_ref().unwrap().len(), 6);
        assert_eq!(parse_list_query("").unwrap().1.limit(), 20);
    }

    #[test]
    fn patches_tell_null_from_absent() {
        let patch: CampaignPatch = serde_json::from_str(r#"{"name": null}"#).unwrap();
        assert_eq!(patch.name, Some(None));
        assert_eq!(patch.budget, None);
    }
}
