//! Reading an uploaded image body (after authenticating the caller): 415 naming the accepted
//! media types for anything else, 413 past the size limit.

use crate::auth::Principal;
use crate::body::{read_limited, unencoded};
use crate::problem::{ErrorCode, Problem};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};
use ame_generation::logo::{LOGO_MEDIA_TYPES, MAX_LOGO_BYTES, media_type_essence};
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
            let media_type = media_type_essence(declared);
            if !LOGO_MEDIA_TYPES.contains(&media_type.as_str()) {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ErrorCode::UnsupportedMediaType,
                    format!("a logo must be sent as image/png or image/svg+xml; got `{declared}`"),
                )
                .with_allowed(LOGO_MEDIA_TYPES));
            }
            let bytes = read_limited(&req, &mut payload, MAX_LOGO_BYTES, too_large).await?;
            Ok(LogoBody { media_type, bytes })
        })
    }
}
