//! Generated marketing assets.

use crate::enums::AssetType;
use crate::ids::{AssetId, CampaignId, OrgId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    /// Which generation of the campaign's asset set it belongs to (1 for the first).
    pub version: i32,
    /// Whether it belongs to the campaign's current set (older versions are history).
    pub current: bool,
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

impl Asset {
    /// The rendered files listed in the asset's `metadata.files` (none when it lists none or
    /// the list is not in the [`AssetFile`] shape).
    pub fn files(&self) -> Vec<AssetFile> {
        AssetFile::listed_in(&self.metadata)
    }
}

impl AssetFile {
    /// The files an asset's `metadata` lists under `files` (none when it lists none or the list
    /// is malformed).
    pub fn listed_in(metadata: &serde_json::Value) -> Vec<AssetFile> {
        metadata
            .get("files")
            .and_then(|files| Vec::<AssetFile>::deserialize(files).ok())
            .unwrap_or_default()
    }
}

/// A rendered file of an asset (HTML page or email, plain-text email, PNG banner, WAV), as
/// listed in the asset's `metadata.files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetFile {
    /// File name within the asset, e.g. `index.html` or `banner-1200x628.png`.
    pub name: String,
    /// Media type, e.g. `text/html; charset=utf-8`.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Pixel width (images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height (images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Duration in milliseconds (audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The blob storage key the bytes are stored under (content-addressed).
    pub key: String,
    /// A URI naming the stored blob (`file:///…`, `s3://…`, `memory:///…`).
    pub uri: String,
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

/// One version of a campaign's asset set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetSetVersion {
    /// The version number (1 for the first generation).
    pub version: i32,
    /// Whether it is the current set.
    pub current: bool,
    /// How many assets it holds.
    pub assets: u64,
    /// When it was generated.
    pub created_at: DateTime<Utc>,
}

/// A lead submitted through a campaign's public landing page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Lead {
    /// The lead's id.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: Uuid,
    /// The campaign whose page collected it.
    pub campaign_id: CampaignId,
    /// The submitted form fields (names to values).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: serde_json::Value,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn asset(metadata: serde_json::Value) -> Asset {
        Asset {
            id: AssetId::new(),
            org_id: OrgId::new(),
            campaign_id: CampaignId::new(),
            asset_type: AssetType::ImageAsset,
            version: 1,
            current: true,
            content: json!({}),
            metadata,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn files_are_read_from_the_metadata_list_with_their_optional_measures() {
        let listed = asset(json!({"files": [{
            "name": "banner-728x90.png", "media_type": "image/png", "size": 1200,
            "sha256": "ab", "width": 728, "height": 90, "key": "o/ab", "uri": "memory:///o/ab"
        }]}));
        let files = listed.files();
        let file = &files[0];
        assert_eq!(file.name, "banner-728x90.png");
        assert_eq!(
            (file.width, file.height, file.duration_ms),
            (Some(728), Some(90), None)
        );
        assert_eq!(file.key, "o/ab");
        let round_trip = serde_json::to_value(file).unwrap();
        assert!(round_trip.get("duration_ms").is_none());
        assert!(asset(json!({})).files().is_empty());
        assert!(asset(json!({"files": [{"name": 3}]})).files().is_empty());
    }
}
