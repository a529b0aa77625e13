//! HTTP handlers, grouped by resource.

pub mod assets;
pub mod brand;
pub mod campaigns;
pub mod confirm;
pub mod contacts;
pub mod execution;
pub mod keys;
pub mod ops;
pub mod optimisation;
pub mod provider_events;
pub mod public;
pub mod results;
pub mod tracking;
