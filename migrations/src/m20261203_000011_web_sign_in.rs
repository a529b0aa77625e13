//! Sign-in for people: passwords of local users and the dashboard's server-side sessions.
//!
//! - `user_passwords`: an argon2id hash (PHC string) per user. Nobody reads it directly; on
//!   PostgreSQL the sign-in lookup goes through the security-definer function `ame_login_lookup`,
//!   since the organization is not known before the user is.
//! - `web_sessions`: one row per signed-in browser, keyed by the SHA-256 of the session cookie
//!   (the cookie itself is never stored), with the organization the user is working in, the
//!   session's CSRF token and its expiry. A user reads and changes only their own sessions; the
//!   cookie lookup is the security-definer function `ame_web_session`.
//! - `ame_set_user_login` / `ame_remove_user_login`: an owner or admin gives a person (by email) a
//!   role and, optionally, a password; or removes them, ending their sessions in that organization.
//!   Neither may set the password of a person who also belongs to an organization the caller does
//!   not administer.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE UNIQUE INDEX idx_users_email_lower ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE user_passwords (
  user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  CONSTRAINT user_passwords_hash_check CHECK (password_hash LIKE '$argon2id$%')
);

ALTER TABLE user_passwords ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_passwords FORCE ROW LEVEL SECURITY;

CREATE TABLE web_sessions (
  id_hash BYTEA PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id UUID REFERENCES organizations(id) ON DELETE SET NULL,
  csrf_token TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  CONSTRAINT web_sessions_hash_check CHECK (octet_length(id_hash) = 32),
  CONSTRAINT web_sessions_expiry_check CHECK (expires_at > created_at)
);

CREATE INDEX idx_web_sessions_user ON web_sessions(user_id);

ALTER TABLE web_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE web_sessions FORCE ROW LEVEL SECURITY;

CREATE POLICY web_sessions_own ON web_sessions
  FOR ALL TO authenticated
  USING (user_id = (SELECT auth.uid()))
  WITH CHECK (user_id = (SELECT auth.uid()));

GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO authenticated;

