//! A running campaign: its outbox (sends by due time) and its variant tests with the lift
//! against the holdout.

use super::checked_form;
use super::parse_id;
use crate::error::WebError;
use crate::form::csrf_field;
use crate::layout::see_other;
use crate::layout::{campaign_header, campaign_title, ok, page};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::web::{Bytes, Path};
use ame_domain::{CampaignId, IntervalEstimate, SendingState, SendingStatus};
use maud::{Markup, html};

/// The notice shown while the organization's sending is paused, with the resume button for
/// owners and admins (`csrf` is the session's token); nothing while it is active.
pub fn sending_banner(status: &SendingStatus, csrf: Option<&str>) -> Markup {
    html! {
        @if status.state == SendingState::Paused {
            section #sending-paused .card role="alert" aria-labelledby="sending-paused-heading" {
                h2 #sending-paused-heading { "Sending is paused" }
                p {
                    "No email leaves for this organization"
                    @if let Some(at) = status.paused_at { " since " (at.format("%Y-%m-%d %H:%M UTC")) }
                    ": " (status.consecutive_failures) " sends in a row failed on the sending side (the mail server, its login or TLS, or the sender address). Messages wait; none is lost, and no contact was changed."
                }
                @if let Some(error) = &status.last_error { p { "Last error: " code { (error) } } }
                @if let Some(csrf) = csrf {
                    form #resume-sending method="post" action="/app/sending/resume" {
                        (csrf_field(csrf))
                        button type="submit" { "Resume sending" }
                    }
                } @else {
                    p .muted { "An owner or admin resumes sending once the cause is fixed." }
                }
            }
        }
    }
}

/// `POST /app/sending/resume`: ends a pause of the organization's sending (owners and admins).
pub async fn resume_sending(ctx: Ctx, body: Bytes) -> Result<HttpResponse, WebError> {
    checked_form(&ctx, &body)?;
    ctx.engine.resume_sending(&ctx.caller).await?;
    Ok(see_other("/app/campaigns"))
}

