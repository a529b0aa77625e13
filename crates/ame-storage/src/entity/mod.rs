//! sea-orm entities mirroring the tables created by `ame-migration`. Private to this crate.

pub(crate) mod asset;
pub(crate) mod campaign;
pub(crate) mod membership;
pub(crate) mod organization;
pub(crate) mod user;
