//! Stored audience rankings: a campaign's audience scored once per targeting model version and
//! audience state, so its pages are read from an index instead of scoring everyone per page.
//!
//! - `audience_score_sets`: one ranking per campaign and goal: the model version it used, a
//!   fingerprint of the inputs (contacts, outcomes, the campaign), when and how many it scored.
//! - `audience_scores`: the ranked contacts in blocks of 1,000 positions (block 0 holds
//!   positions 1–1,000), each a packed array of contact id and scores: a page reads one or two
//!   blocks, and storing 100,000 contacts writes 100 rows.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE audience_score_sets (
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  goal TEXT NOT NULL,
  model_trained_at TIMESTAMPTZ NOT NULL,
  fingerprint TEXT NOT NULL,
  scored_at TIMESTAMPTZ NOT NULL,
  total BIGINT NOT NULL,
  PRIMARY KEY (campaign_id, goal),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE,
  CONSTRAINT audience_score_sets_goal_check CHECK (goal IN ('clicks', 'conversions')),
  CONSTRAINT audience_score_sets_total_check CHECK (total >= 0)
);

CREATE TABLE audience_scores (
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  goal TEXT NOT NULL,
  block INTEGER NOT NULL,
  entries BYTEA NOT NULL,
  PRIMARY KEY (campaign_id, goal, block),
  FOREIGN KEY (campaign_id, goal) REFERENCES audience_score_sets(campaign_id, goal) ON DELETE CASCADE
);

ALTER TABLE audience_score_sets ENABLE ROW LEVEL SECURITY;
ALTER TABLE audience_score_sets FORCE ROW LEVEL SECURITY;
ALTER TABLE audience_scores ENABLE ROW LEVEL SECURITY;
ALTER TABLE audience_scores FORCE ROW LEVEL SECURITY;

CREATE POLICY audience_score_sets_member ON audience_score_sets FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY audience_scores_member ON audience_scores FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));

GRANT SELECT, INSERT, UPDATE, DELETE ON audience_score_sets, audience_scores TO authenticated;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE audience_score_sets (
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  goal TEXT NOT NULL CHECK (goal IN ('clicks', 'conversions')),
  model_trained_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  scored_at TEXT NOT NULL,
  total INTEGER NOT NULL CHECK (total >= 0),
  PRIMARY KEY (campaign_id, goal),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE TABLE audience_scores (
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  goal TEXT NOT NULL,
  block INTEGER NOT NULL,
  entries BLOB NOT NULL,
  PRIMARY KEY (campaign_id, goal, block),
  FOREIGN KEY (campaign_id, goal) REFERENCES audience_score_sets(campaign_id, goal) ON DELETE CASCADE
) WITHOUT ROWID;
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS audience_scores;
DROP TABLE IF EXISTS audience_score_sets;
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
