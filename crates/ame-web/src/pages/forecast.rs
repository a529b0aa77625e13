//! A campaign's forecast: the fan chart of each funnel stage, cost per conversion and ROI, the
//! explanation and the history it rests on; once results exist, results over time against it.

use super::parse_id;
use crate::charts::{StageBand, StageSeries, fan_chart, results_chart};
use crate::error::WebError;
use crate::layout::{campaign_header, campaign_title, number, ok, page};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::web::Path;
use ame_app::AppError;
use ame_domain::{CampaignId, ResultRecord};
use ame_prediction::{Interval, Prediction, Stage};
use maud::{Markup, html};
use std::collections::BTreeMap;

fn band(stage: Stage, count: &Interval, observed: Option<f64>) -> StageBand {
    StageBand {
        stage: stage.as_str().to_owned(),
        median: count.median,
        low_80: count.low_80,
        high_80: count.high_80,
        low_95: count.low_95,
        high_95: count.high_95,
        observed,
    }
}

fn metric(record: &ResultRecord, stage: Stage) -> Option<i64> {
    match stage {
        Stage::Reach => record.metrics.reach,
        Stage::Clicks => record.metrics.clicks,
        Stage::Leads => record.metrics.leads,
        Stage::Conversions => record.metrics.conversions,
    }
}

/// Cumulative observed values per stage by day.
fn series(prediction: &Prediction, records: &[ResultRecord]) -> Vec<StageSeries> {
    prediction
        .stages
        .iter()
        .filter_map(|s| {
            let mut by_day: BTreeMap<chrono::NaiveDate, f64> = BTreeMap::new();
            for r in records {
                if let Some(v) = metric(r, s.stage) {
                    *by_day.entry(r.date).or_default() += v as f64;
                }
            }
            if by_day.is_empty() {
                return None;
            }
            let mut total = 0.0;
            let points = by_day
                .into_iter()
                .map(|(day, v)| {
                    total += v;
                    (day.format("%Y-%m-%d").to_string(), total)
                })
                .collect();
            Some(StageSeries {
                stage: s.stage.as_str().to_owned(),
                points,
                band: band(s.stage, &s.count, s.observed),
            })
        })
        .collect()
}

fn interval_text(i: &Interval, decimals: usize) -> String {
    format!(
        "{} (80%: {}–{})",
        number(i.median, decimals),
        number(i.low_80, decimals),
        number(i.high_80, decimals)
    )
}

fn forecast_body(prediction: &Prediction, records: &[ResultRecord]) -> Markup {
    let bands: Vec<StageBand> = prediction
        .stages
        .iter()
        .map(|s| band(s.stage, &s.count, s.observed))
        .collect();
    let over_time = series(prediction, records);
    let history = &prediction.history;
    html! {
        p #explanation { (prediction.explanation) }
        ul .stats {
            li { "Cost per conversion" strong { @match &prediction.cost_per_conversion { Some(i) => (interval_text(i, 2)), None => "needs a budget" } } }
            li { "ROI" strong { @match &prediction.roi { Some(i) => (format!("{} (80%: {}–{})", number(i.median * 100.0, 0) + "%", number(i.low_80 * 100.0, 0), number(i.high_80 * 100.0, 0))), None => "needs revenue history and a budget" } } }
            li { "Revenue" strong { @match &prediction.revenue { Some(i) => (interval_text(i, 2)), None => "no revenue history" } } }
            li { "Confidence" strong { (prediction.confidence) "/100" @if prediction.cold_start { " (cold start)" } } }
        }
        section .card aria-labelledby="fan-heading" {
            h2 #fan-heading { "Forecast by funnel stage" }
            ul .legend aria-hidden="true" {
                li { span .swatch .band95 {} "95% interval" } li { span .swatch .band80 {} "80% interval" }
                li { span .swatch .median {} "median" } li { span .swatch .observed {} "observed so far" }
            }
            (fan_chart(&bands))
            div .table-wrap {
                table #forecast-table {
                    caption { "The forecast in numbers" }
                    thead { tr { th scope="col" { "Stage" } th scope="col" .num { "Median" } th scope="col" .num { "80% interval" } th scope="col" .num { "95% interval" } th scope="col" .num { "Rate" } th scope="col" .num { "Observed" } } }
                    tbody {
                        @for s in &prediction.stages {
                            tr {
                                th scope="row" { (s.stage.as_str()) }
                                td .num { (number(s.count.median, 0)) }
                                td .num { (number(s.count.low_80, 0)) "–" (number(s.count.high_80, 0)) }
                                td .num { (number(s.count.low_95, 0)) "–" (number(s.count.high_95, 0)) }
                                td .num { @if let Some(r) = &s.rate { (format!("{:.2}%", r.median * 100.0)) } }
                                td .num { @if let Some(o) = s.observed { (number(o, 0)) } @else { "–" } }
                            }
                        }
                    }
                }
            }
        }
        section #history-chart .card aria-labelledby="history-heading" {
            h2 #history-heading { "Results over time against the forecast" }
            @if over_time.is_empty() {
                p { "No results recorded yet. " "Record them on the Results tab and they appear here against the forecast." }
            } @else {
                (results_chart(&over_time))
            }
        }
        section .card aria-labelledby="basis-heading" {
            h2 #basis-heading { "What the forecast rests on" }
            ul {
                li { "Your campaigns like this one: " (history.organization.campaigns) " campaigns, " (history.organization.records) " result records" }
                li { "All your campaigns with results: " (history.organization_all.campaigns) " campaigns, " (history.organization_all.records) " records" }
                li { "Pooled from other organizations: " @match history.pooled_organizations { Some(n) => { (n) " organizations" }, None => "not pooled (too few share results)" } }
                li { (prediction.draws) " simulated campaigns" }
            }
        }
    }
}

/// `GET /app/campaigns/{id}/forecast`.
pub async fn show(ctx: Ctx, id: Path<String>) -> Result<HttpResponse, WebError> {
    let id = CampaignId::from_uuid(parse_id(&id)?);
    let campaign = ctx.engine.campaign(&ctx.caller, id).await?;
    let body = match ctx.engine.predict(&ctx.caller, id, None, None).await {
        Ok(prediction) => {
            let (records, _) = ctx.engine.results(&ctx.caller, id).await?;
            forecast_body(&prediction, &records)
        }
        Err(AppError::ReachUnknown(why)) => html! {
            p #forecast-missing role="status" { "No forecast yet: " (why) }
            p { "Set a planned reach or a budget on the " a href={ "/app/campaigns/" (id) } { "Overview" } " tab." }
        },
        Err(other) => return Err(other.into()),
    };
    Ok(ok(page(
        &ctx,
        "campaigns",
        &format!("Forecast · {}", campaign_title(&campaign)),
        html! { (campaign_header(&campaign, "forecast")) (body) },
    )))
}
