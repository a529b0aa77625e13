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
            // Credentials first: an unauthenticated caller learns nothing about its body, and
            // a caller who may not write learns nothing from validating what it would write.
            let principal = Principal::extract(&req).await?;
            principal.require_write()?;
            // Everything under /api/org/ (keys, the audit log) is for owners and admins.
            if req.path().starts_with("/api/org/") {
                principal.require_manage()?;
            }
            unencoded(&req)?;
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
            let body = read_limited(&req, &mut payload, LIMIT, || too_large(LIMIT)).await?;
            let (value, canonical) = if ARRAY {
                decode_shaped(&body, serde_json::Value::is_array, "must be a JSON array")?
            } else {
                decode_shaped(&body, serde_json::Value::is_object, "must be a JSON object")?
            };
            // Only an idempotent request compares bodies; the others skip the digest.
            let digest = if req
                .headers()
                .contains_key(crate::problem::IDEMPOTENCY_HEADER)
            {
                hex(&Sha256::digest(canonical().as_bytes()))
            } else {
                String::new()
            };
            Ok(JsonBody { value, digest })
        })
    }
}

/// Reads the whole body, refusing with `too_large()` as soon as it (or its declared
/// `Content-Length`) passes `limit` bytes.
pub async fn read_limited(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    too_large: impl Fn() -> Problem,
) -> Result<Vec<u8>, Problem> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::bad_request(
                ErrorCode::UnreadableBody,
                format!("the body could not be read: {e}"),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Refuses a compressed body: bodies are read as sent, so `Content-Encoding` other than
/// `identity` is a 415 naming what is accepted.
pub fn unencoded(req: &actix_web::HttpRequest) -> Result<(), Problem> {
    let encoding = req.headers().get(header::CONTENT_ENCODING).map(|v| {
        v.to_str()
            .unwrap_or("unreadable")
            .trim()
            .to_ascii_lowercase()
    });
    match encoding.as_deref() {
        None | Some("identity") | Some("") => Ok(()),
        Some(other) => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!("send the body uncompressed; Content-Encoding `{other}` is not accepted"),
        )
        .with_allowed(["identity"])),
    }
}

/// Decodes a JSON object into `T`: 400 for bytes that are not JSON or that repeat a key in an
/// object, 422 for JSON of the wrong shape (including a body that is not an object, and fields
/// the body does not have). Integral numbers written with a fraction (`10.0`) count as
/// integers, as JSON Schema says.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    decode_shaped(body, serde_json::Value::is_object, "must be a JSON object").map(|(v, _)| v)
}

/// Decodes a JSON array into `T`, as [`decode_json`] does objects.
pub fn decode_json_array<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    decode_shaped(body, serde_json::Value::is_array, "must be a JSON array").map(|(v, _)| v)
}

/// A JSON document that is only checked: no object in it names a key twice.
struct NoRepeatedKeys;

impl<'de> serde::Deserialize<'de> for NoRepeatedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoRepeatedKeysVisitor)
    }
}

struct NoRepeatedKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoRepeatedKeysVisitor {
    type Value = NoRepeatedKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }

    fn visit_unit<E>(self) -> Result<NoRepeatedKeys, E> {
        Ok(NoRepeatedKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<NoRepeatedKeys, A::Error> {
        while seq.next_element::<NoRepeatedKeys>()?.is_some() {}
        Ok(NoRepeatedKeys)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<NoRepeatedKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice in one object; send each key once"
                )));
            }
            map.next_value::<NoRepeatedKeys>()?;
        }
        Ok(NoRepeatedKeys)
    }
}

/// `value` as canonical JSON text: object keys sorted, no insignificant whitespace, so two
/// bodies that mean the same thing read the same.
fn canonical(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        canonical(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Decodes `body` into `T` when its top level has the `shape` (else a 422 saying `expected`),
/// with the body's canonical JSON text.
fn decode_shaped<T: DeserializeOwned>(
    body: &[u8],
    shape: fn(&serde_json::Value) -> bool,
    expected: &str,
) -> Result<(T, impl FnOnce() -> String), Problem> {
    let malformed = |e: serde_json::Error| {
        let full = e.to_string();
        let message = full
            .rsplit_once(" at line ")
            .map_or(full.as_str(), |(m, _)| m)
            .to_owned();
        Problem::bad_request(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {message}"),
        )
    };
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
    serde_json::from_slice::<NoRepeatedKeys>(body).map_err(malformed)?;
    if !shape(&value) {
        return Err(Problem::validation(vec![FieldError::new("body", expected)]));
    }
    integral_floats_to_integers(&mut value);
    let decoded = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        shape_error(&path, e.into_inner())
    })?;
    Ok((decoded, move || canonical(&value)))
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
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((name, expected)) = rest.split_once('`')
    {
        let allowed: Vec<String> = expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        // The path already ends with the unknown key.
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            path.to_owned()
        };
        let allowed_refs: Vec<&str> = allowed.iter().map(String::as_str).collect();
        return Problem::validation(vec![FieldError::with_allowed(
            field,
            format!(
                "is not a field of this body; allowed fields: {}",
                allowed.join(", ")
            ),
            &allowed_refs,
        )]);
    }
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
    fn repeated_keys_are_malformed_and_unknown_fields_are_named() {
        let p = decode_json::<NewCampaign>(
            br#"{"campaign_type":"upsell","objective":"Grow","objective":"Shrink"}"#,
        )
        .unwrap_err();
        assert_eq!((p.status, p.code.as_str()), (400, "malformed_json"));
        assert!(
            p.detail.contains("`objective` appears twice"),
            "{}",
            p.detail
        );
        let p = decode_json::<NewCampaign>(
            br#"{"campaign_type":"upsell","objective":"Grow","status":"active","org_id":"x"}"#,
        )
        .unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "org_id"));
        let allowed = p.errors[0].allowed.clone().unwrap();
        assert!(allowed.contains(&"objective".to_owned()), "{allowed:?}");
        assert!(!allowed.contains(&"status".to_owned()));
        let p = decode_json::<NewCampaign>(
            br#"{"campaign_type":"upsell","objective":"Grow","status":"active"}"#,
        )
        .unwrap_err();
        assert_eq!(p.errors[0].field, "status");
    }

    #[test]
    fn the_same_json_reads_the_same_whatever_its_layout() {
        let a = decode_shaped::<serde_json::Value>(
            br#"{"b": [1, 2.0, {"y": true, "x": null}], "a": "x"}"#,
            serde_json::Value::is_object,
            "",
        )
        .unwrap()
        .1();
        let b = decode_shaped::<serde_json::Value>(
            b"{\"a\":\"x\",\n \"b\":[1,2,{\"x\":null,\"y\":true}]}",
            serde_json::Value::is_object,
            "",
        )
        .unwrap()
        .1();
        assert_eq!(a, b);
        assert_eq!(a, r#"{"a":"x","b":[1,2,{"x":null,"y":true}]}"#);
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
