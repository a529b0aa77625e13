//! Reports of what happened to a message after it left (a mail server's delivery status
//! notification, a recipient's spam complaint, an email service provider's event) arrive
//! without an organization: they name the message by its `Message-ID`. An index finds the
//! delivery by it, and on PostgreSQL a narrow function returns only which organization and
//! delivery the Message-ID belongs to, so the report can then be applied inside that
//! organization's row-level security like any other change.

use crate::run;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE INDEX idx_deliveries_message_id ON deliveries(message_id);

-- The organization and delivery a Message-ID belongs to, across organizations: ids only.
CREATE FUNCTION ame_locate_delivery(p_message_id text) RETURNS TABLE (org_id uuid, delivery_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
  SELECT d.org_id, d.id FROM deliveries d WHERE d.message_id = p_message_id LIMIT 1
$fn$;
REVOKE ALL ON FUNCTION ame_locate_delivery(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ame_locate_delivery(text) TO authenticated;
"#;

const POSTGRES_DOWN: &str = r#"
DROP FUNCTION IF EXISTS ame_locate_delivery(text);
DROP INDEX IF EXISTS idx_deliveries_message_id;
"#;

const SQLITE_UP: &str = r#"
CREATE INDEX idx_deliveries_message_id ON deliveries(message_id);
"#;

const SQLITE_DOWN: &str = r#"
DROP INDEX IF EXISTS idx_deliveries_message_id;
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
