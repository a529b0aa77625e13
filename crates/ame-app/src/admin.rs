//! Administration from the command line, where no caller is signed in: organizations, their
//! members and keys, the demo organization of a fresh embedded database, and making sure a
//! database's schema is current.

use crate::audit::Happened;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{ApiKey, ApiKeyId, MemberRole, OrgId, Organization, UserId};
use ame_storage::{Backend, IssuedApiKey, NewApiKey, Storage};
use serde_json::json;

/// The demo organization created on a fresh embedded database, with its owner key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOrganization {
    /// The organization.
    pub org: Organization,
    /// Its owner API key's secret (shown only now).
    pub secret: String,
    /// The dashboard account of its owner.
    pub owner_email: String,
    /// That account's password (shown only now).
    pub owner_password: String,
}

/// The demo organization owner's dashboard account.
pub const DEMO_OWNER_EMAIL: &str = "owner@demo.invalid";

impl Engine {
    /// Creates an organization.
    pub async fn create_organization(&self, name: &str) -> AppResult<Organization> {
        Ok(self.service_repos().organizations.create(name).await?)
    }

    /// Adds `user` to `org` with `role`, or changes their role. Keys the user issued act with
    /// at most the new role from their next resolution on.
    pub async fn set_member(&self, org: OrgId, user: UserId, role: MemberRole) -> AppResult<()> {
        self.service_repos()
            .organizations
            .set_member(org, user, role)
            .await?;
        self.key_cache().clear();
        self.audit_command_line(
            org,
            Happened {
                action: "member.role_set",
                target_kind: "member",
                target_id: Some(user.as_uuid()),
                details: json!({"role": role}),
            },
        )
        .await;
        Ok(())
    }

    /// Removes `user` from `org`; the keys they issued stop working.
    pub async fn remove_member(&self, org: OrgId, user: UserId) -> AppResult<()> {
        self.service_repos()
            .organizations
            .remove_member(org, user)
            .await?;
        self.key_cache().clear();
        self.audit_command_line(
            org,
            Happened {
                action: "member.removed",
                target_kind: "member",
                target_id: Some(user.as_uuid()),
                details: json!({}),
            },
        )
        .await;
        Ok(())
    }

    /// Issues an API key for `org` (an administrator's act: no role check).
    pub async fn admin_issue_key(
        &self,
        org: OrgId,
        name: &str,
        role: MemberRole,
    ) -> AppResult<IssuedApiKey> {
        let issued = self
            .service_repos()
            .api_keys
            .create(
                org,
                NewApiKey {
                    name: name.to_owned(),
                    role,
                    expires_at: None,
                    issued_by_user: None,
                    issued_by_key: None,
                },
                MemberRole::Owner,
            )
            .await?;
        self.audit_command_line(
            org,
            Happened {
                action: "api_key.issued",
                target_kind: "api_key",
                target_id: Some(issued.key.id.as_uuid()),
                details: json!({"role": role, "name": issued.key.name}),
            },
        )
        .await;
        Ok(issued)
    }

    /// Revokes an API key of `org` (an administrator's act: no role check).
    pub async fn admin_revoke_key(&self, org: OrgId, key: ApiKeyId) -> AppResult<ApiKey> {
        let revoked = self
            .service_repos()
            .api_keys
            .revoke(org, key, MemberRole::Owner)
            .await?;
        self.key_cache().evict(key);
        self.audit_command_line(
            org,
            Happened {
                action: "api_key.revoked",
                target_kind: "api_key",
                target_id: Some(key.as_uuid()),
                details: json!({}),
            },
        )
        .await;
        Ok(revoked)
    }

    /// On an embedded database with no organization yet, creates a demo organization with an
    /// owner key and an owner dashboard account, so a first run works at once; `None` otherwise.
    pub async fn bootstrap_demo(&self, storage: &Storage) -> AppResult<Option<DemoOrganization>> {
        if storage.backend() != Backend::Sqlite || !storage.has_no_organizations().await? {
            return Ok(None);
        }
        let org = self.create_organization("Demo organization").await?;
        let key = self
            .admin_issue_key(org.id, "demo", MemberRole::Owner)
            .await?;
        let password = crate::accounts::random_password()?;
        self.add_user(
            org.id,
            DEMO_OWNER_EMAIL,
            MemberRole::Owner,
            Some(password.clone()),
        )
        .await?;
        Ok(Some(DemoOrganization {
            org,
            secret: key.secret,
            owner_email: DEMO_OWNER_EMAIL.to_owned(),
            owner_password: password,
        }))
    }
}

/// Makes sure the schema is current: an embedded database is migrated on start; a PostgreSQL
/// database must already be migrated by an administrator (`ame migrate`), since the application
/// role may not change the schema.
pub async fn prepare_database(storage: &Storage) -> AppResult<()> {
    if storage.backend() == Backend::Sqlite {
        return Ok(storage.migrate().await?);
    }
    let pending = storage.pending_migrations().await?;
    if pending.is_empty() {
        return Ok(());
    }
    Err(AppError::SchemaOutdated(pending))
}
