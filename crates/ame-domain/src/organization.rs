//! Organizations (tenants), users and memberships.

use crate::enums::MemberRole;
use crate::ids::{ApiKeyId, OrgId, UserId};
use crate::validation::{FieldError, text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An organization: the tenant that owns campaigns and assets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organization {
    /// The organization's id.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Organization {
    /// Checks an organization name: 1 to 200 characters after trimming, no control characters.
    pub fn validate_name(name: &str) -> Result<String, FieldError> {
        text("name", name, 1, 200)
    }
}

/// A user known to AME (mirrors the identity provider's user id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// The user's id (the JWT `sub`).
    pub id: UserId,
    /// Optional e-mail address.
    pub email: Option<String>,
    /// When the user was first seen.
    pub created_at: DateTime<Utc>,
}

/// A user's membership of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Membership {
    /// The member.
    pub user_id: UserId,
    /// The organization.
    pub org_id: OrgId,
    /// What the member may do.
    pub role: MemberRole,
}

/// An organization API key as stored: everything but the secret, which is shown once at creation
/// and kept only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    /// The key's id.
    pub id: ApiKeyId,
    /// The organization the key acts for.
    pub org_id: OrgId,
    /// What the key is for, e.g. `CRM sync`.
    pub name: String,
    /// What the key may do.
    pub role: MemberRole,
    /// The first characters of the secret, to recognise it in lists (`ame_AbCd1234`).
    pub display_prefix: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it last authenticated a request (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The person who issued it, directly or through their key; `null` for keys issued on the
    /// server's command line. The key never does more than this person's current role allows.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub issued_by_user: Option<UserId>,
    /// The key that issued it, when a key did.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub issued_by_key: Option<ApiKeyId>,
}

impl ApiKey {
    /// Checks an API key name: 1 to 200 characters after trimming, no control characters.
    pub fn validate_name(name: &str) -> Result<String, FieldError> {
        text("name", name, 1, 200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_names_are_validated() {
        assert_eq!(Organization::validate_name(" Acme ").unwrap(), "Acme");
        assert!(Organization::validate_name("  ").is_err());
        assert!(Organization::validate_name(&"a".repeat(201)).is_err());
    }
}
