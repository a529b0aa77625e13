//! Generated marketing assets.

use crate::enums::AssetType;
use crate::ids::{AssetId, CampaignId, OrgId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A stored asset generated for a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Asset {
    /// The asset's id.
    pub id: AssetId,
    /// The organization that owns it (always the campaign's organization).
    pub org_id: OrgId,
    /// The campaign it belongs to.
    pub campaign_id: CampaignId,
    /// What kind of asset it is.
    pub asset_type: AssetType,
    /// The generated content; its shape depends on `asset_type`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: serde_json::Value,
    /// How it was generated (provider, timings, quality checks).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: serde_json::Value,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// An asset about to be stored as part of a campaign's asset set.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAsset {
    /// What kind of asset it is.
    pub asset_type: AssetType,
    /// The generated content (a JSON object).
    pub content: serde_json::Value,
    /// Generation metadata (a JSON object).
    pub metadata: serde_json::Value,
}
