//! `marketing_campaigns`: the seed's table (migration 111) plus `updated_at`, the campaign plan
//! columns, a `(id, org_id)` key for tenant-safe composite foreign keys, and on PostgreSQL the
//! seed's row-level-security policies (plus delete), forced so the table owner is not exempt.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE marketing_campaigns (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id UUID NOT NULL,
  campaign_type TEXT NOT NULL,
  objective TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft',
  performance JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  name TEXT,
  planned_reach BIGINT,
  budget NUMERIC(14, 2),
  channels JSONB NOT NULL DEFAULT '[]'::jsonb,
  start_at TIMESTAMPTZ,
  end_at TIMESTAMPTZ,
  timezone TEXT NOT NULL DEFAULT 'UTC',

  CONSTRAINT marketing_campaigns_type_check CHECK (
    campaign_type IN (
      'lead_gen', 'brand_awareness', 'client_retention',
      're_engagement', 'upsell', 'referral'
    )
  ),
  CONSTRAINT marketing_campaigns_status_check CHECK (
    status IN ('draft', 'scheduled', 'active', 'paused', 'completed', 'archived')
  ),
  CONSTRAINT marketing_campaigns_objective_check CHECK (length(btrim(objective)) BETWEEN 3 AND 500),
  CONSTRAINT marketing_campaigns_planned_reach_check CHECK (planned_reach >= 0),
  CONSTRAINT marketing_campaigns_budget_check CHECK (budget >= 0),
  CONSTRAINT marketing_campaigns_channels_check CHECK (jsonb_typeof(channels) = 'array'),
  CONSTRAINT marketing_campaigns_schedule_check CHECK (start_at IS NULL OR end_at IS NULL OR end_at > start_at),
  CONSTRAINT marketing_campaigns_id_org_key UNIQUE (id, org_id),
  CONSTRAINT marketing_campaigns_org_fk
    FOREIGN KEY (org_id) REFERENCES organizations(id) ON DELETE CASCADE
);

CREATE INDEX idx_marketing_campaigns_org ON marketing_campaigns(org_id);
CREATE INDEX idx_marketing_campaigns_type ON marketing_campaigns(campaign_type);
CREATE INDEX idx_marketing_campaigns_status ON marketing_campaigns(status);
CREATE INDEX idx_marketing_campaigns_created ON marketing_campaigns(created_at DESC);
CREATE INDEX idx_marketing_campaigns_org_created
  ON marketing_campaigns(org_id, created_at DESC, id DESC);
CREATE INDEX idx_marketing_campaigns_org_status_created
  ON marketing_campaigns(org_id, status, created_at DESC, id DESC);

ALTER TABLE marketing_campaigns ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketing_campaigns FORCE ROW LEVEL SECURITY;

CREATE POLICY marketing_campaigns_select ON marketing_campaigns
  FOR SELECT TO authenticated
  USING (org_id IN (
    SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
  ));

CREATE POLICY marketing_campaigns_insert ON marketing_campaigns
  FOR INSERT TO authenticated
  WITH CHECK (org_id IN (
    SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
  ));

CREATE POLICY marketing_campaigns_update ON marketing_campaigns
  FOR UPDATE TO authenticated
  USING (org_id IN (
    SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
  ))
  WITH CHECK (org_id IN (
    SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
  ));

CREATE POLICY marketing_campaigns_delete ON marketing_campaigns
  FOR DELETE TO authenticated
  USING (org_id IN (
    SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
  ));

GRANT SELECT, INSERT, UPDATE, DELETE ON marketing_campaigns TO authenticated;

COMMENT ON TABLE marketing_campaigns IS 'Autonomous marketing campaigns';
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE marketing_campaigns (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_type TEXT NOT NULL,
  objective TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft',
  performance TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  name TEXT,
  planned_reach INTEGER,
  budget REAL,
  channels TEXT NOT NULL DEFAULT '[]',
  start_at TEXT,
  end_at TEXT,
  timezone TEXT NOT NULL DEFAULT 'UTC',

  CONSTRAINT marketing_campaigns_type_check CHECK (
    campaign_type IN (
      'lead_gen', 'brand_awareness', 'client_retention',
      're_engagement', 'upsell', 'referral'
    )
  ),
  CONSTRAINT marketing_campaigns_status_check CHECK (
    status IN ('draft', 'scheduled', 'active', 'paused', 'completed', 'archived')
  ),
  CONSTRAINT marketing_campaigns_objective_check CHECK (length(trim(objective)) BETWEEN 3 AND 500),
  CONSTRAINT marketing_campaigns_planned_reach_check CHECK (planned_reach >= 0),
  CONSTRAINT marketing_campaigns_budget_check CHECK (budget >= 0),
  CONSTRAINT marketing_campaigns_performance_check CHECK (json_valid(performance)),
  CONSTRAINT marketing_campaigns_channels_check CHECK (json_type(channels) = 'array'),
  CONSTRAINT marketing_campaigns_schedule_check CHECK (start_at IS NULL OR end_at IS NULL OR end_at > start_at),
  CONSTRAINT marketing_campaigns_id_org_key UNIQUE (id, org_id),
  CONSTRAINT marketing_campaigns_org_fk
    FOREIGN KEY (org_id) REFERENCES organizations(id) ON DELETE CASCADE
);

CREATE INDEX idx_marketing_campaigns_org ON marketing_campaigns(org_id);
CREATE INDEX idx_marketing_campaigns_type ON marketing_campaigns(campaign_type);
CREATE INDEX idx_marketing_campaigns_status ON marketing_campaigns(status);
CREATE INDEX idx_marketing_campaigns_created ON marketing_campaigns(created_at DESC);
CREATE INDEX idx_marketing_campaigns_org_created
  ON marketing_campaigns(org_id, created_at DESC, id DESC);
CREATE INDEX idx_marketing_campaigns_org_status_created
  ON marketing_campaigns(org_id, status, created_at DESC, id DESC);
"#;

const DOWN: &str = "DROP TABLE IF EXISTS marketing_campaigns;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN, DOWN).await
    }
}
