//! AME database migrations.
//!
//! One file per migration, applied in order and never edited once released (append-only).
//! Each migration is plain SQL per backend so constraints, foreign keys and PostgreSQL
//! row-level-security policies read exactly as they run. This crate imports no workspace crate.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub use sea_orm_migration::prelude::*;

mod m20260101_000001_organizations_and_users;
mod m20260101_000002_marketing_campaigns;
mod m20260101_000003_marketing_assets;
mod m20260201_000004_api_keys_and_idempotency;
mod m20261125_000005_brands_versions_pages;
mod m20261126_000006_campaign_results;
mod m20261130_000007_page_lifecycle;
mod m20261130_000008_key_lifecycle_and_audit;
mod m20261201_000009_execution;
mod m20261202_000010_optimisation;
mod m20261203_000011_web_sign_in;
mod m20261204_000012_brand_logos;
mod m20261205_000013_campaign_indexes;
mod m20261206_000014_one_statement_create;
mod m20261207_000015_sending_state;
mod m20261208_000016_email_events;
mod m20261209_000017_feedback_lookup;
mod m20261210_000018_send_buckets;
mod m20261211_000019_connector_events;
mod m20261212_000020_delivery_channels;
mod m20261213_000021_outcome_assignment;
mod m20261214_000022_tracking_dedupe;
mod m20261215_000023_audience_scores;
mod m20261216_000024_tracking_requests;
mod m20261217_000025_erased_addresses;
mod m20261218_000026_consent_records;
mod m20261218_000027_contact_attribute_index;

/// The ordered list of AME migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_organizations_and_users::Migration),
            Box::new(m20260101_000002_marketing_campaigns::Migration),
            Box::new(m20260101_000003_marketing_assets::Migration),
            Box::new(m20260201_000004_api_keys_and_idempotency::Migration),
            Box::new(m20261125_000005_brands_versions_pages::Migration),
            Box::new(m20261126_000006_campaign_results::Migration),
            Box::new(m20261130_000007_page_lifecycle::Migration),
            Box::new(m20261130_000008_key_lifecycle_and_audit::Migration),
            Box::new(m20261201_000009_execution::Migration),
            Box::new(m20261202_000010_optimisation::Migration),
            Box::new(m20261203_000011_web_sign_in::Migration),
            Box::new(m20261204_000012_brand_logos::Migration),
            Box::new(m20261205_000013_campaign_indexes::Migration),
            Box::new(m20261206_000014_one_statement_create::Migration),
            Box::new(m20261207_000015_sending_state::Migration),
            Box::new(m20261208_000016_email_events::Migration),
            Box::new(m20261209_000017_feedback_lookup::Migration),
            Box::new(m20261210_000018_send_buckets::Migration),
            Box::new(m20261211_000019_connector_events::Migration),
            Box::new(m20261212_000020_delivery_channels::Migration),
            Box::new(m20261213_000021_outcome_assignment::Migration),
            Box::new(m20261214_000022_tracking_dedupe::Migration),
            Box::new(m20261215_000023_audience_scores::Migration),
            Box::new(m20261216_000024_tracking_requests::Migration),
            Box::new(m20261217_000025_erased_addresses::Migration),
            Box::new(m20261218_000026_consent_records::Migration),
            Box::new(m20261218_000027_contact_attribute_index::Migration),
        ]
    }
}

/// Runs the SQL written for the migration's backend (one or more statements).
async fn run(manager: &SchemaManager<'_>, postgres: &str, sqlite: &str) -> Result<(), DbErr> {
    let sql = match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => postgres,
        _ => sqlite,
    };
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}

/// A SQLite table rebuilt under a new definition, since SQLite cannot change a table's
/// constraints in place: the new table is created as `{table}_rebuilt` from `definition` (the
/// column and constraint list), filled from the old one (`columns` copied, as `select` reads
/// them), the old one dropped, the new one renamed over it, and `indexes` made again.
struct SqliteRebuild<'a> {
    table: &'a str,
    definition: &'a str,
    columns: &'a str,
    select: &'a str,
    indexes: &'a [&'a str],
}

impl SqliteRebuild<'_> {
    /// The statements, in order.
    fn sql(&self) -> String {
        let Self {
            table,
            definition,
            columns,
            select,
            indexes,
        } = self;
        let mut sql = format!(
            "CREATE TABLE {table}_rebuilt ({definition});\n\
             INSERT INTO {table}_rebuilt ({columns}) SELECT {select} FROM {table};\n\
             DROP TABLE {table};\n\
             ALTER TABLE {table}_rebuilt RENAME TO {table};\n"
        );
        for index in *indexes {
            sql.push_str(index);
            sql.push_str(";\n");
        }
        sql
    }
}
