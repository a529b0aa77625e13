//! The delivery ledger names each row's channel (`email` for every row so far), and a contact
//! gets one row per campaign, channel and step, so a direct-to-contact channel besides email
//! keeps its own ledger rows. SQLite rebuilds the table to change its unique key.

use crate::{SqliteRebuild, run};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
ALTER TABLE deliveries ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_step_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_step_key
  UNIQUE (campaign_id, channel, step, contact_id);
"#;

const POSTGRES_DOWN: &str = r#"
DELETE FROM deliveries WHERE channel <> 'email';
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_step_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_step_key UNIQUE (campaign_id, step, contact_id);
ALTER TABLE deliveries DROP COLUMN channel;
"#;

/// Every column but `channel`, as both versions of the table have them.
const COMMON_COLUMNS: &str = "id, org_id, campaign_id, asset_id, step, contact_id, message_id, \
     state, due_at, subject_variant, attempts, last_error, created_at, updated_at, sent_at";

/// The SQLite definition, with the unique key given.
fn definition(channel_column: &str, unique: &str) -> String {
    format!(
        "id BLOB PRIMARY KEY NOT NULL,
  org_id BLOB NOT NULL,
  campaign_id BLOB NOT NULL,
  asset_id BLOB NOT NULL,
  step INTEGER NOT NULL,
  contact_id BLOB NOT NULL,
  {channel_column}
  message_id TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'suppressed', 'cancelled')),
  due_at TEXT NOT NULL,
  subject_variant INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  UNIQUE ({unique}),
  FOREIGN KEY (campaign_id, org_id) REFERENCES marketing_campaigns(id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts(id, org_id) ON DELETE CASCADE"
    )
}

const INDEXES: [&str; 4] = [
    "CREATE INDEX idx_deliveries_org_sent ON deliveries(org_id, sent_at) WHERE sent_at IS NOT NULL",
    "CREATE INDEX idx_deliveries_campaign ON deliveries(campaign_id, state)",
    "CREATE INDEX idx_deliveries_contact ON deliveries(contact_id)",
    "CREATE INDEX idx_deliveries_message_id ON deliveries(message_id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let with_channel = definition(
            "channel TEXT NOT NULL DEFAULT 'email',",
            "campaign_id, channel, step, contact_id",
        );
        let columns = format!("{COMMON_COLUMNS}, channel");
        let select = format!("{COMMON_COLUMNS}, 'email'");
        let sqlite = SqliteRebuild {
            table: "deliveries",
            definition: &with_channel,
            columns: &columns,
            select: &select,
            indexes: &INDEXES,
        }
        .sql();
        run(manager, POSTGRES_UP, &sqlite).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let without = definition("", "campaign_id, step, contact_id");
        let sqlite = format!(
            "DELETE FROM deliveries WHERE channel <> 'email';\n{}",
            SqliteRebuild {
                table: "deliveries",
                definition: &without,
                columns: COMMON_COLUMNS,
                select: COMMON_COLUMNS,
                indexes: &INDEXES,
            }
            .sql()
        );
        run(manager, POSTGRES_DOWN, &sqlite).await
    }
}
