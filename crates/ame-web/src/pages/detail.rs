//! A campaign's overview: its plan (editable while a draft), the lifecycle buttons its status
//! allows, generating its assets and the gallery of the current set, with version history.

use super::{checked_form, parse_id};
use crate::assets_view::gallery;
use crate::error::WebError;
use crate::form::{Errors, csrf_field};
use crate::layout::{campaign_header, campaign_title, number, ok, page, respond, see_other};
use crate::pages::campaigns::{PlanValues, form_errors, label, plan_form};
use crate::security::PREVIEW_POLICY;
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, Path, Query};
use ame_app::AppError;
use ame_domain::{AssetId, Campaign, CampaignId, CampaignStatus};
use maud::{Markup, html};
use serde::Deserialize;

/// Which asset set version to show (the current one by default).
#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

fn verb(status: CampaignStatus) -> &'static str {
    match status {
        CampaignStatus::Draft => "Back to draft",
        CampaignStatus::Scheduled => "Schedule",
        CampaignStatus::Active => "Activate",
        CampaignStatus::Paused => "Pause",
        CampaignStatus::Completed => "Complete",
        CampaignStatus::Archived => "Archive",
    }
}

fn plan_list(c: &Campaign) -> Markup {
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "not set".into())
    };
    html! {
        dl .plan {
            dt { "Objective" } dd { (c.objective) }
            dt { "Type" } dd { (label(c.campaign_type.as_str())) " — writes " (c.campaign_type.asset_types().iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")) }
            dt { "Channels" } dd { @if c.plan.channels.is_empty() { "none yet" } @else { (c.plan.channels.iter().map(|ch| ch.as_str()).collect::<Vec<_>>().join(", ")) } }
            dt { "Planned reach" } dd { (c.plan.planned_reach.map(|r| number(r as f64, 0)).unwrap_or_else(|| "not set".into())) }
            dt { "Budget" } dd { (c.plan.budget.map(|b| b.to_string()).unwrap_or_else(|| "not set".into())) }
            dt { "Runs" } dd {
                @match (c.plan.start_at, c.plan.end_at) {
                    (None, None) => { "no dates yet (" (c.plan.timezone) ")" }
                    (start, end) => { (when(start)) " to " (when(end)) " (" (c.plan.timezone) ")" }
                }
            }
            dt { "Audience" } dd { @match &c.plan.audience { Some(a) => (serde_json::to_string(a).unwrap_or_default()), None => "none (sends no email)" } }
            dt { "Holdout" } dd { (format!("{:.0}%", c.plan.holdout() * 100.0)) " of the audience, to measure lift" }
            dt { "Updated" } dd { (c.updated_at.format("%Y-%m-%d %H:%M UTC")) }
        }
    }
}

async fn detail_page(
    ctx: &Ctx,
    campaign: &Campaign,
    version: Option<i32>,
    edit: Option<(&PlanValues, &Errors)>,
) -> Result<Markup, WebError> {
    let assets = ctx
        .engine
        .campaign_assets(&ctx.caller, campaign.id, version)
        .await?;
    let versions = ctx.engine.asset_versions(&ctx.caller, campaign.id).await?;
    let base = format!("/app/campaigns/{}", campaign.id);
    let editable = ctx.can_write() && campaign.status == CampaignStatus::Draft;
    let current_values = PlanValues::from_campaign(campaign);
    let no_errors = Errors::default();
    let (values, errors) = edit.unwrap_or((&current_values, &no_errors));
    let generating_allowed = campaign.status != CampaignStatus::Archived;
    let readiness = if matches!(
        campaign.status,
        CampaignStatus::Draft | CampaignStatus::Scheduled
    ) {
        Some(
            ctx.engine
                .campaign_readiness(&ctx.caller, campaign.id)
                .await?,
        )
    } else {
        None
    };
    let sending = ctx.engine.sending_status(&ctx.caller).await?;
    Ok(page(
        ctx,
        "campaigns",
        campaign_title(campaign),
        html! {
            (campaign_header(campaign, "overview"))
            (errors.summary())
            (super::running::sending_banner(&sending, ctx.can_manage().then(|| ctx.csrf())))
            @if let Some(readiness) = &readiness {
                section #readiness .card aria-labelledby="readiness-heading" {
                    h2 #readiness-heading { "Launch checklist" }
                    @if readiness.items.is_empty() {
                        p { "Ready to launch: the brand, the assets, the audience and the sender are all set." }
                    } @else {
                        @if !readiness.ready {
                            p { "Before this campaign can be scheduled or activated:" }
                        }
                        ul {
                            @for item in &readiness.items {
                                li data-code=(serde_json::to_value(item.code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) {
                                    strong { @if item.blocking { "To do: " } @else { "Note: " } }
                                    (item.message)
                                }
                            }
                        }
                    }
                }
            }
            @if ctx.can_write() {
                div .actions {
                    @if !campaign.status.allowed_next().is_empty() {
                        form #lifecycle method="post" action={ (base) "/status" } .actions {
                            (csrf_field(ctx.csrf()))
                            input type="hidden" name="expected" value=(campaign.status);
                            @for next in campaign.status.allowed_next() {
                                button type="submit" name="status" value=(next)
                                    .secondary[*next != CampaignStatus::Active] { (verb(*next)) }
                            }
                        }
                    }
                    @if generating_allowed {
                        form #generate-form method="post" action={ (base) "/generate" }
                            data-busy="Generating assets… this takes a few seconds." data-status="generate-status" {
                            (csrf_field(ctx.csrf()))
                            button #generate type="submit" {
                                @if assets.is_empty() { "Generate assets" } @else { "Regenerate assets" }
                            }
                        }
                    }
                    p #generate-status role="status" aria-live="polite" .muted {}
                }
            }
            div .two-col {
                section .card aria-labelledby="plan-heading" {
                    h2 #plan-heading { "Plan" }
                    (plan_list(campaign))
                }
                @if editable {
                    section aria-labelledby="edit-heading" {
                        h2 #edit-heading { "Edit the plan" }
                        (plan_form(ctx, "edit-form", &format!("{base}/edit"), values, errors, false, "Save plan"))
                    }
                }
            }
            section #assets aria-labelledby="assets-heading" {
                h2 #assets-heading { "Assets" @if let Some(v) = assets.first().map(|a| a.version) { " (version " (v) ")" } }
                @if assets.is_empty() {
                    p { "No assets yet." @if ctx.can_write() && generating_allowed { " Generate them to get the landing page, emails, posts, ads and media this campaign type needs." } }
                } @else {
                    (gallery(&base, &assets))
                }
            }
            section #versions aria-labelledby="versions-heading" {
                h2 #versions-heading { "Version history" }
                @if versions.is_empty() {
                    p .muted { "No versions yet." }
                } @else {
                    ul {
                        @for v in &versions {
                            li {
                                a href={ (base) "?version=" (v.version) } { "Version " (v.version) }
                                " — " (v.assets) " assets, " (v.created_at.format("%Y-%m-%d %H:%M UTC"))
                                @if v.current { " " span .badge { "current" } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

async fn load(ctx: &Ctx, id: &str) -> Result<Campaign, WebError> {
    let id = CampaignId::from_uuid(parse_id(id)?);
    Ok(ctx.engine.campaign(&ctx.caller, id).await?)
}

/// `GET /app/campaigns/{id}`.
pub async fn show(
    ctx: Ctx,
    id: Path<String>,
    query: Query<VersionQuery>,
) -> Result<HttpResponse, WebError> {
    let campaign = load(&ctx, &id).await?;
    Ok(ok(detail_page(&ctx, &campaign, query.version, None).await?))
}

/// `POST /app/campaigns/{id}/edit`: saves the plan of a draft.
pub async fn edit(ctx: Ctx, id: Path<String>, body: Bytes) -> Result<HttpResponse, WebError> {
    let form = checked_form(&ctx, &body)?;
    ctx.caller.require_write().map_err(WebError::from)?;
    let campaign = load(&ctx, &id).await?;
    let values = PlanValues::from_form(&form);
    let result = match values.plan_patch() {
        Ok(patch) => ctx
            .engine
            .edit_campaign(&ctx.caller, campaign.id, patch)
            .await
            .map_err(|e| match e {
                AppError::Validation(errors) => Ok(errors),
                other => Err(other),
            }),
        Err(errors) => Err(Ok(errors)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/app/campaigns/{}", campaign.id))),
        Err(Ok(errors)) => {
            let errors = form_errors(errors);
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                detail_page(&ctx, &campaign, None, Some((&values, &errors))).await?,
            ))
        }
        Err(Err(other)) => Err(other.into()),
    }
}

/// `POST /app/campaigns/{id}/status`: one lifecycle step, only from the status the page showed.
pub async fn status(ctx: Ctx, id: Path<String>, body: Bytes) -> Result<HttpResponse, WebError> {
    let form = checked_form(&ctx, &body)?;
    ctx.caller.require_write().map_err(WebError::from)?;
    let campaign = load(&ctx, &id).await?;
    let target: CampaignStatus = form
        .get("status")
        .unwrap_or_default()
        .parse()
        .map_err(|e: ame_domain::ParseEnumError| WebError::BadRequest(e.to_string()))?;
    let expected = form.get("expected").and_then(|s| s.parse().ok());
    ctx.engine
        .change_status(&ctx.caller, campaign.id, target, expected)
        .await
        .map_err(|e| match e {
            AppError::Transition(t) => WebError::BadRequest(format!(
                "{t}. The page may be out of date; reload it to see the campaign's status."
            )),
            AppError::Conflict(_) => WebError::BadRequest(
                "the campaign changed meanwhile; reload the page and try again".into(),
            ),
            e @ AppError::NotReady(_) => WebError::BadRequest(format!(
                "{e}. The launch checklist on the campaign's page lists what is missing."
            )),
            other => other.into(),
        })?;
    Ok(see_other(&format!("/app/campaigns/{}", campaign.id)))
}

/// `POST /app/campaigns/{id}/generate`: writes a new asset set (synchronously) and shows it.
pub async fn generate(ctx: Ctx, id: Path<String>, body: Bytes) -> Result<HttpResponse, WebError> {
    checked_form(&ctx, &body)?;
    ctx.caller.require_write().map_err(WebError::from)?;
    let campaign = load(&ctx, &id).await?;
    ctx.engine
        .generate_assets(&ctx.caller, campaign.id, None, None)
        .await?;
    Ok(see_other(&format!("/app/campaigns/{}#assets", campaign.id)))
}

/// `GET /app/campaigns/{id}/assets/{asset}/files/{name}`: a generated file for the gallery,
/// sandboxed so a landing page or email can neither run script nor submit.
pub async fn asset_file(
    ctx: Ctx,
    path: Path<(String, String, String)>,
) -> Result<HttpResponse, WebError> {
    let (campaign, asset, name) = path.into_inner();
    let campaign = CampaignId::from_uuid(parse_id(&campaign)?);
    let asset = AssetId::from_uuid(parse_id(&asset)?);
    let record = ctx.engine.asset(&ctx.caller, asset).await?;
    if record.campaign_id != campaign {
        return Err(WebError::NotFound(
            "This asset does not belong to this campaign.".into(),
        ));
    }
    let file = ctx
        .engine
        .open_asset_file(&ctx.caller, asset, &name)
        .await
        .map_err(|e| match e {
            AppError::NoSuchFile { .. } => WebError::NotFound("The asset has no such file.".into()),
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok()
        .content_type(file.media_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, PREVIEW_POLICY))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .insert_header((header::ETAG, format!("\"{}\"", file.sha256)))
        .streaming(file.stream))
}
