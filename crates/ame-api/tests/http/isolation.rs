//! Tenant isolation: every endpoint and method, called with another organization's key on
//! organization A's campaign, asset or key, answers 404 and changes nothing.

use crate::common::Server;
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::Method;
use serde_json::{Value, json};

backend_tests!(another_organization_gets_404_and_changes_nothing);

async fn snapshot(server: &Server, key: &str, campaign: &str) -> (Value, Value, Value) {
    let c = server
        .get(&format!("/api/marketing/campaigns/{campaign}"), key)
        .await;
    let a = server
        .get(&format!("/api/marketing/campaigns/{campaign}/assets"), key)
        .await;
    let k = server.get("/api/org/api-keys", key).await;
    (c.body, a.body, k.body)
}

async fn another_organization_gets_404_and_changes_nothing(db: TestDb) {
    let server = Server::start(db).await;
    let (_, a_key) = server.org_with_key("A", MemberRole::Owner).await;
    let (_, b_key) = server.org_with_key("B", MemberRole::Owner).await;
    let campaign = server
        .campaign(&a_key, "referral", "Get 100 referrals")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assets = server.generate(&a_key, &campaign).await;
    let asset = assets[0]["id"].as_str().unwrap().to_owned();
    let page = assets[2]["id"].as_str().unwrap().to_owned();
    assert_eq!(assets[2]["asset_type"], "landing_page");
    let a_key_id = server.get("/api/org/api-keys", &a_key).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A's contacts, segment, connector and a job (another campaign, scheduled).
    server
        .post(
            "/api/marketing/contacts",
            &a_key,
            json!([{"email": "secret-customer@example.com", "first_name": "Secret"}]),
        )
        .await;
    let contact = server.get("/api/marketing/contacts", &a_key).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let segment = server
        .post(
            "/api/marketing/segments",
            &a_key,
            json!({"name": "Secret segment"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let connector = server
        .post(
            "/api/marketing/connectors",
            &a_key,
            json!({"name": "Secret hook", "url": "https://hooks.example.com/a", "channels": ["linkedin"]}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let scheduled = server
        .campaign(&a_key, "re_engagement", "Get 100 referrals back")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.make_launchable(&a_key, &scheduled).await;
    server
        .post(
            &format!("/api/marketing/campaigns/{scheduled}/status"),
            &a_key,
            json!({"status": "scheduled"}),
        )
        .await;
    let job = server.get("/api/marketing/jobs", &a_key).await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = snapshot(&server, &a_key, &campaign).await;
    let a_contact_before = server
        .get(&format!("/api/marketing/contacts/{contact}"), &a_key)
        .await
        .body;

    let matrix: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/marketing/campaigns/{campaign}"),
            Some(json!({"objective": "Hijacked objective"})),
        ),
        (
            Method::DELETE,
            format!("/api/marketing/campaigns/{campaign}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/marketing/campaigns/{campaign}/status"),
            Some(json!({"status": "active"})),
        ),
        (
            Method::POST,
            format!("/api/marketing/generate-assets/{campaign}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/assets"),
            None,
        ),
        (Method::GET, format!("/api/marketing/assets/{asset}"), None),
        (
            Method::GET,
            format!("/api/marketing/assets/{page}/files/index.html"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/asset-versions"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/assets?version=1"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/leads"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/predict/{campaign}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/org/api-keys/{a_key_id}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/org/api-keys/{a_key_id}/rotate"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/contacts/{contact}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/contacts/{contact}/export"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/marketing/contacts/{contact}"),
            Some(json!({"first_name": "Hijacked"})),
        ),
        (
            Method::DELETE,
            format!("/api/marketing/contacts/{contact}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/segments/{segment}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/marketing/jobs/{job}/retry"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/marketing/connectors/{connector}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/deliveries"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/readiness"),
            None,
        ),
        (
            Method::POST,
            "/api/marketing/conversions".to_owned(),
            Some(json!({"campaign_id": campaign, "value": "10.00"})),
        ),
        (
            Method::POST,
            format!("/api/marketing/campaigns/{campaign}/outcomes"),
            Some(json!([{"email": "secret-customer@example.com", "group": "treatment"}])),
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/lift"),
            None,
        ),
        (
            Method::GET,
            format!("/api/marketing/campaigns/{campaign}/experiments"),
            None,
        ),
        (
            Method::POST,
            format!("/api/marketing/campaigns/{campaign}/audience/score?goal=clicks"),
            None,
        ),
        (
            Method::POST,
            "/api/marketing/conversions".to_owned(),
            Some(json!({"campaign_id": scheduled, "contact_id": contact})),
        ),
    ];
    for (method, path, body) in matrix {
        for idempotency in [None, Some("iso-1")] {
            let headers: Vec<(&str, &str)> = idempotency
                .map(|k| vec![("idempotency-key", k)])
                .unwrap_or_default();
            let reply = server
                .send(method.clone(), &path, Some(&b_key), body.clone(), &headers)
                .await;
            reply.problem(404, "not_found");
            assert!(
                !reply.body.to_string().contains("Get 100 referrals"),
                "{method} {path} leaked data"
            );
        }
    }

    // A's sender, key and sending state are A's alone.
    let a_domain = server
        .send(
            Method::PUT,
            "/api/marketing/sending-domain",
            Some(&a_key),
            Some(
                json!({"from_name": "Ledgerly", "from_address": "news@ledgerly.com",
                        "dkim_algorithm": "ed25519"}),
            ),
            &[],
        )
        .await;
    assert_eq!(
        a_domain.status,
        reqwest::StatusCode::OK,
        "{}",
        a_domain.body
    );
    assert_eq!(
        a_domain.body["dns_records"][0]["name"],
        "ame._domainkey.ledgerly.com"
    );
    assert!(a_domain.body.get("dkim_private_key").is_none());
    server
        .get("/api/marketing/sending-domain", &b_key)
        .await
        .problem(404, "not_found");
    let b_status = server.get("/api/marketing/sending-status", &b_key).await;
    assert_eq!(b_status.body["state"], "active", "{}", b_status.body);

    // B's listings do not include A's data.
    let b_list = server.get("/api/marketing/campaigns", &b_key).await;
    assert_eq!(b_list.body["items"], json!([]));
    let b_keys = server.get("/api/org/api-keys", &b_key).await;
    assert_eq!(b_keys.body["items"].as_array().unwrap().len(), 1);
    let b_audit = server.get("/api/org/audit", &b_key).await;
    assert_eq!(b_audit.status, reqwest::StatusCode::OK, "{}", b_audit.body);
    assert!(
        b_audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e.to_string().contains(&campaign)),
        "B's audit log shows A's events: {}",
        b_audit.body
    );

    for list in [
        "/api/marketing/contacts",
        "/api/marketing/segments",
        "/api/marketing/jobs",
        "/api/marketing/connectors",
    ] {
        let reply = server.get(list, &b_key).await;
        assert_eq!(reply.body["items"], json!([]), "{list}: {}", reply.body);
    }
    let by_email = server
        .post(
            "/api/marketing/conversions",
            &b_key,
            json!({"campaign_id": campaign, "email": "secret-customer@example.com"}),
        )
        .await;
    assert!(
        matches!(by_email.status.as_u16(), 404 | 422),
        "{}",
        by_email.body
    );
    assert!(!by_email.body.to_string().contains("Secret"));
    assert_eq!(
        server
            .get(&format!("/api/marketing/contacts/{contact}"), &a_key)
            .await
            .body,
        a_contact_before
    );
    assert_eq!(
        server.get("/api/marketing/connectors", &a_key).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A's data is exactly as it was, and A's key still works.
    assert_eq!(snapshot(&server, &a_key, &campaign).await, before);
    assert_eq!(before.0["status"], "draft");
    assert_eq!(before.1["items"].as_array().unwrap().len(), assets.len());
}
