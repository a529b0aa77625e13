//! Ranking a campaign's audience of 100,000 contacts by the targeting model, on SQLite and
//! PostgreSQL; run by `cargo xtask bench audience`.
//!
//! Prints the time of a first page that scores and stores the whole audience (cold: each run
//! on a campaign never ranked before), a first page read from the stored ranking (warm), and a
//! page of 100 read by cursor at the top, the middle and the end of the ranking.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_app::{Actor, Caller, Engine};
use ame_domain::{
    ApiKeyId, Audience, CampaignId, CampaignType, Goal, Group, MemberRole, NewCampaign, NewContact,
    NewOutcome,
};
use ame_storage::Backend;
use ame_test_support::TestDb;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CONTACTS: usize = 100_000;
/// Contacts with an outcome of an earlier campaign (the training data).
const TRAINED_ON: usize = 20_000;
const COLD_RUNS: usize = 3;
const WARM_RUNS: usize = 50;
const PAGE: u64 = 100;

fn attributes(i: usize) -> serde_json::Map<String, serde_json::Value> {
    let region = ["north", "south", "east", "west"][i % 4];
    serde_json::json!({
        "score": (i % 97) as f64 / 97.0,
        "tenure_years": (i % 13) as f64,
        "orders": (i % 7) as f64,
        "region": region,
    })
    .as_object()
    .cloned()
    .unwrap()
}

async fn draft(engine: &Engine, caller: &Caller, objective: &str) -> CampaignId {
    let mut new = NewCampaign::new(CampaignType::ReEngagement, objective);
    new.audience = Some(Audience::all_subscribed());
    let valid = engine.check_new_campaign(caller, new).unwrap();
    engine
        .create_campaign(caller, valid, None)
        .await
        .unwrap()
        .id
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

async fn run(backend: Backend) {
    let db = TestDb::new(backend).await;
    let engine = Engine::new(db.storage.clone());
    let org = engine.create_organization("Bench").await.unwrap();
    let caller = Caller {
        org: org.id,
        role: MemberRole::Owner,
        actor: Actor::ApiKey(ApiKeyId::new()),
    };
    let contacts: Vec<NewContact> = (0..CONTACTS)
        .map(|i| NewContact {
            attributes: Some(attributes(i)),
            ..NewContact::email(format!("person{i}@example.com"))
        })
        .collect();
    for chunk in contacts.chunks(1000) {
        engine
            .upsert_contacts(&caller, chunk.to_vec())
            .await
            .unwrap();
    }
    let past = draft(&engine, &caller, "Last year's win-back mailing").await;
    let outcomes: Vec<NewOutcome> = (0..TRAINED_ON)
        .map(|i| NewOutcome {
            email: format!("person{i}@example.com"),
            group: Group::Treatment,
            variants: BTreeMap::new(),
            clicked: false,
            converted: (i * 7919) % 97 < (i % 97) / 3,
            value: None,
            converted_before_assignment: false,
        })
        .collect();
    for chunk in outcomes.chunks(1000) {
        engine
            .record_outcomes(&caller, past, chunk.to_vec())
            .await
            .unwrap();
    }
    engine
        .train_targeting(&caller, Goal::Conversions)
        .await
        .unwrap();
    if backend == Backend::Postgres {
        // The steady state: autovacuum analyses a table within a minute of a bulk import;
        // the bench does not wait for it.
        db.admin
            .execute_sql("ANALYZE contacts; ANALYZE outcomes")
            .await
            .unwrap();
    }

    let mut cold = Vec::new();
    let mut campaign = past;
    for run in 0..COLD_RUNS {
        campaign = draft(&engine, &caller, &format!("Spring win-back, wave {run}")).await;
        let start = Instant::now();
        let page = engine
            .score_audience(&caller, campaign, Goal::Conversions, PAGE, None)
            .await
            .unwrap();
        cold.push(start.elapsed());
        assert_eq!(page.items.len(), PAGE as usize);
    }
    let mut warm = Vec::new();
    for _ in 0..WARM_RUNS {
        let start = Instant::now();
        engine
            .score_audience(&caller, campaign, Goal::Conversions, PAGE, None)
            .await
            .unwrap();
        warm.push(start.elapsed());
    }
    // Cursors at the top, the middle and the end, taken by paging through once.
    let mut cursors = Vec::new();
    let mut cursor = None;
    let mut position = 0;
    loop {
        let page = engine
            .score_audience(
                &caller,
                campaign,
                Goal::Conversions,
                1000,
                cursor.as_deref(),
            )
            .await
            .unwrap();
        position += page.items.len();
        cursor = page.next_cursor;
        if [1000, CONTACTS / 2, CONTACTS - 1000].contains(&position) {
            cursors.push((position, cursor.clone().unwrap()));
        }
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(position, CONTACTS);
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    cold.sort();
    warm.sort();
    println!(
        "| {name} | first page, audience scored and stored (cold) | {COLD_RUNS} | {} | {} |",
        ms(percentile(&cold, 0.5)),
        ms(*cold.last().unwrap())
    );
    println!(
        "| {name} | first page from the stored ranking (warm) | {WARM_RUNS} | {} | {} |",
        ms(percentile(&warm, 0.5)),
        ms(*warm.last().unwrap())
    );
    for (at, text) in cursors {
        let mut times = Vec::new();
        for _ in 0..WARM_RUNS {
            let start = Instant::now();
            engine
                .score_audience(&caller, campaign, Goal::Conversions, PAGE, Some(&text))
                .await
                .unwrap();
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "| {name} | page of {PAGE} by cursor after position {at} | {WARM_RUNS} | {} | {} |",
            ms(percentile(&times, 0.5)),
            ms(*times.last().unwrap())
        );
    }
}

fn main() {
    // `cargo xtask bench audience sqlite` (or `postgres`) runs one backend; cargo's own
    // `--bench` flag is not a filter.
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!("| backend | request | runs | p50 ms | max ms |");
    println!("|---|---|---:|---:|---:|");
    for (name, backend) in [("sqlite", Backend::Sqlite), ("postgres", Backend::Postgres)] {
        if only.as_deref().is_none_or(|o| o == name) {
            runtime.block_on(run(backend));
        }
    }
}
