//! Execution: contacts, segments, the job queue, the delivery ledger, webhook connectors and
//! tracking events, plus a campaign's audience and send window.
//!
//! - `contacts`: one row per person an organization may write to, unique per organization by
//!   the lower-cased email (`email_key`). Erasing a contact clears every personal field and keeps
//!   the row, so deliveries and counts stay whole.
//! - `segments`: saved filters over consent and attributes.
//! - `jobs`: the durable queue. `run_at` is when a job is next looked at: when it is due while
//!   `queued` or `failed` (waiting to retry), and when its lease runs out while `running`, so one
//!   index serves both claiming and rescuing. `(org_id, kind, dedupe_key)` is unique.
//!   On PostgreSQL `ame_claim_jobs` claims across organizations with `FOR UPDATE SKIP LOCKED`
//!   (the only cross-tenant access a worker has); everything else a job does runs as its
//!   organization.
//! - `deliveries`: the ledger, one row per (campaign, step, contact) with the asset version used.
//! - `connectors`: Standard Webhooks endpoints that publish posts and ads.
//! - `tracking_events`: clicks, page views, leads and conversions, per campaign, asset and
//!   variant, and per contact where known.
//! - `send_quota`: messages taken per organization and clock minute, incremented atomically, so
//!   the send rate holds across every worker process.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE marketing_campaigns ADD COLUMN audience JSONB;
ALTER TABLE marketing_campaigns ADD COLUMN send_window JSONB;

CREATE TABLE contacts (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email TEXT,
  email_key TEXT,
  first_name TEXT,
  time_zone TEXT,
  locale TEXT,
  attributes JSONB NOT NULL DEFAULT '{}'::jsonb,
  consent TEXT NOT NULL,
  consent_source TEXT NOT NULL,
  consent_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  erased_at TIMESTAMPTZ,
  CONSTRAINT contacts_org_email_key UNIQUE (org_id, email_key),
  CONSTRAINT contacts_id_org_key UNIQUE (id, org_id),
  CONSTRAINT contacts_consent_check CHECK (consent IN ('subscribed', 'unsubscribed', 'bounced', 'complained')),
  CONSTRAINT contacts_attributes_check CHECK (jsonb_typeof(attributes) = 'object'),
  CONSTRAINT contacts_email_check CHECK ((email IS NULL) = (email_key IS NULL))
);
CREATE INDEX idx_contacts_org_created ON contacts(org_id, created_at DESC, id DESC);

CREATE TABLE segments (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  filter JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT segments_id_org_key UNIQUE (id, org_id),
  CONSTRAINT segments_filter_check CHECK (jsonb_typeof(filter) = 'object')
);
CREATE INDEX idx_segments_org ON segments(org_id, created_at DESC, id DESC);

