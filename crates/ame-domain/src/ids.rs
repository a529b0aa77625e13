//! Typed identifiers, so an organization id can never be passed where a campaign id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = uuid::Uuid))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random (version 7, time-ordered) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// Identifies an organization (the tenant).
    OrgId
);
typed_id!(
    /// Identifies a user (for Supabase-compatible setups, the `auth.users` id).
    UserId
);
typed_id!(
    /// Identifies a marketing campaign.
    CampaignId
);
typed_id!(
    /// Identifies a generated marketing asset.
    AssetId
);
typed_id!(
    /// Identifies an organization API key (not the secret itself).
    ApiKeyId
);
typed_id!(
    /// Identifies a contact (a person an organization writes to).
    ContactId
);
typed_id!(
    /// Identifies a saved audience segment.
    SegmentId
);
typed_id!(
    /// Identifies a job in the durable queue.
    JobId
);
typed_id!(
    /// Identifies a webhook connector.
    ConnectorId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_json() {
        let id = CampaignId::new();
        let parsed: CampaignId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<CampaignId>(&json).unwrap(), id);
    }

    #[test]
    fn malformed_id_is_rejected() {
        assert!("not-a-uuid".parse::<OrgId>().is_err());
    }

    #[test]
    fn new_ids_are_distinct() {
        assert_ne!(AssetId::new(), AssetId::new());
    }
}
