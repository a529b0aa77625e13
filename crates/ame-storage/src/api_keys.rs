//! The sea-orm API key repository.
//!
//! A secret is `ame_` followed by 32 random bytes in unpadded base64url (256 bits). Only its
//! SHA-256 is stored: a fast hash is enough for secrets with that much entropy, and it lets a
//! presented key be found by an index lookup.

use crate::entity::api_key::{self, Column};
use crate::error::DbResultExt;
use crate::repository::{ApiKeyRepository, IssuedApiKey, KeyPrincipal, NewApiKey};
use crate::scope::{Scope, now, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{ApiKey, ApiKeyId, FieldError, MemberRole, OrgId, UserId, ValidationError};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use sha2::{Digest, Sha256};

/// Every AME API key starts with this.
pub const API_KEY_PREFIX: &str = "ame_";
/// Characters of the secret kept in clear for recognising a key in lists.
const DISPLAY_CHARS: usize = 12;
/// Length of a well-formed secret: the prefix plus 43 base64url characters (32 bytes).
const SECRET_LEN: usize = API_KEY_PREFIX.len() + 43;

/// API keys stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlApiKeys {
    scope: Scope,
}

/// The organization's key `id`, when the acting principal (of `acting_role`) may `verb` it: only
/// owners touch owner keys.
async fn find_manageable(
    txn: &sea_orm::DatabaseTransaction,
    org: OrgId,
    id: ApiKeyId,
    acting_role: MemberRole,
    verb: &str,
) -> StorageResult<api_key::Model> {
    let found = api_key::Entity::find()
        .filter(Column::Id.eq(id.as_uuid()))
        .filter(Column::OrgId.eq(org.as_uuid()))
        .one(txn)
        .await
        .db()?
        .ok_or(StorageError::not_found("api key"))?;
    let role: MemberRole = parse_stored("role", &found.role)?;
    acting_role
        .may_manage_key(role)
        .map_err(|why| StorageError::Forbidden(format!("cannot {verb} this key: {why}")))?;
    Ok(found)
}

impl SqlApiKeys {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn new_secret() -> StorageResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StorageError::Database(format!("no randomness for an API key: {e}")))?;
    Ok(format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

fn to_domain(m: api_key::Model) -> StorageResult<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        name: m.name,
        role: parse_stored("role", &m.role)?,
        display_prefix: m.display_prefix,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        issued_by_user: m.issued_by_user.map(UserId::from_uuid),
        issued_by_key: m.issued_by_key.map(ApiKeyId::from_uuid),
    })
}

/// Inserts a new key in `txn` (the caller checked who may).
async fn insert_key(
    txn: &sea_orm::DatabaseTransaction,
    org: OrgId,
    key: NewApiKey,
) -> StorageResult<IssuedApiKey> {
    let name = ApiKey::validate_name(&key.name).map_err(ValidationError::single)?;
    let secret = new_secret()?;
    let created_at = now();
    if key.expires_at.is_some_and(|e| e <= created_at) {
        return Err(ValidationError::single(FieldError::new(
            "expires_at",
            format!(
                "must be in the future; got {}",
                key.expires_at.unwrap_or_default()
            ),
        ))
        .into());
    }
    let model = api_key::Model {
        id: ApiKeyId::new().as_uuid(),
        org_id: org.as_uuid(),
        name,
        role: key.role.as_str().to_owned(),
        key_hash: hash(&secret),
        display_prefix: secret.chars().take(DISPLAY_CHARS).collect(),
        created_at,
        revoked_at: None,
        issued_by_user: key.issued_by_user.map(|u| u.as_uuid()),
        issued_by_key: key.issued_by_key.map(|k| k.as_uuid()),
        expires_at: key.expires_at,
        last_used_at: None,
    };
    api_key::Entity::insert(api_key::ActiveModel::from(model.clone()))
        .exec_without_returning(txn)
        .await
        .db()?;
    Ok(IssuedApiKey {
        key: to_domain(model)?,
        secret,
    })
}

impl SqlApiKeys {
    /// Begins a transaction in `org` for an acting principal allowed to manage keys.
    /// Begins a key-managing transaction acting with the weaker of the scope's role and
    /// `acting` (the caller's own role: the service principal is an owner only when the caller
    /// is).
    async fn begin_manage(
        &self,
        org: OrgId,
        acting: MemberRole,
    ) -> StorageResult<(sea_orm::DatabaseTransaction, MemberRole)> {
        let (txn, role) = self.scope.begin_with_role(org).await?;
        let role = role.weaker(acting);
        if !role.can_manage() {
            return Err(StorageError::Forbidden(format!(
                "a {role} of the organization may not manage API keys"
            )));
        }
        Ok((txn, role))
    }
}

#[async_trait]
impl ApiKeyRepository for SqlApiKeys {
    async fn create(
        &self,
        org: OrgId,
        key: NewApiKey,
        acting: MemberRole,
    ) -> StorageResult<IssuedApiKey> {
        ApiKey::validate_name(&key.name).map_err(ValidationError::single)?;
        let (txn, acting_role) = self.begin_manage(org, acting).await?;
        acting_role
            .may_manage_key(key.role)
            .map_err(StorageError::Forbidden)?;
        let issued = insert_key(&txn, org, key).await?;
        txn.commit().await.db()?;
        Ok(issued)
    }

