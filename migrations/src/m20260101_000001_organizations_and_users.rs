//! Organizations (tenants), users, memberships, and on PostgreSQL the `authenticated` role and
//! the `auth.uid()` shim the row-level-security policies use.

use crate::{is_postgres, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

CREATE SCHEMA IF NOT EXISTS auth;

-- On Supabase auth.uid() already exists and is left alone. Elsewhere this shim reads the same
-- per-transaction setting Supabase's own function reads: set_config('request.jwt.claim.sub', ..., true).
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'auth' AND p.proname = 'uid'
  ) THEN
    CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $fn$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $fn$;
    COMMENT ON FUNCTION auth.uid() IS 'ame shim: acting user from request.jwt.claim.sub';
  END IF;
END
$$;

GRANT USAGE ON SCHEMA auth TO authenticated;
GRANT EXECUTE ON FUNCTION auth.uid() TO authenticated;

CREATE TABLE IF NOT EXISTS organizations (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT organizations_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200)
);

CREATE TABLE IF NOT EXISTS users (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  email TEXT UNIQUE,
  is_service BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS user_organizations (
  user_id UUID NOT NULL,
  org_id UUID NOT NULL,
  role TEXT NOT NULL DEFAULT 'member',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (user_id, org_id),
  CONSTRAINT user_organizations_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  CONSTRAINT user_organizations_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT user_organizations_org_fk FOREIGN KEY (org_id) REFERENCES organizations(id) ON DELETE CASCADE
);

CREATE INDEX IF NOT EXISTS idx_user_organizations_org ON user_organizations(org_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, user_organizations TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP TABLE IF EXISTS user_organizations;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS organizations;

-- Drop the auth.uid() shim only if this migration created it (never Supabase's own).
DO $$
BEGIN
  IF obj_description('auth.uid()'::regprocedure, 'pg_proc') = 'ame shim: acting user from request.jwt.claim.sub' THEN
    REVOKE ALL ON SCHEMA auth FROM authenticated;
    DROP FUNCTION auth.uid();
    DROP SCHEMA IF EXISTS auth RESTRICT;
  END IF;
EXCEPTION WHEN undefined_function OR dependent_objects_still_exist THEN
  NULL;
END
$$;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE IF NOT EXISTS organizations (
  id BLOB PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT organizations_name_check CHECK (length(trim(name)) BETWEEN 1 AND 200)
);

CREATE TABLE IF NOT EXISTS users (
  id BLOB PRIMARY KEY NOT NULL,
  email TEXT UNIQUE,
  is_service INTEGER NOT NULL DEFAULT 0 CHECK (is_service IN (0, 1)),
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE IF NOT EXISTS user_organizations (
  user_id BLOB NOT NULL,
  org_id BLOB NOT NULL,
  role TEXT NOT NULL DEFAULT 'member',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (user_id, org_id),
  CONSTRAINT user_organizations_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  CONSTRAINT user_organizations_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT user_organizations_org_fk FOREIGN KEY (org_id) REFERENCES organizations(id) ON DELETE CASCADE
);

CREATE INDEX IF NOT EXISTS idx_user_organizations_org ON user_organizations(org_id);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS user_organizations;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS organizations;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            if is_postgres(manager) {
                POSTGRES_UP
            } else {
                SQLITE_UP
            },
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            if is_postgres(manager) {
                POSTGRES_DOWN
            } else {
                SQLITE_DOWN
            },
        )
        .await
    }
}
