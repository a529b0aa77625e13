//! The campaign list (filters, search, keyset pages) and the new-campaign form, whose errors are
//! the API's own validation shown on the fields.

use super::checked_form;
use crate::error::WebError;
use crate::form::{Control, Errors, FormData, csrf_field, field};
use crate::layout::{campaign_title, number, ok, page, respond, see_other};
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Query};
use ame_app::AppError;
use ame_domain::{
    Campaign, CampaignFilter, CampaignStatus, CampaignType, Channel, Cursor, FieldError,
    NewCampaign, PageRequest, PlanPatch,
};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

/// Campaigns per list page.
pub const PAGE_SIZE: u32 = 25;

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    #[serde(rename = "type")]
    campaign_type: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

fn options<T: Copy + std::fmt::Display>(all: &[T], any: &str) -> Vec<(String, String)> {
    std::iter::once((String::new(), any.to_owned()))
        .chain(all.iter().map(|v| (v.to_string(), label(&v.to_string()))))
        .collect()
}

/// `lead_gen` → `Lead gen`.
pub fn label(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// `GET /app/campaigns`.
pub async fn list(ctx: Ctx, query: Query<ListQuery>) -> Result<HttpResponse, WebError> {
    let mut errors = Vec::new();
    let mut filter = CampaignFilter::default();
    let status = query.status.as_deref().unwrap_or_default();
    let kind = query.campaign_type.as_deref().unwrap_or_default();
    if !status.is_empty() {
        match status.parse::<CampaignStatus>() {
            Ok(s) => filter.status = Some(s),
            Err(e) => errors.push(FieldError::new("status", e.to_string())),
        }
    }
    if !kind.is_empty() {
        match kind.parse::<CampaignType>() {
            Ok(t) => filter.campaign_type = Some(t),
            Err(e) => errors.push(FieldError::new("type", e.to_string())),
        }
    }
    match CampaignFilter::search_text(query.q.as_deref().unwrap_or_default()) {
        Ok(text) => filter.search = text,
        Err(e) => errors.push(e),
    }
    let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(text) => match Cursor::decode(text) {
            Ok(cursor) => Some(cursor),
            Err(_) => {
                errors.push(FieldError::new(
                    "cursor",
                    "is not a page of this list; start again",
                ));
                None
            }
        },
        None => None,
    };
    let errors = Errors(errors);
    let listing = if errors.is_empty() {
        let request =
            PageRequest::new(PAGE_SIZE, after).map_err(|e| WebError::BadRequest(e.message))?;
        Some(
            ctx.engine
                .list_campaigns(&ctx.caller, filter.clone(), request)
                .await?,
        )
    } else {
        None
    };
    let search = query.q.clone().unwrap_or_default();
    let next = listing
        .as_ref()
        .and_then(|l| l.next_cursor.clone())
        .map(|cursor| {
            let mut pairs = vec![("status", status.to_owned()), ("type", kind.to_owned())];
            pairs.push(("q", search.clone()));
            pairs.push(("cursor", cursor));
            let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            format!("/app/campaigns?{query}")
        });
    let content = html! {
        div .actions {
            h1 { "Campaigns" }
            @if ctx.can_write() {
                a #new-campaign .button href="/app/campaigns/new" { "New campaign" }
            }
        }
        (errors.summary())
        form #filters .filters method="get" action="/app/campaigns" role="search" {
            (field("status", "Status", None, Control::Select(options(CampaignStatus::ALL, "Any status"), status), &errors, false))
            (field("type", "Type", None, Control::Select(options(CampaignType::ALL, "Any type"), kind), &errors, false))
            (field("q", "Search", None, Control::Input("search", &search), &errors, false))
            button type="submit" .secondary { "Filter" }
        }
        @if let Some(listing) = &listing {
            @if listing.items.is_empty() {
                p #empty { "No campaigns match." @if ctx.can_write() { " " a href="/app/campaigns/new" { "Create one" } "." } }
            } @else {
                div .table-wrap {
                    table #campaigns {
                        caption .muted { "Newest first" }
                        thead { tr {
                            th scope="col" { "Campaign" } th scope="col" { "Type" } th scope="col" { "Status" }
                            th scope="col" { "Channels" } th scope="col" .num { "Planned reach" }
                            th scope="col" .num { "Budget" } th scope="col" { "Created" }
                        } }
                        tbody {
                            @for c in &listing.items { (row(c)) }
                        }
                    }
                }
            }
            @if let Some(next) = &next {
                p .pager { a rel="next" href=(next) { "Next page" } }
            }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(respond(
        status,
        page(&ctx, "campaigns", "Campaigns", content),
    ))
}

