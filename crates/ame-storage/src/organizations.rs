//! The sea-orm organization repository.
//!
//! On PostgreSQL the organization tables are written only through the security-definer
//! functions created by the migrations (`ame_create_organization`, `ame_set_member`,
//! `ame_delete_organization`), which check the acting user's rights themselves; on SQLite the
//! same checks run here.

use crate::entity::{membership, organization, user};
use crate::error::DbResultExt;
use crate::repository::OrganizationRepository;
use crate::scope::{Scope, now, role_in, set_acting_user};
use crate::{StorageError, StorageResult};
use ame_domain::{MemberRole, OrgId, Organization, UserId, ValidationError};
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, Statement, TransactionTrait, Value,
};

/// Organizations stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlOrganizations {
    scope: Scope,
}

impl SqlOrganizations {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

fn to_domain(m: organization::Model) -> Organization {
    Organization {
        id: OrgId::from_uuid(m.id),
        name: m.name,
        created_at: m.created_at,
    }
}

/// Calls a PostgreSQL function returning a boolean.
async fn call_flag(
    txn: &DatabaseTransaction,
    sql: &str,
    values: Vec<Value>,
) -> StorageResult<bool> {
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .db()?
        .ok_or_else(|| StorageError::Database(format!("`{sql}` returned no row")))?;
    row.try_get_by_index::<bool>(0).db()
}

#[async_trait]
impl OrganizationRepository for SqlOrganizations {
    async fn create(&self, name: &str) -> StorageResult<Organization> {
        let name = Organization::validate_name(name).map_err(ValidationError::single)?;
        let at = now();
        let txn = self.scope.db.begin().await.db()?;
        let id = if self.scope.is_postgres() {
            let row = txn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT ame_create_organization($1, $2)",
                    [name.clone().into(), at.into()],
                ))
                .await
                .db()?
                .ok_or_else(|| {
                    StorageError::Database("ame_create_organization returned no row".into())
                })?;
            OrgId::from_uuid(row.try_get_by_index::<uuid::Uuid>(0).db()?)
        } else {
            let id = OrgId::new();
            organization::Entity::insert(organization::ActiveModel {
                id: Set(id.as_uuid()),
                name: Set(name.clone()),
                created_at: Set(at),
                updated_at: Set(at),
            })
            .exec_without_returning(&txn)
            .await
            .db()?;
            // The organization's service principal (see the migration's ame_create_organization).
            user::Entity::insert(user::ActiveModel {
                id: Set(id.as_uuid()),
                email: Set(None),
                is_service: Set(true),
                created_at: Set(at),
            })
            .exec_without_returning(&txn)
            .await
            .db()?;
            membership::Entity::insert(membership::ActiveModel {
                user_id: Set(id.as_uuid()),
                org_id: Set(id.as_uuid()),
                role: Set(MemberRole::Owner.as_str().to_owned()),
                created_at: Set(at),
            })
            .exec_without_returning(&txn)
            .await
            .db()?;
            id
        };
        txn.commit().await.db()?;
        Ok(Organization {
            id,
            name,
            created_at: at,
        })
    }

    async fn get(&self, org: OrgId) -> StorageResult<Organization> {
        let txn = self.scope.begin(org).await?;
        let found = organization::Entity::find_by_id(org.as_uuid())
            .one(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        found
            .map(to_domain)
            .ok_or(StorageError::not_found("organization"))
    }

    async fn delete(&self, org: OrgId) -> StorageResult<()> {
        let (txn, role) = self.scope.begin_with_role(org).await?;
        let deleted = if self.scope.is_postgres() {
            call_flag(
                &txn,
                "SELECT ame_delete_organization($1)",
                vec![org.as_uuid().into()],
            )
            .await?
        } else if role == MemberRole::Owner {
            let removed = organization::Entity::delete_by_id(org.as_uuid())
                .exec(&txn)
                .await
                .db()?;
            user::Entity::delete_by_id(org.as_uuid())
                .exec(&txn)
                .await
                .db()?;
            removed.rows_affected == 1
        } else {
            false
        };
        if !deleted {
            return Err(StorageError::not_found("organization"));
        }
        txn.commit().await.db()?;
        Ok(())
    }

    async fn set_member(&self, org: OrgId, user_id: UserId, role: MemberRole) -> StorageResult<()> {
        let (txn, acting_role) = self.scope.begin_with_role(org).await?;
        let at = now();
        if self.scope.is_postgres() {
            let allowed = call_flag(
                &txn,
                "SELECT ame_set_member($1, $2, $3, $4)",
                vec![
                    org.as_uuid().into(),
                    user_id.as_uuid().into(),
                    role.as_str().into(),
                    at.into(),
                ],
            )
            .await?;
            if !allowed {
                return Err(StorageError::not_found("organization"));
            }
        } else {
            let target_role = role_in(&txn, user_id, org).await?;
            // Only an owner may grant ownership or change an owner's role.
            let touches_owner = role == MemberRole::Owner || target_role == Some(MemberRole::Owner);
            if !acting_role.can_manage()
                || (touches_owner && acting_role != MemberRole::Owner)
                || organization::Entity::find_by_id(org.as_uuid())
                    .one(&txn)
                    .await
                    .db()?
                    .is_none()
            {
                return Err(StorageError::not_found("organization"));
            }
            let existing = user::Entity::find_by_id(user_id.as_uuid())
                .one(&txn)
                .await
                .db()?;
            if existing.as_ref().is_some_and(|u| u.is_service) {
                return Err(StorageError::Invalid(
                    "a service principal cannot be a member of an organization".into(),
                ));
            }
            if existing.is_none() {
                user::Entity::insert(user::ActiveModel {
                    id: Set(user_id.as_uuid()),
                    email: Set(None),
                    is_service: Set(false),
                    created_at: Set(at),
                })
                .exec_without_returning(&txn)
                .await
                .db()?;
            }
            membership::Entity::insert(membership::ActiveModel {
                user_id: Set(user_id.as_uuid()),
                org_id: Set(org.as_uuid()),
                role: Set(role.as_str().to_owned()),
                created_at: Set(at),
            })
            .on_conflict(
                OnConflict::columns([membership::Column::UserId, membership::Column::OrgId])
                    .update_column(membership::Column::Role)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .db()?;
        }
        txn.commit().await.db()?;
        Ok(())
    }

    async fn remove_member(&self, org: OrgId, user_id: UserId) -> StorageResult<()> {
        let (txn, acting_role) = self.scope.begin_with_role(org).await?;
        if self.scope.is_postgres() {
            let removed = call_flag(
                &txn,
                "SELECT ame_remove_member($1, $2)",
                vec![org.as_uuid().into(), user_id.as_uuid().into()],
            )
            .await?;
            if !removed {
                return Err(StorageError::not_found("member"));
            }
        } else {
            let target = role_in(&txn, user_id, org).await?;
            if !acting_role.can_manage()
                || target.is_none()
                || (target == Some(MemberRole::Owner) && acting_role != MemberRole::Owner)
            {
                return Err(StorageError::not_found("member"));
            }
            membership::Entity::delete_many()
                .filter(membership::Column::UserId.eq(user_id.as_uuid()))
                .filter(membership::Column::OrgId.eq(org.as_uuid()))
                .exec(&txn)
                .await
                .db()?;
        }
        txn.commit().await.db()?;
        Ok(())
    }

    async fn member_role(&self, org: OrgId, user_id: UserId) -> StorageResult<Option<MemberRole>> {
        if user_id.as_uuid() == org.as_uuid() {
            // The service principal is not a person and never authenticates.
            return Ok(None);
        }
        let txn = self.scope.db.begin().await.db()?;
        if self.scope.is_postgres() {
            // Row-level security shows a user their own memberships only.
            set_acting_user(&txn, &user_id.to_string()).await?;
        }
        let role = role_in(&txn, user_id, org).await?;
        txn.commit().await.db()?;
        Ok(role)
    }
}
