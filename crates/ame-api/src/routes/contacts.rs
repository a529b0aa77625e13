//! Contacts and segments: bulk upsert, keyset listing, one contact's read, change and erasure,
//! and saved segments.

use crate::auth::Principal;
use crate::body::JsonBody;
use crate::extract::{list_query, path_id};
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use ame_domain::{
    Consent, Contact, ContactExport, ContactFilter, ContactId, ContactPatch, FieldError,
    NewContact, NewSegment, PageRequest, Segment, SegmentId, UpsertSummary,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// The largest contact upsert body (1,000 contacts with room for attributes).
pub const CONTACTS_BODY_BYTES: usize = 2 * 1024 * 1024;

/// One page of contacts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactPage {
    /// The contacts on this page.
    pub items: Vec<Contact>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Query parameters of the contact list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListContactsQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Only contacts with this consent status.
    pub consent: Option<Consent>,
    /// Only contacts whose attribute has this value, written `name:value` (`true`, `false` and
    /// numbers compare as such).
    #[param(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,63}:.*$", example = "plan:pro")]
    pub attribute: Option<String>,
}

/// Changes to one contact: fields left out stay; `null` clears a nullable one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChange {
    /// New first name (1 to 100 characters), or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub first_name: Option<Option<String>>,
    /// New IANA time zone, or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "Europe/London")]
    pub time_zone: Option<Option<String>>,
    /// New locale, or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "en-GB", max_length = 35)]
    pub locale: Option<Option<String>>,
    /// New attributes, replacing the stored ones.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
    /// New consent status (this may re-subscribe a contact; do so only with their consent).
    #[serde(default)]
    pub consent: Option<Consent>,
}

fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The organization's segments.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentList {
    /// Newest first.
    pub items: Vec<Segment>,
}

/// Create or update 1 to 1,000 contacts by email address, all or nothing. A bad row gets 422
/// naming it as `[i].field`, and nothing is written. An upsert never re-subscribes a contact who
/// unsubscribed, bounced or complained.
#[utoipa::path(
    tag = "contacts",
    request_body(content = Vec<NewContact>, content_type = "application/json"),
    responses((status = 200, description = "What was created and updated", body = UpsertSummary)),
    security(("bearer" = []))
)]
#[post("/contacts")]
pub async fn upsert_contacts(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody<Vec<NewContact>, CONTACTS_BODY_BYTES, true>,
) -> Result<web::Json<UpsertSummary>, Problem> {
    Ok(web::Json(
        state.engine.upsert_contacts(&principal, body.value).await?,
    ))
}

fn typed(value: &str) -> Value {
    match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        v => v
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                v.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Value::from)
            })
            .unwrap_or_else(|| Value::String(v.to_owned())),
    }
}

fn parse_list_query(query: &str) -> Result<(ContactFilter, PageRequest), Problem> {
    let mut filter = ContactFilter::default();
    let page = list_query(query, |name, value, errors| {
        match name {
        "consent" => match value.parse::<Consent>() {
            Ok(c) => filter.consent = Some(c),
            Err(_) => errors.push(FieldError::with_allowed(
                "consent",
                format!("is not a consent status; got `{value}`"),
                Consent::NAMES,
            )),
        },
        "attribute" => match value.split_once(':') {
            Some((attr, v))
                if ame_domain::validate_attributes(
                    "attribute",
                    &Map::from_iter([(attr.to_owned(), typed(v))]),
                )
                .is_ok() =>
            {
                filter.attribute = Some((attr.to_owned(), typed(v)));
            }
            _ => errors.push(FieldError::new(
                "attribute",
                format!("must be `name:value` with an attribute name of letters, digits or `_`; got `{value}`"),
            )),
        },
        other => errors.push(FieldError::with_allowed(
            other,
            "is not a parameter of this list",
            &["limit", "cursor", "consent", "attribute"],
        )),
    }
    })?;
    Ok((filter, page))
}

