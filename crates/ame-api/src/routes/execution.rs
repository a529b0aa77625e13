//! Running campaigns: the job queue (dead jobs and their retry), webhook connectors, reported
//! conversions and a campaign's delivery ledger.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::extract::{campaign_id, list_query, path_id, query_pairs};
use crate::problem::{Problem, ProblemDetails};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use ame_app::tracking::{ConversionInput, NewConnector};
use ame_domain::{
    Channel, Connector, ConnectorId, ContactId, Delivery, DeliveryState, FieldError, Job, JobId,
    JobState, LedgerCursor, LedgerFilter, SendingDomain, SendingDomainInput, SendingStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One page of jobs, most recently changed first.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    /// The jobs on this page.
    pub items: Vec<Job>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Query parameters of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListJobsQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Only jobs in this state (`dead` lists what needs attention).
    pub state: Option<JobState>,
}

/// The organization's webhook connectors.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorList {
    /// Newest first, without their secrets.
    pub items: Vec<Connector>,
}

/// One page of a campaign's delivery ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// By step, then contact id.
    pub items: Vec<Delivery>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A recorded conversion.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionRecorded {
    /// Always `true`: the conversion counts in the campaign's next results rollup.
    pub recorded: bool,
}

/// List the organization's jobs, optionally in one state (`?state=dead`).
#[utoipa::path(
    tag = "execution",
    params(ListJobsQuery),
    responses((status = 200, description = "One page of jobs", body = JobPage)),
    security(("bearer" = []))
)]
#[get("/jobs")]
pub async fn list_jobs(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<web::Json<JobPage>, Problem> {
    let mut job_state = None;
    let page = list_query(req.query_string(), |name, value, errors| match name {
        "state" => match value.parse::<JobState>() {
            Ok(s) => job_state = Some(s),
            Err(_) => errors.push(FieldError::with_allowed(
                "state",
                format!("is not a job state; got `{value}`"),
                JobState::NAMES,
            )),
        },
        other => errors.push(FieldError::with_allowed(
            other,
            "is not a parameter of this list",
            &["limit", "cursor", "state"],
        )),
    })?;
    let listed = state.engine.jobs(&principal, job_state, page).await?;
    Ok(web::Json(JobPage {
        items: listed.items,
        next_cursor: listed.next_cursor,
    }))
}

/// Queue a dead (or failed) job again, due now, with fresh attempts.
#[utoipa::path(
    tag = "execution",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The queued job", body = Job),
        (status = 409, description = "The job is not dead or failed", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/jobs/{id}/retry")]
pub async fn retry_job(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<Job>, Problem> {
    principal.require_write()?;
    let id = JobId::from_uuid(path_id(&path, "job")?);
    Ok(web::Json(state.engine.retry_job(&principal, id).await?))
}

/// Whether the organization's email is going out. After too many sending-side failures in a
/// row (the mail server unreachable, its login or TLS failing, the sender refused) sending
/// pauses; sends wait, none is lost, until an owner or admin resumes it.
#[utoipa::path(
    tag = "execution",
    responses((status = 200, description = "The sending state", body = SendingStatus)),
    security(("bearer" = []))
)]
#[get("/sending-status")]
pub async fn sending_status(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<SendingStatus>, Problem> {
    Ok(web::Json(state.engine.sending_status(&principal).await?))
}

/// Resume the organization's sending after a pause (owners and admins); waiting sends go out
/// within five minutes. Resuming sending that is not paused changes nothing.
#[utoipa::path(
    tag = "execution",
    responses(
        (status = 200, description = "The sending state after the resume", body = SendingStatus),
        (status = 403, description = "Only owners and admins resume sending", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/sending-status/resume")]
pub async fn resume_sending(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<SendingStatus>, Problem> {
    Ok(web::Json(state.engine.resume_sending(&principal).await?))
}

/// The organization's sending domain: its sender, reply-to and DKIM selector and public key,
/// with the DNS records to publish (DKIM, SPF, DMARC). 404 until one is set.
#[utoipa::path(
    tag = "execution",
    responses(
        (status = 200, description = "The sending domain", body = SendingDomain),
        (status = 404, description = "No sending domain is set", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/sending-domain")]
pub async fn get_sending_domain(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<SendingDomain>, Problem> {
    Ok(web::Json(state.engine.sending_domain(&principal).await?))
}

/// Set the organization's sender and DKIM key (owners and admins). Without an uploaded
/// `dkim_private_key` AME keeps the current key, or generates one (RSA-2048 or Ed25519) when
/// there is none or the selector or algorithm changed. Messages are signed with it from then
/// on; the answer lists the DNS records to publish.
#[utoipa::path(
    tag = "execution",
    request_body(content = SendingDomainInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The sending domain", body = SendingDomain),
        (status = 403, description = "Only owners and admins set the sending domain", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`errors` names each)", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/sending-domain")]
pub async fn put_sending_domain(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody<SendingDomainInput>,
) -> Result<web::Json<SendingDomain>, Problem> {
    Ok(web::Json(
        state
            .engine
            .put_sending_domain(&principal, body.value)
            .await?,
    ))
}

/// Add a webhook connector that publishes the campaign posts and ads of its channels, signed
/// as the Standard Webhooks specification says. The answer shows its `whsec_` secret, once.
#[utoipa::path(
    tag = "execution",
    request_body(content = NewConnector, content_type = "application/json"),
    responses((status = 201, description = "The connector, with its secret", body = Connector)),
    security(("bearer" = []))
)]
#[post("/connectors")]
pub async fn create_connector(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody<NewConnector>,
) -> Result<HttpResponse, Problem> {
    let connector = state
        .engine
        .create_connector(&principal, body.value)
        .await?;
    Ok(HttpResponse::Created().json(connector))
}

/// List the organization's connectors (without secrets).
#[utoipa::path(
    tag = "execution",
    responses((status = 200, description = "The connectors", body = ConnectorList)),
    security(("bearer" = []))
)]
#[get("/connectors")]
pub async fn list_connectors(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<ConnectorList>, Problem> {
    Ok(web::Json(ConnectorList {
        items: state.engine.connectors(&principal).await?,
    }))
}

/// Delete a connector.
#[utoipa::path(
    tag = "execution",
    params(("id" = uuid::Uuid, Path, description = "Connector id")),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = []))
)]
#[delete("/connectors/{id}")]
pub async fn delete_connector(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require_manage()?;
    let id = ConnectorId::from_uuid(path_id(&path, "connector")?);
    state.engine.delete_connector(&principal, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Record a conversion for a contact (by `contact_id` or `email`) or for the person behind a
/// tracked link (`click_token`), with an optional value. It shows in the campaign's results
/// and takes the contact out of the rest of the sequence.
#[utoipa::path(
    tag = "execution",
    request_body(content = ConversionInput, content_type = "application/json"),
    responses(
        (status = 202, description = "Recorded", body = ConversionRecorded),
        (status = 404, description = "The campaign or contact is not the organization's", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/conversions")]
pub async fn record_conversion(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody<ConversionInput>,
) -> Result<HttpResponse, Problem> {
    state
        .engine
        .record_conversion(&principal, body.value)
        .await?;
    Ok(HttpResponse::Accepted().json(ConversionRecorded { recorded: true }))
}

/// A campaign's delivery ledger: one row per step and contact, with its state
/// (`pending`, `sending`, `sent`, `failed`, `suppressed`, `cancelled`), by step then contact,
/// a page at a time.
#[utoipa::path(
    tag = "execution",
    params(
        ("id" = uuid::Uuid, Path, description = "Campaign id"),
        LedgerQuery,
    ),
    responses(
        (status = 200, description = "One page of the ledger", body = DeliveryList),
        (status = 422, description = "A query parameter is not allowed; each one is named", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/campaigns/{id}/deliveries")]
pub async fn list_deliveries(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<DeliveryList>, Problem> {
    let id = campaign_id(&path)?;
    let (filter, cursor, limit) = ledger_query(req.query_string())?;
    let page = state
        .engine
        .ledger(&principal, id, filter, cursor, limit)
        .await?;
    Ok(web::Json(DeliveryList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Query parameters of a campaign's delivery ledger.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Only rows in this state.
    pub state: Option<DeliveryState>,
    /// Only this contact's rows.
    pub contact: Option<uuid::Uuid>,
    /// Only this step's rows.
    #[param(minimum = 1, maximum = 100)]
    pub step: Option<u32>,
    /// Only this channel's rows.
    pub channel: Option<Channel>,
}

/// Reads the ledger's query string; a 422 names every parameter that is wrong.
fn ledger_query(query: &str) -> Result<(LedgerFilter, Option<LedgerCursor>, u64), Problem> {
    let mut filter = LedgerFilter::default();
    let mut cursor = None;
    let mut limit = 100;
    let mut errors = Vec::new();
    for (name, value) in query_pairs(query)? {
        match name.as_str() {
            "limit" => match value.parse::<u64>() {
                Ok(n) if (1..=1000).contains(&n) => limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to 1000; got `{value}`"),
                )),
            },
            "cursor" if value.is_empty() => cursor = None,
            "cursor" => match LedgerCursor::decode(&value) {
                Ok(c) => cursor = Some(c),
                Err(_) => errors.push(FieldError::new(
                    "cursor",
                    "must be a `next_cursor` value returned by this endpoint",
                )),
            },
            "state" => match value.parse::<DeliveryState>() {
                Ok(s) => filter.state = Some(s),
                Err(_) => errors.push(FieldError::with_allowed(
                    "state",
                    format!("is not a delivery state; got `{value}`"),
                    DeliveryState::NAMES,
                )),
            },
            "contact" => match value.parse::<uuid::Uuid>() {
                Ok(c) => filter.contact = Some(ContactId::from_uuid(c)),
                Err(_) => errors.push(FieldError::new(
                    "contact",
                    format!("must be a contact id (a UUID); got `{value}`"),
                )),
            },
            "step" => match value.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => filter.step = Some(n),
                _ => errors.push(FieldError::new(
                    "step",
                    format!("must be a step number from 1 to 100; got `{value}`"),
                )),
            },
            "channel" => match value.parse::<Channel>() {
                Ok(c) => filter.channel = Some(c),
                Err(_) => errors.push(FieldError::with_allowed(
                    "channel",
                    format!("is not a channel; got `{value}`"),
                    Channel::NAMES,
                )),
            },
            other => errors.push(FieldError::with_allowed(
                other,
                "is not a parameter of the ledger",
                &["limit", "cursor", "state", "contact", "step", "channel"],
            )),
        }
    }
    if errors.is_empty() {
        Ok((filter, cursor, limit))
    } else {
        Err(Problem::validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_query_names_every_bad_parameter() {
        let contact = uuid::Uuid::now_v7();
        let (filter, cursor, limit) = ledger_query(&format!(
            "state=sent&step=2&contact={contact}&limit=5&channel=email"
        ))
        .unwrap();
        assert_eq!(filter.state, Some(DeliveryState::Sent));
        assert_eq!(filter.channel, Some(Channel::Email));
        assert_eq!(filter.step, Some(2));
        assert_eq!(filter.contact, Some(ContactId::from_uuid(contact)));
        assert_eq!((cursor, limit), (None, 5));
        let problem =
            ledger_query("state=lost&step=0&contact=x&limit=1001&cursor=zz&channel=fax&page=2")
                .unwrap_err();
        let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "state", "step", "contact", "limit", "cursor", "channel", "page"
            ]
        );
    }
}
