//! Recorded campaign results and the per-channel totals the predictor learns from.
//!
//! - `campaign_results`: one row per campaign, day, channel and (optionally) asset. The upsert key
//!   treats a missing asset as one value (`COALESCE` to the nil UUID), so re-sending a day
//!   replaces its record instead of adding a second. A `NULL` measurement means "not measured",
//!   which differs from a measured 0. `asset_id` has no foreign key: asset sets are versioned and
//!   results may name an asset of any version.
//! - `campaign_channel_totals`: the sums of one campaign's records on one channel (a field stays
//!   `NULL` until some record measured it), stamped with a revision that grows with every write,
//!   so a reader can tell from `(max(revision), count(*))` whether anything changed. On
//!   PostgreSQL the sequence `campaign_result_revision` hands out revisions; on SQLite a one-row
//!   table of the same name does. `org_group` and `campaign_group` are opaque keys of the
//!   organization and the campaign (hashes of their ids, written by the application), the only
//!   way the history names them.
//!
//! Both tables carry `org_id` with a composite foreign key to their campaign and, on PostgreSQL,
//! forced row-level security with the same policies as `marketing_assets`. The predictor reads
//! every organization's totals, so on PostgreSQL that read goes through the security-definer
//! functions `ame_prediction_history` and `ame_prediction_history_revision`: they check that the
//! caller is a member of the organization asking and reveal other organizations only through the
//! opaque group keys, never their ids, campaign ids or records.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE campaign_results (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  date DATE NOT NULL,
  channel TEXT NOT NULL,
  asset_id UUID,
  reach BIGINT,
  clicks BIGINT,
  leads BIGINT,
  conversions BIGINT,
  spend NUMERIC(14, 2),
  revenue NUMERIC(14, 2),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

  CONSTRAINT campaign_results_channel_check CHECK (
    channel IN (
      'email', 'sms', 'linkedin', 'x', 'facebook', 'instagram', 'tiktok', 'youtube',
      'google_search', 'google_display', 'podcast', 'radio', 'web', 'direct_mail', 'events',
      'referral'
    )
  ),
  CONSTRAINT campaign_results_counts_check CHECK (
    reach >= 0 AND clicks >= 0 AND leads >= 0 AND conversions >= 0
  ),
  CONSTRAINT campaign_results_amounts_check CHECK (spend >= 0 AND revenue >= 0),
  CONSTRAINT campaign_results_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

-- The upsert key: one record per campaign, day, channel and asset (no asset counts as one).
CREATE UNIQUE INDEX idx_campaign_results_key ON campaign_results(
  campaign_id, date, channel, COALESCE(asset_id, '00000000-0000-0000-0000-000000000000'::uuid)
);
CREATE INDEX idx_campaign_results_org ON campaign_results(org_id, campaign_id);

ALTER TABLE campaign_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign_results FORCE ROW LEVEL SECURITY;

