//! HTTP handlers, grouped by resource.

pub mod assets;
pub mod brand;
pub mod campaigns;
pub mod keys;
pub mod ops;
pub mod public;
pub mod results;
