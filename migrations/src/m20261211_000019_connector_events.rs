//! Connectors can be told of email events (sent, delivered, bounced, complained, clicked,
//! unsubscribed, converted) as well as publish posts: the list of events each subscribes to.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE connectors ADD COLUMN events JSONB NOT NULL DEFAULT '[]'::jsonb
  CHECK (jsonb_typeof(events) = 'array');
"#;

const POSTGRES_DOWN: &str = r#"
ALTER TABLE connectors DROP COLUMN IF EXISTS events;
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE connectors ADD COLUMN events TEXT NOT NULL DEFAULT '[]' CHECK (json_type(events) = 'array');
"#;

const SQLITE_DOWN: &str = r#"
ALTER TABLE connectors DROP COLUMN events;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}
