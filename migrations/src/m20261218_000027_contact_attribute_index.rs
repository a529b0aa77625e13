//! A GIN index on contacts' attributes (PostgreSQL), so a contact list filtered by an attribute
//! reads the matching contacts instead of every contact of the organization. SQLite, the
//! embedded single-node default, keeps scanning.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE INDEX idx_contacts_attributes ON contacts USING GIN (attributes jsonb_path_ops);
"#;

const POSTGRES_DOWN: &str = r#"
DROP INDEX IF EXISTS idx_contacts_attributes;
"#;

const SQLITE: &str = "SELECT 1;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN, SQLITE).await
    }
}