CREATE TABLE jobs (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  campaign_id UUID,
  dedupe_key TEXT NOT NULL,
  payload JSONB NOT NULL DEFAULT '{}'::jsonb,
  state TEXT NOT NULL DEFAULT 'queued',
  run_at TIMESTAMPTZ NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  lease_expires_at TIMESTAMPTZ,
  worker_id TEXT,
  last_error TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  finished_at TIMESTAMPTZ,
  CONSTRAINT jobs_dedupe_key UNIQUE (org_id, kind, dedupe_key),
  CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead', 'cancelled')),
  CONSTRAINT jobs_attempts_check CHECK (attempts >= 0 AND max_attempts >= 1),
  CONSTRAINT jobs_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_jobs_due ON jobs(run_at) WHERE state IN ('queued', 'failed', 'running');
CREATE INDEX idx_jobs_leases ON jobs(run_at) WHERE state = 'running';
CREATE INDEX idx_jobs_org_state ON jobs(org_id, state, updated_at DESC, id DESC);
CREATE INDEX idx_jobs_campaign ON jobs(campaign_id, state) WHERE campaign_id IS NOT NULL;

CREATE TABLE deliveries (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  asset_id UUID NOT NULL,
  step INTEGER NOT NULL,
  contact_id UUID NOT NULL,
  message_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  due_at TIMESTAMPTZ NOT NULL,
  subject_variant INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  sent_at TIMESTAMPTZ,
  CONSTRAINT deliveries_step_key UNIQUE (campaign_id, step, contact_id),
  CONSTRAINT deliveries_state_check CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'suppressed', 'cancelled')),
  CONSTRAINT deliveries_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE,
  CONSTRAINT deliveries_contact_org_fk
    FOREIGN KEY (contact_id, org_id) REFERENCES contacts(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_deliveries_org_sent ON deliveries(org_id, sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX idx_deliveries_campaign ON deliveries(campaign_id, state);
CREATE INDEX idx_deliveries_contact ON deliveries(contact_id);

CREATE TABLE connectors (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  channels JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  disabled_at TIMESTAMPTZ,
  disabled_reason TEXT,
  CONSTRAINT connectors_id_org_key UNIQUE (id, org_id),
  CONSTRAINT connectors_channels_check CHECK (jsonb_typeof(channels) = 'array')
);
CREATE INDEX idx_connectors_org ON connectors(org_id, created_at DESC, id DESC);

CREATE TABLE tracking_events (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL,
  campaign_id UUID NOT NULL,
  asset_id UUID,
  variant INTEGER,
  contact_id UUID,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  value NUMERIC(14, 2),
  occurred_at TIMESTAMPTZ NOT NULL,
  CONSTRAINT tracking_events_kind_check CHECK (kind IN ('click', 'view', 'lead', 'conversion')),
  CONSTRAINT tracking_events_value_check CHECK (value IS NULL OR value >= 0),
  CONSTRAINT tracking_events_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_tracking_events_campaign ON tracking_events(campaign_id, occurred_at);
CREATE INDEX idx_tracking_events_contact ON tracking_events(contact_id, campaign_id) WHERE contact_id IS NOT NULL;

ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
ALTER TABLE segments ENABLE ROW LEVEL SECURITY;
ALTER TABLE segments FORCE ROW LEVEL SECURITY;
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
ALTER TABLE deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE deliveries FORCE ROW LEVEL SECURITY;
ALTER TABLE connectors ENABLE ROW LEVEL SECURITY;
ALTER TABLE connectors FORCE ROW LEVEL SECURITY;
ALTER TABLE tracking_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE tracking_events FORCE ROW LEVEL SECURITY;

CREATE POLICY contacts_member ON contacts FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY segments_member ON segments FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY jobs_member ON jobs FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY deliveries_member ON deliveries FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY connectors_member ON connectors FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
CREATE POLICY tracking_events_member ON tracking_events FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));

GRANT SELECT, INSERT, UPDATE, DELETE ON contacts, segments, jobs, deliveries, connectors TO authenticated;
GRANT SELECT, INSERT ON tracking_events TO authenticated;

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

-- Claims up to p_limit due jobs of any organization for p_worker, leasing each until
-- p_now + p_lease_seconds. A running job whose lease ran out is claimed again (rescued) unless it
-- used its last attempt, in which case it becomes dead. Rows another worker is claiming are
-- skipped, never waited for.
CREATE FUNCTION ame_claim_jobs(p_worker text, p_limit integer, p_lease_seconds integer, p_now timestamptz)
  RETURNS SETOF jobs
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
BEGIN
  UPDATE jobs SET state = 'dead', finished_at = p_now, updated_at = p_now, lease_expires_at = NULL,
    last_error = 'the worker holding it stopped during its last attempt' ||
      COALESCE(' (earlier: ' || last_error || ')', '')
  WHERE id IN (
    SELECT id FROM jobs
    WHERE state = 'running' AND run_at <= p_now AND attempts >= max_attempts
    FOR UPDATE SKIP LOCKED
  );
  RETURN QUERY
  UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, worker_id = p_worker,
    run_at = p_now + make_interval(secs => p_lease_seconds),
    lease_expires_at = p_now + make_interval(secs => p_lease_seconds), updated_at = p_now
  FROM (
    SELECT id FROM jobs
    WHERE state IN ('queued', 'failed', 'running') AND run_at <= p_now
    ORDER BY run_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  ) picked
  WHERE j.id = picked.id
  RETURNING j.*;
END
$fn$;
REVOKE ALL ON FUNCTION ame_claim_jobs(text, integer, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_claim_jobs(text, integer, integer, timestamptz) TO authenticated;

-- Settles a claimed job in one round trip: only the worker holding it in this attempt may
-- (the fence is id, state running, worker id and attempt number). `p_state` `running` extends
-- the lease to `p_run_at` (a heartbeat); `queued` puts it back uncounted (a postponement);
-- `done`, `failed` (retry at `p_run_at`) and `dead` end the attempt. Returns whether it held.
CREATE FUNCTION ame_settle_job(p_id uuid, p_worker text, p_attempts integer, p_state text,
  p_run_at timestamptz, p_error text, p_now timestamptz) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  WITH settled AS (
    UPDATE jobs SET
      state = p_state,
      run_at = p_run_at,
      attempts = CASE WHEN p_state = 'queued' THEN attempts - 1 ELSE attempts END,
      last_error = COALESCE(p_error, last_error),
      lease_expires_at = CASE WHEN p_state = 'running' THEN p_run_at END,
      finished_at = CASE WHEN p_state IN ('done', 'dead') THEN p_now END,
      updated_at = CASE WHEN p_state = 'running' THEN updated_at ELSE p_now END
    WHERE id = p_id AND state = 'running' AND worker_id = p_worker AND attempts = p_attempts
      AND p_state IN ('running', 'queued', 'done', 'failed', 'dead')
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM settled)
$fn$;
REVOKE ALL ON FUNCTION ame_settle_job(uuid, text, integer, text, timestamptz, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_settle_job(uuid, text, integer, text, timestamptz, text, timestamptz) TO authenticated;

-- How many jobs are in each (kind, state), across organizations: counts only, for /metrics.
CREATE FUNCTION ame_job_depth() RETURNS TABLE (kind text, state text, n bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT j.kind, j.state, COUNT(*) FROM jobs j GROUP BY j.kind, j.state
$fn$;
REVOKE ALL ON FUNCTION ame_job_depth() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_job_depth() TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP TABLE IF EXISTS send_quota;
DROP FUNCTION IF EXISTS ame_job_depth();
DROP FUNCTION IF EXISTS ame_settle_job(uuid, text, integer, text, timestamptz, text, timestamptz);
DROP FUNCTION IF EXISTS ame_claim_jobs(text, integer, integer, timestamptz);
DROP TABLE IF EXISTS tracking_events;
DROP TABLE IF EXISTS connectors;
DROP TABLE IF EXISTS deliveries;
DROP TABLE IF EXISTS jobs;
DROP TABLE IF EXISTS segments;
DROP TABLE IF EXISTS contacts;
ALTER TABLE marketing_campaigns DROP COLUMN IF EXISTS send_window;
ALTER TABLE marketing_campaigns DROP COLUMN IF EXISTS audience;
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE marketing_campaigns ADD COLUMN audience TEXT;
ALTER TABLE marketing_campaigns ADD COLUMN send_window TEXT;

CREATE TABLE contacts (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email TEXT,
  email_key TEXT,
  first_name TEXT,
  time_zone TEXT,
  locale TEXT,
  attributes TEXT NOT NULL DEFAULT '{}' CHECK (json_type(attributes) = 'object'),
  consent TEXT NOT NULL CHECK (consent IN ('subscribed', 'unsubscribed', 'bounced', 'complained')),
  consent_source TEXT NOT NULL,
  consent_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  erased_at TEXT,
  UNIQUE (org_id, email_key),
  UNIQUE (id, org_id),
  CHECK ((email IS NULL) = (email_key IS NULL))
);
CREATE INDEX idx_contacts_org_created ON contacts(org_id, created_at DESC, id DESC);

CREATE TABLE segments (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  filter TEXT NOT NULL CHECK (json_type(filter) = 'object'),
  created_at TEXT NOT NULL,
  UNIQUE (id, org_id)
);
CREATE INDEX idx_segments_org ON segments(org_id, created_at DESC, id DESC);

CREATE TABLE jobs (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  campaign_id BLOB,
  dedupe_key TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'dead', 'cancelled')),
  run_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  lease_expires_at TEXT,
  worker_id TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  finished_at TEXT,
  UNIQUE (org_id, kind, dedupe_key),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_jobs_due ON jobs(run_at) WHERE state IN ('queued', 'failed', 'running');
CREATE INDEX idx_jobs_leases ON jobs(run_at) WHERE state = 'running';
CREATE INDEX idx_jobs_org_state ON jobs(org_id, state, updated_at DESC, id DESC);
CREATE INDEX idx_jobs_campaign ON jobs(campaign_id, state) WHERE campaign_id IS NOT NULL;

CREATE TABLE deliveries (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  asset_id BLOB NOT NULL,
  step INTEGER NOT NULL,
  contact_id BLOB NOT NULL,
  message_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'suppressed', 'cancelled')),
  due_at TEXT NOT NULL,
  subject_variant INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  UNIQUE (campaign_id, step, contact_id),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_deliveries_org_sent ON deliveries(org_id, sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX idx_deliveries_campaign ON deliveries(campaign_id, state);
CREATE INDEX idx_deliveries_contact ON deliveries(contact_id);

CREATE TABLE connectors (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  channels TEXT NOT NULL CHECK (json_type(channels) = 'array'),
  created_at TEXT NOT NULL,
  disabled_at TEXT,
  disabled_reason TEXT,
  UNIQUE (id, org_id)
);
CREATE INDEX idx_connectors_org ON connectors(org_id, created_at DESC, id DESC);

CREATE TABLE tracking_events (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  asset_id BLOB,
  variant INTEGER,
  contact_id BLOB,
  kind TEXT NOT NULL CHECK (kind IN ('click', 'view', 'lead', 'conversion')),
  channel TEXT NOT NULL,
  value REAL CHECK (value IS NULL OR value >= 0),
  occurred_at TEXT NOT NULL,
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_tracking_events_campaign ON tracking_events(campaign_id, occurred_at);
CREATE INDEX idx_tracking_events_contact ON tracking_events(contact_id, campaign_id) WHERE contact_id IS NOT NULL;

CREATE TABLE send_quota (
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  minute TEXT NOT NULL,
  taken INTEGER NOT NULL,
  PRIMARY KEY (org_id, minute)
);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS send_quota;
DROP TABLE IF EXISTS tracking_events;
DROP TABLE IF EXISTS connectors;
DROP TABLE IF EXISTS deliveries;
DROP TABLE IF EXISTS jobs;
DROP TABLE IF EXISTS segments;
DROP TABLE IF EXISTS contacts;
ALTER TABLE marketing_campaigns DROP COLUMN send_window;
ALTER TABLE marketing_campaigns DROP COLUMN audience;
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
