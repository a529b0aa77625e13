//! Consent records. `consent_events`: every change of a contact's consent, with when, where it
//! came from and (for a form) which page, so an export can show the whole history.
//! `opt_in_requests` (double opt-in): a landing-page sign-up that must be confirmed by email
//! waits here, with when, where (campaign and page) and a keyed hash of the address it was for,
//! until its owner confirms it (the address is then forgotten here) or it expires. The
//! confirmation link carries the request's random id with a MAC, so no token is stored.
//! The application may now delete a contact's landing-page forms (its erasure does).

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE consent_events (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL,
  contact_id UUID NOT NULL,
  consent TEXT NOT NULL,
  source TEXT NOT NULL,
  form TEXT,
  at TIMESTAMPTZ NOT NULL,
  CONSTRAINT consent_events_consent_check CHECK (consent IN ('subscribed', 'unsubscribed', 'bounced', 'complained')),
  CONSTRAINT consent_events_contact_org_fk
    FOREIGN KEY (contact_id, org_id) REFERENCES contacts(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_consent_events_contact ON consent_events(contact_id, at);

ALTER TABLE consent_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE consent_events FORCE ROW LEVEL SECURITY;
CREATE POLICY consent_events_member ON consent_events FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON consent_events TO authenticated;

CREATE TABLE opt_in_requests (
  id UUID PRIMARY KEY,
  org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  campaign_id UUID NOT NULL,
  page_slug TEXT NOT NULL,
  address_hash TEXT NOT NULL,
  email TEXT,
  first_name TEXT,
  message_id TEXT NOT NULL,
  requested_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  confirmed_at TIMESTAMPTZ,
  contact_id UUID,
  CONSTRAINT opt_in_requests_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_opt_in_requests_address ON opt_in_requests(org_id, address_hash);

ALTER TABLE opt_in_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE opt_in_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY opt_in_requests_member ON opt_in_requests FOR ALL TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()))
  WITH CHECK (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON opt_in_requests TO authenticated;

-- Erasing a contact deletes the landing-page forms it submitted.
CREATE POLICY landing_page_leads_erase ON landing_page_leads FOR DELETE TO authenticated
  USING (org_id IN (SELECT org_id FROM user_organizations WHERE user_id = auth.uid()));
GRANT DELETE ON landing_page_leads TO authenticated;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE consent_events (
  id BLOB PRIMARY KEY,
  org_id BLOB NOT NULL,
  contact_id BLOB NOT NULL,
  consent TEXT NOT NULL CHECK (consent IN ('subscribed', 'unsubscribed', 'bounced', 'complained')),
  source TEXT NOT NULL,
  form TEXT,
  at TEXT NOT NULL,
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_consent_events_contact ON consent_events(contact_id, at);

CREATE TABLE opt_in_requests (
  id BLOB PRIMARY KEY,
  org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  campaign_id BLOB NOT NULL,
  page_slug TEXT NOT NULL,
  address_hash TEXT NOT NULL,
  email TEXT,
  first_name TEXT,
  message_id TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  confirmed_at TEXT,
  contact_id BLOB,
  CONSTRAINT opt_in_requests_campaign_org_fk
    FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);
CREATE INDEX idx_opt_in_requests_address ON opt_in_requests(org_id, address_hash);
"#;

const POSTGRES_DOWN: &str = r#"
REVOKE DELETE ON landing_page_leads FROM authenticated;
DROP POLICY IF EXISTS landing_page_leads_erase ON landing_page_leads;
DROP TABLE IF EXISTS opt_in_requests;
DROP TABLE IF EXISTS consent_events;
"#;

const SQLITE_DOWN: &str = r#"
DROP TABLE IF EXISTS opt_in_requests;
DROP TABLE IF EXISTS consent_events;
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
