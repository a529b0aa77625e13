//! Landing pages follow their campaign's lifecycle, and a visitor's repeated form posts are
//! stored once.
//!
//! - `ame_published_page` (PostgreSQL) also returns the campaign's status, so a page of a paused
//!   campaign can say so and one of an ended campaign can answer that it is gone.
//! - `ame_record_lead_once` (PostgreSQL) replaces `ame_record_lead`: it stores a lead only while
//!   the campaign runs (draft, scheduled or active) and only when the same email address has not
//!   signed up on the same page within a day, and says which of those happened. A transaction
//!   advisory lock on the campaign and address makes two simultaneous posts store one lead.
//! - An index on the campaign, the lower-cased email and the time serves that check on both
//!   backends.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
DROP FUNCTION IF EXISTS ame_published_page(text);
CREATE FUNCTION ame_published_page(p_slug text)
  RETURNS TABLE (org_id uuid, campaign_id uuid, asset_id uuid, file_key text, campaign_status text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT p.org_id, p.campaign_id, p.asset_id, p.file_key, c.status
  FROM published_pages p JOIN marketing_campaigns c ON c.id = p.campaign_id
  WHERE p.slug = p_slug
$fn$;
REVOKE ALL ON FUNCTION ame_published_page(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_published_page(text) TO authenticated;

DROP FUNCTION IF EXISTS ame_record_lead(text, uuid, jsonb);
CREATE FUNCTION ame_record_lead_once(p_slug text, p_id uuid, p_fields jsonb)
  RETURNS TABLE (campaign_id uuid, campaign_status text, outcome text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  v_org uuid;
  v_campaign uuid;
  v_status text;
BEGIN
  SELECT p.org_id, p.campaign_id, c.status INTO v_org, v_campaign, v_status
  FROM published_pages p JOIN marketing_campaigns c ON c.id = p.campaign_id
  WHERE p.slug = p_slug;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_status NOT IN ('draft', 'scheduled', 'active') THEN
    RETURN QUERY SELECT v_campaign, v_status, 'closed'::text;
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(
    hashtextextended(v_campaign::text || ' ' || lower(coalesce(p_fields->>'email', '')), 0));
  IF EXISTS (
    SELECT 1 FROM landing_page_leads l
    WHERE l.campaign_id = v_campaign
      AND lower(l.fields->>'email') = lower(p_fields->>'email')
      AND l.created_at > now() - interval '1 day'
  ) THEN
    RETURN QUERY SELECT v_campaign, v_status, 'duplicate'::text;
    RETURN;
  END IF;
  INSERT INTO landing_page_leads (id, org_id, campaign_id, fields)
  VALUES (p_id, v_org, v_campaign, p_fields);
  RETURN QUERY SELECT v_campaign, v_status, 'stored'::text;
END
$fn$;
REVOKE ALL ON FUNCTION ame_record_lead_once(text, uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_record_lead_once(text, uuid, jsonb) TO authenticated;

CREATE INDEX idx_landing_page_leads_email
  ON landing_page_leads(campaign_id, lower(fields->>'email'), created_at);
"#;

const POSTGRES_DOWN: &str = r#"
DROP INDEX IF EXISTS idx_landing_page_leads_email;
DROP FUNCTION IF EXISTS ame_record_lead_once(text, uuid, jsonb);
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
DROP FUNCTION IF EXISTS ame_published_page(text);
CREATE FUNCTION ame_published_page(p_slug text)
  RETURNS TABLE (org_id uuid, campaign_id uuid, asset_id uuid, file_key text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT p.org_id, p.campaign_id, p.asset_id, p.file_key FROM published_pages p
  WHERE p.slug = p_slug
$fn$;
REVOKE ALL ON FUNCTION ame_published_page(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_published_page(text) TO authenticated;
"#;

const SQLITE_UP: &str = r#"
CREATE INDEX idx_landing_page_leads_email
  ON landing_page_leads(campaign_id, lower(json_extract(fields, '$.email')), created_at);
"#;

const SQLITE_DOWN: &str = r#"
DROP INDEX IF EXISTS idx_landing_page_leads_email;
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
