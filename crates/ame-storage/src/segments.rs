//! Saved segments: a name and a filter over consent and attributes, per organization.

use crate::entity::segment;
use crate::error::DbResultExt;
use crate::queue::micros;
use crate::scope::Scope;
use crate::{StorageError, StorageResult};
use ame_domain::{NewSegment, OrgId, Segment, SegmentId};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

fn segment_to_domain(m: segment::Model) -> StorageResult<Segment> {
    Ok(Segment {
        id: SegmentId::from_uuid(m.id),
        org_id: OrgId::from_uuid(m.org_id),
        name: m.name,
        filter: serde_json::from_value(m.filter)
            .map_err(|e| StorageError::Database(format!("unexpected segment filter: {e}")))?,
        created_at: m.created_at,
    })
}

/// Saves a segment after checking it.
pub(crate) async fn create(
    scope: &Scope,
    org: OrgId,
    segment: NewSegment,
    now: DateTime<Utc>,
) -> StorageResult<Segment> {
    let segment = segment.validate()?;
    let filter =
        serde_json::to_value(&segment.filter).map_err(|e| StorageError::Invalid(e.to_string()))?;
    let txn = scope.begin_write(org).await?;
    let model = segment::Entity::insert(segment::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        org_id: Set(org.as_uuid()),
        name: Set(segment.name),
        filter: Set(filter),
        created_at: Set(micros(now)),
    })
    .exec_with_returning(&txn)
    .await
    .db()?;
    txn.commit().await.db()?;
    segment_to_domain(model)
}

/// One segment.
pub(crate) async fn get(scope: &Scope, org: OrgId, id: SegmentId) -> StorageResult<Segment> {
    let txn = scope.begin(org).await?;
    let found = segment::Entity::find()
        .filter(segment::Column::Id.eq(id.as_uuid()))
        .filter(segment::Column::OrgId.eq(org.as_uuid()))
        .one(&txn)
        .await
        .db()?
        .ok_or(StorageError::not_found("segment"))?;
    txn.commit().await.db()?;
    segment_to_domain(found)
}

/// The organization's segments, newest first (at most 1,000).
pub(crate) async fn list(scope: &Scope, org: OrgId) -> StorageResult<Vec<Segment>> {
    let txn = scope.begin(org).await?;
    let rows = segment::Entity::find()
        .filter(segment::Column::OrgId.eq(org.as_uuid()))
        .order_by_desc(segment::Column::CreatedAt)
        .order_by_desc(segment::Column::Id)
        .limit(1000)
        .all(&txn)
        .await
        .db()?;
    txn.commit().await.db()?;
    rows.into_iter().map(segment_to_domain).collect()
}
