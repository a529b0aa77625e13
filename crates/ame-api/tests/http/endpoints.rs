//! Every endpoint: success and each error status, with the problem body's fields.

use crate::common::Server;
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

backend_tests!(
    campaigns_are_created_read_and_validated,
    request_errors_are_problems,
    listing_pages_and_filters,
    lifecycle_transitions,
    drafts_are_edited_and_campaigns_deleted,
    assets_are_generated_and_read,
    creation_is_idempotent,
    api_keys_are_managed_by_owners_and_admins,
    operations_endpoints,
    input_is_read_strictly,
);

async fn campaigns_are_created_read_and_validated(db: TestDb) {
    let server = Server::start(db).await;
    let (org, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let full = json!({
        "campaign_type": "lead_gen",
        "objective": "Book 40 demos with finance teams by March",
        "name": "Q1 demos",
        "planned_reach": 50000,
        "budget": "2500.5",
        "channels": ["linkedin", "email"],
        "start_at": "2027-01-05T09:00:00Z",
        "end_at": "2027-03-31T17:00:00+02:00",
        "timezone": "Europe/Berlin"
    });
    let created = server.post("/api/marketing/campaign", &key, full).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let c = &created.body;
    assert_eq!(c["org_id"], org.to_string());
    assert_eq!(c["status"], "draft");
    assert_eq!(c["budget"], "2500.50");
    assert_eq!(c["channels"], json!(["linkedin", "email"]));
    assert_eq!(c["end_at"], "2027-03-31T15:00:00Z");
    assert_eq!(c["performance"], json!({}));
    let id = c["id"].as_str().unwrap();
    let read = server
        .get(&format!("/api/marketing/campaigns/{id}"), &key)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(&read.body, c);

    // Every invalid field is reported at once.
    let bad = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({
                "campaign_type": "upsell",
                "objective": " x ",
                "budget": "10.555",
                "planned_reach": -1,
                "start_at": "2027-02-01T00:00:00Z",
                "end_at": "2027-01-01T00:00:00Z",
                "timezone": "Mars/Olympus",
                "channels": ["email", "email"]
            }),
        )
        .await;
    let body = bad.problem(422, "validation_failed");
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "budget",
            "channels",
            "end_at",
            "objective",
            "planned_reach",
            "timezone"
        ]
    );

    // Unknown enum values list the allowed ones.
    let bad = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "spam", "objective": "Grow"}),
        )
        .await;
    let body = bad.problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "campaign_type");
    assert_eq!(body["errors"][0]["allowed"].as_array().unwrap().len(), 6);
    let bad = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "upsell", "objective": "Grow", "channels": ["fax"]}),
        )
        .await;
    let body = bad.problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "channels[0]");
    assert!(
        body["errors"][0]["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("email"))
    );
    let missing = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"objective": "Grow"}),
        )
        .await;
    assert_eq!(
        missing.problem(422, "validation_failed")["errors"][0]["field"],
        "campaign_type"
    );

    // Nothing half-written: only the valid campaign exists.
    let list = server.get("/api/marketing/campaigns", &key).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

