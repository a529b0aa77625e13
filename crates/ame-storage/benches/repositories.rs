//! Repository latency on SQLite and PostgreSQL with 10,000 campaigns in the organization read
//! (and as many in another), the predictor's history over 10,000 channel totals (half of them
//! another organization's), and contact lists filtered by an attribute over 10,000 contacts
//! (100 of them matching), run by `cargo xtask bench storage`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_domain::{
    CampaignFilter, CampaignId, CampaignStatus, CampaignType, ContactFilter, Cursor, NewCampaign,
    OrgId, PageRequest,
};
use ame_storage::{
    Backend, CampaignRepository, ContactRepository, OrganizationRepository, ResultRepository,
};
use ame_test_support::TestDb;
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;
use tokio::runtime::Runtime;

const SEEDED: u32 = 10_000;

/// Inserts `SEEDED` campaigns for `org` in one statement (types rotate, every third active).
async fn seed(db: &TestDb, org: OrgId) {
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, created_at, updated_at) \
             SELECT gen_random_uuid(), '{org}', \
                    (ARRAY['lead_gen','brand_awareness','client_retention','re_engagement','upsell','referral'])[1 + i % 6], \
                    'Seeded objective ' || i, CASE WHEN i % 3 = 0 THEN 'active' ELSE 'draft' END, \
                    now() - make_interval(secs => i), now() \
             FROM generate_series(1, {SEEDED}) AS i"
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {SEEDED}) \
             INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, created_at, updated_at) \
             SELECT randomblob(16), X'{}', \
                    CASE i % 6 WHEN 0 THEN 'lead_gen' WHEN 1 THEN 'brand_awareness' WHEN 2 THEN 'client_retention' \
                               WHEN 3 THEN 're_engagement' WHEN 4 THEN 'upsell' ELSE 'referral' END, \
                    'Seeded objective ' || i, CASE WHEN i % 3 = 0 THEN 'active' ELSE 'draft' END, \
                    strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || i || ' seconds'), \
                    strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') \
             FROM seq",
            org.as_uuid().simple()
        ),
    };
    db.admin.execute_sql(&sql).await.unwrap();
    if db.backend() == Backend::Postgres {
        db.admin
            .execute_sql("ANALYZE marketing_campaigns")
            .await
            .unwrap();
    }
}

/// Gives 5,000 of `org`'s seeded campaigns one channel total each.
async fn seed_totals(db: &TestDb, org: OrgId) {
    let group = ame_storage::org_group(org);
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "INSERT INTO campaign_channel_totals \
             (campaign_id, channel, org_id, org_group, campaign_group, campaign_type, records, \
              reach, clicks, leads, spend, revision) \
             SELECT id, 'email', org_id, '{group}', gen_random_uuid(), campaign_type, 30, 10000, \
                    200, 12, 450.50, nextval('campaign_result_revision') \
             FROM marketing_campaigns WHERE org_id = '{org}' ORDER BY id LIMIT 5000"
        ),
        Backend::Sqlite => format!(
            "INSERT INTO campaign_channel_totals \
             (campaign_id, channel, org_id, org_group, campaign_group, campaign_type, records, \
              reach, clicks, leads, spend, revision) \
             SELECT id, 'email', org_id, X'{}', randomblob(16), campaign_type, 30, 10000, 200, \
                    12, 450.5, rowid \
             FROM marketing_campaigns WHERE org_id = X'{}' ORDER BY id LIMIT 5000",
            group.simple(),
            org.as_uuid().simple()
        ),
    };
    db.admin.execute_sql(&sql).await.unwrap();
    if db.backend() == Backend::Postgres {
        db.admin
            .execute_sql("ANALYZE campaign_channel_totals")
            .await
            .unwrap();
    }
}

/// Inserts `SEEDED` contacts for `org`: one in a hundred on the `pro` plan, the rest `free`.
async fn seed_contacts(db: &TestDb, org: OrgId) {
    let sql = match db.backend() {
        Backend::Postgres => format!(
            "INSERT INTO contacts (id, org_id, email, email_key, attributes, consent, consent_source, \
                                   consent_at, created_at, updated_at) \
             SELECT gen_random_uuid(), '{org}', 'c' || i || '@example.com', 'c' || i || '@example.com', \
                    jsonb_build_object('plan', CASE WHEN i % 100 = 0 THEN 'pro' ELSE 'free' END, 'seats', i % 7), \
                    'subscribed', 'import', now(), now() - make_interval(secs => i), now() \
             FROM generate_series(1, {SEEDED}) AS i"
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {SEEDED}) \
             INSERT INTO contacts (id, org_id, email, email_key, attributes, consent, consent_source, \
                                   consent_at, created_at, updated_at) \
             SELECT randomblob(16), X'{}', 'c' || i || '@example.com', 'c' || i || '@example.com', \
                    json_object('plan', CASE WHEN i % 100 = 0 THEN 'pro' ELSE 'free' END, 'seats', i % 7), \
                    'subscribed', 'import', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), \
                    strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || i || ' seconds'), \
                    strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') \
             FROM seq",
            org.as_uuid().simple()
        ),
    };
    db.admin.execute_sql(&sql).await.unwrap();
    if db.backend() == Backend::Postgres {
        db.admin.execute_sql("ANALYZE contacts").await.unwrap();
    }
}