fn row(c: &Campaign) -> Markup {
    html! {
        tr {
            td { a href={ "/app/campaigns/" (c.id) } { (campaign_title(c)) } }
            td { (label(c.campaign_type.as_str())) }
            td { span .badge .{"status-" (c.status)} { (c.status) } }
            td { (c.plan.channels.iter().map(|ch| ch.as_str()).collect::<Vec<_>>().join(", ")) }
            td .num { (c.plan.planned_reach.map(|r| number(r as f64, 0)).unwrap_or_default()) }
            td .num { (c.plan.budget.map(|b| b.to_string()).unwrap_or_default()) }
            td { time datetime=(c.created_at.to_rfc3339()) { (c.created_at.format("%Y-%m-%d")) } }
        }
    }
}

/// What the campaign form shows: the submitted text of each field.
#[derive(Debug, Clone, Default)]
pub struct PlanValues {
    campaign_type: String,
    objective: String,
    name: String,
    planned_reach: String,
    budget: String,
    channels: Vec<String>,
    start_at: String,
    end_at: String,
    timezone: String,
    holdout_percent: String,
}

impl PlanValues {
    /// The form's values as submitted.
    pub fn from_form(form: &FormData) -> Self {
        let text = |n: &str| form.get(n).unwrap_or_default().to_owned();
        Self {
            campaign_type: text("campaign_type"),
            objective: text("objective"),
            name: text("name"),
            planned_reach: text("planned_reach"),
            budget: text("budget"),
            channels: form
                .all("channels")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            start_at: text("start_at"),
            end_at: text("end_at"),
            timezone: text("timezone"),
            holdout_percent: text("holdout_percent"),
        }
    }

    /// A campaign's current plan, for editing.
    pub fn from_campaign(c: &Campaign) -> Self {
        let zone: chrono_tz::Tz = c.plan.timezone.parse().unwrap_or(chrono_tz::UTC);
        let local = |at: Option<DateTime<Utc>>| {
            at.map(|t| t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        Self {
            campaign_type: c.campaign_type.to_string(),
            objective: c.objective.clone(),
            name: c.plan.name.clone().unwrap_or_default(),
            planned_reach: c
                .plan
                .planned_reach
                .map(|r| r.to_string())
                .unwrap_or_default(),
            budget: c.plan.budget.map(|b| b.to_string()).unwrap_or_default(),
            channels: c.plan.channels.iter().map(|ch| ch.to_string()).collect(),
            start_at: local(c.plan.start_at),
            end_at: local(c.plan.end_at),
            timezone: c.plan.timezone.clone(),
            holdout_percent: format!("{}", (c.plan.holdout() * 100.0).round()),
        }
    }

    /// The plan as the API's JSON fields (`null` for blanks), and the fields that could not
    /// even be read (a number that is not one).
    fn to_json(&self) -> (serde_json::Map<String, Value>, Vec<FieldError>) {
        let mut errors = Vec::new();
        let blank = |s: &str| s.trim().is_empty();
        let mut out = serde_json::Map::new();
        out.insert("objective".into(), json!(self.objective.trim()));
        out.insert(
            "name".into(),
            if blank(&self.name) {
                Value::Null
            } else {
                json!(self.name.trim())
            },
        );
        let reach = if blank(&self.planned_reach) {
            Value::Null
        } else {
            match self
                .planned_reach
                .trim()
                .replace([',', '_'], "")
                .parse::<i64>()
            {
                Ok(n) => json!(n),
                Err(_) => {
                    errors.push(FieldError::new(
                        "planned_reach",
                        "must be a whole number of people, e.g. 5000",
                    ));
                    Value::Null
                }
            }
        };
        out.insert("planned_reach".into(), reach);
        out.insert(
            "budget".into(),
            if blank(&self.budget) {
                Value::Null
            } else {
                json!(self.budget.trim().replace(',', ""))
            },
        );
        out.insert("channels".into(), json!(self.channels));
        let zone_text = if blank(&self.timezone) {
            "UTC"
        } else {
            self.timezone.trim()
        };
        out.insert("timezone".into(), json!(zone_text));
        let zone: chrono_tz::Tz = zone_text.parse().unwrap_or(chrono_tz::UTC);
        for (name, text) in [("start_at", &self.start_at), ("end_at", &self.end_at)] {
            let value = if blank(text) {
                Value::Null
            } else {
                match NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
                    .ok()
                    .and_then(|local| zone.from_local_datetime(&local).earliest())
                {
                    Some(at) => json!(at.with_timezone(&Utc).to_rfc3339()),
                    None => {
                        errors.push(FieldError::new(
                            name,
                            "must be a date and time such as 2027-01-04T09:00",
                        ));
                        Value::Null
                    }
                }
            };
            out.insert(name.into(), value);
        }
        let holdout = if blank(&self.holdout_percent) {
            Value::Null
        } else {
            match self
                .holdout_percent
                .trim()
                .trim_end_matches('%')
                .parse::<f64>()
            {
                Ok(p) if p.is_finite() => json!(p / 100.0),
                _ => {
                    errors.push(FieldError::new(
                        "holdout_percent",
                        "must be a percentage from 0 to 50",
                    ));
                    Value::Null
                }
            }
        };
        out.insert("holdout_fraction".into(), holdout);
        (out, errors)
    }

    /// A new campaign from the form (when it could be read at all) and the fields that could
    /// not be read; the API's rules check it next.
    fn new_campaign(&self) -> (Option<NewCampaign>, Vec<FieldError>) {
        let (mut fields, mut errors) = self.to_json();
        fields.insert("campaign_type".into(), json!(self.campaign_type));
        for key in [
            "name",
            "planned_reach",
            "budget",
            "start_at",
            "end_at",
            "holdout_fraction",
        ] {
            if fields.get(key) == Some(&Value::Null) {
                fields.remove(key);
            }
        }
        match from_json::<NewCampaign>(Value::Object(fields)) {
            Ok(campaign) => (Some(campaign), errors),
            Err(e) => {
                errors.push(e);
                (None, errors)
            }
        }
    }

    /// A plan edit from the form (every field, blanks clearing optional ones).
    pub fn plan_patch(&self) -> Result<PlanPatch, Vec<FieldError>> {
        let (fields, mut errors) = self.to_json();
        match from_json::<FormPlan>(Value::Object(fields)) {
            Ok(plan) if errors.is_empty() => Ok(PlanPatch {
                objective: Some(plan.objective),
                name: Some(plan.name),
                planned_reach: Some(plan.planned_reach),
                budget: Some(plan.budget),
                channels: Some(plan.channels),
                start_at: Some(plan.start_at),
                end_at: Some(plan.end_at),
                timezone: Some(plan.timezone),
                holdout_fraction: Some(plan.holdout_fraction),
                ..PlanPatch::default()
            }),
            Ok(_) => Err(errors),
            Err(e) => {
                errors.push(e);
                Err(errors)
            }
        }
    }
}

/// The plan fields the edit form carries, read like the API reads them.
#[derive(Debug, Deserialize)]
struct FormPlan {
    objective: String,
    name: Option<String>,
    planned_reach: Option<i64>,
    #[serde(default, deserialize_with = "ame_domain::money_text")]
    budget: Option<rust_decimal::Decimal>,
    channels: Vec<Channel>,
    start_at: Option<DateTime<Utc>>,
    end_at: Option<DateTime<Utc>>,
    timezone: String,
    holdout_fraction: Option<f64>,
}

/// Reads `value` as `T`, naming the field that does not fit (holdout is shown as a percentage).
fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let field = path.split(['.', '[']).next().unwrap_or("form").to_owned();
        let message = e.inner().to_string();
        FieldError::new(
            if field == "holdout_fraction" {
                "holdout_percent".to_owned()
            } else {
                field
            },
            message,
        )
    })
}

