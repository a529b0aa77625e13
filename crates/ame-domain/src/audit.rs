//! The audit log: who changed keys, memberships, the brand, a campaign's status or deleted
//! something, when, and in which request.

use crate::ids::{ApiKeyId, OrgId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditActor {
    /// An API key.
    ApiKey(ApiKeyId),
    /// A signed-in user.
    User(UserId),
    /// An administrator on the server's command line.
    CommandLine,
}

impl AuditActor {
    /// The kind of actor as stored and shown: `api_key`, `user` or `command_line`.
    pub fn kind(&self) -> &'static str {
        match self {
            AuditActor::ApiKey(_) => "api_key",
            AuditActor::User(_) => "user",
            AuditActor::CommandLine => "command_line",
        }
    }

    /// The acting key's or user's id (none from the command line).
    pub fn id(&self) -> Option<Uuid> {
        match self {
            AuditActor::ApiKey(id) => Some(id.as_uuid()),
            AuditActor::User(id) => Some(id.as_uuid()),
            AuditActor::CommandLine => None,
        }
    }

    /// The actor stored as `kind` and `id`; `None` for an unknown kind or a missing id.
    pub fn from_parts(kind: &str, id: Option<Uuid>) -> Option<Self> {
        match (kind, id) {
            ("api_key", Some(id)) => Some(AuditActor::ApiKey(ApiKeyId::from_uuid(id))),
            ("user", Some(id)) => Some(AuditActor::User(UserId::from_uuid(id))),
            ("command_line", _) => Some(AuditActor::CommandLine),
            _ => None,
        }
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// The event's id.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: Uuid,
    /// The organization.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub org_id: OrgId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who acted: `api_key`, `user` or `command_line`.
    #[cfg_attr(feature = "openapi", schema(example = "user"))]
    pub actor_kind: String,
    /// The acting key's or user's id.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub actor_id: Option<Uuid>,
    /// What happened, e.g. `api_key.issued`, `member.removed`, `brand.saved`,
    /// `campaign.status_changed`, `campaign.deleted`.
    pub action: String,
    /// The kind of record acted on: `api_key`, `member`, `brand` or `campaign`.
    pub target_kind: String,
    /// The record acted on.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub target_id: Option<Uuid>,
    /// The `x-request-id` of the request it happened in.
    pub request_id: Option<String>,
    /// Anything else worth keeping (e.g. the new role or status).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_stored_as_kind_and_id_and_read_back() {
        let key = ApiKeyId::new();
        for actor in [
            AuditActor::ApiKey(key),
            AuditActor::User(UserId::new()),
            AuditActor::CommandLine,
        ] {
            assert_eq!(
                AuditActor::from_parts(actor.kind(), actor.id()),
                Some(actor)
            );
        }
        assert_eq!(AuditActor::from_parts("robot", None), None);
        assert_eq!(AuditActor::from_parts("user", None), None);
    }
}
