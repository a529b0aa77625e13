//! Brand profiles, asset versions, published landing pages and the leads their forms collect.
//!
//! - `brand_profiles`: one per organization (a JSON object validated by the application),
//!   read by members and changed by members who may write.
//! - `marketing_assets` gains `version` (the campaign's generation number) and `is_current`:
//!   regenerating a campaign's set keeps the previous versions as history.
//! - `published_pages`: the public slug of each campaign's current landing page. A visitor is
//!   no member of anything, so on PostgreSQL the one public read goes through the
//!   security-definer function `ame_published_page`, and a submitted lead form through
//!   `ame_record_lead`; both reveal nothing beyond the page itself.
//! - `landing_page_leads`: form submissions, readable by the organization's members.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE brand_profiles (
  org_id UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  profile JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT brand_profiles_profile_check CHECK (jsonb_typeof(profile) = 'object')
);

ALTER TABLE brand_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE brand_profiles FORCE ROW LEVEL SECURITY;

CREATE POLICY brand_profiles_member ON brand_profiles
  FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (
    SELECT org_id FROM user_organizations
    WHERE user_id = auth.uid() AND role IN ('owner', 'admin', 'member')
  ));

GRANT SELECT, INSERT, UPDATE ON brand_profiles TO authenticated;

ALTER TABLE marketing_assets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE marketing_assets ADD COLUMN is_current BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE marketing_assets ADD CONSTRAINT marketing_assets_version_check CHECK (version >= 1);
CREATE INDEX idx_marketing_assets_campaign_version ON marketing_assets(campaign_id, version);

CREATE TABLE published_pages (
  slug TEXT PRIMARY KEY,
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL UNIQUE,
  asset_id UUID NOT NULL REFERENCES marketing_assets(id) ON DELETE CASCADE,
  file_key TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT published_pages_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
  CONSTRAINT published_pages_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

ALTER TABLE published_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE published_pages FORCE ROW LEVEL SECURITY;

CREATE POLICY published_pages_member ON published_pages
  FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));

GRANT SELECT, INSERT, UPDATE, DELETE ON published_pages TO authenticated;

CREATE TABLE landing_page_leads (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  fields JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT landing_page_leads_fields_check CHECK (
    jsonb_typeof(fields) = 'object' AND octet_length(fields::text) <= 8192
  ),
  CONSTRAINT landing_page_leads_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE INDEX idx_landing_page_leads_campaign ON landing_page_leads(campaign_id, created_at DESC, id DESC);

ALTER TABLE landing_page_leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE landing_page_leads FORCE ROW LEVEL SECURITY;

CREATE POLICY landing_page_leads_member ON landing_page_leads
  FOR SELECT TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));

GRANT SELECT ON landing_page_leads TO authenticated;

-- The public page behind a slug: nothing for an unknown slug.
CREATE FUNCTION ame_published_page(p_slug text)
  RETURNS TABLE (org_id uuid, campaign_id uuid, asset_id uuid, file_key text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT p.org_id, p.campaign_id, p.asset_id, p.file_key FROM published_pages p
  WHERE p.slug = p_slug
$fn$;

REVOKE ALL ON FUNCTION ame_published_page(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_published_page(text) TO authenticated;

-- Stores a lead submitted through the page behind a slug; returns its campaign, or nothing for
-- an unknown slug (and then stores nothing).
CREATE FUNCTION ame_record_lead(p_slug text, p_id uuid, p_fields jsonb)
  RETURNS uuid
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  INSERT INTO landing_page_leads (id, org_id, campaign_id, fields)
  SELECT p_id, p.org_id, p.campaign_id, p_fields FROM published_pages p WHERE p.slug = p_slug
  RETURNING campaign_id
$fn$;

REVOKE ALL ON FUNCTION ame_record_lead(text, uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_record_lead(text, uuid, jsonb) TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP FUNCTION IF EXISTS ame_record_lead(text, uuid, jsonb);
DROP FUNCTION IF EXISTS ame_published_page(text);
DROP TABLE IF EXISTS landing_page_leads;
DROP TABLE IF EXISTS published_pages;
DROP INDEX IF EXISTS idx_marketing_assets_campaign_version;
ALTER TABLE marketing_assets DROP CONSTRAINT IF EXISTS marketing_assets_version_check;
ALTER TABLE marketing_assets DROP COLUMN IF EXISTS is_current;
ALTER TABLE marketing_assets DROP COLUMN IF EXISTS version;
DROP TABLE IF EXISTS brand_profiles;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE brand_profiles (
  org_id BLOB PRIMARY KEY NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  profile TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  CONSTRAINT brand_profiles_profile_check CHECK (json_type(profile) = 'object')
);

ALTER TABLE marketing_assets ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE marketing_assets ADD COLUMN is_current INTEGER NOT NULL DEFAULT 1 CHECK (is_current IN (0, 1));
CREATE INDEX idx_marketing_assets_campaign_version ON marketing_assets(campaign_id, version);

CREATE TABLE published_pages (
  slug TEXT PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL UNIQUE,
  asset_id BLOB NOT NULL REFERENCES marketing_assets(id) ON DELETE CASCADE,
  file_key TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  CONSTRAINT published_pages_slug_check CHECK (
    length(slug) BETWEEN 1 AND 80 AND slug NOT GLOB '*[^a-z0-9-]*'
    AND slug NOT GLOB '-*' AND slug NOT GLOB '*-' AND slug NOT GLOB '*--*'
  ),
  CONSTRAINT published_pages_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE TABLE landing_page_leads (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  fields TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  CONSTRAINT landing_page_leads_fields_check CHECK (json_type(fields) = 'object' AND length(fields) <= 8192),
  CONSTRAINT landing_page_leads_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE INDEX idx_landing_page_leads_campaign ON landing_page_leads(campaign_id, created_at DESC, id DESC);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS landing_page_leads;
DROP TABLE IF EXISTS published_pages;
DROP INDEX IF EXISTS idx_marketing_assets_campaign_version;
ALTER TABLE marketing_assets DROP COLUMN is_current;
ALTER TABLE marketing_assets DROP COLUMN version;
DROP TABLE IF EXISTS brand_profiles;
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
