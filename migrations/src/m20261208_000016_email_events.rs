//! Tracking events also record what happens to a campaign's email after it leaves: a contact
//! unsubscribing through its link (`unsubscribe`), a recipient's mail server refusing it for
//! good (`bounce`) and a recipient reporting it as spam (`complaint`). A campaign's bounce,
//! complaint and unsubscribe rates are counted from them.
//!
//! SQLite cannot change a CHECK constraint in place, so its table is rebuilt: created under a
//! new name, filled, the old one dropped and the new one renamed, with its indexes made again.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE tracking_events DROP CONSTRAINT tracking_events_kind_check;
ALTER TABLE tracking_events ADD CONSTRAINT tracking_events_kind_check
  CHECK (kind IN ('click', 'view', 'lead', 'conversion', 'unsubscribe', 'bounce', 'complaint'));
"#;

const POSTGRES_DOWN: &str = r#"
DELETE FROM tracking_events WHERE kind IN ('unsubscribe', 'bounce', 'complaint');
ALTER TABLE tracking_events DROP CONSTRAINT tracking_events_kind_check;
ALTER TABLE tracking_events ADD CONSTRAINT tracking_events_kind_check
  CHECK (kind IN ('click', 'view', 'lead', 'conversion'));
"#;

/// The SQLite table with the given list of kinds, created as `tracking_events_rebuilt`, filled
/// from `tracking_events` (rows of other kinds left out) and renamed over it.
fn sqlite_rebuild(kinds: &str) -> String {
    format!(
        r#"
CREATE TABLE tracking_events_rebuilt (
  id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  asset_id BLOB,
  variant INTEGER,
  contact_id BLOB,
  kind TEXT NOT NULL CHECK (kind IN ({kinds})),
  channel TEXT NOT NULL,
  value REAL CHECK (value IS NULL OR value >= 0),
  occurred_at TEXT NOT NULL,
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE
);
INSERT INTO tracking_events_rebuilt
  (id, org_id, campaign_id, asset_id, variant, contact_id, kind, channel, value, occurred_at)
  SELECT id, org_id, campaign_id, asset_id, variant, contact_id, kind, channel, value, occurred_at
  FROM tracking_events WHERE kind IN ({kinds});
DROP TABLE tracking_events;
ALTER TABLE tracking_events_rebuilt RENAME TO tracking_events;
CREATE INDEX idx_tracking_events_campaign ON tracking_events(campaign_id, occurred_at);
CREATE INDEX idx_tracking_events_contact ON tracking_events(contact_id, campaign_id) WHERE contact_id IS NOT NULL;
"#
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = sqlite_rebuild(
            "'click', 'view', 'lead', 'conversion', 'unsubscribe', 'bounce', 'complaint'",
        );
        run(manager, POSTGRES_UP, &sqlite).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = sqlite_rebuild("'click', 'view', 'lead', 'conversion'");
        run(manager, POSTGRES_DOWN, &sqlite).await
    }
}
