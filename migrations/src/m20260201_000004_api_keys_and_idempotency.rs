//! `api_keys` (organization API keys, stored only as SHA-256 hashes) and `idempotency_keys`
//! (the first response to each `Idempotency-Key`, so retries replay it instead of acting twice).
//!
//! On PostgreSQL both tables have forced row-level security: owners and admins of an organization
//! see and manage its keys; members see its idempotency records. A presented key is resolved
//! before any organization is known, so that one lookup runs through the security-definer
//! function `ame_authenticate_api_key`, which returns only the key's organization and role.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE api_keys (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  key_hash BYTEA NOT NULL UNIQUE,
  display_prefix TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  revoked_at TIMESTAMPTZ,
  CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  CONSTRAINT api_keys_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  CONSTRAINT api_keys_hash_check CHECK (octet_length(key_hash) = 32)
);

CREATE INDEX idx_api_keys_org ON api_keys(org_id, created_at DESC, id DESC);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;

CREATE POLICY api_keys_manage ON api_keys
  FOR ALL TO authenticated
  USING (org_id IN (
    SELECT org_id FROM user_organizations
    WHERE user_id = auth.uid() AND role IN ('owner', 'admin')
  ))
  WITH CHECK (org_id IN (
    SELECT org_id FROM user_organizations
    WHERE user_id = auth.uid() AND role IN ('owner', 'admin')
  ));

GRANT SELECT, INSERT, UPDATE ON api_keys TO authenticated;

-- Resolves a presented key (by its hash) to its organization and role; nothing for an unknown or
-- revoked key. The only read of api_keys that does not already know the organization.
CREATE FUNCTION ame_authenticate_api_key(p_hash bytea)
  RETURNS TABLE (key_id uuid, org_id uuid, role text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT k.id, k.org_id, k.role FROM api_keys k
  WHERE k.key_hash = p_hash AND k.revoked_at IS NULL
$fn$;

REVOKE ALL ON FUNCTION ame_authenticate_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_authenticate_api_key(bytea) TO authenticated;

CREATE TABLE idempotency_keys (
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  resource_id UUID NOT NULL,
  status_code INTEGER,
  response_body TEXT,
  locked_until TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (org_id, idempotency_key),
  CONSTRAINT idempotency_keys_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  CONSTRAINT idempotency_keys_response_check CHECK ((status_code IS NULL) = (response_body IS NULL))
);

CREATE INDEX idx_idempotency_keys_created ON idempotency_keys(created_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;

CREATE POLICY idempotency_keys_member ON idempotency_keys
  FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP TABLE IF EXISTS idempotency_keys;
DROP FUNCTION IF EXISTS ame_authenticate_api_key(bytea);
DROP TABLE IF EXISTS api_keys;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE api_keys (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  key_hash BLOB NOT NULL UNIQUE,
  display_prefix TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  revoked_at TEXT,
  CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  CONSTRAINT api_keys_name_check CHECK (length(trim(name)) BETWEEN 1 AND 200),
  CONSTRAINT api_keys_hash_check CHECK (length(key_hash) = 32)
);

CREATE INDEX idx_api_keys_org ON api_keys(org_id, created_at DESC, id DESC);

CREATE TABLE idempotency_keys (
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  resource_id BLOB NOT NULL,
  status_code INTEGER,
  response_body TEXT,
  locked_until TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  PRIMARY KEY (org_id, idempotency_key),
  CONSTRAINT idempotency_keys_key_check CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  CONSTRAINT idempotency_keys_response_check CHECK ((status_code IS NULL) = (response_body IS NULL))
);

CREATE INDEX idx_idempotency_keys_created ON idempotency_keys(created_at);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS idempotency_keys;
DROP TABLE IF EXISTS api_keys;
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
