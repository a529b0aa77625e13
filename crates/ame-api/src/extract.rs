//! Reading path ids and query numbers, shared by every route file.

use crate::problem::{ErrorCode, Problem};
use actix_web::{HttpRequest, web};
use ame_domain::{CampaignId, Cursor, FieldError, PageRequest};
use uuid::Uuid;

/// The `{id}` path parameter of a resource (`entity` names it in the error).
pub fn path_id(raw: &str, entity: &str) -> Result<Uuid, Problem> {
    raw.parse::<Uuid>().map_err(|_| {
        Problem::bad_request(
            ErrorCode::InvalidId,
            format!("the {entity} id in the path must be a UUID; got `{raw}`"),
        )
    })
}

/// The `{id}` path parameter of a campaign.
pub fn campaign_id(path: &web::Path<String>) -> Result<CampaignId, Problem> {
    path_id(path, "campaign").map(CampaignId::from_uuid)
}

/// The query string's pairs, in order.
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, Problem> {
    web::Query::<Vec<(String, String)>>::from_query(query)
        .map(web::Query::into_inner)
        .map_err(|e| {
            Problem::bad_request(
                ErrorCode::InvalidQuery,
                format!("the query string is malformed: {e}"),
            )
        })
}

/// A list's query string: `limit` (1 to 100, default 20) and `cursor` (a `next_cursor` this
/// API issued) make the page; every other parameter goes to `other`, which records what is wrong
/// with it. Any error is a 422 naming every bad parameter.
pub fn list_query(
    query: &str,
    mut other: impl FnMut(&str, &str, &mut Vec<FieldError>),
) -> Result<PageRequest, Problem> {
    let mut errors = Vec::new();
    let mut limit = 20u32;
    let mut after = None;
    for (name, value) in query_pairs(query)? {
        match name.as_str() {
            "limit" => match value.parse::<u32>() {
                Ok(n) => limit = n,
                Err(_) => errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to 100; got `{value}`"),
                )),
            },
            "cursor" if value.is_empty() => after = None,
            "cursor" => match Cursor::decode(&value) {
                Ok(c) => after = Some(c),
                Err(_) => errors.push(FieldError::new(
                    "cursor",
                    "must be a `next_cursor` value returned by this endpoint",
                )),
            },
            name => other(name, &value, &mut errors),
        }
    }
    let page = PageRequest::new(limit, after)
        .map_err(|e| errors.push(e))
        .ok();
    match page {
        Some(page) if errors.is_empty() => Ok(page),
        _ => Err(Problem::validation(errors)),
    }
}

/// An optional integer query parameter within `min..=max`.
pub fn query_number<T: TryFrom<u64>>(
    req: &HttpRequest,
    name: &str,
    (min, max): (u64, u64),
) -> Result<Option<T>, Problem> {
    let pairs = query_pairs(req.query_string())?;
    let Some((_, raw)) = pairs.iter().find(|(k, _)| k == name) else {
        return Ok(None);
    };
    let invalid = || {
        Problem::validation(vec![FieldError::new(
            name,
            format!("must be an integer from {min} to {max}; got `{raw}`"),
        )])
    };
    let value: u64 = raw.parse().map_err(|_| invalid())?;
    if !(min..=max).contains(&value) {
        return Err(invalid());
    }
    T::try_from(value).map(Some).map_err(|_| invalid())
}

/// The optional `seed` query parameter (0 to 2^53 − 1).
pub fn seed(req: &HttpRequest) -> Result<Option<u64>, Problem> {
    query_number(req, "seed", (0, ame_app::MAX_SEED))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn query_numbers_are_bounded_and_named_in_errors() {
        let req = TestRequest::with_uri("/x?limit=5&seed=9007199254740992").to_http_request();
        assert_eq!(
            query_number::<u64>(&req, "limit", (1, 500)).unwrap(),
            Some(5)
        );
        assert_eq!(query_number::<u64>(&req, "draws", (1, 5)).unwrap(), None);
        let p = seed(&req).unwrap_err();
        assert_eq!(p.errors[0].field, "seed");
        assert!(path_id("not-a-uuid", "asset").is_err());
    }
}
