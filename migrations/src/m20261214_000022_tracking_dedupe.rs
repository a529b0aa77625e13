//! Public clicks and page views carry a de-duplication key (the visitor, the link and the hour,
//! keyed-hashed): a second event with the same key in the same campaign is not recorded, so
//! one client reloading a page or replaying a link cannot inflate results.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE tracking_events ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX idx_tracking_events_dedupe ON tracking_events(campaign_id, dedupe_key);
"#;

const DOWN: &str = r#"
DROP INDEX IF EXISTS idx_tracking_events_dedupe;
ALTER TABLE tracking_events DROP COLUMN dedupe_key;
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