/// List contacts newest first, one keyset page at a time, optionally by consent or attribute.
#[utoipa::path(
    tag = "contacts",
    params(ListContactsQuery),
    responses((status = 200, description = "One page of contacts", body = ContactPage)),
    security(("bearer" = []))
)]
#[get("/contacts")]
pub async fn list_contacts(
    principal: Principal,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<web::Json<ContactPage>, Problem> {
    let (filter, page) = parse_list_query(req.query_string())?;
    let listed = state.engine.contacts(&principal, filter, page).await?;
    Ok(web::Json(ContactPage {
        items: listed.items,
        next_cursor: listed.next_cursor,
    }))
}

fn contact_id(raw: &str) -> Result<ContactId, Problem> {
    path_id(raw, "contact").map(ContactId::from_uuid)
}

/// Read one contact (404 once it was erased).
#[utoipa::path(
    tag = "contacts",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, description = "The contact", body = Contact)),
    security(("bearer" = []))
)]
#[get("/contacts/{id}")]
pub async fn get_contact(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<Contact>, Problem> {
    let id = contact_id(&path)?;
    Ok(web::Json(state.engine.contact(&principal, id).await?))
}

/// Export everything held about one contact (right of access and portability): profile,
/// consent history, messages, tracked events, campaign outcomes and landing-page forms. The
/// export is recorded in the audit log; 404 once the contact was erased.
#[utoipa::path(
    tag = "contacts",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 200, description = "The contact's data", body = ContactExport)),
    security(("bearer" = []))
)]
#[get("/contacts/{id}/export")]
pub async fn export_contact(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<ContactExport>, Problem> {
    let id = contact_id(&path)?;
    Ok(web::Json(
        state.engine.export_contact(&principal, id).await?,
    ))
}

/// Change one contact.
#[utoipa::path(
    tag = "contacts",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    request_body(content = ContactChange, content_type = "application/json"),
    responses(
        (status = 200, description = "The changed contact", body = Contact),
        (status = 409, description = "The contact was erased", body = crate::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/contacts/{id}")]
pub async fn patch_contact(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: JsonBody<ContactChange>,
) -> Result<web::Json<Contact>, Problem> {
    let id = contact_id(&path)?;
    let change = body.value;
    let patch = ContactPatch {
        first_name: change.first_name,
        time_zone: change.time_zone,
        locale: change.locale,
        attributes: change.attributes,
        consent: change.consent,
    };
    Ok(web::Json(
        state.engine.patch_contact(&principal, id, patch).await?,
    ))
}

/// Erase a contact's personal data. Its id and anonymous counts stay (so results stay whole);
/// nothing more is sent to it.
#[utoipa::path(
    tag = "contacts",
    params(("id" = uuid::Uuid, Path, description = "Contact id")),
    responses((status = 204, description = "Erased")),
    security(("bearer" = []))
)]
#[delete("/contacts/{id}")]
pub async fn delete_contact(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    principal.require_write()?;
    let id = contact_id(&path)?;
    state.engine.erase_contact(&principal, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Save a segment: a filter over consent and attributes (`equals`, `in`, `min`/`max`).
#[utoipa::path(
    tag = "contacts",
    request_body(content = NewSegment, content_type = "application/json"),
    responses((status = 201, description = "The saved segment", body = Segment)),
    security(("bearer" = []))
)]
#[post("/segments")]
pub async fn create_segment(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody<NewSegment>,
) -> Result<HttpResponse, Problem> {
    let segment = state.engine.create_segment(&principal, body.value).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/marketing/segments/{}", segment.id),
        ))
        .json(segment))
}

/// List the organization's segments.
#[utoipa::path(
    tag = "contacts",
    responses((status = 200, description = "The segments", body = SegmentList)),
    security(("bearer" = []))
)]
#[get("/segments")]
pub async fn list_segments(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<SegmentList>, Problem> {
    Ok(web::Json(SegmentList {
        items: state.engine.segments(&principal).await?,
    }))
}

/// Read one segment.
#[utoipa::path(
    tag = "contacts",
    params(("id" = uuid::Uuid, Path, description = "Segment id")),
    responses((status = 200, description = "The segment", body = Segment)),
    security(("bearer" = []))
)]
#[get("/segments/{id}")]
pub async fn get_segment(
    principal: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<Segment>, Problem> {
    let id = SegmentId::from_uuid(path_id(&path, "segment")?);
    Ok(web::Json(state.engine.segment(&principal, id).await?))
}
