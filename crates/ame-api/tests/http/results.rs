//! Recorded results and predictions over HTTP.

use crate::common::Server;
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    results_upsert_is_idempotent_and_totals_follow,
    not_measured_differs_from_zero,
    bad_records_are_refused_with_their_fields_and_nothing_is_written,
    prediction_for_an_org_without_history,
    prediction_for_an_org_with_history,
    another_orgs_campaign_is_not_found,
    one_tenant_cannot_poison_another_tenants_pooled_prediction,
    impossible_funnels_are_refused,
    page_views_are_tallied_raw_beside_counted,
);

async fn planned_campaign(server: &Server, key: &str, plan: Value) -> String {
    let mut body =
        json!({"campaign_type": "lead_gen", "objective": "Book 40 demos with finance teams"});
    for (k, v) in plan.as_object().unwrap() {
        body[k] = v.clone();
    }
    let reply = server.post("/api/marketing/campaign", key, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn record(server: &Server, key: &str, id: &str, records: Value) -> crate::common::Reply {
    server
        .post(
            &format!("/api/marketing/campaigns/{id}/results"),
            key,
            records,
        )
        .await
}

async fn results_upsert_is_idempotent_and_totals_follow(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Acme", MemberRole::Owner).await;
    let id = planned_campaign(&server, &key, json!({"channels": ["email"]})).await;
    let days = json!([
        {"date": "2026-11-01", "channel": "email", "reach": 1000, "clicks": 40, "spend": "10.50"},
        {"date": "2026-11-02", "channel": "email", "reach": 1200, "clicks": 30, "spend": "12"}
    ]);
    for _ in 0..2 {
        let reply = record(&server, &key, &id, days.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["written"], 2);
        assert_eq!(reply.body["totals"]["reach"], 2200);
        assert_eq!(reply.body["totals"]["clicks"], 70);
        assert_eq!(reply.body["totals"]["spend"], "22.50");
        assert_eq!(reply.body["totals"]["records"], 2);
    }
    let replaced = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-02", "channel": "email", "reach": 1200, "clicks": 50, "spend": "12"}]),
    )
    .await;
    assert_eq!(replaced.body["totals"]["clicks"], 90, "{}", replaced.body);
    let listed = server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &key)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    let records = listed.body["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["clicks"], 50);
    assert_eq!(listed.body["totals"]["first_date"], "2026-11-01");
    assert_eq!(listed.body["totals"]["last_date"], "2026-11-02");
    let campaign = server
        .get(&format!("/api/marketing/campaigns/{id}"), &key)
        .await;
    assert_eq!(campaign.body["performance"]["clicks"], 90);
    assert_eq!(campaign.body["performance"]["reach"], 2200);
}

async fn not_measured_differs_from_zero(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Acme", MemberRole::Owner).await;
    let id = planned_campaign(&server, &key, json!({})).await;
    let reply = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-01", "channel": "x", "reach": 500, "clicks": 0, "leads": null, "revenue": null}]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let listed = server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &key)
        .await;
    let r = &listed.body["records"][0];
    assert_eq!(r["clicks"], 0);
    assert_eq!(r["leads"], Value::Null);
    assert_eq!(r["conversions"], Value::Null);
    assert_eq!(r["revenue"], Value::Null);
    let totals = &listed.body["totals"];
    assert_eq!(totals["clicks"], 0);
    assert_eq!(totals["leads"], Value::Null);
    let campaign = server
        .get(&format!("/api/marketing/campaigns/{id}"), &key)
        .await;
    assert_eq!(campaign.body["performance"]["clicks"], 0);
    assert_eq!(campaign.body["performance"]["leads"], Value::Null);
    // A later day that measures leads makes the total a number; unmeasured days add nothing.
    let more = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-02", "channel": "x", "leads": 4}]),
    )
    .await;
    assert_eq!(more.body["totals"]["leads"], 4);
    assert_eq!(more.body["totals"]["reach"], 500);
}

