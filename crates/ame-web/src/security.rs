//! Headers every dashboard response carries: a strict Content-Security-Policy (scripts, styles,
//! images, audio and frames only from this server; no inline script or style), no sniffing, no
//! framing by other sites, no caching of pages that show an organization's data.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// The policy of every dashboard page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; media-src 'self'; frame-src 'self'; connect-src 'self'; \
font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a generated file shown in a preview frame: sandboxed (no script, no form
/// submission, its own origin), its inline styles allowed, framed only by the dashboard.
pub const PREVIEW_POLICY: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'; \
img-src 'self' data:; media-src 'self'; font-src data:; frame-ancestors 'self'; base-uri 'none'; \
form-action 'none'";

fn set_default(
    response: &mut actix_web::HttpResponse<impl MessageBody>,
    name: HeaderName,
    value: &'static str,
) {
    if !response.headers().contains_key(&name) {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the security headers unless a handler set its own (file previews do).
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let response = res.response_mut();
    set_default(
        response,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    set_default(response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(response, header::REFERRER_POLICY, "same-origin");
    set_default(response, header::X_FRAME_OPTIONS, "DENY");
    set_default(response, header::CACHE_CONTROL, "no-store");
    set_default(
        response,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    Ok(res)
}
