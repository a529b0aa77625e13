//! The dashboard's stylesheet and script, compiled into the binary (no CDN, no build step).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/app/static/dashboard.css";
/// Where the script is served.
pub const JS_PATH: &str = "/app/static/dashboard.js";

const CSS: &str = include_str!("../static/dashboard.css");
const JS: &str = include_str!("../static/dashboard.js");

/// Serves one of the embedded files.
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    let (body, media_type) = match name.as_str() {
        "dashboard.css" => (CSS, "text/css; charset=utf-8"),
        "dashboard.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(media_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
