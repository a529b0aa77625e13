//! Serving a stored file: streamed with its length, content-addressed ETag and caching policy.

use actix_web::HttpResponse;
use actix_web::http::header;
use ame_app::OpenedFile;
use futures::StreamExt;

/// What a downloaded HTML file (an email, a landing page opened from the API) may do when a
/// browser shows it: inline styles and HTTPS images only; no scripts, no forms, no frames, and
/// sandboxed away from this origin.
pub const DOWNLOAD_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; sandbox";

/// The response streaming `file`, cacheable as `cache` says; HTML carries [`DOWNLOAD_POLICY`]
/// (a caller serving it as a live page replaces it).
pub fn stream(file: OpenedFile, cache: &str) -> HttpResponse {
    let is_html = file.media_type.starts_with("text/html");
    let stream = file
        .stream
        .map(|chunk| chunk.map_err(actix_web::error::ErrorInternalServerError));
    let mut response = HttpResponse::Ok();
    if is_html {
        response.insert_header((header::CONTENT_SECURITY_POLICY, DOWNLOAD_POLICY));
    }
    response
        .content_type(file.media_type)
        .insert_header((header::CACHE_CONTROL, cache.to_owned()))
        .insert_header((header::ETAG, format!("\"{}\"", file.sha256)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .no_chunking(file.size)
        .streaming(stream)
}