CREATE POLICY campaign_results_select ON campaign_results
  FOR SELECT TO authenticated
  USING (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

CREATE POLICY campaign_results_insert ON campaign_results
  FOR INSERT TO authenticated
  WITH CHECK (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

CREATE POLICY campaign_results_update ON campaign_results
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

CREATE POLICY campaign_results_delete ON campaign_results
  FOR DELETE TO authenticated
  USING (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

GRANT SELECT, INSERT, UPDATE, DELETE ON campaign_results TO authenticated;

COMMENT ON TABLE campaign_results IS 'Recorded campaign results per day, channel and asset';

CREATE SEQUENCE campaign_result_revision AS BIGINT;
GRANT USAGE ON SEQUENCE campaign_result_revision TO authenticated;

CREATE TABLE campaign_channel_totals (
  campaign_id UUID NOT NULL,
  channel TEXT NOT NULL,
  org_id UUID NOT NULL,
  org_group UUID NOT NULL,
  campaign_group UUID NOT NULL,
  campaign_type TEXT NOT NULL,
  records INTEGER NOT NULL,
  reach BIGINT,
  clicks BIGINT,
  leads BIGINT,
  conversions BIGINT,
  spend NUMERIC(16, 2),
  revenue NUMERIC(16, 2),
  revision BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (campaign_id, channel),

  CONSTRAINT campaign_channel_totals_channel_check CHECK (
    channel IN (
      'email', 'sms', 'linkedin', 'x', 'facebook', 'instagram', 'tiktok', 'youtube',
      'google_search', 'google_display', 'podcast', 'radio', 'web', 'direct_mail', 'events',
      'referral'
    )
  ),
  CONSTRAINT campaign_channel_totals_type_check CHECK (
    campaign_type IN (
      'lead_gen', 'brand_awareness', 'client_retention',
      're_engagement', 'upsell', 'referral'
    )
  ),
  CONSTRAINT campaign_channel_totals_records_check CHECK (records >= 1),
  CONSTRAINT campaign_channel_totals_counts_check CHECK (
    reach >= 0 AND clicks >= 0 AND leads >= 0 AND conversions >= 0
  ),
  CONSTRAINT campaign_channel_totals_amounts_check CHECK (spend >= 0 AND revenue >= 0),
  CONSTRAINT campaign_channel_totals_revision_check CHECK (revision >= 1),
  CONSTRAINT campaign_channel_totals_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE INDEX idx_campaign_channel_totals_revision ON campaign_channel_totals(revision);
CREATE INDEX idx_campaign_channel_totals_org ON campaign_channel_totals(org_id, campaign_id);

ALTER TABLE campaign_channel_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign_channel_totals FORCE ROW LEVEL SECURITY;

CREATE POLICY campaign_channel_totals_select ON campaign_channel_totals
  FOR SELECT TO authenticated
  USING (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

CREATE POLICY campaign_channel_totals_insert ON campaign_channel_totals
  FOR INSERT TO authenticated
  WITH CHECK (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

CREATE POLICY campaign_channel_totals_update ON campaign_channel_totals
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

CREATE POLICY campaign_channel_totals_delete ON campaign_channel_totals
  FOR DELETE TO authenticated
  USING (campaign_id IN (
    SELECT id FROM marketing_campaigns
    WHERE org_id IN (
      SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
    )
  ));

GRANT SELECT, INSERT, UPDATE, DELETE ON campaign_channel_totals TO authenticated;

COMMENT ON TABLE campaign_channel_totals IS 'Per-campaign, per-channel result totals (predictor input)';

-- Every organization's channel totals, for the predictor of organization p_org: organizations
-- and campaigns appear only under their opaque group keys, never by id. p_exclude_campaign
-- (NULL: none) leaves the campaign being predicted out. Only a member of p_org (auth.uid()) may
-- ask.
CREATE FUNCTION ame_prediction_history(p_org uuid, p_exclude_campaign uuid)
  RETURNS TABLE (
    org_group uuid, campaign_group uuid, own_org boolean, campaign_type text, channel text,
    records integer, reach bigint, clicks bigint, leads bigint, conversions bigint,
    spend numeric, revenue numeric
  )
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM user_organizations m WHERE m.user_id = auth.uid() AND m.org_id = p_org
  ) THEN
    RAISE EXCEPTION 'not a member of the organization' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
    SELECT t.org_group, t.campaign_group, t.org_id = p_org, t.campaign_type, t.channel,
           t.records, t.reach, t.clicks, t.leads, t.conversions, t.spend::numeric,
           t.revenue::numeric
    FROM campaign_channel_totals t
    WHERE p_exclude_campaign IS NULL OR t.campaign_id <> p_exclude_campaign;
END
$fn$;

-- (latest revision, number of totals rows) over every organization: changes whenever any
-- organization records results or deletes a campaign that had some. Only a member of p_org may ask.
CREATE FUNCTION ame_prediction_history_revision(p_org uuid)
  RETURNS TABLE (revision bigint, units bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM user_organizations m WHERE m.user_id = auth.uid() AND m.org_id = p_org
  ) THEN
    RAISE EXCEPTION 'not a member of the organization' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
    SELECT coalesce(max(t.revision), 0)::bigint, count(*)::bigint FROM campaign_channel_totals t;
END
$fn$;

REVOKE ALL ON FUNCTION ame_prediction_history(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION ame_prediction_history_revision(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_prediction_history(uuid, uuid) TO authenticated;
GRANT EXECUTE ON FUNCTION ame_prediction_history_revision(uuid) TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP FUNCTION IF EXISTS ame_prediction_history_revision(uuid);
DROP FUNCTION IF EXISTS ame_prediction_history(uuid, uuid);
DROP TABLE IF EXISTS campaign_channel_totals;
DROP SEQUENCE IF EXISTS campaign_result_revision;
DROP TABLE IF EXISTS campaign_results;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE campaign_results (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  date TEXT NOT NULL,
  channel TEXT NOT NULL,
  asset_id BLOB,
  reach INTEGER,
  clicks INTEGER,
  leads INTEGER,
  conversions INTEGER,
  spend REAL,
  revenue REAL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),

  CONSTRAINT campaign_results_date_check CHECK (date = date(date)),
  CONSTRAINT campaign_results_channel_check CHECK (
    channel IN (
      'email', 'sms', 'linkedin', 'x', 'facebook', 'instagram', 'tiktok', 'youtube',
      'google_search', 'google_display', 'podcast', 'radio', 'web', 'direct_mail', 'events',
      'referral'
    )
  ),
  CONSTRAINT campaign_results_counts_check CHECK (
    reach >= 0 AND clicks >= 0 AND leads >= 0 AND conversions >= 0
  ),
  CONSTRAINT campaign_results_amounts_check CHECK (spend >= 0 AND revenue >= 0),
  CONSTRAINT campaign_results_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

-- The upsert key: one record per campaign, day, channel and asset (no asset counts as one).
CREATE UNIQUE INDEX idx_campaign_results_key ON campaign_results(
  campaign_id, date, channel, COALESCE(asset_id, X'00000000000000000000000000000000')
);
CREATE INDEX idx_campaign_results_org ON campaign_results(org_id, campaign_id);

-- The revision counter (PostgreSQL uses a sequence): never reused, even after deletes.
CREATE TABLE campaign_result_revision (
  id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  value INTEGER NOT NULL CHECK (value >= 0)
);
INSERT INTO campaign_result_revision (id, value) VALUES (1, 0);

CREATE TABLE campaign_channel_totals (
  campaign_id BLOB NOT NULL,
  channel TEXT NOT NULL,
  org_id BLOB NOT NULL,
  org_group BLOB NOT NULL,
  campaign_group BLOB NOT NULL,
  campaign_type TEXT NOT NULL,
  records INTEGER NOT NULL,
  reach INTEGER,
  clicks INTEGER,
  leads INTEGER,
  conversions INTEGER,
  spend REAL,
  revenue REAL,
  revision INTEGER NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  PRIMARY KEY (campaign_id, channel),

  CONSTRAINT campaign_channel_totals_channel_check CHECK (
    channel IN (
      'email', 'sms', 'linkedin', 'x', 'facebook', 'instagram', 'tiktok', 'youtube',
      'google_search', 'google_display', 'podcast', 'radio', 'web', 'direct_mail', 'events',
      'referral'
    )
  ),
  CONSTRAINT campaign_channel_totals_type_check CHECK (
    campaign_type IN (
      'lead_gen', 'brand_awareness', 'client_retention',
      're_engagement', 'upsell', 'referral'
    )
  ),
  CONSTRAINT campaign_channel_totals_records_check CHECK (records >= 1),
  CONSTRAINT campaign_channel_totals_counts_check CHECK (
    reach >= 0 AND clicks >= 0 AND leads >= 0 AND conversions >= 0
  ),
  CONSTRAINT campaign_channel_totals_amounts_check CHECK (spend >= 0 AND revenue >= 0),
  CONSTRAINT campaign_channel_totals_revision_check CHECK (revision >= 1),
  CONSTRAINT campaign_channel_totals_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);

CREATE INDEX idx_campaign_channel_totals_revision ON campaign_channel_totals(revision);
CREATE INDEX idx_campaign_channel_totals_org ON campaign_channel_totals(org_id, campaign_id);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS campaign_channel_totals;
DROP TABLE IF EXISTS campaign_result_revision;
DROP TABLE IF EXISTS campaign_results;
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