async fn request_errors_are_problems(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let (_, viewer) = server.org_with_key("Viewers", MemberRole::Viewer).await;
    let path = "/api/marketing/campaign";

    let raw = |content_type: &'static str, body: Vec<u8>| {
        let request = server
            .http
            .post(format!("{}{path}", server.base))
            .bearer_auth(&key)
            .header("content-type", content_type)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            let body: Value = response.json().await.unwrap();
            (status, content_type, body)
        }
    };
    let (status, content_type, body) =
        raw("application/json", b"{\"campaign_type\":".to_vec()).await;
    assert_eq!(
        (status, content_type.as_str()),
        (400, "application/problem+json")
    );
    assert_eq!(body["code"], "malformed_json");
    let (status, _, body) = raw("text/plain", b"{}".to_vec()).await;
    assert_eq!(status, 415);
    assert_eq!(body["code"], "unsupported_media_type");
    assert_eq!(body["allowed"], json!(["application/json"]));
    let mut big = b"{\"campaign_type\":\"upsell\",\"objective\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 70 * 1024));
    big.extend(b"\"}");
    let (status, _, body) = raw("application/json", big).await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");

    // Credentials.
    let none = server
        .send(Method::GET, "/api/marketing/campaigns", None, None, &[])
        .await;
    none.problem(401, "unauthorized");
    assert!(
        none.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let basic = server
        .send(
            Method::GET,
            "/api/marketing/campaigns",
            None,
            None,
            &[("authorization", "Basic YTpi")],
        )
        .await;
    basic.problem(401, "unauthorized");
    let forged = format!("ame_{}", "A".repeat(43));
    server
        .get("/api/marketing/campaigns", &forged)
        .await
        .problem(401, "unauthorized");
    server
        .post(
            path,
            &viewer,
            json!({"campaign_type": "upsell", "objective": "Grow"}),
        )
        .await
        .problem(403, "forbidden");

    // Paths.
    server
        .get("/api/marketing/campaigns/not-a-uuid", &key)
        .await
        .problem(400, "invalid_id");
    server
        .get(
            &format!("/api/marketing/campaigns/{}", uuid::Uuid::now_v7()),
            &key,
        )
        .await
        .problem(404, "not_found");
    let wrong_method = server
        .send(
            Method::PUT,
            "/api/marketing/campaigns",
            Some(&key),
            None,
            &[],
        )
        .await;
    let body = wrong_method.problem(405, "method_not_allowed");
    assert_eq!(body["allowed"], json!(["GET"]));
    assert_eq!(wrong_method.header("allow"), Some("GET"));
    let id = uuid::Uuid::now_v7();
    let wrong_method = server
        .send(
            Method::PUT,
            &format!("/api/marketing/campaigns/{id}"),
            Some(&key),
            None,
            &[],
        )
        .await;
    wrong_method.problem(405, "method_not_allowed");
    assert_eq!(wrong_method.header("allow"), Some("GET, PATCH, DELETE"));
    server
        .get("/api/marketing/nothing-here", &key)
        .await
        .problem(404, "no_route");
}

