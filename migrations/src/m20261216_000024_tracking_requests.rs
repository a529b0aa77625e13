//! Every public tracking request is tallied by what became of it: per campaign and kind
//! (`click`, `view`), how many were counted, repeated (the same visitor and link within the
//! hour), automated (crawlers, previews, scanners, HEAD, prefetch) or throttled (an address
//! over its limit). Results show raw beside counted; predictions learn from counted only.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE tracking_requests (
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('click', 'view')),
  verdict TEXT NOT NULL CHECK (verdict IN ('counted', 'repeated', 'automated', 'throttled')),
  total BIGINT NOT NULL CHECK (total >= 0),
  PRIMARY KEY (campaign_id, kind, verdict),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

ALTER TABLE tracking_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE tracking_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tracking_requests_member ON tracking_requests FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON tracking_requests TO authenticated;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE tracking_requests (
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('click', 'view')),
  verdict TEXT NOT NULL CHECK (verdict IN ('counted', 'repeated', 'automated', 'throttled')),
  total INTEGER NOT NULL CHECK (total >= 0),
  PRIMARY KEY (campaign_id, kind, verdict),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
) WITHOUT ROWID;
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS tracking_requests;
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
