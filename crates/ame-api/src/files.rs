//! Serving a stored file: streamed with its length, content-addressed ETag and caching policy.

use actix_web::HttpResponse;
use actix_web::http::header;
use ame_app::OpenedFile;
use futures::StreamExt;

/// The response streaming `file`, cacheable as `cache` says.
pub fn stream(file: OpenedFile, cache: &str) -> HttpResponse {
    let stream = file
        .stream
        .map(|chunk| chunk.map_err(actix_web::error::ErrorInternalServerError));
    HttpResponse::Ok()
        .content_type(file.media_type)
        .insert_header((header::CACHE_CONTROL, cache.to_owned()))
        .insert_header((header::ETAG, format!("\"{}\"", file.sha256)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .no_chunking(file.size)
        .streaming(stream)
}
