//! An outcome record says whether its contact had already converted in the campaign before
//! being assigned to a group: the lift leaves such contacts out of both groups (their
//! conversion cannot be the campaign's doing) and counts them apart.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE outcomes ADD COLUMN converted_before BOOLEAN NOT NULL DEFAULT FALSE;
"#;

const POSTGRES_DOWN: &str = r#"
ALTER TABLE outcomes DROP COLUMN IF EXISTS converted_before;
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE outcomes ADD COLUMN converted_before INTEGER NOT NULL DEFAULT 0;
"#;

const SQLITE_DOWN: &str = r#"
ALTER TABLE outcomes DROP COLUMN converted_before;
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