/// Renames the API's field names to the form's where they differ.
pub fn form_errors(errors: Vec<FieldError>) -> Errors {
    Errors(
        errors
            .into_iter()
            .map(|mut e| {
                if e.field == "holdout_fraction" {
                    e.field = "holdout_percent".into();
                    e.message = "must be a percentage from 0 to 50".into();
                }
                e
            })
            .collect(),
    )
}

/// The campaign plan form, for creating (`with_type`) or editing a draft.
pub fn plan_form(
    ctx: &Ctx,
    id: &str,
    action: &str,
    values: &PlanValues,
    errors: &Errors,
    with_type: bool,
    submit: &str,
) -> Markup {
    let types: Vec<(String, String)> = CampaignType::ALL
        .iter()
        .map(|t| (t.to_string(), label(t.as_str())))
        .collect();
    let channel_errors = errors.for_field("channels");
    html! {
        form id=(id) method="post" action=(action) .card novalidate {
            (csrf_field(ctx.csrf()))
            @if with_type {
                (field("campaign_type", "Campaign type", Some("Decides which assets AME writes."), Control::Select(types, &values.campaign_type), errors, true))
            }
            (field("objective", "Objective", Some("What the campaign should achieve, in your words (3 to 500 characters). It stays internal."), Control::Textarea(&values.objective), errors, true))
            (field("name", "Name", Some("Optional; the objective is shown when blank."), Control::Input("text", &values.name), errors, false))
            (field("planned_reach", "Planned reach", Some("How many people you plan to reach."), Control::Input("text", &values.planned_reach), errors, false))
            (field("budget", "Budget", Some("Planned spend, e.g. 2500.00."), Control::Input("text", &values.budget), errors, false))
            fieldset #channels .invalid[!channel_errors.is_empty()]
                aria-describedby=[(!channel_errors.is_empty()).then_some("channels-error")] {
                legend { "Channels" }
                @if !channel_errors.is_empty() {
                    p .field-error #channels-error { (channel_errors.join("; ")) }
                }
                div .checks {
                    @for ch in Channel::ALL {
                        label {
                            input type="checkbox" name="channels" value=(ch) checked[values.channels.iter().any(|v| v == ch.as_str())];
                            (label(ch.as_str()))
                        }
                    }
                }
            }
            (field("start_at", "Start", Some("Local time in the campaign's time zone."), Control::Input("datetime-local", &values.start_at), errors, false))
            (field("end_at", "End", None, Control::Input("datetime-local", &values.end_at), errors, false))
            (field("timezone", "Time zone", Some("An IANA name such as Europe/London; UTC when blank."), Control::Input("text", &values.timezone), errors, false))
            (field("holdout_percent", "Holdout share (%)", Some("Contacts kept out at random to measure lift, 0 to 50; 10 when blank."), Control::Input("text", &values.holdout_percent), errors, false))
            button type="submit" { (submit) }
        }
    }
}