async fn bad_records_are_refused_with_their_fields_and_nothing_is_written(db: TestDb) {
    let server = Server::start(db).await;
    let (org, key) = server.org_with_key("Acme", MemberRole::Owner).await;
    let id = planned_campaign(&server, &key, json!({})).await;
    let reply = record(
        &server,
        &key,
        &id,
        json!([
            {"date": "2026-11-01", "channel": "email", "clicks": 3},
            {"date": "2026-11-02", "channel": "email", "clicks": -1, "spend": "1.005"},
            {"date": "2026-11-01", "channel": "email", "clicks": 4}
        ]),
    )
    .await;
    let problem = reply.problem(422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["[1].clicks", "[1].spend", "[2].date"], "{problem}");
    let channel = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-01", "channel": "fax"}]),
    )
    .await;
    let problem = channel.problem(422, "validation_failed");
    assert!(problem.to_string().contains("google_search"), "{problem}");
    let typo = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-01", "channel": "email", "impressions": 5}]),
    )
    .await;
    typo.problem(422, "validation_failed");
    let asset = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-01", "channel": "email", "asset_id": "0190b5d2-0000-7000-8000-000000000000", "clicks": 1}]),
    )
    .await;
    let problem = asset.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "[0].asset_id");
    let empty = record(&server, &key, &id, json!([])).await;
    empty.problem(422, "validation_failed");
    let listed = server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &key)
        .await;
    assert_eq!(listed.body["records"], json!([]));
    assert_eq!(listed.body["totals"]["records"], 0);
    let viewer = server.key(org, MemberRole::Viewer).await;
    let forbidden = record(
        &server,
        &viewer,
        &id,
        json!([{"date": "2026-11-01", "channel": "email"}]),
    )
    .await;
    forbidden.problem(403, "forbidden");
}

async fn prediction_for_an_org_without_history(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("New", MemberRole::Owner).await;
    let id = planned_campaign(
        &server,
        &key,
        json!({"planned_reach": 20000, "budget": "500.00", "channels": ["email"]}),
    )
    .await;
    let reply = server
        .get(&format!("/api/marketing/predict/{id}"), &key)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let p = &reply.body;
    assert_eq!(p["cold_start"], true);
    assert_eq!(p["estimated_reach"], 20000.0);
    let conversions = p["estimated_conversions"].as_f64().unwrap();
    assert!(conversions > 0.0 && conversions < 20000.0, "{p}");
    let confidence = p["confidence"].as_u64().unwrap();
    assert!(confidence < 50, "cold start must not look sure: {p}");
    let stages: Vec<&str> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["reach", "clicks", "leads", "conversions"]);
    for s in p["stages"].as_array().unwrap() {
        let (low95, low80, median, high80, high95) = (
            s["low_95"].as_f64().unwrap(),
            s["low_80"].as_f64().unwrap(),
            s["median"].as_f64().unwrap(),
            s["high_80"].as_f64().unwrap(),
            s["high_95"].as_f64().unwrap(),
        );
        assert!(
            low95 <= low80 && low80 <= median && median <= high80 && high80 <= high95,
            "{s}"
        );
    }
    assert!(p["cost_per_conversion"]["median"].as_f64().unwrap() > 0.0);
    assert!(p["explanation"].as_str().unwrap().contains("benchmarks"));
    assert_eq!(p["history"]["organization_all"]["campaigns"], 0);
    assert_eq!(p["history"]["pooled_organizations"], Value::Null);

    let unplanned = planned_campaign(&server, &key, json!({})).await;
    let reply = server
        .get(&format!("/api/marketing/predict/{unplanned}"), &key)
        .await;
    let problem = reply.problem(422, "reach_unknown");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("planned_reach")
    );
    assert_eq!(problem["allowed"], json!(["planned_reach", "budget"]));

    let bad = server
        .get(&format!("/api/marketing/predict/{id}?draws=5"), &key)
        .await;
    bad.problem(422, "validation_failed");
}

