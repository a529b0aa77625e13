//! API keys: issuing, listing and revoking them (owners and admins), and resolving a presented
//! key or a signed-in user into a [`Caller`].

use crate::audit::Happened;
use crate::caller::{Actor, Caller};
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::retry::read_twice;
use ame_domain::{ApiKey, ApiKeyId, FieldError, MemberRole, OrgId, UserId};
use ame_storage::{IssuedApiKey, KeyPrincipal, NewApiKey, StorageError};
use chrono::{DateTime, Utc};
use serde_json::json;

/// How far ahead a key's expiry may be set: ten years.
pub const MAX_KEY_LIFETIME_DAYS: i64 = 3650;

/// How deep a chain of keys issuing keys is followed before the key is refused.
const MAX_ISSUER_CHAIN: usize = 8;

/// The one rule every key action follows ([`MemberRole::may_manage_key`]), as an app error.
fn require_key_authority(caller: &Caller, key_role: MemberRole) -> AppResult<()> {
    caller
        .role
        .may_manage_key(key_role)
        .map_err(AppError::Forbidden)
}

impl Engine {
    /// Who issues a key on behalf of `caller`: the signed-in user, or the calling key and the
    /// person behind it.
    async fn issuer_of(&self, caller: &Caller) -> AppResult<(Option<UserId>, Option<ApiKeyId>)> {
        Ok(match caller.actor {
            Actor::User(user) => (Some(user), None),
            Actor::ApiKey(key) => {
                let keys = self.repos(caller).api_keys;
                let person = read_twice(|| keys.list(caller.org))
                    .await?
                    .into_iter()
                    .find(|k| k.id == key)
                    .and_then(|k| k.issued_by_user);
                (person, Some(key))
            }
        })
    }

    /// Issues an API key for the caller's organization; only owners issue owner keys. The key
    /// records who issued it and never does more than that person's role at the time of use.
    pub async fn issue_key(
        &self,
        caller: &Caller,
        name: &str,
        role: MemberRole,
        expires_at: Option<DateTime<Utc>>,
    ) -> AppResult<IssuedApiKey> {
        require_key_authority(caller, role)?;
        let now = self.now();
        if let Some(at) = expires_at
            && (at <= now || at > now + chrono::TimeDelta::days(MAX_KEY_LIFETIME_DAYS))
        {
            return Err(AppError::Validation(vec![FieldError::new(
                "expires_at",
                format!(
                    "must be in the future and at most {MAX_KEY_LIFETIME_DAYS} days away; got {at}"
                ),
            )]));
        }
        let (issued_by_user, issued_by_key) = self.issuer_of(caller).await?;
        let issued = self
            .repos(caller)
            .api_keys
            .create(
                caller.org,
                NewApiKey {
                    name: name.to_owned(),
                    role,
                    expires_at,
                    issued_by_user,
                    issued_by_key,
                },
                caller.role,
            )
            .await?;
        self.audit(
            caller,
            Happened {
                action: "api_key.issued",
                target_kind: "api_key",
                target_id: Some(issued.key.id.as_uuid()),
                details: json!({"role": role, "name": issued.key.name, "expires_at": expires_at}),
            },
        )
        .await;
        Ok(issued)
    }