fn new_page(ctx: &Ctx, values: &PlanValues, errors: &Errors) -> Markup {
    page(
        ctx,
        "campaigns",
        "New campaign",
        html! {
            p .breadcrumb { a href="/app/campaigns" { "Campaigns" } " / " }
            h1 { "New campaign" }
            (errors.summary())
            (plan_form(ctx, "campaign-form", "/app/campaigns", values, errors, true, "Create campaign"))
        },
    )
}

/// `GET /app/campaigns/new`.
pub async fn new_form(ctx: Ctx) -> Result<HttpResponse, WebError> {
    ctx.caller.require_write().map_err(WebError::from)?;
    let values = PlanValues {
        campaign_type: CampaignType::LeadGen.to_string(),
        timezone: "UTC".into(),
        ..PlanValues::default()
    };
    Ok(ok(new_page(&ctx, &values, &Errors::default())))
}

/// `POST /app/campaigns`.
pub async fn create(ctx: Ctx, body: Bytes) -> Result<HttpResponse, WebError> {
    let form = checked_form(&ctx, &body)?;
    ctx.caller.require_write().map_err(WebError::from)?;
    let values = PlanValues::from_form(&form);
    let (campaign, mut errors) = values.new_campaign();
    if let Some(campaign) = campaign {
        match ctx.engine.check_new_campaign(&ctx.caller, campaign) {
            Ok(valid) if errors.is_empty() => {
                let created = ctx.engine.create_campaign(&ctx.caller, valid, None).await?;
                return Ok(see_other(&format!("/app/campaigns/{}", created.id)));
            }
            Ok(_) => {}
            Err(AppError::Validation(invalid)) => errors.extend(invalid),
            Err(other) => return Err(other.into()),
        }
    }
    Ok(respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        new_page(&ctx, &values, &form_errors(errors)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> PlanValues {
        PlanValues {
            campaign_type: "lead_gen".into(),
            objective: "Book 40 demos with finance leads".into(),
            planned_reach: "5,000".into(),
            budget: "2500.00".into(),
            channels: vec!["email".into(), "linkedin".into()],
            start_at: "2027-03-01T09:00".into(),
            timezone: "Europe/Berlin".into(),
            holdout_percent: "20".into(),
            ..PlanValues::default()
        }
    }

    #[test]
    fn a_form_becomes_the_apis_new_campaign_in_the_chosen_time_zone() {
        let (campaign, errors) = values().new_campaign();
        assert!(errors.is_empty(), "{errors:?}");
        let campaign = campaign.unwrap();
        assert_eq!(campaign.planned_reach, Some(5000));
        assert_eq!(campaign.channels, vec![Channel::Email, Channel::Linkedin]);
        assert_eq!(
            campaign.start_at.unwrap().to_rfc3339(),
            "2027-03-01T08:00:00+00:00"
        );
        assert_eq!(campaign.holdout_fraction, Some(0.2));
    }

    #[test]
    fn unreadable_fields_are_named() {
        let mut bad = values();
        bad.planned_reach = "lots".into();
        bad.campaign_type = "spam".into();
        let (_, errors) = bad.new_campaign();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"planned_reach"), "{fields:?}");
        assert!(fields.contains(&"campaign_type"), "{fields:?}");
    }

    #[test]
    fn blank_optional_fields_clear_them_in_an_edit() {
        let mut v = values();
        v.budget.clear();
        let patch = v.plan_patch().unwrap();
        assert_eq!(patch.budget, Some(None));
    }
}
