//! Abuse limits over HTTP: lead form posts per address, same-origin forms, unknown API keys per
//! address (never refusing a valid one), writes and expensive calls per credential, and
//! `/metrics` behind its token.

use crate::common::Server;
use ame_api::LimitSettings;
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::json;

backend_tests!(
    lead_forms_are_limited_per_address_and_must_come_from_their_page,
    bad_keys_are_limited_per_address_and_credentials_have_write_and_expensive_budgets,
    every_body_limit_the_spec_states_is_the_one_the_server_applies,
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

async fn bad_keys_are_limited_per_address_and_credentials_have_write_and_expensive_budgets(
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
    // Past the limit bad keys are refused outright, saying what was limited…
    for _ in 0..95 {
        let refused = server
            .get("/api/marketing/campaigns", "ame_not_a_real_key")
            .await;
        refused.problem(429, "rate_limited");
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("unknown API keys and tokens from this address"),
            "{}",
            refused.body
        );
    }
    // …while a valid key from the same address, just after 100 bad ones, still works.
    assert_eq!(
        server.get("/api/marketing/campaigns", &key).await.status,
        StatusCode::OK
    );
}

/// Reads "N KiB" or "N MiB" from a 413 description.
fn stated_limit(description: &str) -> usize {
    let words: Vec<&str> = description.split_whitespace().collect();
    let n: usize = words[words.len() - 2].parse().unwrap();
    match words[words.len() - 1] {
        "KiB" => n * 1024,
        "MiB" => n * 1024 * 1024,
        other => panic!("unknown unit {other} in {description}"),
    }
}

async fn every_body_limit_the_spec_states_is_the_one_the_server_applies(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Owner).await;
    let spec = serde_json::to_value(ame_api::api_doc()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/")) {
        for (method, operation) in item.as_object().unwrap() {
            // JSON bodies (the logo upload states its own limit for image bytes).
            let Some(description) = operation["responses"]["413"]["description"]
                .as_str()
                .filter(|d| d.starts_with("The body is larger than"))
            else {
                continue;
            };
            let limit = stated_limit(description);
            let url = format!(
                "{}{}",
                server.base,
                path.replace("{id}", "0190c5b2-0000-7000-8000-000000000000")
            );
            let method: Method = method.to_uppercase().parse().unwrap();
            // A JSON body one byte over the stated limit: whitespace inside an empty array.
            let over = format!("[{}]", " ".repeat(limit - 1));
            let reply = server
                .http
                .request(method.clone(), &url)
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body(over)
                .send()
                .await
                .unwrap();
            assert_eq!(
                reply.status(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "{method} {path} states {description}"
            );
            // At the limit the body is read (and then judged on its content, never 413).
            let at = format!("[{}]", " ".repeat(limit - 2));
            let reply = server
                .http
                .request(method.clone(), &url)
                .bearer_auth(&key)
                .header("content-type", "application/json")
                .body(at)
                .send()
                .await
                .unwrap();
            assert_ne!(
                reply.status(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "{method} {path} states {description}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 13, "{checked} operations checked");
}
