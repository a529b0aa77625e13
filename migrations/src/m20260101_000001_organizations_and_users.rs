//! Organizations (tenants), users, memberships, and on PostgreSQL the `authenticated` role, the
//! `auth.uid()` shim the row-level-security policies use, RLS on these tables, and the functions
//! through which the application changes them.

use crate::run;
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
-- per-transaction settings Supabase's own function reads (`request.jwt.claim.sub`, or the `sub`
-- of `request.jwt.claims`), set with set_config(..., true).
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'auth' AND p.proname = 'uid'
  ) THEN
    CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $fn$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
        )::uuid
      $fn$;
    COMMENT ON FUNCTION auth.uid() IS 'ame shim: acting user from request.jwt.claim.sub';
  END IF;
END
$$;

GRANT USAGE ON SCHEMA auth TO authenticated;
GRANT EXECUTE ON FUNCTION auth.uid() TO authenticated;

CREATE TABLE organizations (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  name TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT organizations_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200)
);

CREATE TABLE users (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  email TEXT UNIQUE,
  is_service BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE user_organizations (
  user_id UUID NOT NULL,
  org_id UUID NOT NULL,
  role TEXT NOT NULL DEFAULT 'member',
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (user_id, org_id),
  CONSTRAINT user_organizations_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  CONSTRAINT user_organizations_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT user_organizations_org_fk FOREIGN KEY (org_id) REFERENCES organizations(id) ON DELETE CASCADE
);

CREATE INDEX idx_user_organizations_org ON user_organizations(org_id);

-- Row-level security: a user sees their own user record, their own memberships and the
-- organizations they belong to. Nobody writes these tables directly; the functions below do,
-- after checking the acting user's rights.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE user_organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_organizations FORCE ROW LEVEL SECURITY;

CREATE POLICY user_organizations_select ON user_organizations
  FOR SELECT TO authenticated
  USING (user_id = auth.uid());

CREATE POLICY organizations_select ON organizations
  FOR SELECT TO authenticated
  USING (id IN (
    SELECT org_id FROM user_organizations WHERE user_id = auth.uid()
  ));

CREATE POLICY users_select ON users
  FOR SELECT TO authenticated
  USING (id = auth.uid());

GRANT SELECT ON organizations, users, user_organizations TO authenticated;

-- The functions below run as their owner, who must see past row-level security.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'run AME migrations as a superuser or a BYPASSRLS role (current user: %)', current_user;
  END IF;
END
$$;

-- Creates an organization with its service principal: a user whose id is the organization's id
-- and whose only membership is that organization (as owner). Calls made on the organization's
-- behalf act as this principal, so row-level security always has a member to check. The id is
-- generated here, so no caller can claim the id of an existing or future user.
CREATE FUNCTION ame_create_organization(p_name text, p_at timestamptz) RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  new_id uuid := gen_random_uuid();
BEGIN
  INSERT INTO organizations (id, name, created_at, updated_at) VALUES (new_id, p_name, p_at, p_at);
  INSERT INTO users (id, email, is_service, created_at) VALUES (new_id, NULL, TRUE, p_at);
  INSERT INTO user_organizations (user_id, org_id, role, created_at) VALUES (new_id, new_id, 'owner', p_at);
  RETURN new_id;
END
$fn$;

-- Adds a member or changes their role. Only an owner or admin of the organization may, and only
-- an owner may grant ownership or change an owner's role; returns false (as for an unknown
-- organization) otherwise. Service principals never join other organizations.
CREATE FUNCTION ame_set_member(p_org uuid, p_user uuid, p_role text, p_at timestamptz) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  caller_role text;
  target_role text;
  target_is_service boolean;
BEGIN
  SELECT role INTO caller_role FROM user_organizations WHERE user_id = auth.uid() AND org_id = p_org;
  IF caller_role IS NULL OR caller_role NOT IN ('owner', 'admin') THEN
    RETURN FALSE;
  END IF;
  SELECT role INTO target_role FROM user_organizations WHERE user_id = p_user AND org_id = p_org;
  IF caller_role <> 'owner' AND (p_role = 'owner' OR target_role = 'owner') THEN
    RETURN FALSE;
  END IF;
  INSERT INTO users (id, email, is_service, created_at) VALUES (p_user, NULL, FALSE, p_at)
    ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
    RETURNING is_service INTO target_is_service;
  IF target_is_service THEN
    RAISE EXCEPTION 'a service principal cannot be a member of an organization'
      USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO user_organizations (user_id, org_id, role, created_at) VALUES (p_user, p_org, p_role, p_at)
    ON CONFLICT (user_id, org_id) DO UPDATE SET role = EXCLUDED.role;
  RETURN TRUE;
END
$fn$;

-- Deletes an organization (cascading to its campaigns, assets and memberships) and its service
-- principal. Only an owner may; returns false (as for an unknown organization) otherwise.
CREATE FUNCTION ame_delete_organization(p_org uuid) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM user_organizations WHERE user_id = auth.uid() AND org_id = p_org AND role = 'owner'
  ) THEN
    RETURN FALSE;
  END IF;
  DELETE FROM organizations WHERE id = p_org;
  DELETE FROM users WHERE id = p_org AND is_service;
  RETURN TRUE;
END
$fn$;

REVOKE ALL ON FUNCTION ame_create_organization(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ame_set_member(uuid, uuid, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ame_delete_organization(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_create_organization(text, timestamptz) TO authenticated;
GRANT EXECUTE ON FUNCTION ame_set_member(uuid, uuid, text, timestamptz) TO authenticated;
GRANT EXECUTE ON FUNCTION ame_delete_organization(uuid) TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP FUNCTION IF EXISTS ame_delete_organization(uuid);
DROP FUNCTION IF EXISTS ame_set_member(uuid, uuid, text, timestamptz);
DROP FUNCTION IF EXISTS ame_create_organization(text, timestamptz);
DROP POLICY IF EXISTS organizations_select ON organizations;
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
EXCEPTION WHEN undefined_function OR invalid_schema_name OR dependent_objects_still_exist THEN
  NULL;
END
$$;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE organizations (
  id BLOB PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  CONSTRAINT organizations_name_check CHECK (length(trim(name)) BETWEEN 1 AND 200)
);

CREATE TABLE users (
  id BLOB PRIMARY KEY NOT NULL,
  email TEXT UNIQUE,
  is_service INTEGER NOT NULL DEFAULT 0 CHECK (is_service IN (0, 1)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);

CREATE TABLE user_organizations (
  user_id BLOB NOT NULL,
  org_id BLOB NOT NULL,
  role TEXT NOT NULL DEFAULT 'member',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
  PRIMARY KEY (user_id, org_id),
  CONSTRAINT user_organizations_role_check CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  CONSTRAINT user_organizations_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT user_organizations_org_fk FOREIGN KEY (org_id) REFERENCES organizations(id) ON DELETE CASCADE
);

CREATE INDEX idx_user_organizations_org ON user_organizations(org_id);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS user_organizations;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS organizations;
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
