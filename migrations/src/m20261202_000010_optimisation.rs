//! Optimisation: per-contact outcomes, variant tests, landing-page visitors and targeting models,
//! plus a campaign's holdout share and targeting.
//!
//! - `outcomes`: one row per (campaign, contact): the holdout group the contact was drawn into,
//!   the variant of each tested field it saw, and whether a message reached it, it clicked and
//!   it converted (with the value). Rows come from the scheduler and from imported history.
//! - `experiments`: one row per (campaign, tested field): the arms' current weights, the state
//!   (`burn_in`, `optimising`, `promoted`), the winner and its promotion events.
//! - `page_visitors`: a landing page's visitors by the random id in their first-party cookie,
//!   with the variants they were given (so they keep them) and whether they became a lead.
//! - `targeting_models`: the fitted response model per organization and goal, as JSON.
//! - `marketing_campaigns.optimisation`: `{holdout_fraction, targeting}` of the plan.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE marketing_campaigns ADD COLUMN optimisation JSONB;

CREATE TABLE outcomes (
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  contact_id UUID NOT NULL,
  grp TEXT NOT NULL,
  variants JSONB NOT NULL DEFAULT '{}'::jsonb,
  delivered BOOLEAN NOT NULL DEFAULT FALSE,
  clicked BOOLEAN NOT NULL DEFAULT FALSE,
  converted BOOLEAN NOT NULL DEFAULT FALSE,
  value NUMERIC(20, 4),
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (campaign_id, contact_id),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts(id, org_id) ON DELETE CASCADE,
  CONSTRAINT outcomes_group_check CHECK (grp IN ('treatment', 'control')),
  CONSTRAINT outcomes_variants_check CHECK (jsonb_typeof(variants) = 'object'),
  CONSTRAINT outcomes_value_check CHECK (value IS NULL OR value >= 0)
);
CREATE INDEX idx_outcomes_org ON outcomes(org_id, contact_id);

CREATE TABLE experiments (
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  field TEXT NOT NULL,
  arms INTEGER NOT NULL,
  state TEXT NOT NULL,
  weights JSONB NOT NULL,
  winner INTEGER,
  exposures_at_refresh BIGINT NOT NULL DEFAULT 0,
  refreshed_at TIMESTAMPTZ,
  events JSONB NOT NULL DEFAULT '[]'::jsonb,
  PRIMARY KEY (campaign_id, field),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE,
  CONSTRAINT experiments_state_check CHECK (state IN ('burn_in', 'optimising', 'promoted')),
  CONSTRAINT experiments_arms_check CHECK (arms >= 1)
);

CREATE TABLE page_visitors (
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  visitor_id UUID NOT NULL,
  variants JSONB NOT NULL,
  converted BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (campaign_id, visitor_id),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE TABLE targeting_models (
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  goal TEXT NOT NULL,
  model JSONB NOT NULL,
  trained_at TIMESTAMPTZ NOT NULL,
  outcomes_seen BIGINT NOT NULL,
  PRIMARY KEY (org_id, goal),
  CONSTRAINT targeting_models_goal_check CHECK (goal IN ('clicks', 'conversions'))
);

ALTER TABLE outcomes ENABLE ROW LEVEL SECURITY;
ALTER TABLE outcomes FORCE ROW LEVEL SECURITY;
ALTER TABLE experiments ENABLE ROW LEVEL SECURITY;
ALTER TABLE experiments FORCE ROW LEVEL SECURITY;
ALTER TABLE page_visitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE page_visitors FORCE ROW LEVEL SECURITY;
ALTER TABLE targeting_models ENABLE ROW LEVEL SECURITY;
ALTER TABLE targeting_models FORCE ROW LEVEL SECURITY;

CREATE POLICY outcomes_member ON outcomes FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY experiments_member ON experiments FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY page_visitors_member ON page_visitors FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY targeting_models_member ON targeting_models FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));

GRANT SELECT, INSERT, UPDATE, DELETE ON outcomes, experiments, page_visitors, targeting_models TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP TABLE IF EXISTS targeting_models;
DROP TABLE IF EXISTS page_visitors;
DROP TABLE IF EXISTS experiments;
DROP TABLE IF EXISTS outcomes;
ALTER TABLE marketing_campaigns DROP COLUMN IF EXISTS optimisation;
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE marketing_campaigns ADD COLUMN optimisation TEXT;

CREATE TABLE outcomes (
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  contact_id BLOB NOT NULL,
  grp TEXT NOT NULL CHECK (grp IN ('treatment', 'control')),
  variants TEXT NOT NULL DEFAULT '{}' CHECK (json_type(variants) = 'object'),
  delivered INTEGER NOT NULL DEFAULT 0,
  clicked INTEGER NOT NULL DEFAULT 0,
  converted INTEGER NOT NULL DEFAULT 0,
  value REAL CHECK (value IS NULL OR value >= 0),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (campaign_id, contact_id),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_outcomes_org ON outcomes(org_id, contact_id);

CREATE TABLE experiments (
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  field TEXT NOT NULL,
  arms INTEGER NOT NULL CHECK (arms >= 1),
  state TEXT NOT NULL CHECK (state IN ('burn_in', 'optimising', 'promoted')),
  weights TEXT NOT NULL,
  winner INTEGER,
  exposures_at_refresh INTEGER NOT NULL DEFAULT 0,
  refreshed_at TEXT,
  events TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (campaign_id, field),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE TABLE page_visitors (
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  visitor_id BLOB NOT NULL,
  variants TEXT NOT NULL,
  converted INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  PRIMARY KEY (campaign_id, visitor_id),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE TABLE targeting_models (
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  goal TEXT NOT NULL CHECK (goal IN ('clicks', 'conversions')),
  model TEXT NOT NULL,
  trained_at TEXT NOT NULL,
  outcomes_seen INTEGER NOT NULL,
  PRIMARY KEY (org_id, goal)
);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS targeting_models;
DROP TABLE IF EXISTS page_visitors;
DROP TABLE IF EXISTS experiments;
DROP TABLE IF EXISTS outcomes;
ALTER TABLE marketing_campaigns DROP COLUMN optimisation;
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