    /// Replaces a key's secret: the old key stops working at once and a new one with the same
    /// name, role and expiry is issued by the caller (only owners rotate owner keys).
    pub async fn rotate_key(&self, caller: &Caller, id: ApiKeyId) -> AppResult<IssuedApiKey> {
        caller.require_manage()?;
        if caller.actor == Actor::ApiKey(id) {
            return Err(AppError::CannotRevokeOwnKey);
        }
        let target = self.key_of(caller, id).await?;
        require_key_authority(caller, target.role)?;
        let (issued_by_user, issued_by_key) = self.issuer_of(caller).await?;
        let issued = self
            .repos(caller)
            .api_keys
            .rotate(caller.org, id, issued_by_user, issued_by_key, caller.role)
            .await?;
        self.key_cache().evict(id);
        self.audit(
            caller,
            Happened {
                action: "api_key.rotated",
                target_kind: "api_key",
                target_id: Some(id.as_uuid()),
                details: json!({"replaced_by": issued.key.id}),
            },
        )
        .await;
        Ok(issued)
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
        let target = self.key_of(caller, id).await?;
        require_key_authority(caller, target.role)?;
        let keys = self.repos(caller).api_keys;
        let revoked = keys.revoke(caller.org, id, caller.role).await?;
        self.key_cache().evict(id);
        // The keys it issued, and theirs, go with it (they stop at once at authentication
        // too: a key acts only while every key above it is live).
        let all = keys.list(caller.org).await?;
        let mut gone = vec![id];
        let mut cascaded = Vec::new();
        while let Some(parent) = gone.pop() {
            for child in all.iter().filter(|k| k.issued_by_key == Some(parent)) {
                if child.revoked_at.is_none() && !cascaded.contains(&child.id) {
                    self.service_repos()
                        .api_keys
                        .revoke(caller.org, child.id, MemberRole::Owner)
                        .await?;
                    self.key_cache().evict(child.id);
                    cascaded.push(child.id);
                }
                gone.push(child.id);
            }
        }
        self.audit(
            caller,
            Happened {
                action: "api_key.revoked",
                target_kind: "api_key",
                target_id: Some(id.as_uuid()),
                details: json!({"with_the_keys_it_issued": cascaded}),
            },
        )
        .await;
        Ok(revoked)
    }

    /// One of the caller's organization's keys.
    async fn key_of(&self, caller: &Caller, id: ApiKeyId) -> AppResult<ApiKey> {
        let keys = self.repos(caller).api_keys;
        read_twice(|| keys.list(caller.org))
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or(AppError::NotFound { entity: "API key" })
    }

    /// The caller a presented API key secret stands for (`None`: unknown, revoked, expired, or
    /// issued by someone who is no longer a member), from the key cache when it is fresh there.
    /// A key acts with the weaker of its own role and its issuer's current role.
    pub async fn authenticate_key(&self, secret: &str) -> AppResult<Option<Caller>> {
        let principal = match self.key_cache().get(secret) {
            Some(principal) => principal,
            None => {
                let keys = self.service_repos().api_keys;
                let Some(found) = read_twice(|| keys.authenticate(secret)).await? else {
                    return Ok(None);
                };
                let Some(principal) = self.limited_by_issuer(found).await? else {
                    return Ok(None);
                };
                self.key_cache().insert(secret, principal);
                principal
            }
        };
        if principal.expires_at.is_some_and(|at| at <= self.now()) {
            return Ok(None);
        }
        Ok(Some(Caller {
            org: principal.org,
            role: principal.role,
            actor: Actor::ApiKey(principal.key_id),
        }))
    }