/// `GET /app/campaigns/{id}/schedule`.
pub async fn schedule(ctx: Ctx, id: Path<String>) -> Result<HttpResponse, WebError> {
    let id = CampaignId::from_uuid(parse_id(&id)?);
    let campaign = ctx.engine.campaign(&ctx.caller, id).await?;
    let mut deliveries = ctx.engine.deliveries(&ctx.caller, id, 200).await?;
    deliveries.sort_by_key(|d| d.due_at);
    let sending = ctx.engine.sending_status(&ctx.caller).await?;
    Ok(ok(page(
        &ctx,
        "campaigns",
        &format!("Schedule · {}", campaign_title(&campaign)),
        html! {
            (campaign_header(&campaign, "schedule"))
            (sending_banner(&sending, ctx.can_manage().then(|| ctx.csrf())))
            p { "Emails go out in each contact's own time zone within the send window; this is the outbox, earliest first (up to 200)." }
            @if deliveries.is_empty() {
                p #no-sends { "Nothing scheduled yet. Sends are planned when an active campaign with an audience starts." }
            } @else {
                div .table-wrap {
                    table #outbox {
                        thead { tr { th scope="col" { "Due (UTC)" } th scope="col" { "Step" } th scope="col" { "State" } th scope="col" { "Subject variant" } th scope="col" { "Attempts" } th scope="col" { "Sent" } th scope="col" { "Last error" } } }
                        tbody {
                            @for d in &deliveries {
                                tr {
                                    td { (d.due_at.format("%Y-%m-%d %H:%M")) }
                                    td { (d.step) }
                                    td { (d.state) }
                                    td { (d.subject_variant + 1) }
                                    td { (d.attempts) }
                                    td { (d.sent_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()) }
                                    td { (d.last_error.as_deref().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )))
}

fn money(e: &IntervalEstimate) -> String {
    format!("{:+.2} (95%: {:+.2} to {:+.2})", e.value, e.low, e.high)
}

fn percent(e: &IntervalEstimate) -> String {
    format!(
        "{:+.2} pts (95%: {:+.2} to {:+.2})",
        e.value * 100.0,
        e.low * 100.0,
        e.high * 100.0
    )
}

/// `GET /app/campaigns/{id}/experiments`.
pub async fn experiments(ctx: Ctx, id: Path<String>) -> Result<HttpResponse, WebError> {
    let id = CampaignId::from_uuid(parse_id(&id)?);
    let campaign = ctx.engine.campaign(&ctx.caller, id).await?;
    let tests = ctx.engine.experiments(&ctx.caller, id).await?;
    let lift = ctx.engine.campaign_lift(&ctx.caller, id).await?;
    Ok(ok(page(
        &ctx,
        "campaigns",
        &format!("Experiments · {}", campaign_title(&campaign)),
        html! {
            (campaign_header(&campaign, "experiments"))
            section .card aria-labelledby="lift-heading" {
                h2 #lift-heading { "Lift against the holdout" }
                p { (format!("{:.0}%", lift.holdout_fraction * 100.0)) " of the audience is held out. Treatment: " (lift.treatment.contacts) " contacts (" (lift.treatment.delivered) " reached), control: " (lift.control.contacts) " contacts. Everyone assigned counts in their group, reached or not." }
                @if lift.converted_before_assignment > 0 {
                    p { (lift.converted_before_assignment) " contacts had converted before they were assigned and count in neither group." }
                }
                ul {
                    li { "Clicks: " @match &lift.clicks { Some(m) => (percent(&m.absolute)), None => "no clicks recorded yet" } }
                    li { "Conversions: " @match &lift.conversions { Some(m) => (percent(&m.absolute)), None => "no conversions recorded yet" } }
                    li { "Revenue per contact: " @match &lift.revenue { Some(r) => (money(&r.absolute)), None => "no conversion values recorded yet" } }
                }
            }
            @if tests.is_empty() {
                p #no-tests { "No variant tests yet. Subjects and landing-page headlines are tested once sends and visits start." }
            }
            @for t in &tests {
                section .card aria-labelledby={ "test-" (t.field) } {
                    h2 id={ "test-" (t.field) } { (t.field.replace('_', " ")) }
                    p { "State: " strong { (t.state) } " · metric: " (t.metric)
                        @if let Some(w) = t.winner { " · winner: variant " (w + 1) } }
                    div .table-wrap {
                        table .arms {
                            thead { tr { th scope="col" { "Variant" } th scope="col" { "Text" } th scope="col" .num { "Exposures" } th scope="col" .num { "Successes" } th scope="col" .num { "Rate (95%)" } th scope="col" .num { "P(best)" } th scope="col" .num { "Weight" } } }
                            tbody {
                                @for a in &t.arms {
                                    tr {
                                        td { (a.variant + 1) }
                                        td { (a.text.as_deref().unwrap_or_default()) }
                                        td .num { (a.exposures) }
                                        td .num { (a.successes) }
                                        td .num { (format!("{:.2}% ({:.2}–{:.2})", a.posterior_mean * 100.0, a.interval[0] * 100.0, a.interval[1] * 100.0)) }
                                        td .num { (format!("{:.3}", a.probability_best)) }
                                        td .num { meter min="0" max="1" value=(a.weight) aria-label={ "weight of variant " (a.variant + 1) } {} " " (format!("{:.0}%", a.weight * 100.0)) }
                                    }
                                }
                            }
                        }
                    }
                    @if t.history.len() > 1 {
                        @let labels: Vec<String> = t.history.iter().map(|h| format!("{} exposures", h.exposures)).collect();
                        @let weights: Vec<Vec<f64>> = t.history.iter().map(|h| h.weights.clone()).collect();
                        @let chances: Vec<Vec<f64>> = t.history.iter().map(|h| h.probability_best.clone()).collect();
                        h3 { "Weights over time" }
                        (crate::charts::shares_chart(&format!("weights-{}", t.field), &format!("Share of new exposures per variant over {} refreshes", t.history.len()), &labels, &weights))
                        h3 { "Probability of being best over time" }
                        (crate::charts::shares_chart(&format!("pbest-{}", t.field), "Each variant's probability of being the best, per refresh", &labels, &chances))
                    }
                    @if !t.events.is_empty() {
                        h3 { "History" }
                        ul { @for e in &t.events { li { (e.at.format("%Y-%m-%d %H:%M")) " — " (e.kind) } } }
                    }
                }
            }
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_is_announced_with_a_resume_button_for_managers_only() {
        let active = SendingStatus::default();
        assert!(sending_banner(&active, Some("t")).into_string().is_empty());
        let paused = SendingStatus {
            state: SendingState::Paused,
            consecutive_failures: 20,
            last_error: Some("530 <auth> required".into()),
            paused_at: None,
        };
        let manager = sending_banner(&paused, Some("token")).into_string();
        assert!(manager.contains("role=\"alert\"") && manager.contains("id=\"resume-sending\""));
        assert!(manager.contains("530 &lt;auth&gt; required"), "{manager}");
        let member = sending_banner(&paused, None).into_string();
        assert!(member.contains("Sending is paused") && !member.contains("resume-sending"));
    }
}
