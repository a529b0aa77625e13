//! API key lifecycle and the audit log.
//!
//! - `api_keys` gains who issued the key (`issued_by_user`: the person at the root of the chain
//!   of issuers, `NULL` for keys issued from the command line; `issued_by_key`: the key that
//!   issued it, if one did), an optional `expires_at` and `last_used_at`.
//! - `ame_authenticate_api_key` (PostgreSQL) now also returns the issuing user and the expiry,
//!   and stamps `last_used_at` (at most once a minute per key, so authentication stays cheap).
//! - `audit_events`: who did what to which record, when, and under which request id: key,
//!   membership, brand, status and deletion events. Members of the organization append them;
//!   only owners and admins read them; nobody changes or deletes them.
//! - `ame_remove_member` (PostgreSQL): removes a member, as `ame_set_member` changes one.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE api_keys ADD COLUMN issued_by_user UUID;
ALTER TABLE api_keys ADD COLUMN issued_by_key UUID;
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_expiry_check CHECK (expires_at IS NULL OR expires_at > created_at);

DROP FUNCTION IF EXISTS ame_authenticate_api_key(bytea);
CREATE FUNCTION ame_authenticate_api_key(p_hash bytea)
  RETURNS TABLE (key_id uuid, org_id uuid, role text, issued_by_user uuid, expires_at timestamptz)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
BEGIN
  UPDATE api_keys k SET last_used_at = now()
  WHERE k.key_hash = p_hash AND k.revoked_at IS NULL
    AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
  RETURN QUERY
    SELECT k.id, k.org_id, k.role, k.issued_by_user, k.expires_at FROM api_keys k
    WHERE k.key_hash = p_hash AND k.revoked_at IS NULL;
END
$fn$;
REVOKE ALL ON FUNCTION ame_authenticate_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_authenticate_api_key(bytea) TO authenticated;

CREATE TABLE audit_events (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  actor_kind TEXT NOT NULL,
  actor_id UUID,
  action TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id UUID,
  request_id TEXT,
  details JSONB NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT audit_events_actor_check CHECK (actor_kind IN ('api_key', 'user', 'command_line')),
  CONSTRAINT audit_events_details_check CHECK (jsonb_typeof(details) = 'object')
);

CREATE INDEX idx_audit_events_org ON audit_events(org_id, at DESC, id DESC);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;

CREATE POLICY audit_events_read ON audit_events
  FOR SELECT TO authenticated
  USING (org_id IN (
    SELECT org_id FROM user_organizations
    WHERE user_id = auth.uid() AND role IN ('owner', 'admin')
  ));

CREATE POLICY audit_events_append ON audit_events
  FOR INSERT TO authenticated
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));

GRANT SELECT, INSERT ON audit_events TO authenticated;

-- Removes a member. Owners and admins may; only an owner removes an owner. Returns false (as for
-- an unknown organization or member) otherwise.
CREATE FUNCTION ame_remove_member(p_org uuid, p_user uuid) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  caller_role text;
  target_role text;
BEGIN
  SELECT role INTO caller_role FROM user_organizations WHERE user_id = auth.uid() AND org_id = p_org;
  IF caller_role IS NULL OR caller_role NOT IN ('owner', 'admin') THEN
    RETURN FALSE;
  END IF;
  SELECT role INTO target_role FROM user_organizations WHERE user_id = p_user AND org_id = p_org;
  IF target_role IS NULL OR (target_role = 'owner' AND caller_role <> 'owner') THEN
    RETURN FALSE;
  END IF;
  DELETE FROM user_organizations WHERE user_id = p_user AND org_id = p_org;
  RETURN TRUE;
END
$fn$;
REVOKE ALL ON FUNCTION ame_remove_member(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_remove_member(uuid, uuid) TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP FUNCTION IF EXISTS ame_remove_member(uuid, uuid);
DROP TABLE IF EXISTS audit_events;
DROP FUNCTION IF EXISTS ame_authenticate_api_key(bytea);
CREATE FUNCTION ame_authenticate_api_key(p_hash bytea)
  RETURNS TABLE (key_id uuid, org_id uuid, role text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT k.id, k.org_id, k.role FROM api_keys k
  WHERE k.key_hash = p_hash AND k.revoked_at IS NULL
$fn$;
REVOKE ALL ON FUNCTION ame_authenticate_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_authenticate_api_key(bytea) TO authenticated;
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_expiry_check;
ALTER TABLE api_keys DROP COLUMN IF EXISTS last_used_at;
ALTER TABLE api_keys DROP COLUMN IF EXISTS expires_at;
ALTER TABLE api_keys DROP COLUMN IF EXISTS issued_by_key;
ALTER TABLE api_keys DROP COLUMN IF EXISTS issued_by_user;
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE api_keys ADD COLUMN issued_by_user BLOB;
ALTER TABLE api_keys ADD COLUMN issued_by_key BLOB;
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;

CREATE TABLE audit_events (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  actor_kind TEXT NOT NULL CHECK (actor_kind IN ('api_key', 'user', 'command_line')),
  actor_id BLOB,
  action TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id BLOB,
  request_id TEXT,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_type(details) = 'object')
);

CREATE INDEX idx_audit_events_org ON audit_events(org_id, at DESC, id DESC);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS audit_events;
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys DROP COLUMN expires_at;
ALTER TABLE api_keys DROP COLUMN issued_by_key;
ALTER TABLE api_keys DROP COLUMN issued_by_user;
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