fn bench_backend(c: &mut Criterion, backend: Backend) {
    let runtime = Runtime::new().unwrap();
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let (db, org, sample) = runtime.block_on(async {
        let db = TestDb::new(backend).await;
        let org = db.storage.organizations().create("Bench A").await.unwrap();
        let other = db.storage.organizations().create("Bench B").await.unwrap();
        seed(&db, org.id).await;
        seed(&db, other.id).await;
        seed_totals(&db, org.id).await;
        seed_totals(&db, other.id).await;
        seed_contacts(&db, org.id).await;
        seed_contacts(&db, other.id).await;
        let valid = NewCampaign::new(CampaignType::LeadGen, "Benchmark campaign")
            .validate()
            .unwrap();
        let sample = db.storage.campaigns().create(org.id, valid).await.unwrap();
        (db, org.id, sample.id)
    });
    let campaigns = db.storage.campaigns();
    let deep_cursor = runtime.block_on(async {
        let mut cursor: Option<Cursor> = None;
        for _ in 0..50 {
            let page = campaigns
                .list(
                    org,
                    CampaignFilter::default(),
                    PageRequest::new(100, cursor).unwrap(),
                )
                .await
                .unwrap();
            cursor = page
                .next_cursor
                .as_deref()
                .map(|c| Cursor::decode(c).unwrap());
        }
        cursor
    });

    let mut group = c.benchmark_group(name);
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("create_campaign", |b| {
        b.to_async(&runtime).iter(|| async {
            let valid = NewCampaign::new(CampaignType::Referral, "Get 40 referrals by May")
                .validate()
                .unwrap();
            campaigns.create(org, valid).await.unwrap()
        })
    });
    group.bench_function("get_campaign", |b| {
        b.to_async(&runtime)
            .iter(|| async { campaigns.get(org, sample).await.unwrap() })
    });
    group.bench_function("list_first_page_of_100", |b| {
        b.to_async(&runtime).iter(|| async {
            campaigns
                .list(
                    org,
                    CampaignFilter::default(),
                    PageRequest::new(100, None).unwrap(),
                )
                .await
                .unwrap()
        })
    });
    group.bench_function("list_page_of_100_after_5000", |b| {
        b.to_async(&runtime).iter(|| async {
            campaigns
                .list(
                    org,
                    CampaignFilter::default(),
                    PageRequest::new(100, deep_cursor).unwrap(),
                )
                .await
                .unwrap()
        })
    });
    let filter = CampaignFilter {
        status: Some(CampaignStatus::Active),
        campaign_type: Some(CampaignType::LeadGen),
        search: None,
    };
    group.bench_function("list_filtered_page_of_20", |b| {
        b.to_async(&runtime).iter(|| async {
            campaigns
                .list(org, filter.clone(), PageRequest::new(20, None).unwrap())
                .await
                .unwrap()
        })
    });
    let no_match = CampaignFilter {
        status: Some(CampaignStatus::Paused),
        campaign_type: None,
        search: None,
    };
    group.bench_function("list_filtered_no_match", |b| {
        b.to_async(&runtime).iter(|| async {
            campaigns
                .list(org, no_match.clone(), PageRequest::new(20, None).unwrap())
                .await
                .unwrap()
        })
    });
    group.bench_function("status_round_trip_draft_scheduled_draft", |b| {
        b.to_async(&runtime).iter(|| async {
            change(&campaigns, org, sample, CampaignStatus::Scheduled).await;
            change(&campaigns, org, sample, CampaignStatus::Draft).await;
        })
    });
    let contacts = db.storage.contacts();
    let attribute = |value: &str| ContactFilter {
        attribute: Some(("plan".to_owned(), serde_json::json!(value))),
        ..ContactFilter::default()
    };
    let (pro, enterprise) = (attribute("pro"), attribute("enterprise"));
    group.bench_function("contacts_attribute_filter_page_of_20", |b| {
        b.to_async(&runtime).iter(|| async {
            contacts
                .list(org, pro.clone(), PageRequest::new(20, None).unwrap())
                .await
                .unwrap()
        })
    });
    group.bench_function("contacts_attribute_filter_no_match", |b| {
        b.to_async(&runtime).iter(|| async {
            contacts
                .list(org, enterprise.clone(), PageRequest::new(20, None).unwrap())
                .await
                .unwrap()
        })
    });
    drop(contacts);
    let results = db.storage.results();
    group.bench_function("results_history_of_10000", |b| {
        b.to_async(&runtime)
            .iter(|| async { results.history(org, Some(sample)).await.unwrap() })
    });
    group.bench_function("results_history_revision", |b| {
        b.to_async(&runtime)
            .iter(|| async { results.history_revision(org).await.unwrap() })
    });
    group.finish();
    drop(results);
    drop(campaigns);
    drop(db);
}

async fn change(
    campaigns: &ame_storage::SqlCampaigns,
    org: OrgId,
    id: CampaignId,
    target: CampaignStatus,
) {
    campaigns
        .change_status(org, id, target, None)
        .await
        .unwrap();
}

fn sqlite(c: &mut Criterion) {
    bench_backend(c, Backend::Sqlite);
}

fn postgres(c: &mut Criterion) {
    bench_backend(c, Backend::Postgres);
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
