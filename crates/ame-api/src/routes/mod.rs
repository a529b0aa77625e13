//! HTTP handlers, grouped by resource.

pub mod assets;
pub mod brand;
pub mod campaigns;
pub mod keys;
pub mod ops;
pub mod public;
pub mod results;

use crate::problem::Problem;
use actix_web::web;
use uuid::Uuid;

/// The `{id}` path parameter of a resource.
pub(crate) fn path_id(path: &web::Path<String>, entity: &str) -> Result<Uuid, Problem> {
    path.parse::<Uuid>().map_err(|_| {
        Problem::bad_request(
            "invalid_id",
            format!(
                "the {entity} id in the path must be a UUID; got `{}`",
                path.as_str()
            ),
        )
    })
}
