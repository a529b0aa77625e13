//! Abuse limits over HTTP: lead form posts per address, same-origin forms, failed sign-ins per
//! address, writes and expensive calls per credential, and `/metrics` behind its token.

use crate::common::Server;
use ame_api::LimitSettings;
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::json;

backend_tests!(
    lead_forms_are_limited_per_address_and_must_come_from_their_page,
    failed_sign_ins_block_the_address_and_credentials_have_write_and_expensive_budgets,
);

async fn lead_forms_are_limited_per_address_and_must_come_from_their_page(db: TestDb) {
    let server = Server::start_limited(
        db,
        LimitSettings {
            leads_per_minute: 5,
            ..LimitSettings::OFF
        },
    )
    .await;
    let post = |origin: Option<&str>| {
        let mut request = server
            .http
            .post(format!("{}/p/no-such-page/leads", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=A&email=a%40example.com&consent=yes");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let foreign = post(Some("https://attacker.example")).await.unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = foreign.json().await.unwrap();
    assert_eq!(body["code"], "cross_origin_form");
    let anonymous = post(None).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    for _ in 0..3 {
        let same = post(Some(&server.base)).await.unwrap();
        assert_eq!(
            same.status(),
            StatusCode::NOT_FOUND,
            "same origin passes the check"
        );
    }
    let throttled = post(Some(&server.base)).await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = throttled.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

async fn failed_sign_ins_block_the_address_and_credentials_have_write_and_expensive_budgets(
    db: TestDb,
) {
    let server = Server::start_limited(
        db,
        LimitSettings {
            auth_failures_per_minute: 5,
            writes_per_minute: 6,
            expensive_per_minute: 2,
            ..LimitSettings::OFF
        },
    )
    .await;
    let (_, key) = server.org_with_key("Busy", MemberRole::Owner).await;
    let created = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "upsell", "objective": "Move 120 customers to Business"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let generate_path = format!("/api/marketing/generate-assets/{id}");
    let generate = || server.send(Method::POST, &generate_path, Some(&key), None, &[]);
    assert_eq!(generate().await.status, StatusCode::CREATED);
    assert_eq!(generate().await.status, StatusCode::CREATED);
    let costly = generate().await;
    costly.problem(429, "rate_limited");
    assert!(costly.header("retry-after").is_some());
    // Reads are not writes: only the expensive budget applies to them.
    let big = server
        .get(&format!("/api/marketing/predict/{id}?draws=20000"), &key)
        .await;
    big.problem(429, "rate_limited");
    let small = server
        .get(&format!("/api/marketing/predict/{id}"), &key)
        .await;
    assert_ne!(
        small.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        small.body
    );
    // Four writes were spent (the refused generation too); two more pass, the next is refused.
    for _ in 0..2 {
        let more = server
            .post(
                "/api/marketing/campaign",
                &key,
                json!({"campaign_type": "upsell", "objective": "Move 120 customers to Business"}),
            )
            .await;
        assert_eq!(more.status, StatusCode::CREATED, "{}", more.body);
    }
    server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "upsell", "objective": "Move 120 customers to Business"}),
        )
        .await
        .problem(429, "rate_limited");
    assert_eq!(
        server.get("/api/marketing/campaigns", &key).await.status,
        StatusCode::OK
    );

    for _ in 0..5 {
        server
            .get("/api/marketing/campaigns", "ame_not_a_real_key")
            .await
            .problem(401, "unauthorized");
    }
    server
        .get("/api/marketing/campaigns", "ame_not_a_real_key")
        .await
        .problem(429, "rate_limited");
    // Blocked: even a valid key from this address waits until the bucket refills.
    server
        .get("/api/marketing/campaigns", &key)
        .await
        .problem(429, "rate_limited");
}
