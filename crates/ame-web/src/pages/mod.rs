//! One module per area of the dashboard.

pub mod brand;
pub mod campaigns;
pub mod detail;
pub mod forecast;
pub mod keys;
pub mod login;
pub mod people;
pub mod results;
pub mod running;

use crate::error::WebError;
use crate::form::FormData;
use crate::layout::see_other;
use crate::session::Ctx;
use actix_web::HttpResponse;
use actix_web::web::Bytes;

/// `/app`: the campaign list.
pub async fn home(_ctx: Ctx) -> HttpResponse {
    see_other("/app/campaigns")
}

/// Anything else under `/app`.
pub async fn not_found() -> Result<HttpResponse, WebError> {
    Err(WebError::NotFound(
        "There is no page at this address.".into(),
    ))
}

/// Reads a form body and checks its CSRF token against the session (before anything else).
pub(crate) fn checked_form(ctx: &Ctx, body: &Bytes) -> Result<FormData, WebError> {
    let form = FormData::parse(body)?;
    ctx.check_csrf(&form)?;
    Ok(form)
}

/// Parses an id from the path; anything else is "not found".
pub(crate) fn parse_id(text: &str) -> Result<uuid::Uuid, WebError> {
    text.parse()
        .map_err(|_| WebError::NotFound("There is no page at this address.".into()))
}