-- The user and password hash behind an email address, for checking a sign-in.
CREATE FUNCTION ame_login_lookup(p_email text)
  RETURNS TABLE (user_id uuid, password_hash text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT u.id, p.password_hash FROM users u JOIN user_passwords p ON p.user_id = u.id
  WHERE lower(u.email) = lower(p_email) AND NOT u.is_service
$fn$;

-- A live session by the hash of its cookie.
CREATE FUNCTION ame_web_session(p_hash bytea, p_now timestamptz)
  RETURNS TABLE (user_id uuid, email text, org_id uuid, csrf_token text, created_at timestamptz, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT s.user_id, u.email, s.org_id, s.csrf_token, s.created_at, s.expires_at
  FROM web_sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id_hash = p_hash AND s.expires_at > p_now
$fn$;

-- Gives the person with `p_email` the role `p_role` in `p_org` (creating the user) and, when
-- `p_hash` is given, that password; a password is set only for a person whose every organization
-- the caller administers. NULL when the caller may not.
CREATE FUNCTION ame_set_user_login(p_org uuid, p_email text, p_hash text, p_role text, p_at timestamptz)
  RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  caller_role text;
  target uuid;
  target_role text;
BEGIN
  SELECT role INTO caller_role FROM user_organizations WHERE user_id = auth.uid() AND org_id = p_org;
  IF caller_role IS NULL OR caller_role NOT IN ('owner', 'admin') THEN
    RETURN NULL;
  END IF;
  SELECT id INTO target FROM users WHERE lower(email) = lower(p_email) AND NOT is_service;
  IF target IS NULL THEN
    target := gen_random_uuid();
    INSERT INTO users (id, email, is_service, created_at) VALUES (target, lower(p_email), FALSE, p_at);
  ELSIF p_hash IS NOT NULL AND EXISTS (
    SELECT 1 FROM user_organizations m WHERE m.user_id = target AND NOT EXISTS (
      SELECT 1 FROM user_organizations c
      WHERE c.user_id = auth.uid() AND c.org_id = m.org_id AND c.role IN ('owner', 'admin')
    )
  ) THEN
    RETURN NULL;
  END IF;
  SELECT role INTO target_role FROM user_organizations WHERE user_id = target AND org_id = p_org;
  IF caller_role <> 'owner' AND (p_role = 'owner' OR target_role = 'owner') THEN
    RETURN NULL;
  END IF;
  INSERT INTO user_organizations (user_id, org_id, role, created_at) VALUES (target, p_org, p_role, p_at)
    ON CONFLICT (user_id, org_id) DO UPDATE SET role = EXCLUDED.role;
  IF p_hash IS NOT NULL THEN
    INSERT INTO user_passwords (user_id, password_hash, updated_at) VALUES (target, p_hash, p_at)
      ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at;
    DELETE FROM web_sessions WHERE user_id = target;
  END IF;
  RETURN target;
END
$fn$;

-- Removes the person with `p_email` from `p_org` and ends their sessions there. False when the
-- caller may not or the person is no member.
CREATE FUNCTION ame_remove_user_login(p_org uuid, p_email text)
  RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  caller_role text;
  target uuid;
  target_role text;
BEGIN
  SELECT role INTO caller_role FROM user_organizations WHERE user_id = auth.uid() AND org_id = p_org;
  IF caller_role IS NULL OR caller_role NOT IN ('owner', 'admin') THEN
    RETURN FALSE;
  END IF;
  SELECT u.id, m.role INTO target, target_role FROM users u
    JOIN user_organizations m ON m.user_id = u.id AND m.org_id = p_org
    WHERE lower(u.email) = lower(p_email) AND NOT u.is_service;
  IF target IS NULL OR (target_role = 'owner' AND caller_role <> 'owner') THEN
    RETURN FALSE;
  END IF;
  DELETE FROM user_organizations WHERE user_id = target AND org_id = p_org;
  DELETE FROM web_sessions WHERE user_id = target AND (org_id = p_org OR org_id IS NULL);
  RETURN TRUE;
END
$fn$;

REVOKE ALL ON FUNCTION ame_login_lookup(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ame_web_session(bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ame_set_user_login(uuid, text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ame_remove_user_login(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_login_lookup(text) TO authenticated;
GRANT EXECUTE ON FUNCTION ame_web_session(bytea, timestamptz) TO authenticated;
GRANT EXECUTE ON FUNCTION ame_set_user_login(uuid, text, text, text, timestamptz) TO authenticated;
GRANT EXECUTE ON FUNCTION ame_remove_user_login(uuid, text) TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP FUNCTION IF EXISTS ame_remove_user_login(uuid, text);
DROP FUNCTION IF EXISTS ame_set_user_login(uuid, text, text, text, timestamptz);
DROP FUNCTION IF EXISTS ame_web_session(bytea, timestamptz);
DROP FUNCTION IF EXISTS ame_login_lookup(text);
DROP TABLE IF EXISTS web_sessions;
DROP TABLE IF EXISTS user_passwords;
DROP INDEX IF EXISTS idx_users_email_lower;
"#;

const SQLITE_UP: &str = r#"
CREATE UNIQUE INDEX idx_users_email_lower ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE user_passwords (
  user_id BLOB PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  updated_at TEXT NOT NULL
);

CREATE TABLE web_sessions (
  id_hash BLOB PRIMARY KEY CHECK (length(id_hash) = 32),
  user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id BLOB REFERENCES organizations(id) ON DELETE SET NULL,
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

CREATE INDEX idx_web_sessions_user ON web_sessions(user_id);
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS web_sessions;
DROP TABLE IF EXISTS user_passwords;
DROP INDEX IF EXISTS idx_users_email_lower;
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
