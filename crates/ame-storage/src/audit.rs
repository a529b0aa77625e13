//! The sea-orm audit log repository.

use crate::entity::audit_event::{self, Column};
use crate::error::DbResultExt;
use crate::repository::{AuditRepository, NewAuditEvent};
use crate::scope::{Scope, now};
use crate::{StorageError, StorageResult};
use ame_domain::{AuditActor, AuditEvent, OrgId};
use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The audit log stored through sea-orm (SQLite or PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqlAudit {
    scope: Scope,
}

impl SqlAudit {
    pub(crate) fn new(scope: Scope) -> Self {
        Self { scope }
    }
}

#[async_trait]
impl AuditRepository for SqlAudit {
    async fn record(&self, org: OrgId, event: NewAuditEvent) -> StorageResult<()> {
        if !event.details.is_object() {
            return Err(StorageError::Invalid(
                "audit details must be a JSON object".into(),
            ));
        }
        let txn = self.scope.begin(org).await?;
        audit_event::Entity::insert(audit_event::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            org_id: Set(org.as_uuid()),
            at: Set(now()),
            actor_kind: Set(event.actor.kind().to_owned()),
            actor_id: Set(event.actor.id()),
            action: Set(event.action),
            target_kind: Set(event.target_kind),
            target_id: Set(event.target_id),
            request_id: Set(event.request_id),
            details: Set(event.details),
        })
        .exec_without_returning(&txn)
        .await
        .db()?;
        txn.commit().await.db()?;
        Ok(())
    }

    async fn list(&self, org: OrgId, limit: u64) -> StorageResult<Vec<AuditEvent>> {
        let (txn, role) = self.scope.begin_with_role(org).await?;
        if !role.can_manage() {
            return Err(StorageError::Forbidden(format!(
                "a {role} of the organization may not read its audit log"
            )));
        }
        let rows = audit_event::Entity::find()
            .filter(Column::OrgId.eq(org.as_uuid()))
            .order_by_desc(Column::At)
            .order_by_desc(Column::Id)
            .limit(limit)
            .all(&txn)
            .await
            .db()?;
        txn.commit().await.db()?;
        rows.into_iter()
            .map(|m| {
                AuditActor::from_parts(&m.actor_kind, m.actor_id).ok_or_else(|| {
                    StorageError::Invalid(format!("unknown audit actor `{}` stored", m.actor_kind))
                })?;
                Ok(AuditEvent {
                    id: m.id,
                    org_id: OrgId::from_uuid(m.org_id),
                    at: m.at,
                    actor_kind: m.actor_kind,
                    actor_id: m.actor_id,
                    action: m.action,
                    target_kind: m.target_kind,
                    target_id: m.target_id,
                    request_id: m.request_id,
                    details: m.details,
                })
            })
            .collect()
    }
}