/// Six completed campaigns of `key`'s organization clicking at about 3% of 10,000 people.
async fn history(server: &Server, key: &str) {
    for (i, clicks) in [290, 310, 305, 280, 320, 295].iter().enumerate() {
        let id = planned_campaign(server, key, json!({"channels": ["linkedin"]})).await;
        let reply = record(
            server,
            key,
            &id,
            json!([{"date": format!("2026-10-0{}", i + 1), "channel": "linkedin", "reach": 10000, "clicks": clicks, "leads": clicks / 10, "conversions": clicks / 40, "spend": "400", "revenue": "1000"}]),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
}

async fn prediction_for_an_org_with_history(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Seasoned", MemberRole::Owner).await;
    history(&server, &key).await;
    let id = planned_campaign(
        &server,
        &key,
        json!({"planned_reach": 10000, "budget": "400", "channels": ["linkedin"]}),
    )
    .await;
    let path = format!("/api/marketing/predict/{id}");
    let first = server.get(&format!("{path}?seed=7"), &key).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let p = &first.body;
    assert_eq!(p["cold_start"], false);
    assert_eq!(p["history"]["organization"]["campaigns"], 6);
    assert_eq!(p["history"]["organization"]["records"], 6);
    let clicks = &p["stages"][1];
    assert_eq!(clicks["stage"], "clicks");
    let median = clicks["median"].as_f64().unwrap();
    assert!((250.0..=350.0).contains(&median), "{p}");
    assert!(clicks["rate"]["median"].as_f64().unwrap() > 0.02);
    assert!(p["roi"]["median"].is_number() && p["revenue"]["median"].is_number());
    assert!(p["confidence"].as_u64().unwrap() > 0);
    let again = server.get(&format!("{path}?seed=7"), &key).await;
    assert_eq!(again.body, first.body);
    let other = server.get(&format!("{path}?seed=8"), &key).await;
    assert_ne!(other.body["stages"], first.body["stages"]);

    // Without shared benchmarks a new organization learns nothing from another's results.
    let (_, newcomer) = server.org_with_key("Newcomer", MemberRole::Owner).await;
    let fresh = planned_campaign(
        &server,
        &newcomer,
        json!({"planned_reach": 10000, "channels": ["linkedin"]}),
    )
    .await;
    let pooled = server
        .get(&format!("/api/marketing/predict/{fresh}"), &newcomer)
        .await;
    assert_eq!(pooled.status, StatusCode::OK, "{}", pooled.body);
    assert_eq!(pooled.body["cold_start"], true, "{}", pooled.body);
    assert_eq!(pooled.body["history"]["organization_all"]["campaigns"], 0);
    assert_eq!(pooled.body["history"]["pooled_organizations"], Value::Null);
    assert!(!pooled.body.to_string().contains("\"campaigns\":6"));

    // While it runs, the campaign's own results condition the rest.
    let running = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-20", "channel": "linkedin", "reach": 5000, "clicks": 400}]),
    )
    .await;
    assert_eq!(running.status, StatusCode::OK);
    let during = server.get(&format!("{path}?seed=7"), &key).await;
    let clicks = &during.body["stages"][1];
    assert_eq!(clicks["observed"], 400.0);
    assert!(
        clicks["low_95"].as_f64().unwrap() >= 400.0,
        "{}",
        during.body
    );
    assert!(
        clicks["median"].as_f64().unwrap() > median,
        "{}",
        during.body
    );
    assert_eq!(during.body["history"]["organization"]["campaigns"], 6);
}

async fn another_orgs_campaign_is_not_found(db: TestDb) {
    let server = Server::start(db).await;
    let (_, a) = server.org_with_key("A", MemberRole::Owner).await;
    let (_, b) = server.org_with_key("B", MemberRole::Owner).await;
    let id = planned_campaign(&server, &a, json!({"planned_reach": 1000})).await;
    record(
        &server,
        &a,
        &id,
        json!([{"date": "2026-11-01", "channel": "email", "reach": 1000, "clicks": 7}]),
    )
    .await;
    server
        .get(&format!("/api/marketing/predict/{id}"), &b)
        .await
        .problem(404, "not_found");
    server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &b)
        .await
        .problem(404, "not_found");
    let write = record(
        &server,
        &b,
        &id,
        json!([{"date": "2026-11-01", "channel": "email", "reach": 1, "clicks": 1}]),
    )
    .await;
    write.problem(404, "not_found");
    let listed = server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &a)
        .await;
    assert_eq!(listed.body["totals"]["clicks"], 7);
}

