//! SQLite's `tracking_events` is rebuilt to widen its list of kinds: the rows survive, the new
//! kinds are accepted, unknown kinds are still refused, and going back down keeps the old ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// Inserts an event of `kind` (foreign keys are off on this connection, so no campaign is
/// needed); the error text when the database refuses it.
async fn insert(db: &DatabaseConnection, id: u8, kind: &str) -> Result<(), String> {
    db.execute_unprepared(&format!(
        "INSERT INTO tracking_events (id, org_id, campaign_id, kind, channel, occurred_at) \
         VALUES (X'{id:032x}', X'01', X'02', '{kind}', 'email', '2027-03-01T10:00:00Z')"
    ))
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

async fn kinds(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT kind FROM tracking_events ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "kind").unwrap())
    .collect()
}

/// An empty SQLite file on one connection with foreign keys off (so rows need no parents).
async fn unmigrated() -> (tempfile::TempDir, DatabaseConnection) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("ame.db").display());
    let mut options = ConnectOptions::new(url);
    options.max_connections(1).min_connections(1);
    let db = Database::connect(options).await.unwrap();
    db.execute_unprepared("PRAGMA foreign_keys = OFF")
        .await
        .unwrap();
    (dir, db)
}

/// How many migrations come before the one whose name contains `number`.
fn position(number: &str) -> u32 {
    Migrator::migrations()
        .iter()
        .position(|m| m.name().contains(number))
        .unwrap() as u32
}

#[tokio::test]
async fn widening_the_event_kinds_keeps_every_row() {
    let (_dir, db) = unmigrated().await;
    let all = Migrator::migrations().len() as u32;
    let before_widening = position("000016");
    Migrator::up(&db, Some(before_widening)).await.unwrap();
    insert(&db, 1, "click").await.unwrap();
    insert(&db, 2, "conversion").await.unwrap();
    assert!(insert(&db, 3, "bounce").await.is_err(), "not a kind yet");

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(kinds(&db).await, ["click", "conversion"]);
    for (id, kind) in [(3, "bounce"), (4, "complaint"), (5, "unsubscribe")] {
        insert(&db, id, kind).await.unwrap();
    }
    let refused = insert(&db, 6, "open").await.unwrap_err();
    assert!(refused.contains("CHECK"), "{refused}");

    Migrator::down(&db, Some(all - before_widening))
        .await
        .unwrap();
    assert_eq!(kinds(&db).await, ["click", "conversion"]);
}

/// Inserts a delivery row for step 1 of campaign `02` to contact `03`, on `channel` when given.
async fn insert_delivery(
    db: &DatabaseConnection,
    id: u8,
    channel: Option<&str>,
) -> Result<(), String> {
    let (column, value) = match channel {
        Some(c) => (", channel", format!(", '{c}'")),
        None => ("", String::new()),
    };
    db.execute_unprepared(&format!(
        "INSERT INTO deliveries (id, org_id, campaign_id, asset_id, step, contact_id, message_id, \
         due_at, created_at, updated_at{column}) VALUES (X'{id:032x}', X'01', X'02', X'04', 1, \
         X'03', '<m{id}@mail.example>', '2027-03-01T10:00:00Z', '2027-03-01T10:00:00Z', \
         '2027-03-01T10:00:00Z'{value})"
    ))
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

async fn channels(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT channel FROM deliveries ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "channel").unwrap())
    .collect()
}

#[tokio::test]
async fn the_ledger_gains_a_channel_and_keeps_every_row() {
    let (_dir, db) = unmigrated().await;
    let all = Migrator::migrations().len() as u32;
    let before = position("000020");
    Migrator::up(&db, Some(before)).await.unwrap();
    insert_delivery(&db, 1, None).await.unwrap();

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(channels(&db).await, ["email"], "existing rows are email");
    let again = insert_delivery(&db, 2, Some("email")).await.unwrap_err();
    assert!(again.contains("UNIQUE"), "{again}");
    insert_delivery(&db, 3, Some("sms")).await.unwrap();
    assert_eq!(channels(&db).await, ["email", "sms"]);

    Migrator::down(&db, Some(all - before)).await.unwrap();
    let rows = db
        .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT message_id FROM deliveries",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "going down keeps the email rows only");
}
