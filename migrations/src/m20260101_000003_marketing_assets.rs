//! `marketing_assets`: the seed's table plus `org_id` (with a composite foreign key to the
//! campaign, so an asset can never belong to another organization than its campaign) and
//! `updated_at`; on PostgreSQL the seed's row-level-security policies plus update and delete.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE marketing_assets (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  campaign_id UUID NOT NULL,
  org_id UUID NOT NULL,
  asset_type TEXT NOT NULL,
  content JSONB NOT NULL,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

  CONSTRAINT marketing_assets_type_check CHECK (
    asset_type IN (
      'landing_page', 'email_sequence', 'social_post',
      'video_script', 'ad_creative', 'voice_ad', 'image_asset'
    )
  ),
  CONSTRAINT marketing_assets_content_check CHECK (jsonb_typeof(content) = 'object'),
  CONSTRAINT marketing_assets_metadata_check CHECK (jsonb_typeof(metadata) = 'object'),
  CONSTRAINT marketing_assets_campaign_fk
    FOREIGN KEY (campaign_id) REFERENCES marketing_campaigns(id) ON DELETE CASCADE,
  CONSTRAINT marketing_assets_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE INDEX idx_marketing_assets_campaign ON marketing_assets(campaign_id);
CREATE INDEX idx_marketing_assets_type ON marketing_assets(asset_type);
CREATE INDEX idx_marketing_assets_created ON marketing_assets(created_at DESC);
CREATE INDEX idx_marketing_assets_org ON marketing_assets(org_id, campaign_id);

ALTER TABLE marketing_assets ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketing_assets FORCE ROW LEVEL SECURITY;

CREATE POLICY marketing_assets_select ON marketing_assets
  FOR SELECT TO authenticated
  USING (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

CREATE POLICY marketing_assets_insert ON marketing_assets
  FOR INSERT TO authenticated
  WITH CHECK (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

CREATE POLICY marketing_assets_update ON marketing_assets
  FOR UPDATE TO authenticated
  USING (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ))
  WITH CHECK (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

CREATE POLICY marketing_assets_delete ON marketing_assets
  FOR DELETE TO authenticated
  USING (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

GRANT SELECT, INSERT, UPDATE, DELETE ON marketing_assets TO authenticated;

COMMENT ON TABLE marketing_assets IS 'Marketing campaign assets';
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE marketing_assets (
  id BLOB PRIMARY KEY NOT NULL,
  campaign_id BLOB NOT NULL,
  org_id BLOB NOT NULL,
  asset_type TEXT NOT NULL,
  content TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),

  CONSTRAINT marketing_assets_type_check CHECK (
    asset_type IN (
      'landing_page', 'email_sequence', 'social_post',
      'video_script', 'ad_creative', 'voice_ad', 'image_asset'
    )
  ),
  CONSTRAINT marketing_assets_content_check CHECK (json_type(content) = 'object'),
  CONSTRAINT marketing_assets_metadata_check CHECK (json_type(metadata) = 'object'),
  CONSTRAINT marketing_assets_campaign_fk
    FOREIGN KEY (campaign_id) REFERENCES marketing_campaigns(id) ON DELETE CASCADE,
  CONSTRAINT marketing_assets_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE INDEX idx_marketing_assets_campaign ON marketing_assets(campaign_id);
CREATE INDEX idx_marketing_assets_type ON marketing_assets(asset_type);
CREATE INDEX idx_marketing_assets_created ON marketing_assets(created_at DESC);
CREATE INDEX idx_marketing_assets_org ON marketing_assets(org_id, campaign_id);
"#;

const DOWN: &str = "DROP TABLE IF EXISTS marketing_assets;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN, DOWN).await
    }
}
