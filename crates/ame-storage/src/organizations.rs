//! The sea-orm organization repository.

use crate::entity::{membership, organization, user};
use crate::repository::OrganizationRepository;
use crate::scope::{begin_for_org, now, parse_stored};
use crate::{StorageError, StorageResult};
use ame_domain::{MemberRole, OrgId, Organization, UserId, ValidationError};
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};

/// Organizations stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlOrganizations {
    db: DatabaseConnection,
}

impl SqlOrganizations {
    pub(crate) fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_domain(m: organization::Model) -> Organization {
    Organization {
        id: OrgId::from_uuid(m.id),
        name: m.name,
        created_at: m.created_at,
    }
}

#[async_trait]
impl OrganizationRepository for SqlOrganizations {
    async fn create(&self, name: &str) -> StorageResult<Organization> {
        let name = Organization::validate_name(name).map_err(ValidationError::single)?;
        let id = OrgId::new();
        let at = now();
        let txn = self.db.begin().await?;
        let org = organization::Entity::insert(organization::ActiveModel {
            id: Set(id.as_uuid()),
            name: Set(name),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec_with_returning(&txn)
        .await?;
        // The organization's service principal: the acting user for calls made on the
        // organization's behalf (API keys, scheduler), so row-level security always has a member.
        user::Entity::insert(user::ActiveModel {
            id: Set(id.as_uuid()),
            email: Set(None),
            is_service: Set(true),
            created_at: Set(at),
        })
        .exec_without_returning(&txn)
        .await?;
        membership::Entity::insert(membership::ActiveModel {
            user_id: Set(id.as_uuid()),
            org_id: Set(id.as_uuid()),
            role: Set(MemberRole::Owner.as_str().to_owned()),
            created_at: Set(at),
        })
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(to_domain(org))
    }

    async fn get(&self, org: OrgId) -> StorageResult<Organization> {
        organization::Entity::find_by_id(org.as_uuid())
            .one(&self.db)
            .await?
            .map(to_domain)
            .ok_or(StorageError::not_found("organization"))
    }

    async fn delete(&self, org: OrgId) -> StorageResult<()> {
        let txn = begin_for_org(&self.db, org).await?;
        let deleted = organization::Entity::delete_by_id(org.as_uuid())
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StorageError::not_found("organization"));
        }
        user::Entity::delete_by_id(org.as_uuid()).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn set_member(&self, org: OrgId, user_id: UserId, role: MemberRole) -> StorageResult<()> {
        if user_id.as_uuid() == org.as_uuid() {
            return Err(StorageError::Invalid(
                "the organization's service principal cannot be edited".into(),
            ));
        }
        let txn = self.db.begin().await?;
        if organization::Entity::find_by_id(org.as_uuid())
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(StorageError::not_found("organization"));
        }
        user::Entity::insert(user::ActiveModel {
            id: Set(user_id.as_uuid()),
            email: Set(None),
            is_service: Set(false),
            created_at: Set(now()),
        })
        .on_conflict_do_nothing_on([user::Column::Id])
        .exec(&txn)
        .await?;
        membership::Entity::insert(membership::ActiveModel {
            user_id: Set(user_id.as_uuid()),
            org_id: Set(org.as_uuid()),
            role: Set(role.as_str().to_owned()),
            created_at: Set(now()),
        })
        .on_conflict(
            OnConflict::columns([membership::Column::UserId, membership::Column::OrgId])
                .update_column(membership::Column::Role)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    async fn member_role(&self, org: OrgId, user_id: UserId) -> StorageResult<Option<MemberRole>> {
        if user_id.as_uuid() == org.as_uuid() {
            // The service principal is not a person and never authenticates.
            return Ok(None);
        }
        let found = membership::Entity::find_by_id((user_id.as_uuid(), org.as_uuid()))
            .one(&self.db)
            .await?;
        found.map(|m| parse_stored("role", &m.role)).transpose()
    }
}
