//! Every closed vocabulary the database constrains with a CHECK list (campaign types and
//! statuses, asset types, channels, consent, tracking kinds, delivery and job states, holdout
//! groups, targeting goals) lists exactly the domain enum's names, on both backends, as the
//! migrated schema holds them. A variant added to an enum without a migration fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    AssetType, CampaignStatus, CampaignType, Channel, Consent, DeliveryState, Goal, Group,
    JobState, TrackingKind,
};
use ame_test_support::{TestDb, backend_tests};
use std::collections::BTreeSet;

backend_tests!(every_check_list_names_exactly_the_domain_enum);

/// Each CHECK list: table, column, PostgreSQL constraint name, and the enum's names.
const LISTS: [(&str, &str, &str, &[&str]); 10] = [
    (
        "marketing_campaigns",
        "campaign_type",
        "marketing_campaigns_type_check",
        CampaignType::NAMES,
    ),
    (
        "marketing_campaigns",
        "status",
        "marketing_campaigns_status_check",
        CampaignStatus::NAMES,
    ),
    (
        "marketing_assets",
        "asset_type",
        "marketing_assets_type_check",
        AssetType::NAMES,
    ),
    (
        "campaign_results",
        "channel",
        "campaign_results_channel_check",
        Channel::NAMES,
    ),
    (
        "contacts",
        "consent",
        "contacts_consent_check",
        Consent::NAMES,
    ),
    (
        "tracking_events",
        "kind",
        "tracking_events_kind_check",
        TrackingKind::NAMES,
    ),
    (
        "deliveries",
        "state",
        "deliveries_state_check",
        DeliveryState::NAMES,
    ),
    ("jobs", "state", "jobs_state_check", JobState::NAMES),
    ("outcomes", "grp", "outcomes_group_check", Group::NAMES),
    (
        "targeting_models",
        "goal",
        "targeting_models_goal_check",
        Goal::NAMES,
    ),
];

/// The single-quoted literals in `text`.
fn quoted(text: &str) -> BTreeSet<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The names a SQLite table's CHECK on `column` lists: the literals of `column IN (…)`.
fn sqlite_list(table_sql: &str, column: &str) -> BTreeSet<String> {
    let start = table_sql
        .find(&format!("{column} IN ("))
        .unwrap_or_else(|| panic!("no `{column} IN (` in {table_sql}"));
    let rest = &table_sql[start..];
    let end = rest.find(')').unwrap();
    quoted(&rest[..end])
}

async fn every_check_list_names_exactly_the_domain_enum(db: TestDb) {
    let postgres = db.backend() == ame_storage::Backend::Postgres;
    for (table, column, constraint, names) in LISTS {
        let listed = if postgres {
            let rows = db
                .admin
                .query_json(
                    &format!(
                        "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint \
                         WHERE conname = '{constraint}'"
                    ),
                    None,
                )
                .await
                .unwrap();
            assert_eq!(rows.len(), 1, "{constraint}");
            quoted(rows[0]["def"].as_str().unwrap())
        } else {
            let rows = db
                .admin
                .query_json(
                    &format!(
                        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
                    ),
                    None,
                )
                .await
                .unwrap();
            sqlite_list(rows[0]["sql"].as_str().unwrap(), column)
        };
        let expected: BTreeSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
        assert_eq!(listed, expected, "{table}.{column}");
    }
}
