//! Prediction latency with 10,000 historical campaigns (200 per organization, 50 organizations),
//! including every database read, on SQLite and PostgreSQL; run by `cargo xtask bench prediction`.
//!
//! Prints p50 / p95 / p99 / max over 1,000 predictions with the fitted history cached (the
//! steady state: the cache is keyed by the history's revision) and over 5 cold predictions that
//! read and fit the whole history first.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_app::{Actor, BenchmarkSharing, Caller, Engine};
use ame_domain::{ApiKeyId, CampaignType, Channel, MemberRole, NewCampaign, OrgId};
use ame_storage::{Backend, CampaignRepository, OrganizationRepository, org_group};
use ame_test_support::TestDb;
use std::time::{Duration, Instant};

const ORGS: usize = 50;
const CAMPAIGNS: usize = 10_000;

/// Benchmarks pooled across every organization: the slowest path (one model over everything).
const SHARED: BenchmarkSharing = BenchmarkSharing {
    shared: true,
    min_orgs: 5,
};

/// 10,000 completed campaigns spread over the organizations, each with one channel total whose
/// rates vary by campaign (clicks 0.5–3.5% of reach, leads 5–15% of clicks, conversions 20–40%
/// of leads).
async fn seed(db: &TestDb, orgs: &[OrgId]) {
    let ids: Vec<String> = orgs.iter().map(|o| o.as_uuid().to_string()).collect();
    // The opaque organization keys the repository would store; the bench's campaigns use their
    // own ids as campaign keys (any distinct value serves).
    let group = |org: &OrgId, literal: &dyn Fn(String) -> String| {
        format!(
            "WHEN {} THEN {}",
            literal(org.as_uuid().simple().to_string()),
            literal(org_group(*org).simple().to_string())
        )
    };
    let pg_groups = orgs
        .iter()
        .map(|o| group(o, &|hex| format!("'{hex}'::uuid")))
        .collect::<Vec<_>>()
        .join(" ");
    let sqlite_groups = orgs
        .iter()
        .map(|o| group(o, &|hex| format!("X'{hex}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let (campaigns, totals) = match db.backend() {
        Backend::Postgres => {
            let array = ids
                .iter()
                .map(|i| format!("'{i}'::uuid"))
                .collect::<Vec<_>>()
                .join(",");
            (
                format!(
                    "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, created_at, updated_at) \
                     SELECT gen_random_uuid(), (ARRAY[{array}])[1 + i % {ORGS}], \
                            (ARRAY['lead_gen','brand_awareness','upsell'])[1 + i % 3], \
                            'Seeded objective ' || i, 'completed', now(), now() \
                     FROM generate_series(1, {CAMPAIGNS}) AS i"
                ),
                format!(
                    "INSERT INTO campaign_channel_totals \
                     (campaign_id, channel, org_id, org_group, campaign_group, campaign_type, records, reach, clicks, leads, conversions, spend, revision) \
                     SELECT id, (ARRAY['email','linkedin','facebook'])[1 + (hashtext(id::text) & 3) % 3], org_id, \
                            CASE org_id {pg_groups} END, id, campaign_type, 30, r, c, l, \
                            floor(l * (0.2 + random() * 0.2)), round((r * 0.02)::numeric, 2), nextval('campaign_result_revision') \
                     FROM (SELECT id, org_id, campaign_type, r, c, floor(c * (0.05 + random() * 0.1)) AS l \
                           FROM (SELECT id, org_id, campaign_type, r, floor(r * (0.005 + random() * 0.03)) AS c \
                                 FROM (SELECT id, org_id, campaign_type, 5000 + floor(random() * 100000) AS r \
                                       FROM marketing_campaigns WHERE objective LIKE 'Seeded%') a) b) c"
                ),
            )
        }
        Backend::Sqlite => {
            let cases = ids
                .iter()
                .enumerate()
                .map(|(n, i)| format!("WHEN {n} THEN X'{}'", i.replace('-', "")))
                .collect::<Vec<_>>()
                .join(" ");
            (
                format!(
                    "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {CAMPAIGNS}) \
                     INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, created_at, updated_at) \
                     SELECT randomblob(16), CASE i % {ORGS} {cases} END, \
                            CASE i % 3 WHEN 0 THEN 'lead_gen' WHEN 1 THEN 'brand_awareness' ELSE 'upsell' END, \
                            'Seeded objective ' || i, 'completed', \
                            strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') \
                     FROM seq"
                ),
                format!(
                    "INSERT INTO campaign_channel_totals \
                     (campaign_id, channel, org_id, org_group, campaign_group, campaign_type, records, reach, clicks, leads, conversions, spend, revision) \
                     SELECT id, CASE abs(random()) % 3 WHEN 0 THEN 'email' WHEN 1 THEN 'linkedin' ELSE 'facebook' END, \
                            org_id, CASE org_id {sqlite_groups} END, id, campaign_type, 30, r, c, l, \
                            CAST(l * (0.2 + (abs(random()) % 1000) / 5000.0) AS INTEGER), round(r * 0.02, 2), rowid \
                     FROM (SELECT id, org_id, campaign_type, rowid, r, c, CAST(c * (0.05 + (abs(random()) % 1000) / 10000.0) AS INTEGER) AS l \
                           FROM (SELECT id, org_id, campaign_type, rowid, r, CAST(r * (0.005 + (abs(random()) % 1000) / 33333.0) AS INTEGER) AS c \
                                 FROM (SELECT id, org_id, campaign_type, rowid, 5000 + abs(random()) % 100000 AS r \
                                       FROM marketing_campaigns WHERE objective LIKE 'Seeded%')))"
                ),
            )
        }
    };
    db.admin.execute_sql(&campaigns).await.unwrap();
    db.admin.execute_sql(&totals).await.unwrap();
    if db.backend() == Backend::Postgres {
        db.admin
            .execute_sql("ANALYZE marketing_campaigns; ANALYZE campaign_channel_totals")
            .await
            .unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn run(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut orgs = Vec::new();
    for i in 0..ORGS {
        orgs.push(
            db.storage
                .organizations()
                .create(&format!("Bench {i}"))
                .await
                .unwrap()
                .id,
        );
    }
    seed(&db, &orgs).await;
    let org = orgs[0];
    let target = NewCampaign {
        campaign_type: CampaignType::LeadGen,
        objective: "Book 40 demos with finance teams".to_owned(),
        name: None,
        planned_reach: Some(50_000),
        budget: Some(1_000.into()),
        channels: vec![Channel::Linkedin],
        start_at: None,
        end_at: None,
        timezone: None,
        audience: None,
        send_window: None,
        holdout_fraction: None,
        targeting: None,
    }
    .validate()
    .unwrap();
    let id = db.storage.campaigns().create(org, target).await.unwrap().id;

    let caller = Caller {
        org,
        role: MemberRole::Owner,
        actor: Actor::ApiKey(ApiKeyId::new()),
    };
    let mut cold = Vec::new();
    for _ in 0..5 {
        // A new engine starts with an empty prediction cache.
        let engine = Engine::new(db.storage.clone()).with_benchmark_sharing(SHARED);
        let start = Instant::now();
        engine.predict(&caller, id, None, None).await.unwrap();
        cold.push(start.elapsed());
    }
    let engine = Engine::new(db.storage.clone()).with_benchmark_sharing(SHARED);
    let first = engine.predict(&caller, id, None, None).await.unwrap();
    assert_eq!(first.history.pooled_organizations, Some(ORGS as u64));
    let mut warm = Vec::new();
    for _ in 0..1_000 {
        let start = Instant::now();
        engine.predict(&caller, id, None, None).await.unwrap();
        warm.push(start.elapsed());
    }
    warm.sort();
    cold.sort();
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    println!(
        "| {name} | warm (cached history) | 1000 | {} | {} | {} | {} |",
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.95)),
        ms(percentile(&warm, 0.99)),
        ms(*warm.last().unwrap())
    );
    println!(
        "| {name} | cold (read + fit 10,000 campaigns) | 5 | {} | {} | {} | {} |",
        ms(percentile(&cold, 0.5)),
        ms(percentile(&cold, 0.95)),
        ms(percentile(&cold, 0.99)),
        ms(*cold.last().unwrap())
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!("| backend | predict | runs | p50 ms | p95 ms | p99 ms | max ms |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        runtime.block_on(run(backend));
    }
}
