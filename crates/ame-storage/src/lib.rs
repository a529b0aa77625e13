//! AME storage.
//!
//! Organization-scoped repositories (one async trait per aggregate) with one sea-orm
//! implementation that serves both SQLite (the embedded default) and PostgreSQL (production).
//! Every call takes the acting [`OrgId`](ame_domain::OrgId); there is no unscoped read or write.
//! On PostgreSQL each call's transaction also sets the acting principal, so the row-level-security
//! policies created by the migrations enforce the same tenant rule a second time.
//!
//! sea-orm types never leave this crate: callers see domain types and [`StorageError`].

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod assets;
mod campaigns;
mod entity;
mod error;
mod organizations;
mod repository;
mod scope;
mod storage;

pub use assets::SqlAssets;
pub use campaigns::SqlCampaigns;
pub use error::{StorageError, StorageResult};
pub use organizations::SqlOrganizations;
pub use repository::{AssetRepository, CampaignRepository, OrganizationRepository};
#[cfg(any(test, feature = "mock"))]
pub use repository::{MockAssetRepository, MockCampaignRepository, MockOrganizationRepository};
pub use storage::{Backend, Storage};
