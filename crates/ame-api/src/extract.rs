//! Reading path ids and query numbers, shared by every route file.

use crate::problem::{ErrorCode, Problem};
use actix_web::{HttpRequest, web};
use ame_domain::{CampaignId, FieldError};
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
