//! Reading an uploaded image body (after authenticating the caller): 415 naming the accepted
//! media types for anything else, 413 past the size limit.

use crate::auth::Principal;
use crate::body::unencoded;
use crate::problem::{ErrorCode, Problem};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};
use ame_generation::logo::{LOGO_MEDIA_TYPES, MAX_LOGO_BYTES};
use futures::StreamExt;
use futures::future::LocalBoxFuture;

/// A logo upload: the raw bytes and the media type they were sent as.
#[derive(Debug)]
pub struct LogoBody {
    /// The media type's essence, lowercase (`image/png` or `image/svg+xml`).
    pub media_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("a logo may be at most {MAX_LOGO_BYTES} bytes"),
    )
}

impl FromRequest for LogoBody {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let principal = Principal::extract(&req).await?;
            principal.require_write()?;
            unencoded(&req)?;
            let declared = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none");
            let media_type = declared
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if !LOGO_MEDIA_TYPES.contains(&media_type.as_str()) {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ErrorCode::UnsupportedMediaType,
                    format!("a logo must be sent as image/png or image/svg+xml; got `{declared}`"),
                )
                .with_allowed(LOGO_MEDIA_TYPES));
            }
            let length = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if length.is_some_and(|n| n > MAX_LOGO_BYTES) {
                return Err(too_large());
            }
            let mut bytes = Vec::with_capacity(length.unwrap_or(16 * 1024).min(MAX_LOGO_BYTES));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    Problem::bad_request(
                        ErrorCode::UnreadableBody,
                        format!("the body could not be read: {e}"),
                    )
                })?;
                if bytes.len() + chunk.len() > MAX_LOGO_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(LogoBody { media_type, bytes })
        })
    }
}
