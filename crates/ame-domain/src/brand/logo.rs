//! The brand's uploaded logo, as the profile records it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The brand's logo as stored: a normalised PNG in blob storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrandLogo {
    /// Blob storage key (`{org}/{sha256}`).
    pub key: String,
    /// SHA-256 of the PNG, lowercase hex.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// Always `image/png`: uploads are normalised to PNG.
    pub media_type: String,
    /// Size of the PNG in bytes.
    pub size: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The media type it was uploaded as (`image/png` or `image/svg+xml`).
    pub uploaded_as: String,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}