async fn listing_pages_and_filters(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let mut ids = Vec::new();
    for (i, campaign_type) in ["upsell", "referral", "upsell", "lead_gen", "upsell"]
        .iter()
        .enumerate()
    {
        let c = server
            .campaign(&key, campaign_type, &format!("Objective {i}"))
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    server.make_launchable(&key, &ids[0]).await;
    server
        .post(
            &format!("/api/marketing/campaigns/{}/status", ids[0]),
            &key,
            json!({"status": "active"}),
        )
        .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/marketing/campaigns?limit=2&cursor={c}"),
            None => "/api/marketing/campaigns?limit=2".to_owned(),
        };
        let page = server.get(&path, &key).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let upsell = server
        .get("/api/marketing/campaigns?campaign_type=upsell", &key)
        .await;
    assert_eq!(upsell.body["items"].as_array().unwrap().len(), 3);
    let active = server
        .get(
            "/api/marketing/campaigns?status=active&campaign_type=upsell",
            &key,
        )
        .await;
    let items = active.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ids[0].as_str());

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=garbage", "cursor"),
        ("status=running", "status"),
        ("campaign_type=spam", "campaign_type"),
    ] {
        let reply = server
            .get(&format!("/api/marketing/campaigns?{query}"), &key)
            .await;
        let body = reply.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
    let status = server
        .get("/api/marketing/campaigns?status=running", &key)
        .await;
    assert_eq!(
        status.body["errors"][0]["allowed"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

async fn lifecycle_transitions(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let id = server.campaign(&key, "upsell", "Upgrade 200 teams").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/marketing/campaigns/{id}/status");
    server.make_launchable(&key, &id).await;
    let moved = server
        .post(&path, &key, json!({"status": "scheduled"}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["status"], "scheduled");

    let refused = server
        .post(&path, &key, json!({"status": "completed"}))
        .await;
    let body = refused.problem(409, "invalid_transition");
    assert_eq!(
        body["allowed"],
        json!(["active", "paused", "draft", "archived"])
    );

    let stale = server
        .post(
            &path,
            &key,
            json!({"status": "active", "expected_status": "draft"}),
        )
        .await;
    stale.problem(409, "conflict");
    let fresh = server
        .post(
            &path,
            &key,
            json!({"status": "active", "expected_status": "scheduled"}),
        )
        .await;
    assert_eq!(fresh.body["status"], "active");

    let unknown = server.post(&path, &key, json!({"status": "running"})).await;
    let body = unknown.problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "status");
    assert!(
        body["errors"][0]["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("archived"))
    );

    let read = server
        .get(&format!("/api/marketing/campaigns/{id}"), &key)
        .await;
    assert_eq!(read.body["status"], "active");
}

async fn drafts_are_edited_and_campaigns_deleted(db: TestDb) {
    let server = Server::start(db).await;
    let (org, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let viewer = server.key(org, MemberRole::Viewer).await;
    let created = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "referral", "objective": "Get 100 referrals", "name": "Refer", "budget": "10"}),
        )
        .await
        .body;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/marketing/campaigns/{id}");
    let patched = server
        .send(
            Method::PATCH,
            &path,
            Some(&key),
            Some(json!({"objective": "Get 150 referrals", "name": null, "planned_reach": 9000})),
            &[],
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["objective"], "Get 150 referrals");
    assert_eq!(patched.body["name"], Value::Null);
    assert_eq!(patched.body["planned_reach"], 9000);
    assert_eq!(patched.body["budget"], "10.00");

    let invalid = server
        .send(
            Method::PATCH,
            &path,
            Some(&key),
            Some(json!({"timezone": "Nowhere"})),
            &[],
        )
        .await;
    assert_eq!(
        invalid.problem(422, "validation_failed")["errors"][0]["field"],
        "timezone"
    );
    server
        .send(
            Method::PATCH,
            &path,
            Some(&viewer),
            Some(json!({"name": "x"})),
            &[],
        )
        .await
        .problem(403, "forbidden");

    server.make_launchable(&key, id).await;
    server
        .post(&format!("{path}/status"), &key, json!({"status": "active"}))
        .await;
    server
        .send(
            Method::PATCH,
            &path,
            Some(&key),
            Some(json!({"name": "late"})),
            &[],
        )
        .await
        .problem(409, "conflict");

    server
        .send(Method::DELETE, &path, Some(&viewer), None, &[])
        .await
        .problem(403, "forbidden");
    let deleted = server
        .send(Method::DELETE, &path, Some(&key), None, &[])
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    server.get(&path, &key).await.problem(404, "not_found");
    server
        .send(Method::DELETE, &path, Some(&key), None, &[])
        .await
        .problem(404, "not_found");
}

async fn assets_are_generated_and_read(db: TestDb) {
    let server = Server::start(db).await;
    let (org, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let viewer = server.key(org, MemberRole::Viewer).await;
    let id = server
        .campaign(&key, "brand_awareness", "Be known by 1M developers")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = server.generate(&key, &id).await;
    let types: Vec<&str> = first
        .iter()
        .map(|a| a["asset_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["social_post", "video_script", "image_asset"]);
    for asset in &first {
        assert_eq!(asset["campaign_id"], id.as_str());
        assert_eq!(asset["org_id"], org.to_string());
        assert!(asset["content"].is_object());
    }

    let listed = server
        .get(&format!("/api/marketing/campaigns/{id}/assets"), &viewer)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["items"].as_array().unwrap(), &first);
    let asset_id = first[0]["id"].as_str().unwrap();
    let one = server
        .get(&format!("/api/marketing/assets/{asset_id}"), &viewer)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body, first[0]);

    // Regenerating makes a new current set; the first stays readable as version 1.
    let second = server.generate(&key, &id).await;
    assert_eq!(second.len(), 3);
    assert_ne!(second[0]["id"], first[0]["id"]);
    assert_eq!(second[0]["version"], 2);
    let old = server
        .get(&format!("/api/marketing/assets/{asset_id}"), &key)
        .await;
    assert_eq!(
        (old.body["version"].clone(), old.body["current"].clone()),
        (json!(1), json!(false))
    );

    server
        .send(
            Method::POST,
            &format!("/api/marketing/generate-assets/{id}"),
            Some(&viewer),
            None,
            &[],
        )
        .await
        .problem(403, "forbidden");
    let unknown = uuid::Uuid::now_v7();
    server
        .send(
            Method::POST,
            &format!("/api/marketing/generate-assets/{unknown}"),
            Some(&key),
            None,
            &[],
        )
        .await
        .problem(404, "not_found");
    server
        .get(&format!("/api/marketing/campaigns/{unknown}/assets"), &key)
        .await
        .problem(404, "not_found");
    server
        .get("/api/marketing/assets/123", &key)
        .await
        .problem(400, "invalid_id");
}

async fn creation_is_idempotent(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let body = json!({"campaign_type": "upsell", "objective": "Upgrade 50 accounts"});
    let send = |key_header: &'static str, body: Value| {
        with_key(
            &server,
            &key,
            "/api/marketing/campaign",
            key_header,
            Some(body),
        )
    };
    let first = send("retry-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = send("retry-1", body.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert!(first.header("location").is_some());
    let list = server.get("/api/marketing/campaigns", &key).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);

    let other = send(
        "retry-1",
        json!({"campaign_type": "upsell", "objective": "Something else"}),
    )
    .await;
    other.problem(422, "idempotency_key_reused");
    let new_key = send("retry-2", body.clone()).await;
    assert_ne!(new_key.body["id"], first.body["id"]);
    let too_long: &'static str = Box::leak("k".repeat(256).into_boxed_str());
    send(too_long, body.clone())
        .await
        .problem(400, "invalid_idempotency_key");

    // The asset generation of one campaign replays too.
    let id = first.body["id"].as_str().unwrap();
    let path = format!("/api/marketing/generate-assets/{id}");
    let g1 = with_key(&server, &key, &path, "gen-1", None).await;
    let g2 = with_key(&server, &key, &path, "gen-1", None).await;
    assert_eq!(g1.status, StatusCode::CREATED);
    assert_eq!(g2.header("idempotent-replayed"), Some("true"));
    assert_eq!(g1.body, g2.body);
    let assets = server
        .get(&format!("/api/marketing/campaigns/{id}/assets"), &key)
        .await;
    assert_eq!(assets.body["items"], g1.body["items"]);
}

async fn with_key(
    server: &Server,
    token: &str,
    path: &str,
    idempotency_key: &str,
    body: Option<Value>,
) -> crate::common::Reply {
    server
        .send(
            Method::POST,
            path,
            Some(token),
            body,
            &[("idempotency-key", idempotency_key)],
        )
        .await
}

async fn api_keys_are_managed_by_owners_and_admins(db: TestDb) {
    let server = Server::start(db).await;
    let (org, owner) = server.org_with_key("Acme", MemberRole::Owner).await;
    let admin = server.key(org, MemberRole::Admin).await;
    let member = server.key(org, MemberRole::Member).await;

    let issued = server
        .post(
            "/api/org/api-keys",
            &admin,
            json!({"name": "CRM", "role": "viewer"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let secret = issued.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ame_"));
    assert_eq!(issued.body["key"]["role"], "viewer");
    assert_eq!(
        server.get("/api/marketing/campaigns", &secret).await.status,
        StatusCode::OK
    );

    server
        .post(
            "/api/org/api-keys",
            &admin,
            json!({"name": "root", "role": "owner"}),
        )
        .await
        .problem(403, "forbidden");
    server
        .post(
            "/api/org/api-keys",
            &member,
            json!({"name": "x", "role": "viewer"}),
        )
        .await
        .problem(403, "forbidden");
    server
        .get("/api/org/api-keys", &member)
        .await
        .problem(403, "forbidden");
    let bad = server
        .post(
            "/api/org/api-keys",
            &owner,
            json!({"name": "x", "role": "god"}),
        )
        .await;
    assert_eq!(
        bad.problem(422, "validation_failed")["errors"][0]["allowed"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let listed = server.get("/api/org/api-keys", &owner).await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(!listed.body.to_string().contains(&secret[12..]));

    let key_id = issued.body["key"]["id"].as_str().unwrap();
    let revoked = server
        .send(
            Method::DELETE,
            &format!("/api/org/api-keys/{key_id}"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body["revoked_at"].is_string());
    server
        .get("/api/marketing/campaigns", &secret)
        .await
        .problem(401, "unauthorized");
    let owner_key_id = items.iter().find(|k| k["role"] == "owner").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .send(
            Method::DELETE,
            &format!("/api/org/api-keys/{owner_key_id}"),
            Some(&admin),
            None,
            &[],
        )
        .await
        .problem(403, "forbidden");
}

async fn operations_endpoints(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Acme", MemberRole::Member).await;
    let health = server.send(Method::GET, "/healthz", None, None, &[]).await;
    assert_eq!(
        (health.status, &health.body),
        (StatusCode::OK, &json!({"status": "ok"}))
    );
    let ready = server.send(Method::GET, "/readyz", None, None, &[]).await;
    assert_eq!(ready.status, StatusCode::OK);

    let traced = server
        .send(
            Method::GET,
            "/api/marketing/campaigns",
            Some(&key),
            None,
            &[("x-request-id", "trace-123")],
        )
        .await;
    assert_eq!(traced.header("x-request-id"), Some("trace-123"));
    let generated = server.get("/api/marketing/campaigns", &key).await;
    assert!(uuid::Uuid::parse_str(generated.header("x-request-id").unwrap()).is_ok());

    let anonymous = server.send(Method::GET, "/metrics", None, None, &[]).await;
    anonymous.problem(401, "unauthorized");
    let metrics = server
        .http
        .get(format!("{}/metrics", server.base))
        .bearer_auth(crate::common::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(
        "ame_http_requests_total{endpoint=\"/api/marketing/campaigns\",method=\"GET\",status=\"200\"} 2"
    ), "{metrics}");
    assert!(metrics.contains("ame_http_requests_duration_seconds_bucket"));

    let spec = server
        .send(Method::GET, "/api-docs/openapi.json", None, None, &[])
        .await;
    assert_eq!(spec.status, StatusCode::OK);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(spec.body["paths"]["/api/marketing/campaign"]["post"].is_object());
    let docs = server
        .http
        .get(format!("{}/docs", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger-ui"));
}

async fn input_is_read_strictly(db: TestDb) {
    let server = Server::start(db).await;
    let (org, key) = server.org_with_key("Strict", MemberRole::Owner).await;
    let raw = |body: &'static str, headers: Vec<(&'static str, &'static str)>| {
        let mut request = server
            .http
            .post(format!("{}/api/marketing/campaign", server.base))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let repeated = raw(
        r#"{"campaign_type":"upsell","objective":"Grow","objective":"Shrink"}"#,
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(repeated.status(), StatusCode::BAD_REQUEST);
    let body: Value = repeated.json().await.unwrap();
    assert_eq!(body["code"], "malformed_json");

    for (extra, field) in [
        (r#""status":"active""#, "status"),
        (r#""org_id":"x""#, "org_id"),
    ] {
        let body = format!(r#"{{"campaign_type":"upsell","objective":"Grow revenue",{extra}}}"#);
        let reply = server
            .post(
                "/api/marketing/campaign",
                &key,
                serde_json::from_str(&body).unwrap(),
            )
            .await;
        let problem = reply.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let created = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "upsell", "objective": "Grow revenue"}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let patch = server
        .send(
            Method::PATCH,
            &format!("/api/marketing/campaigns/{id}"),
            Some(&key),
            Some(json!({"org_id": org.as_uuid().to_string()})),
            &[],
        )
        .await;
    assert_eq!(
        patch.problem(422, "validation_failed")["errors"][0]["field"],
        "org_id"
    );

    for (moment, field) in [
        ("0000-01-01T00:00:00Z", "start_at"),
        ("2027-06-30T23:59:60Z", "start_at"),
    ] {
        let reply = server
            .post(
                "/api/marketing/campaign",
                &key,
                json!({"campaign_type": "upsell", "objective": "Grow revenue", "start_at": moment}),
            )
            .await;
        let problem = reply.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // The same JSON laid out differently is the same request.
    let first = raw(
        r#"{"campaign_type":"upsell","objective":"Grow revenue"}"#,
        vec![("idempotency-key", "layout-1")],
    )
    .await
    .unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = raw(
        "{ \"objective\": \"Grow revenue\",\n  \"campaign_type\": \"upsell\" }",
        vec![("idempotency-key", "layout-1")],
    )
    .await
    .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");

    // A viewer learns it may not write before anything about its body.
    let viewer = server.key(org, MemberRole::Viewer).await;
    server
        .post(
            "/api/marketing/campaign",
            &viewer,
            json!({"campaign_type": "nonsense"}),
        )
        .await
        .problem(403, "forbidden");
    let member = server.key(org, MemberRole::Member).await;
    server
        .post(
            "/api/org/api-keys",
            &member,
            json!({"name": "", "role": "nonsense"}),
        )
        .await
        .problem(403, "forbidden");

    let gzip = raw(
        r#"{"campaign_type":"upsell","objective":"Grow revenue"}"#,
        vec![("content-encoding", "gzip")],
    )
    .await
    .unwrap();
    assert_eq!(gzip.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(gzip.headers()["content-type"], "application/problem+json");

    let huge = server
        .http
        .post(format!("{}/p/some-page/leads", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &server.base)
        .body(format!("name={}", "a".repeat(300 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.headers()["content-type"], "application/problem+json");

    let garbled = server
        .get("/api/marketing/campaigns", "eyJhbGciOiJub25lIn0.e30.x")
        .await;
    let detail = garbled.problem(401, "unauthorized")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !detail.contains("Base64") && !detail.contains("variant"),
        "{detail}"
    );
}
