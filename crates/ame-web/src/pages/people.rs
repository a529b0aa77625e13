//! The people side: leads from landing pages, contacts, and the targeting model's report.

use crate::error::WebError;
use crate::layout::{campaign_title, number, ok, page};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::web::Query;
use ame_app::AppError;
use ame_domain::{CampaignFilter, CampaignId, ContactFilter, Cursor, Goal, PageRequest};
use maud::html;
use serde::Deserialize;

/// Which campaign's leads to show.
#[derive(Debug, Default, Deserialize)]
pub struct LeadsQuery {
    campaign: Option<String>,
}

/// `GET /app/leads`: a campaign's newest leads (the newest campaign's by default).
pub async fn leads(ctx: Ctx, query: Query<LeadsQuery>) -> Result<HttpResponse, WebError> {
    let campaigns = ctx
        .engine
        .list_campaigns(
            &ctx.caller,
            CampaignFilter::default(),
            PageRequest::new(100, None).map_err(|e| WebError::BadRequest(e.message))?,
        )
        .await?
        .items;
    let chosen = query
        .campaign
        .as_deref()
        .and_then(|c| c.parse::<uuid::Uuid>().ok())
        .map(CampaignId::from_uuid)
        .or_else(|| campaigns.first().map(|c| c.id));
    let leads = match chosen {
        Some(id) => ctx.engine.leads(&ctx.caller, id, Some(200)).await?,
        None => Vec::new(),
    };
    let chosen_text = chosen.map(|c| c.to_string()).unwrap_or_default();
    Ok(ok(page(
        &ctx,
        "leads",
        "Leads",
        html! {
            h1 { "Leads" }
            form .filters method="get" action="/app/leads" {
                div .field {
                    label for="campaign" { "Campaign" }
                    select #campaign name="campaign" {
                        @for c in &campaigns {
                            option value=(c.id) selected[c.id.to_string() == chosen_text] { (campaign_title(c)) }
                        }
                    }
                }
                button type="submit" .secondary { "Show leads" }
            }
            div .table-wrap {
                table #leads {
                    caption .muted { "Newest first; leads arrive from the campaign's published landing page while it is active." }
                    thead { tr { th scope="col" { "Received" } th scope="col" { "Email" } th scope="col" { "Name" } th scope="col" { "Other fields" } } }
                    tbody {
                        @if leads.is_empty() {
                            tr #no-leads { td colspan="4" { "No leads yet." } }
                        }
                        @for lead in &leads {
                            tr {
                                td { (lead.created_at.format("%Y-%m-%d %H:%M")) }
                                td { (lead.fields["email"].as_str().unwrap_or_default()) }
                                td { (lead.fields["name"].as_str().unwrap_or_default()) }
                                td {
                                    @if let Some(map) = lead.fields.as_object() {
                                        (map.iter().filter(|(k, _)| *k != "email" && *k != "name").map(|(k, v)| format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect::<Vec<_>>().join("; "))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )))
}

/// One page of contacts.
#[derive(Debug, Default, Deserialize)]
pub struct ContactsQuery {
    cursor: Option<String>,
}

/// `GET /app/contacts`.
pub async fn contacts(ctx: Ctx, query: Query<ContactsQuery>) -> Result<HttpResponse, WebError> {
    let after = query.cursor.as_deref().and_then(|c| Cursor::decode(c).ok());
    let request = PageRequest::new(50, after).map_err(|e| WebError::BadRequest(e.message))?;
    let listing = ctx
        .engine
        .contacts(&ctx.caller, ContactFilter::default(), request)
        .await?;
    let segments = ctx.engine.segments(&ctx.caller).await?;
    Ok(ok(page(
        &ctx,
        "contacts",
        "Contacts",
        html! {
            h1 { "Contacts" }
            p .muted { "Import contacts with " code { "ame contacts import" } " or the API; segments pick audiences for campaigns." }
            h2 { "Segments" }
            @if segments.is_empty() { p { "No segments yet." } } @else {
                ul { @for s in &segments { li { strong { (s.name) } " — " code { (serde_json::to_string(&s.filter).unwrap_or_default()) } } } }
            }
            h2 { "People" }
            {
                div .table-wrap {
                    table #contacts {
                        thead { tr { th scope="col" { "Email" } th scope="col" { "First name" } th scope="col" { "Time zone" } th scope="col" { "Consent" } th scope="col" { "Added" } } }
                        tbody {
                            @if listing.items.is_empty() { tr #no-contacts { td colspan="5" { "No contacts yet." } } }
                            @for c in &listing.items {
                                tr {
                                    td { (c.email.as_deref().unwrap_or("(erased)")) }
                                    td { (c.first_name.as_deref().unwrap_or_default()) }
                                    td { (c.time_zone.as_deref().unwrap_or_default()) }
                                    td { (c.consent) }
                                    td { (c.created_at.format("%Y-%m-%d")) }
                                }
                            }
                        }
                    }
                }
                @if let Some(next) = &listing.next_cursor {
                    p .pager { a rel="next" href={ "/app/contacts?cursor=" (next) } { "Next page" } }
                }
            }
        },
    )))
}

/// `GET /app/targeting`: the response model per goal, with its held-out quality.
pub async fn targeting(ctx: Ctx) -> Result<HttpResponse, WebError> {
    let mut models = Vec::new();
    for goal in Goal::ALL {
        match ctx.engine.targeting_model(&ctx.caller, *goal).await {
            Ok(summary) => models.push((*goal, Some(summary), None)),
            Err(AppError::NotFound { .. }) | Err(AppError::Conflict(_)) => {
                models.push((*goal, None, None))
            }
            Err(AppError::ReachUnknown(why)) => models.push((*goal, None, Some(why))),
            Err(e) => models.push((*goal, None, Some(e.to_string()))),
        }
    }
    Ok(ok(page(
        &ctx,
        "targeting",
        "Targeting",
        html! {
            h1 { "Targeting models" }
            p { "AME learns from every campaign's outcomes who tends to respond, and can write only to the contacts most likely to (set it in a campaign's plan)." }
            @for (goal, summary, note) in &models {
                section .card aria-labelledby={ "goal-" (goal) } {
                    h2 id={ "goal-" (goal) } { "Goal: " (goal) }
                    @match summary {
                        Some(m) => {
                            ul .stats {
                                li { "Trained on" strong { (number(m.rows as f64, 0)) " outcomes" } }
                                li { "Responders" strong { (number(m.responders as f64, 0)) } }
                                li { "Held-out AUC" strong { (m.held_out.auc.map(|a| format!("{a:.3}")).unwrap_or_else(|| "–".into())) } }
                                li { "Top-decile lift" strong { (m.held_out.top_decile_lift.map(|a| format!("{a:.2}×")).unwrap_or_else(|| "–".into())) } }
                                li { "Calibration error" strong { (format!("{:.3}", m.held_out.calibration_error)) } }
                            }
                            p .muted { "Trained " (m.trained_at.format("%Y-%m-%d %H:%M UTC")) @if m.uplift { "; uplift model from " (m.control_rows) " control outcomes" } }
                            div .table-wrap {
                                table .model-features {
                                    caption { "Strongest signals" }
                                    thead { tr { th scope="col" { "Feature" } th scope="col" .num { "Weight" } } }
                                    tbody {
                                        @for f in m.features.iter().take(12) {
                                            tr { td { (f.name) } td .num { (format!("{:+.3}", f.coefficient)) } }
                                        }
                                    }
                                }
                            }
                        }
                        None => p { "No model yet. " (note.clone().unwrap_or_else(|| "It is trained once enough outcomes are recorded.".into())) }
                    }
                }
            }
        },
    )))
}
