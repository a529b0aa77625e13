//! The brand's logo: `brand_profiles.logo` describes the normalised PNG in blob storage (its
//! key, SHA-256, size and dimensions), set and cleared on its own so saving the profile's words
//! never drops it. The row's existing policy covers the column.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE brand_profiles ADD COLUMN logo JSONB;
ALTER TABLE brand_profiles ADD CONSTRAINT brand_profiles_logo_check
  CHECK (logo IS NULL OR jsonb_typeof(logo) = 'object');
"#;

const POSTGRES_DOWN: &str = r#"
ALTER TABLE brand_profiles DROP COLUMN IF EXISTS logo;
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE brand_profiles ADD COLUMN logo TEXT CHECK (logo IS NULL OR json_type(logo) = 'object');
"#;

const SQLITE_DOWN: &str = r#"
ALTER TABLE brand_profiles DROP COLUMN logo;
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
