//! Erased addresses: when a contact is erased, a keyed hash of its address (never the address)
//! is kept per organization, so a later upsert, import or form cannot subscribe that address
//! again; a contact created for it starts `unsubscribed`.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE erased_addresses (
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  address_hash TEXT NOT NULL,
  erased_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (org_id, address_hash)
);

ALTER TABLE erased_addresses ENABLE ROW LEVEL SECURITY;
ALTER TABLE erased_addresses FORCE ROW LEVEL SECURITY;
CREATE POLICY erased_addresses_member ON erased_addresses FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON erased_addresses TO authenticated;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE erased_addresses (
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  address_hash TEXT NOT NULL,
  erased_at TEXT NOT NULL,
  PRIMARY KEY (org_id, address_hash)
) WITHOUT ROWID;
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS erased_addresses;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN, DOWN).await
    }
}
