//! Who is calling: the organization every call of a request acts in, the caller's role there and
//! the credential behind it. Role rules are checked here, once, for every entry point.

use crate::error::AppError;
use ame_domain::{ApiKeyId, MemberRole, OrgId, UserId};

/// Who is calling, for which organization, with what role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The organization every call of this request acts in.
    pub org: OrgId,
    /// What the caller may do there.
    pub role: MemberRole,
    /// The credential behind the call.
    pub actor: Actor,
}

/// The credential behind a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An organization API key (acts through the organization's service principal).
    ApiKey(ApiKeyId),
    /// A user (acts as themselves, so row-level security checks their own membership).
    User(UserId),
}

impl Caller {
    /// The user acting, if the caller is a user rather than an API key.
    pub fn user(&self) -> Option<UserId> {
        match self.actor {
            Actor::User(user) => Some(user),
            Actor::ApiKey(_) => None,
        }
    }

    /// `Forbidden` unless the role may create and change campaigns. Every changing use case
    /// checks it; an entry point may check it first too, so a refusal comes before any error
    /// about the request's shape.
    pub fn require_write(&self) -> Result<(), AppError> {
        if self.role.can_write() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "a {} may read but not change anything; this needs member, admin or owner",
                self.role
            )))
        }
    }

    /// `Forbidden` unless the role may manage API keys.
    pub fn require_manage(&self) -> Result<(), AppError> {
        if self.role.can_manage() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "a {} may not manage API keys; this needs admin or owner",
                self.role
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: MemberRole) -> Caller {
        Caller {
            org: OrgId::new(),
            role,
            actor: Actor::ApiKey(ApiKeyId::new()),
        }
    }

    #[test]
    fn roles_decide_what_a_caller_may_do() {
        assert!(caller(MemberRole::Viewer).require_write().is_err());
        assert!(caller(MemberRole::Member).require_write().is_ok());
        assert!(caller(MemberRole::Member).require_manage().is_err());
        assert!(caller(MemberRole::Admin).require_manage().is_ok());
        let user = UserId::new();
        let as_user = Caller {
            actor: Actor::User(user),
            ..caller(MemberRole::Owner)
        };
        assert_eq!(as_user.user(), Some(user));
        assert_eq!(caller(MemberRole::Owner).user(), None);
    }
}
