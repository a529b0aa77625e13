//! An organization's sending state: how many sends in a row failed on the sending side
//! (connecting, logging in, MAIL FROM, a refusal not about the recipient) and, once too many
//! did, when sending paused. A send that goes through resets the count; only an operator's
//! resume ends a pause. One row per organization, created on its first failure.
//!
//! `sending_domains`: an organization's own sender (display name, address, reply-to) and the
//! DKIM key its messages are signed with (the private key is never shown by the API).
//!
//! Also: a job settled `done` clears the error of an earlier attempt (`ame_settle_job`).

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE sending_states (
  org_id UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  last_error TEXT,
  paused_at TIMESTAMPTZ,
  updated_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE sending_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE sending_states FORCE ROW LEVEL SECURITY;
CREATE POLICY sending_states_member ON sending_states FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON sending_states TO authenticated;

CREATE TABLE sending_domains (
  org_id UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  from_name TEXT NOT NULL CHECK (length(from_name) BETWEEN 1 AND 100),
  from_address TEXT NOT NULL CHECK (length(from_address) BETWEEN 3 AND 254),
  reply_to TEXT CHECK (reply_to IS NULL OR length(reply_to) BETWEEN 3 AND 254),
  dkim_selector TEXT NOT NULL CHECK (length(dkim_selector) BETWEEN 1 AND 63),
  dkim_algorithm TEXT NOT NULL CHECK (dkim_algorithm IN ('rsa', 'ed25519')),
  dkim_private_key TEXT NOT NULL,
  dkim_public_key TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE sending_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE sending_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY sending_domains_member ON sending_domains FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON sending_domains TO authenticated;

-- A job done clears the error of an earlier attempt.
-- Settles a claimed job in one round trip: only the worker holding it in this attempt may
-- (the fence is id, state running, worker id and attempt number). `p_state` `running` extends
-- the lease to `p_run_at` (a heartbeat); `queued` puts it back uncounted (a postponement);
-- `done`, `failed` (retry at `p_run_at`) and `dead` end the attempt. Returns whether it held.
CREATE OR REPLACE FUNCTION ame_settle_job(p_id uuid, p_worker text, p_attempts integer, p_state text,
  p_run_at timestamptz, p_error text, p_now timestamptz) RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  WITH settled AS (
    UPDATE jobs SET
      state = p_state,
      run_at = p_run_at,
      attempts = CASE WHEN p_state = 'queued' THEN attempts - 1 ELSE attempts END,
      last_error = CASE WHEN p_state = 'done' THEN NULL ELSE COALESCE(p_error, last_error) END,
      lease_expires_at = CASE WHEN p_state = 'running' THEN p_run_at END,
      finished_at = CASE WHEN p_state IN ('done', 'dead') THEN p_now END,
      updated_at = CASE WHEN p_state = 'running' THEN updated_at ELSE p_now END
    WHERE id = p_id AND state = 'running' AND worker_id = p_worker AND attempts = p_attempts
      AND p_state IN ('running', 'queued', 'done', 'failed', 'dead')
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM settled)
$fn$;
"#;

const POSTGRES_DOWN: &str = r#"
DROP TABLE IF EXISTS sending_domains;
DROP TABLE IF EXISTS sending_states;

-- Settles a claimed job in one round trip: only the worker holding it in this attempt may
-- (the fence is id, state running, worker id and attempt number). `p_state` `running` extends
-- the lease to `p_run_at` (a heartbeat); `queued` puts it back uncounted (a postponement);
-- `done`, `failed` (retry at `p_run_at`) and `dead` end the attempt. Returns whether it held.
CREATE OR REPLACE FUNCTION ame_settle_job(p_id uuid, p_worker text, p_attempts integer, p_state text,
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
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE sending_states (
  org_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  last_error TEXT,
  paused_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE TABLE sending_domains (
  org_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  from_name TEXT NOT NULL CHECK (length(from_name) BETWEEN 1 AND 100),
  from_address TEXT NOT NULL CHECK (length(from_address) BETWEEN 3 AND 254),
  reply_to TEXT CHECK (reply_to IS NULL OR length(reply_to) BETWEEN 3 AND 254),
  dkim_selector TEXT NOT NULL CHECK (length(dkim_selector) BETWEEN 1 AND 63),
  dkim_algorithm TEXT NOT NULL CHECK (dkim_algorithm IN ('rsa', 'ed25519')),
  dkim_private_key TEXT NOT NULL,
  dkim_public_key TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS sending_domains;
DROP TABLE IF EXISTS sending_states;
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