    async fn rotate(
        &self,
        org: OrgId,
        id: ApiKeyId,
        issued_by_user: Option<UserId>,
        issued_by_key: Option<ApiKeyId>,
        acting: MemberRole,
    ) -> StorageResult<IssuedApiKey> {
        let (txn, acting_role) = self.begin_manage(org, acting).await?;
        let found = find_manageable(&txn, org, id, acting_role, "rotate").await?;
        if found.revoked_at.is_some() {
            return Err(StorageError::not_found("api key"));
        }
        let revoked = api_key::Entity::update_many()
            .col_expr(Column::RevokedAt, sea_orm::sea_query::Expr::value(now()))
            .filter(Column::Id.eq(id.as_uuid()))
            .filter(Column::OrgId.eq(org.as_uuid()))
            .filter(Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .db()?;
        if revoked.rows_affected != 1 {
            return Err(StorageError::Conflict(
                "the key was revoked while it was being rotated".to_owned(),
            ));
        }
        let issued = insert_key(
            &txn,
            org,
            NewApiKey {
                name: found.name,
                role: parse_stored("role", &found.role)?,
                expires_at: found.expires_at.filter(|e| *e > now()),
                issued_by_user,
                issued_by_key,
            },
        )
        .await?;
        txn.commit().await.db()?;
        Ok(issued)
    }

    async fn list(&self, org: OrgId) -> StorageResult<Vec<ApiKey>> {
        let (txn, _) = self.begin_manage(org, MemberRole::Owner).await?;
        let rows = api_key::Entity::find()
            .filter(Column::OrgId.eq(org.as_uuid()))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter().map(to_domain).collect()
    }

    async fn revoke(&self, org: OrgId, id: ApiKeyId, acting: MemberRole) -> StorageResult<ApiKey> {
        let (txn, acting_role) = self.begin_manage(org, acting).await?;
        let found = find_manageable(&txn, org, id, acting_role, "revoke").await?;
        let model = if found.revoked_at.is_some() {
            found
        } else {
            let at = now();
            api_key::Entity::update_many()
                .col_expr(Column::RevokedAt, sea_orm::sea_query::Expr::value(at))
                .filter(Column::Id.eq(id.as_uuid()))
                .filter(Column::OrgId.eq(org.as_uuid()))
                .exec(&txn)
                .await
                .db()?;
            api_key::Model {
                revoked_at: Some(at),
                ..found
            }
        };
        txn.commit().await.db()?;
        to_domain(model)
    }

    async fn authenticate(&self, secret: &str) -> StorageResult<Option<KeyPrincipal>> {
        if secret.len() != SECRET_LEN || !secret.starts_with(API_KEY_PREFIX) {
            return Ok(None);
        }
        let digest = hash(secret);
        let row = if self.scope.is_postgres() {
            // One statement, no explicit transaction: a single round trip.
            let row = self
                .scope
                .db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT key_id, org_id, role, issued_by_user, expires_at FROM ame_authenticate_api_key($1)",
                    [digest.into()],
                ))
                .await
                .db()?;
            match row {
                Some(row) => Some((
                    row.try_get::<uuid::Uuid>("", "key_id").db()?,
                    row.try_get::<uuid::Uuid>("", "org_id").db()?,
                    row.try_get::<String>("", "role").db()?,
                    row.try_get::<Option<uuid::Uuid>>("", "issued_by_user")
                        .db()?,
                    row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "expires_at")
                        .db()?,
                )),
                None => None,
            }
        } else {
            let found = api_key::Entity::find()
                .filter(Column::KeyHash.eq(digest))
                .filter(Column::RevokedAt.is_null())
                .one(&self.scope.db)
                .await
                .db()?;
            if let Some(m) = &found {
                let at = now();
                if m.last_used_at
                    .is_none_or(|t| t < at - chrono::TimeDelta::minutes(1))
                {
                    api_key::Entity::update_many()
                        .col_expr(Column::LastUsedAt, sea_orm::sea_query::Expr::value(at))
                        .filter(Column::Id.eq(m.id))
                        .exec(&self.scope.db)
                        .await
                        .db()?;
                }
            }
            found.map(|m| (m.id, m.org_id, m.role, m.issued_by_user, m.expires_at))
        };
        row.map(|(key_id, org, role, issued_by_user, expires_at)| {
            Ok(KeyPrincipal {
                key_id: ApiKeyId::from_uuid(key_id),
                org: OrgId::from_uuid(org),
                role: parse_stored("role", &role)?,
                issued_by_user: issued_by_user.map(UserId::from_uuid),
                expires_at,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_well_formed() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(API_KEY_PREFIX));
        assert_eq!(a.len(), SECRET_LEN);
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(&a[API_KEY_PREFIX.len()..])
                .unwrap()
                .len(),
            32
        );
        assert_eq!(hash(&a).len(), 32);
        assert_ne!(hash(&a), hash(&b));
    }
}