    /// `key` with its role lowered to its issuer's current role and to every issuing key's
    /// above it; `None` when the person who issued it is no longer a member, or a key above it
    /// is revoked, expired or gone.
    async fn limited_by_issuer(&self, key: KeyPrincipal) -> AppResult<Option<KeyPrincipal>> {
        let mut role = key.role;
        let mut person = key.issued_by_user;
        let keys = self.service_repos().api_keys;
        let all = read_twice(|| keys.list(key.org)).await?;
        let issuing_key = all
            .iter()
            .find(|k| k.id == key.key_id)
            .and_then(|k| k.issued_by_key);
        if let Some(mut parent) = issuing_key {
            let now = self.now();
            let mut depth = 0;
            loop {
                depth += 1;
                let Some(above) = all.iter().find(|k| k.id == parent) else {
                    return Ok(None);
                };
                if depth > MAX_ISSUER_CHAIN
                    || above.revoked_at.is_some()
                    || above.expires_at.is_some_and(|at| at <= now)
                {
                    return Ok(None);
                }
                role = role.weaker(above.role);
                if person.is_none() {
                    person = above.issued_by_user;
                }
                match above.issued_by_key {
                    Some(next) => parent = next,
                    None => break,
                }
            }
        }
        let Some(user) = person else {
            return Ok(Some(KeyPrincipal { role, ..key }));
        };
        let organizations = self.service_repos().organizations;
        let member = match read_twice(|| organizations.member_role(key.org, user)).await {
            Ok(role) => role,
            Err(StorageError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(member.map(|now| KeyPrincipal {
            role: role.weaker(now),
            ..key
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
    use super::MAX_KEY_LIFETIME_DAYS;
    use crate::fakes::*;
    use ame_storage::StorageError;

    #[tokio::test]
    async fn a_resolved_key_is_trusted_until_its_time_to_live_passes_on_the_clock() {
        let principal = KeyPrincipal {
            key_id: ApiKeyId::new(),
            org: OrgId::new(),
            role: MemberRole::Admin,
            issued_by_user: None,
            expires_at: None,
        };
        let mut mocks = Mocks::default();
        mocks
            .api_keys
            .expect_authenticate()
            .times(2)
            .returning(move |_| Ok(Some(principal)));
        mocks.api_keys.expect_list().returning(|_| Ok(Vec::new()));
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
                expires_at: None,
                last_used_at: None,
                issued_by_user: None,
                issued_by_key: None,
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
                .issue_key(&admin, "new", MemberRole::Owner, None)
                .await
                .unwrap_err(),
            AppError::Forbidden(_)
        ));
    }

    #[tokio::test]
    async fn a_key_never_does_more_than_its_issuer_may_now_and_stops_when_it_expires() {
        let issuer = ame_domain::UserId::new();
        let now = Utc::now();
        let admin_key = KeyPrincipal {
            key_id: ApiKeyId::new(),
            org: OrgId::new(),
            role: MemberRole::Admin,
            issued_by_user: Some(issuer),
            expires_at: Some(now + chrono::TimeDelta::hours(1)),
        };
        let mut mocks = Mocks::default();
        mocks
            .api_keys
            .expect_authenticate()
            .returning(move |_| Ok(Some(admin_key)));
        mocks.api_keys.expect_list().returning(|_| Ok(Vec::new()));
        let roles = Arc::new(Mutex::new(vec![None, Some(MemberRole::Viewer)]));
        mocks
            .organizations
            .expect_member_role()
            .withf(move |_, user| *user == issuer)
            .returning(move |_, _| Ok(roles.lock().unwrap().pop().unwrap()));
        let clock = Arc::new(ManualClock::new(now));
        let engine = mocks
            .engine()
            .with_clock(clock.clone())
            .with_key_cache_ttl(Duration::ZERO);
        let demoted = engine.authenticate_key("ame_k").await.unwrap().unwrap();
        assert_eq!(
            demoted.role,
            MemberRole::Viewer,
            "the issuer is a viewer now"
        );
        assert_eq!(
            engine.authenticate_key("ame_k").await.unwrap(),
            None,
            "the issuer left the organization"
        );

        let mut mocks = Mocks::default();
        mocks.api_keys.expect_authenticate().returning(move |_| {
            Ok(Some(KeyPrincipal {
                issued_by_user: None,
                ..admin_key
            }))
        });
        mocks.api_keys.expect_list().returning(|_| Ok(Vec::new()));
        let engine = mocks
            .engine()
            .with_clock(clock.clone())
            .with_key_cache_ttl(Duration::from_secs(3600 * 4));
        assert!(engine.authenticate_key("ame_k").await.unwrap().is_some());
        clock.advance(Duration::from_secs(3601));
        assert_eq!(
            engine.authenticate_key("ame_k").await.unwrap(),
            None,
            "expired, even while cached"
        );
    }

    #[tokio::test]
    async fn expiries_must_lie_ahead() {
        let owner = caller(MemberRole::Owner);
        let engine = Mocks::default().engine();
        for at in [
            Utc::now() - chrono::TimeDelta::minutes(1),
            Utc::now() + chrono::TimeDelta::days(MAX_KEY_LIFETIME_DAYS + 1),
        ] {
            assert!(matches!(
                engine
                    .issue_key(&owner, "k", MemberRole::Viewer, Some(at))
                    .await
                    .unwrap_err(),
                AppError::Validation(ref errors) if errors[0].field == "expires_at"
            ));
        }
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
