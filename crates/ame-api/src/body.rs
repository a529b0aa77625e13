//! Reading request bodies (after authenticating the caller) and query strings into typed values with problem-details errors:
//! 415 for a body that is not JSON, 413 past [`MAX_BODY_BYTES`], 400 for malformed JSON, and 422
//! naming the invalid field (with the allowed values for closed sets) for JSON of the wrong shape.

use crate::auth::Principal;
use crate::problem::{ErrorCode, Problem};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use ame_domain::FieldError;
use futures::StreamExt;
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// The largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body decoded into `T`, with a fingerprint of the raw bytes (for idempotency).
/// The root must be an object, or an array when `ARRAY`; bodies over `LIMIT` bytes get 413.
#[derive(Debug)]
pub struct JsonBody<T, const LIMIT: usize = MAX_BODY_BYTES, const ARRAY: bool = false> {
    /// The decoded body.
    pub value: T,
    /// SHA-256 of the raw body, hex.
    pub digest: String,
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(text) = value.to_str() else {
        return false;
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn too_large(limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than the {limit} bytes allowed"),
    )
}

impl<T: DeserializeOwned + 'static, const LIMIT: usize, const ARRAY: bool> FromRequest
    for JsonBody<T, LIMIT, ARRAY>
{
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            // Credentials first: an unauthenticated caller learns nothing about its body.
            Principal::extract(&req).await?;
            if !is_json(&req) {
                let got = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_owned();
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ErrorCode::UnsupportedMediaType,
                    format!("the body must be JSON sent as `application/json`; got `{got}`"),
                )
                .with_allowed(["application/json"]));
            }
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > LIMIT) {
                return Err(too_large(LIMIT));
            }
            let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(LIMIT));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    Problem::bad_request(
                        ErrorCode::UnreadableBody,
                        format!("the body could not be read: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(too_large(LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            let value = if ARRAY {
                decode_json_array(&body)?
            } else {
                decode_json(&body)?
            };
            Ok(JsonBody {
                value,
                digest: hex(&Sha256::digest(&body)),
            })
        })
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes a JSON object into `T`: 400 for bytes that are not JSON, 422 for JSON of the wrong
/// shape (including a body that is not an object). Integral numbers written with a fraction
/// (`10.0`) count as integers, as JSON Schema says.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    decode_shaped(body, serde_json::Value::is_object, "must be a JSON object")
}

/// Decodes a JSON array into `T`, as [`decode_json`] does objects.
pub fn decode_json_array<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    decode_shaped(body, serde_json::Value::is_array, "must be a JSON array")
}

fn decode_shaped<T: DeserializeOwned>(
    body: &[u8],
    shape: fn(&serde_json::Value) -> bool,
    expected: &str,
) -> Result<T, Problem> {
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Problem::bad_request(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    if !shape(&value) {
        return Err(Problem::validation(vec![FieldError::new("body", expected)]));
    }
    integral_floats_to_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        shape_error(&path, e.into_inner())
    })
}

/// Rewrites numbers such as `3.0` as integers, recursively.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // |f| < 2^53, so the conversion is exact.
                #[allow(clippy::cast_possible_truncation)]
                let integer = f as i64;
                *value = serde_json::Value::from(integer);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

fn shape_error(path: &str, error: serde_json::Error) -> Problem {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {}
        Category::Syntax | Category::Eof | Category::Io => {
            return Problem::bad_request(
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {error}"),
            );
        }
    }
    // serde_json appends the position; the field path says more.
    let full = error.to_string();
    let message = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m)
        .to_owned();
    let field = if path == "." || path.is_empty() {
        message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .unwrap_or("body")
            .to_owned()
    } else {
        path.to_owned()
    };
    Problem::validation(vec![field_error(field, message)])
}

/// A field error; closed-set messages (`...; allowed: a, b`) also list the allowed values.
pub fn field_error(field: String, message: String) -> FieldError {
    match message.split_once("; allowed: ") {
        Some((_, allowed)) => {
            let allowed: Vec<&str> = allowed.split(", ").collect();
            FieldError::with_allowed(field, message.clone(), &allowed)
        }
        None => FieldError::new(field, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::NewCampaign;

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422_with_the_field() {
        let p = decode_json::<NewCampaign>(b"{\"campaign_type\": ").unwrap_err();
        assert_eq!((p.status, p.code.as_str()), (400, "malformed_json"));

        let p = decode_json::<NewCampaign>(br#"{"campaign_type":"spam","objective":"abc"}"#)
            .unwrap_err();
        assert_eq!((p.status, p.code.as_str()), (422, "validation_failed"));
        assert_eq!(p.errors[0].field, "campaign_type");
        let allowed = p.errors[0].allowed.clone().unwrap();
        assert_eq!(allowed.len(), 6);
        assert!(allowed.contains(&"lead_gen".to_owned()));

        let p = decode_json::<NewCampaign>(br#"{"campaign_type":"upsell"}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "objective");

        let p = decode_json::<NewCampaign>(
            br#"{"campaign_type":"upsell","objective":"abc","channels":["email","fax"]}"#,
        )
        .unwrap_err();
        assert_eq!(p.errors[0].field, "channels[1]");
        assert!(
            p.errors[0]
                .allowed
                .as_ref()
                .unwrap()
                .contains(&"sms".to_owned())
        );
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let p = decode_json::<serde_json::Value>(b"{} {}").unwrap_err();
        assert_eq!(p.status, 400);
    }

    #[test]
    fn only_objects_are_bodies() {
        let p = decode_json::<NewCampaign>(br#"["upsell", "Grow revenue"]"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "body"));
    }

    #[test]
    fn integral_floats_are_integers() {
        let c: NewCampaign = decode_json(
            br#"{"campaign_type":"upsell","objective":"Grow","planned_reach":3151078.0,"budget":"12.5"}"#,
        )
        .unwrap();
        assert_eq!(c.planned_reach, Some(3_151_078));
        let p = decode_json::<NewCampaign>(
            br#"{"campaign_type":"upsell","objective":"Grow","planned_reach":1.5}"#,
        )
        .unwrap_err();
        assert_eq!(p.errors[0].field, "planned_reach");
        let p = decode_json::<NewCampaign>(
            br#"{"campaign_type":"upsell","objective":"Grow","budget":0}"#,
        )
        .unwrap_err();
        assert_eq!(p.errors[0].field, "budget");
    }
}
