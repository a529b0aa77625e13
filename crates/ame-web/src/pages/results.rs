//! Recording a campaign's results: a CSV upload (every bad row listed, nothing stored) or one
//! day typed in, and the results recorded so far.

use super::{checked_form, parse_id};
use crate::error::WebError;
use crate::form::{FormData, csrf_field};
use crate::layout::{campaign_header, campaign_title, ok, page, respond, see_other};
use crate::session::Ctx;
use actix_multipart::Multipart;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Path, Query};
use ame_app::results_upload::{RESULT_COLUMNS, RowError, UploadError};
use ame_domain::{Campaign, CampaignId, Channel, EmailHealth};
use futures::StreamExt;
use maud::{Markup, html};
use serde::Deserialize;

/// The largest results file taken, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// What the page says after a successful upload.
#[derive(Debug, Default, Deserialize)]
pub struct Recorded {
    recorded: Option<u64>,
}

async fn results_page(
    ctx: &Ctx,
    campaign: &Campaign,
    flash: Option<u64>,
    errors: &[RowError],
) -> Result<Markup, WebError> {
    let (records, totals) = ctx.engine.results(&ctx.caller, campaign.id).await?;
    let health = ctx.engine.email_health(&ctx.caller, campaign.id).await?;
    let base = format!("/app/campaigns/{}", campaign.id);
    let cell = |v: Option<i64>| {
        v.map(|v| crate::layout::number(v as f64, 0))
            .unwrap_or_else(|| "–".into())
    };
    let money =
        |v: Option<rust_decimal::Decimal>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
    Ok(page(
        ctx,
        "campaigns",
        &format!("Results · {}", campaign_title(campaign)),
        html! {
            (campaign_header(campaign, "results"))
            @if let Some(n) = flash {
                p #flash .flash role="status" { "Recorded " (n) " " (if n == 1 { "row" } else { "rows" }) ". The forecast now compares against them." }
            }
            @if !errors.is_empty() {
                div #upload-errors .error-summary role="alert" tabindex="-1" {
                    h2 { "Nothing was recorded: the file has " (errors.len()) " " (if errors.len() == 1 { "problem" } else { "problems" }) }
                    div .table-wrap {
                        table #row-errors {
                            thead { tr { th scope="col" { "Line" } th scope="col" { "Field" } th scope="col" { "Problem" } } }
                            tbody { @for e in errors { tr { td { (e.line) } td { (e.field) } td { (e.message) } } } }
                        }
                    }
                }
            }
            @if ctx.can_write() {
                div .two-col {
                    form #results-upload .card method="post" action={ (base) "/results/upload" } enctype="multipart/form-data" {
                        h2 { "Upload a results file" }
                        (csrf_field(ctx.csrf()))
                        div .field {
                            label for="results-file" { "Results file (CSV)" }
                            p .hint #results-file-hint { "Columns: " code { (RESULT_COLUMNS.join(",")) } ". One row per day and channel; leave a cell empty when it was not measured. Re-sending a day replaces it." }
                            input #results-file type="file" name="file" accept=".csv,text/csv" required aria-describedby="results-file-hint";
                        }
                        button type="submit" { "Upload results" }
                    }
                    form #results-entry .card method="post" action={ (base) "/results" } {
                        h2 { "Enter one day" }
                        (csrf_field(ctx.csrf()))
                        div .field { label for="entry-date" { "Date" } input #entry-date type="date" name="date" required; }
                        div .field {
                            label for="entry-channel" { "Channel" }
                            select #entry-channel name="channel" { @for ch in Channel::ALL { option value=(ch) { (ch) } } }
                        }
                        @for (name, text) in [("reach", "Reach"), ("clicks", "Clicks"), ("leads", "Leads"), ("conversions", "Conversions"), ("spend", "Spend"), ("revenue", "Revenue")] {
                            div .field { label for={ "entry-" (name) } { (text) } input id={ "entry-" (name) } type="text" inputmode="decimal" name=(name); }
                        }
                        button type="submit" .secondary { "Record day" }
                    }
                }
            }
            (email_health(&health))
            h2 { "Recorded results" }
            @if records.is_empty() {
                p { "No results yet." }
            } @else {
                p .muted { (totals.records) " records from " (totals.first_date.map(|d| d.to_string()).unwrap_or_default()) " to " (totals.last_date.map(|d| d.to_string()).unwrap_or_default()) }
                div .table-wrap {
                    table #results-table {
                        thead { tr { th scope="col" { "Date" } th scope="col" { "Channel" } th scope="col" .num { "Reach" } th scope="col" .num { "Clicks" } th scope="col" .num { "Leads" } th scope="col" .num { "Conversions" } th scope="col" .num { "Spend" } th scope="col" .num { "Revenue" } } }
                        tbody {
                            @for r in &records {
                                tr {
                                    td { (r.date) } td { (r.channel) }
                                    td .num { (cell(r.metrics.reach)) } td .num { (cell(r.metrics.clicks)) }
                                    td .num { (cell(r.metrics.leads)) } td .num { (cell(r.metrics.conversions)) }
                                    td .num { (money(r.metrics.spend)) } td .num { (money(r.metrics.revenue)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// The campaign's email health: counts and rates of what happened to its email, and the
/// bulk-sender limits it crosses. Nothing before the first message is attempted.
fn email_health(health: &EmailHealth) -> Markup {
    let rate = |r: Option<f64>| {
        r.map(|r| format!("{}%", crate::layout::number(r * 100.0, 2)))
            .unwrap_or_else(|| "–".into())
    };
    html! {
        @if health.delivered + health.bounced > 0 {
            section #email-health aria-labelledby="email-health-title" {
                h2 #email-health-title { "Email health" }
                @for warning in &health.warnings {
                    p .flash .warning role="alert" data-code=(warning.code.as_str()) { (warning.message) }
                }
                div .table-wrap {
                    table #email-health-table {
                        thead { tr { th scope="col" { "What happened" } th scope="col" .num { "Count" } th scope="col" .num { "Rate" } } }
                        tbody {
                            tr { th scope="row" { "Delivered" } td .num { (health.delivered) } td .num { "–" } }
                            tr { th scope="row" { "Bounced" } td .num { (health.bounced) } td .num { (rate(health.bounce_rate)) } }
                            tr { th scope="row" { "Reported as spam" } td .num { (health.complained) } td .num { (rate(health.complaint_rate)) } }
                            tr { th scope="row" { "Unsubscribed" } td .num { (health.unsubscribed) } td .num { (rate(health.unsubscribe_rate)) } }
                        }
                    }
                }
                p .hint { "Gmail and Yahoo require bulk senders to keep spam reports below 0.3% of delivered email; bounces are counted against every message attempted." }
            }
        }
    }
}

async fn load(ctx: &Ctx, id: &str) -> Result<Campaign, WebError> {
    let id = CampaignId::from_uuid(parse_id(id)?);
    Ok(ctx.engine.campaign(&ctx.caller, id).await?)
}

/// `GET /app/campaigns/{id}/results`.
pub async fn show(
    ctx: Ctx,
    id: Path<String>,
    query: Query<Recorded>,
) -> Result<HttpResponse, WebError> {
    let campaign = load(&ctx, &id).await?;
    Ok(ok(results_page(&ctx, &campaign, query.recorded, &[]).await?))
}

async fn store(ctx: &Ctx, campaign: &Campaign, file: &[u8]) -> Result<HttpResponse, WebError> {
    match ctx
        .engine
        .upload_results(&ctx.caller, campaign.id, file)
        .await
    {
        Ok(totals) => {
            let rows = ame_app::results_upload::parse_results_csv(file)
                .map_or(totals.records, |r| r.len() as u64);
            Ok(see_other(&format!(
                "/app/campaigns/{}/results?recorded={rows}",
                campaign.id
            )))
        }
        Err(UploadError::Rows(errors)) => Ok(respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            results_page(ctx, campaign, None, &errors).await?,
        )),
        Err(UploadError::App(ame_app::AppError::Validation(errors))) => {
            let rows: Vec<RowError> = errors
                .into_iter()
                .map(|e| RowError {
                    line: 0,
                    field: e.field,
                    message: e.message,
                })
                .collect();
            Ok(respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                results_page(ctx, campaign, None, &rows).await?,
            ))
        }
        Err(UploadError::App(e)) => Err(e.into()),
    }
}

/// `POST /app/campaigns/{id}/results/upload` (multipart: `csrf` and `file`).
pub async fn upload(
    ctx: Ctx,
    id: Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, WebError> {
    let mut csrf = String::new();
    let mut file = Vec::new();
    while let Some(field) = payload.next().await {
        let mut field = field
            .map_err(|e| WebError::BadRequest(format!("the upload could not be read: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| WebError::BadRequest(format!("the upload broke off: {e}")))?;
            if data.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(WebError::BadRequest(format!(
                    "the file is larger than {} MB; split it into smaller files",
                    MAX_UPLOAD_BYTES / 1024 / 1024
                )));
            }
            data.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
            "file" => file = data,
            _ => {}
        }
    }
    ctx.check_csrf(&FormData(vec![("csrf".into(), csrf)]))?;
    ctx.caller.require_write().map_err(WebError::from)?;
    let campaign = load(&ctx, &id).await?;
    store(&ctx, &campaign, &file).await
}

/// `POST /app/campaigns/{id}/results`: one day typed into the form.
pub async fn record_one(ctx: Ctx, id: Path<String>, body: Bytes) -> Result<HttpResponse, WebError> {
    let form = checked_form(&ctx, &body)?;
    ctx.caller.require_write().map_err(WebError::from)?;
    let campaign = load(&ctx, &id).await?;
    let columns = [
        "date",
        "channel",
        "reach",
        "clicks",
        "leads",
        "conversions",
        "spend",
        "revenue",
    ];
    let mut writer = csv::Writer::from_writer(Vec::new());
    let written = writer.write_record(columns).and_then(|()| {
        writer.write_record(
            columns
                .iter()
                .map(|c| form.get(c).unwrap_or_default().trim()),
        )
    });
    written.map_err(|e| WebError::Internal(e.to_string()))?;
    let file = writer
        .into_inner()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    store(&ctx, &campaign, &file).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_health_shows_counts_rates_and_crossed_limits() {
        assert!(
            email_health(&EmailHealth::default())
                .into_string()
                .is_empty(),
            "nothing before the first message"
        );
        let page = email_health(&EmailHealth::from_counts(995, 5, 4, 10)).into_string();
        let doc = scraper::Html::parse_fragment(&page);
        let cells = scraper::Selector::parse("#email-health-table tbody tr").unwrap();
        let rows: Vec<String> = doc
            .select(&cells)
            .map(|row| row.text().collect::<Vec<_>>().join("|"))
            .collect();
        assert_eq!(
            rows,
            [
                "Delivered|995|–",
                "Bounced|5|0.50%",
                "Reported as spam|4|0.40%",
                "Unsubscribed|10|1.01%"
            ]
        );
        let alert = scraper::Selector::parse("[role=alert][data-code]").unwrap();
        let codes: Vec<&str> = doc
            .select(&alert)
            .filter_map(|a| a.value().attr("data-code"))
            .collect();
        assert_eq!(codes, ["complaint_rate_over_limit"]);
    }
}
