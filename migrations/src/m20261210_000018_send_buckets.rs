//! Sending is throttled by token buckets instead of per-minute quotas: one row per
//! organization and bucket (all its email, or one mailbox provider's share) holding how many
//! tokens were left when it was last drawn from, and when (microseconds since the epoch, so
//! both backends compute the refill with the same arithmetic). The per-minute `send_quota`
//! table goes.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE send_buckets (
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  bucket TEXT NOT NULL CHECK (length(bucket) BETWEEN 1 AND 300),
  tokens DOUBLE PRECISION NOT NULL,
  drawn_at_us BIGINT NOT NULL,
  PRIMARY KEY (org_id, bucket)
);
ALTER TABLE send_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE send_buckets FORCE ROW LEVEL SECURITY;
CREATE POLICY send_buckets_member ON send_buckets FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON send_buckets TO authenticated;
DROP TABLE send_quota;
"#;

const POSTGRES_DOWN: &str = r#"
CREATE TABLE send_quota (
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  minute TIMESTAMPTZ NOT NULL,
  taken INTEGER NOT NULL,
  PRIMARY KEY (org_id, minute)
);
ALTER TABLE send_quota ENABLE ROW LEVEL SECURITY;
ALTER TABLE send_quota FORCE ROW LEVEL SECURITY;
CREATE POLICY send_quota_member ON send_quota FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON send_quota TO authenticated;
DROP TABLE IF EXISTS send_buckets;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE send_buckets (
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  bucket TEXT NOT NULL CHECK (length(bucket) BETWEEN 1 AND 300),
  tokens REAL NOT NULL,
  drawn_at_us INTEGER NOT NULL,
  PRIMARY KEY (org_id, bucket)
);
DROP TABLE send_quota;
"#;

const SQLITE_DOWN: &str = r#"
CREATE TABLE send_quota (
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  minute TEXT NOT NULL,
  taken INTEGER NOT NULL,
  PRIMARY KEY (org_id, minute)
);
DROP TABLE IF EXISTS send_buckets;
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
