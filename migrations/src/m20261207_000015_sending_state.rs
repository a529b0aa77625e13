//! An organization's sending state: how many sends in a row failed on the sending side
//! (connecting, logging in, MAIL FROM, a refusal not about the recipient) and, once too many
//! did, when sending paused. A send that goes through resets the count; only an operator's
//! resume ends a pause. One row per organization, created on its first failure.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE sending_states (
  org_id UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  last_error TEXT,
  paused_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE sending_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE sending_states FORCE ROW LEVEL SECURITY;
CREATE POLICY sending_states_member ON sending_states FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON sending_states TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP TABLE IF EXISTS sending_states;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE sending_states (
  org_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  last_error TEXT,
  paused_at TEXT,
  updated_at TEXT NOT NULL
);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS sending_states;
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