/// Organization B's predicted conversions for a 10,000-reach lead-generation campaign on
/// LinkedIn.
async fn conversions_of(server: &Server, key: &str, id: &str) -> Value {
    let reply = server
        .get(&format!("/api/marketing/predict/{id}?seed=3"), key)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

async fn one_tenant_cannot_poison_another_tenants_pooled_prediction(db: TestDb) {
    let server = Server::start_sharing(
        db,
        ame_app::BenchmarkSharing {
            shared: true,
            min_orgs: 5,
        },
    )
    .await;
    for i in 0..5 {
        let (_, key) = server
            .org_with_key(&format!("Honest {i}"), MemberRole::Owner)
            .await;
        history(&server, &key).await;
    }
    let (_, b) = server.org_with_key("B", MemberRole::Owner).await;
    let target = planned_campaign(
        &server,
        &b,
        json!({"planned_reach": 10000, "channels": ["linkedin"]}),
    )
    .await;
    let before = conversions_of(&server, &b, &target).await;
    assert_eq!(before["history"]["pooled_organizations"], 5, "{before}");
    assert_eq!(before["history"]["organization_all"]["campaigns"], 0);
    let (_, a) = server.org_with_key("A", MemberRole::Owner).await;
    for _ in 0..20 {
        let id = planned_campaign(&server, &a, json!({"channels": ["linkedin"]})).await;
        let days: Vec<Value> = (1..=28)
            .map(|d| json!({"date": format!("2026-10-{d:02}"), "channel": "linkedin", "reach": 1000, "clicks": 1000, "leads": 1000, "conversions": 1000}))
            .collect();
        let reply = record(&server, &a, &id, Value::Array(days)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let after = conversions_of(&server, &b, &target).await;
    let stage = |p: &Value| p["stages"][3].clone();
    let (was, now) = (stage(&before), stage(&after));
    assert_eq!(now["stage"], "conversions");
    let width = was["high_80"].as_f64().unwrap() - was["low_80"].as_f64().unwrap();
    let moved = (now["median"].as_f64().unwrap() - was["median"].as_f64().unwrap()).abs();
    assert!(
        moved < width,
        "moved {moved} ≥ 80% width {width}: {was} → {now}"
    );
    assert_eq!(after["history"]["pooled_organizations"], 6);
}

async fn impossible_funnels_are_refused(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Liar", MemberRole::Owner).await;
    let id = planned_campaign(&server, &key, json!({})).await;
    let reply = record(
        &server,
        &key,
        &id,
        json!([{"date": "2026-11-01", "channel": "email", "reach": 0, "clicks": 1_000_000_000_000_i64, "leads": 1_000_000_000_000_i64, "conversions": 1_000_000_000_000_i64}]),
    )
    .await;
    let problem = reply.problem(422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"[0].clicks"), "{problem}");
    let listed = server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &key)
        .await;
    assert_eq!(listed.body["totals"]["records"], 0);
}

async fn page_views_are_tallied_raw_beside_counted(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Owner).await;
    let campaign = server
        .campaign(&key, "lead_gen", "Book 40 demos by March")
        .await;
    let id = campaign["id"].as_str().unwrap();
    let saved = server
        .send(
            reqwest::Method::PUT,
            "/api/marketing/brand",
            Some(&key),
            Some(crate::common::brand()),
            &[],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let assets = server.generate(&key, id).await;
    let slug = assets
        .iter()
        .find(|a| a["asset_type"] == "landing_page")
        .unwrap()["content"]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let open = |agent: &'static str| {
        let request = server
            .http
            .get(format!("{}/p/{slug}", server.base))
            .header("user-agent", agent);
        async move { request.send().await.unwrap().status() }
    };
    let person = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    for _ in 0..3 {
        assert_eq!(open(person).await, StatusCode::OK);
    }
    assert_eq!(open("curl/8.5.0").await, StatusCode::OK);
    let results = server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &key)
        .await;
    assert_eq!(results.status, StatusCode::OK, "{}", results.body);
    assert_eq!(
        results.body["requests"]["page_views"],
        json!({"raw": 4, "counted": 1, "repeated": 2, "automated": 1, "throttled": 0}),
        "{}",
        results.body
    );
    assert_eq!(results.body["requests"]["clicks"]["raw"], 0);
}
