//! API keys: issuing, listing and revoking them (owners and admins), and resolving a presented
//! key or a signed-in user into a [`Caller`].

use crate::caller::{Actor, Caller};
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::retry::read_twice;
use ame_domain::{ApiKey, ApiKeyId, MemberRole, OrgId, UserId};
use ame_storage::{IssuedApiKey, StorageError};

impl Engine {
    /// Issues an API key for the caller's organization; only owners issue owner keys.
    pub async fn issue_key(
        &self,
        caller: &Caller,
        name: &str,
        role: MemberRole,
    ) -> AppResult<IssuedApiKey> {
        caller.require_manage()?;
        if role == MemberRole::Owner && caller.role != MemberRole::Owner {
            return Err(AppError::Forbidden(
                "only an owner may issue owner keys".to_owned(),
            ));
        }
        Ok(self
            .repos(caller)
            .api_keys
            .create(caller.org, name, role)
            .await?)
    }

    /// The organization's API keys, newest first, revoked ones included (never their secrets).
    pub async fn api_keys(&self, caller: &Caller) -> AppResult<Vec<ApiKey>> {
        caller.require_manage()?;
        let keys = self.repos(caller).api_keys;
        Ok(read_twice(|| keys.list(caller.org)).await?)
    }

    /// Revokes an API key; it stops authenticating at once in this process. A key cannot revoke
    /// itself, and only owners revoke owner keys.
    pub async fn revoke_key(&self, caller: &Caller, id: ApiKeyId) -> AppResult<ApiKey> {
        caller.require_manage()?;
        if caller.actor == Actor::ApiKey(id) {
            return Err(AppError::CannotRevokeOwnKey);
        }
        let keys = self.repos(caller).api_keys;
        if caller.role != MemberRole::Owner {
            let target = keys
                .list(caller.org)
                .await?
                .into_iter()
                .find(|k| k.id == id)
                .ok_or(AppError::NotFound { entity: "API key" })?;
            if target.role == MemberRole::Owner {
                return Err(AppError::Forbidden(
                    "only an owner may revoke owner keys".to_owned(),
                ));
            }
        }
        let revoked = keys.revoke(caller.org, id).await?;
        self.key_cache().evict(id);
        Ok(revoked)
    }

    /// The caller a presented API key secret stands for (`None`: unknown or revoked), from the
    /// key cache when it is fresh there.
    pub async fn authenticate_key(&self, secret: &str) -> AppResult<Option<Caller>> {
        let keys = self.service_repos().api_keys;
        let principal = match self.key_cache().get(secret) {
            Some(principal) => principal,
            None => match read_twice(|| keys.authenticate(secret)).await? {
                Some(principal) => {
                    self.key_cache().insert(secret, principal);
                    principal
                }
                None => return Ok(None),
            },
        };
        Ok(Some(Caller {
            org: principal.org,
            role: principal.role,
            actor: Actor::ApiKey(principal.key_id),
        }))
    }

    /// The caller a signed-in `user` is in `org` (`None`: not a member).
    pub async fn authenticate_user(&self, user: UserId, org: OrgId) -> AppResult<Option<Caller>> {
        let organizations = self.repos_acting_as(user).organizations;
        let role = match read_twice(|| organizations.member_role(org, user)).await {
            Ok(role) => role,
            Err(StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(role.map(|role| Caller {
            org,
            role,
            actor: Actor::User(user),
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::fakes::*;
    use ame_storage::StorageError;

    #[tokio::test]
    async fn a_resolved_key_is_trusted_until_its_time_to_live_passes_on_the_clock() {
        let principal = KeyPrincipal {
            key_id: ApiKeyId::new(),
            org: OrgId::new(),
            role: MemberRole::Admin,
        };
        let mut mocks = Mocks::default();
        mocks
            .api_keys
            .expect_authenticate()
            .times(2)
            .returning(move |_| Ok(Some(principal)));
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let engine = mocks.engine().with_clock(clock.clone());
        for _ in 0..3 {
            let caller = engine
                .authenticate_key("ame_secret")
                .await
                .unwrap()
                .unwrap();
            assert_eq!((caller.org, caller.role), (principal.org, principal.role));
        }
        clock.advance(DEFAULT_KEY_CACHE_TTL);
        engine
            .authenticate_key("ame_secret")
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn keys_cannot_revoke_themselves_and_admins_cannot_revoke_owner_keys() {
        let admin = caller(MemberRole::Admin);
        let Actor::ApiKey(own) = admin.actor else {
            unreachable!()
        };
        let owner_key = ApiKeyId::new();
        let mut mocks = Mocks::default();
        let org = admin.org;
        mocks.api_keys.expect_list().returning(move |_| {
            Ok(vec![ame_domain::ApiKey {
                id: owner_key,
                org_id: org,
                name: "root".into(),
                role: MemberRole::Owner,
                display_prefix: "ame_abc".into(),
                created_at: Utc::now(),
                revoked_at: None,
            }])
        });
        let engine = mocks.engine();
        assert_eq!(
            engine.revoke_key(&admin, own).await.unwrap_err(),
            AppError::CannotRevokeOwnKey
        );
        assert!(matches!(
            engine.revoke_key(&admin, owner_key).await.unwrap_err(),
            AppError::Forbidden(_)
        ));
        assert!(matches!(
            engine
                .issue_key(&admin, "new", MemberRole::Owner)
                .await
                .unwrap_err(),
            AppError::Forbidden(_)
        ));
    }

    #[tokio::test]
    async fn a_user_is_a_caller_only_in_organizations_they_belong_to() {
        let member_of = OrgId::new();
        let user = ame_domain::UserId::new();
        let mut mocks = Mocks::default();
        mocks
            .organizations
            .expect_member_role()
            .returning(move |org, _| {
                if org == member_of {
                    Ok(Some(MemberRole::Viewer))
                } else {
                    Err(StorageError::NotFound {
                        entity: "organization",
                    })
                }
            });
        let engine = mocks.engine();
        let caller = engine
            .authenticate_user(user, member_of)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(caller.actor, Actor::User(user));
        assert_eq!(caller.role, MemberRole::Viewer);
        assert_eq!(
            engine.authenticate_user(user, OrgId::new()).await.unwrap(),
            None
        );
    }
}
