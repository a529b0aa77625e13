//! `ame_insert_campaign`: creating a campaign in one statement on PostgreSQL. The function sets
//! the acting principal for the statement's own transaction (`set_config(…, true)`), then
//! inserts the row and returns it. It runs as the caller (`SECURITY INVOKER`), so the
//! row-level-security policies check the insert and the returned row exactly as they check a
//! `BEGIN; set_config; INSERT; COMMIT` sequence; the principal is gone when the statement ends.
//! The statements run in order inside the function, so the principal is always set before the
//! policy reads it; were it not, `auth.uid()` would be NULL and the policy would refuse.
//! SQLite has no policies and no such function.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE FUNCTION ame_insert_campaign(
  p_principal uuid, p_id uuid, p_org uuid, p_type text, p_objective text, p_status text,
  p_performance jsonb, p_created_at timestamptz, p_updated_at timestamptz, p_name text,
  p_planned_reach bigint, p_budget numeric, p_channels jsonb, p_start_at timestamptz,
  p_end_at timestamptz, p_timezone text, p_audience jsonb, p_send_window jsonb,
  p_optimisation jsonb)
  RETURNS SETOF marketing_campaigns
  LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $fn$
BEGIN
  PERFORM set_config('request.jwt.claim.sub', p_principal::text, true),
          set_config('request.jwt.claims',
                     json_build_object('sub', p_principal::text, 'role', 'authenticated')::text, true);
  RETURN QUERY
    INSERT INTO public.marketing_campaigns (id, org_id, campaign_type, objective, status,
      performance, created_at, updated_at, name, planned_reach, budget, channels, start_at,
      end_at, timezone, audience, send_window, optimisation)
    VALUES (p_id, p_org, p_type, p_objective, p_status, p_performance, p_created_at,
      p_updated_at, p_name, p_planned_reach, p_budget, p_channels, p_start_at, p_end_at,
      p_timezone, p_audience, p_send_window, p_optimisation)
    RETURNING *;
END
$fn$;

REVOKE ALL ON FUNCTION ame_insert_campaign(uuid, uuid, uuid, text, text, text, jsonb, timestamptz, timestamptz, text, bigint, numeric, jsonb, timestamptz, timestamptz, text, jsonb, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_insert_campaign(uuid, uuid, uuid, text, text, text, jsonb, timestamptz, timestamptz, text, bigint, numeric, jsonb, timestamptz, timestamptz, text, jsonb, jsonb, jsonb) TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP FUNCTION IF EXISTS ame_insert_campaign(uuid, uuid, uuid, text, text, text, jsonb, timestamptz, timestamptz, text, bigint, numeric, jsonb, timestamptz, timestamptz, text, jsonb, jsonb, jsonb);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, "SELECT 1;").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN, "SELECT 1;").await
    }
}
