//! Campaign indexes that every query already covers better: each query names the organization,
//! so `(org_id, created_at, id)` and `(org_id, status, created_at, id)` serve them, and the
//! single-column indexes on `org_id`, `campaign_type`, `status` and `created_at` only cost every
//! insert and update their writes. Worse, with prepared statements PostgreSQL may pick a
//! generic plan that walks the global `created_at` index for a small organization.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
DROP INDEX IF EXISTS idx_marketing_campaigns_org;
DROP INDEX IF EXISTS idx_marketing_campaigns_type;
DROP INDEX IF EXISTS idx_marketing_campaigns_status;
DROP INDEX IF EXISTS idx_marketing_campaigns_created;
"#;

const DOWN: &str = r#"
CREATE INDEX IF NOT EXISTS idx_marketing_campaigns_org ON marketing_campaigns(org_id);
CREATE INDEX IF NOT EXISTS idx_marketing_campaigns_type ON marketing_campaigns(campaign_type);
CREATE INDEX IF NOT EXISTS idx_marketing_campaigns_status ON marketing_campaigns(status);
CREATE INDEX IF NOT EXISTS idx_marketing_campaigns_created ON marketing_campaigns(created_at DESC);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, UP, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN, DOWN).await
    }
}
