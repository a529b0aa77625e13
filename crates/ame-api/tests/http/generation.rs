//! Brand profiles, generated files, versions, public landing pages and their leads over HTTP.

use crate::common::{Server, brand};
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

backend_tests!(
    brand_profiles_are_validated_saved_and_used,
    generated_files_download_with_their_types,
    public_pages_serve_and_collect_leads,
    versions_and_seeds,
    replaying_a_deleted_creation_is_a_conflict,
    an_archived_campaign_gets_no_new_assets,
    pages_follow_their_campaign_and_keep_their_address,
    user_text_cannot_inject_merge_tags_or_reorder_text,
);

async fn put_brand(server: &Server, key: &str, body: Value) -> crate::common::Reply {
    server
        .send(
            Method::PUT,
            "/api/marketing/brand",
            Some(key),
            Some(body),
            &[],
        )
        .await
}

async fn download(server: &Server, key: &str, asset: &str, name: &str) -> reqwest::Response {
    server
        .http
        .get(format!(
            "{}/api/marketing/assets/{asset}/files/{name}",
            server.base
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

async fn brand_profiles_are_validated_saved_and_used(db: TestDb) {
    let server = Server::start(db).await;
    let (org, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let viewer = server.key(org, MemberRole::Viewer).await;
    let (_, other) = server.org_with_key("Other", MemberRole::Owner).await;
    server
        .get("/api/marketing/brand", &key)
        .await
        .problem(404, "brand_not_set");

    let mut bad = brand();
    bad["primary_color"] = json!("blue");
    bad["value_propositions"] = json!([]);
    bad["tone"] = json!("sarcastic");
    let reply = put_brand(&server, &key, bad).await;
    let problem = reply.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "tone", "{problem}");
    assert!(
        problem["errors"][0]["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("bold"))
    );
    let mut bad = brand();
    bad["primary_color"] = json!("blue");
    bad["value_propositions"] = json!([]);
    let fields: Vec<Value> = put_brand(&server, &key, bad)
        .await
        .problem(422, "validation_failed")["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields,
        [json!("value_propositions"), json!("primary_color")]
    );

    let saved = put_brand(&server, &key, brand()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["company_name"], "Ledgerly");
    assert_eq!(saved.body["unsubscribe_text"], "Unsubscribe");
    assert_eq!(
        server.get("/api/marketing/brand", &viewer).await.body,
        saved.body
    );
    put_brand(&server, &viewer, brand())
        .await
        .problem(403, "forbidden");
    server
        .get("/api/marketing/brand", &other)
        .await
        .problem(404, "brand_not_set");

    let id = server
        .campaign(&key, "lead_gen", "Book 40 demos with CFOs by March")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assets = server.generate(&key, &id).await;
    for a in &assets {
        assert_eq!(a["metadata"]["brand"], "profile");
        assert_eq!(
            a["metadata"]["quality"]["passed"], true,
            "{}",
            a["metadata"]["quality"]
        );
    }
    let page = &assets[0];
    assert_eq!(page["asset_type"], "landing_page");
    assert_eq!(page["content"]["cta_label"][0], "Book a demo");
    let other_campaign = server.campaign(&other, "lead_gen", "Book 10 demos").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let placeholder = server.generate(&other, &other_campaign).await;
    assert_eq!(placeholder[0]["metadata"]["brand"], "placeholder");
    // A page with placeholder details is not published.
    let path = placeholder[0]["content"]["public_path"].as_str().unwrap();
    let page = server
        .http
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
}

async fn generated_files_download_with_their_types(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let (_, stranger) = server.org_with_key("Other", MemberRole::Owner).await;
    put_brand(&server, &key, brand()).await;
    let mut seen = std::collections::BTreeSet::new();
    for campaign_type in ["lead_gen", "brand_awareness", "client_retention"] {
        let id = server
            .campaign(&key, campaign_type, "Grow revenue from finance teams by Q3")
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for asset in server.generate(&key, &id).await {
            let asset_id = asset["id"].as_str().unwrap();
            for file in asset["metadata"]["files"].as_array().unwrap() {
                let name = file["name"].as_str().unwrap();
                let response = download(&server, &key, asset_id, name).await;
                assert_eq!(response.status(), StatusCode::OK, "{name}");
                let media_type = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(media_type, file["media_type"].as_str().unwrap());
                let policy = response
                    .headers()
                    .get("content-security-policy")
                    .map(|v| v.to_str().unwrap().to_owned());
                if media_type.starts_with("text/html") {
                    let policy = policy.expect("HTML downloads carry a policy");
                    assert!(policy.contains("sandbox") && policy.contains("default-src 'none'"));
                }
                let bytes = response.bytes().await.unwrap();
                assert_eq!(bytes.len() as u64, file["size"].as_u64().unwrap());
                assert_eq!(
                    format!("{:x}", Sha256::digest(&bytes)),
                    file["sha256"].as_str().unwrap()
                );
                assert!(
                    file["uri"]
                        .as_str()
                        .unwrap()
                        .ends_with(file["sha256"].as_str().unwrap())
                );
                match media_type.as_str() {
                    "image/png" => {
                        let img = image::load_from_memory(&bytes).unwrap();
                        assert_eq!(
                            (img.width() as u64, img.height() as u64),
                            (
                                file["width"].as_u64().unwrap(),
                                file["height"].as_u64().unwrap()
                            )
                        );
                    }
                    "audio/wav" => {
                        let reader =
                            hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
                        let ms = u64::from(reader.duration()) * 1000
                            / u64::from(reader.spec().sample_rate);
                        assert_eq!(ms, file["duration_ms"].as_u64().unwrap());
                        assert!(ms > 15_000, "a 30-second ad: {ms} ms");
                    }
                    "text/html; charset=utf-8" => {
                        let doc =
                            scraper::Html::parse_document(std::str::from_utf8(&bytes).unwrap());
                        assert!(doc.errors.is_empty() || doc.root_element().text().count() > 0);
                    }
                    _ => assert!(
                        std::str::from_utf8(&bytes)
                            .unwrap()
                            .contains("{{unsubscribe_url}}")
                    ),
                }
                seen.insert(media_type);
                assert_eq!(
                    download(&server, &stranger, asset_id, name).await.status(),
                    StatusCode::NOT_FOUND
                );
            }
            let missing = server
                .get(
                    &format!("/api/marketing/assets/{asset_id}/files/nope.png"),
                    &key,
                )
                .await;
            missing.problem(404, "not_found");
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
}

async fn public_pages_serve_and_collect_leads(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let (_, stranger) = server.org_with_key("Other", MemberRole::Owner).await;
    put_brand(&server, &key, brand()).await;
    let id = server
        .campaign(&key, "lead_gen", "Book 40 demos with CFOs by March")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assets = server.generate(&key, &id).await;
    let path = assets[0]["content"]["public_path"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = server
        .http
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("form-action 'self'")
    );
    let html = page.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let form = doc
        .select(&scraper::Selector::parse("form").unwrap())
        .next()
        .unwrap();
    let action = form.value().attr("action").unwrap().to_owned();
    assert_eq!(action, format!("{path}/leads"));
    let token = crate::common::form_token_of(&html);

    let origin = server.base.clone();
    let send = |body: String, content_type: &'static str| {
        let request = server
            .http
            .post(format!("{}{action}", server.base))
            .header("content-type", content_type)
            .header("origin", &origin)
            .body(body);
        async move { request.send().await.unwrap() }
    };
    let post = |body: &str, content_type: &'static str| {
        send(format!("{body}&form_token={token}"), content_type)
    };
    // A form scripted without the page's token, or with a forged one, is refused.
    for body in [
        "name=Ada&email=ada%40example.com&consent=yes".to_owned(),
        format!(
            "name=Ada&email=ada%40example.com&consent=yes&form_token={}",
            token.replace('.', "x.")
        ),
    ] {
        let refused = send(body, "application/x-www-form-urlencoded").await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["code"], "stale_form");
    }
    let ok = post(
        "name=Ada+Lovelace&email=ada%40example.com&company=Analytical&consent=yes&website=",
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    assert!(ok.text().await.unwrap().contains("Thank you"));
    let trap = post(
        "name=Bot&email=bot%40example.com&consent=yes&website=http%3A%2F%2Fspam",
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(trap.status(), StatusCode::CREATED);
    let invalid = post(
        "name=&email=nope&consent=no",
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = invalid.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "consent"]);
    assert_eq!(
        post("{}", "application/json").await.status(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let unknown = server
        .http
        .post(format!("{}/p/no-such-page/leads", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &server.base)
        .body("name=A&email=a%40b.co&consent=yes")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        server
            .http
            .get(format!("{}/p/no-such-page", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    let leads = server
        .get(&format!("/api/marketing/campaigns/{id}/leads"), &key)
        .await;
    assert_eq!(leads.status, StatusCode::OK);
    let items = leads.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the trap stored nothing: {items:?}");
    assert_eq!(
        items[0]["fields"],
        json!({"name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical", "consent": true})
    );
    server
        .get(&format!("/api/marketing/campaigns/{id}/leads"), &stranger)
        .await
        .problem(404, "not_found");
    server
        .get(
            &format!("/api/marketing/campaigns/{id}/leads?limit=0"),
            &key,
        )
        .await
        .problem(422, "validation_failed");

    // Regenerating keeps the address and shows the new page.
    let again = server
        .send(
            Method::POST,
            &format!("/api/marketing/generate-assets/{id}?seed=99"),
            Some(&key),
            None,
            &[],
        )
        .await;
    assert_eq!(
        again.body["items"][0]["content"]["public_path"],
        path.as_str()
    );
    let html2 = server
        .http
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The regenerated page is served: its headline is one of the new variants (a new visitor
    // gets a variant drawn by the page's headline test).
    let doc = scraper::Html::parse_document(&html2);
    let shown: String = doc
        .select(&scraper::Selector::parse("h1").unwrap())
        .next()
        .unwrap()
        .text()
        .collect();
    let headlines = again.body["items"][0]["content"]["headline"]
        .as_array()
        .unwrap();
    assert!(
        headlines.iter().any(|h| h.as_str() == Some(shown.as_str())),
        "{shown} is not one of {headlines:?}"
    );
}

async fn versions_and_seeds(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let id = server
        .campaign(
            &key,
            "referral",
            "Get 200 referrals from happy clients by June",
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let generate = |query: &'static str| {
        let path = format!("/api/marketing/generate-assets/{id}{query}");
        let server = &server;
        let key = key.clone();
        async move {
            server
                .send(Method::POST, &path, Some(&key), None, &[])
                .await
        }
    };
    let a = generate("?seed=1").await;
    let b = generate("?seed=1").await;
    let c = generate("?seed=2").await;
    let contents = |r: &crate::common::Reply| -> Vec<Value> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["content"].clone())
            .collect()
    };
    assert_eq!(contents(&a), contents(&b));
    assert_ne!(contents(&a), contents(&c));
    generate("?seed=-1").await.problem(422, "validation_failed");
    generate("?seed=9007199254740992")
        .await
        .problem(422, "validation_failed");

    let versions = server
        .get(
            &format!("/api/marketing/campaigns/{id}/asset-versions"),
            &key,
        )
        .await;
    let listed: Vec<(Value, Value)> = versions.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].clone(), v["current"].clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (json!(3), json!(true)),
            (json!(2), json!(false)),
            (json!(1), json!(false))
        ]
    );
    let v1 = server
        .get(
            &format!("/api/marketing/campaigns/{id}/assets?version=1"),
            &key,
        )
        .await;
    assert_eq!(
        v1.body["items"],
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                let mut x = x.clone();
                x["current"] = json!(false);
                x
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Value>()
    );
    server
        .get(
            &format!("/api/marketing/campaigns/{id}/assets?version=0"),
            &key,
        )
        .await
        .problem(422, "validation_failed");
    server
        .get(
            &format!("/api/marketing/campaigns/{id}/assets?version=9"),
            &key,
        )
        .await
        .problem(404, "not_found");
    let current = server
        .get(&format!("/api/marketing/campaigns/{id}/assets"), &key)
        .await;
    assert_eq!(current.body["items"], c.body["items"]);
}

async fn replaying_a_deleted_creation_is_a_conflict(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let body = json!({"campaign_type": "upsell", "objective": "Move 120 customers to Business"});
    let create = || {
        server.send(
            Method::POST,
            "/api/marketing/campaign",
            Some(&key),
            Some(body.clone()),
            &[("idempotency-key", "create-1")],
        )
    };
    let first = create().await;
    assert_eq!(first.status, StatusCode::CREATED);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let generate_path = format!("/api/marketing/generate-assets/{id}");
    let generate = || {
        server.send(
            Method::POST,
            &generate_path,
            Some(&key),
            None,
            &[("idempotency-key", "gen-1")],
        )
    };
    assert_eq!(generate().await.status, StatusCode::CREATED);
    let replay = create().await;
    assert_eq!(
        (replay.status, replay.header("idempotent-replayed")),
        (StatusCode::CREATED, Some("true"))
    );
    assert_eq!(replay.body["id"], id.as_str());
    let deleted = server
        .send(
            Method::DELETE,
            &format!("/api/marketing/campaigns/{id}"),
            Some(&key),
            None,
            &[],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    create().await.problem(409, "idempotency_resource_deleted");
    generate()
        .await
        .problem(409, "idempotency_resource_deleted");
}

async fn an_archived_campaign_gets_no_new_assets(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    assert_eq!(
        put_brand(&server, &key, brand()).await.status,
        StatusCode::OK
    );
    let created = server
        .send(
            Method::POST,
            "/api/marketing/campaign",
            Some(&key),
            Some(json!({"campaign_type": "upsell", "objective": "Move 120 customers to Business"})),
            &[],
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let generate_path = format!("/api/marketing/generate-assets/{id}");
    let generate = || server.send(Method::POST, &generate_path, Some(&key), None, &[]);
    assert_eq!(generate().await.status, StatusCode::CREATED);
    let archived = server
        .send(
            Method::POST,
            &format!("/api/marketing/campaigns/{id}/status"),
            Some(&key),
            Some(json!({"status": "archived"})),
            &[],
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    generate().await.problem(409, "campaign_archived");
    let versions = server
        .send(
            Method::GET,
            &format!("/api/marketing/campaigns/{id}/asset-versions"),
            Some(&key),
            None,
            &[],
        )
        .await;
    assert_eq!(versions.body["items"].as_array().unwrap().len(), 1);
}

async fn pages_follow_their_campaign_and_keep_their_address(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    put_brand(&server, &key, brand()).await;
    let id = server
        .campaign(&key, "lead_gen", "Book 40 demos with CFOs by March")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.give_audience(&key, &id).await;
    let path = server.generate(&key, &id).await[0]["content"]["public_path"]
        .as_str()
        .unwrap()
        .to_owned();
    let visit = || server.http.get(format!("{}{path}", server.base)).send();
    let token = server.form_token(&path).await;
    let sign_up = |email: &str| {
        server
            .http
            .post(format!("{}{path}/leads", server.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("referer", format!("{}{path}", server.base))
            .body(format!(
                "name=Ada&email={email}&consent=yes&form_token={token}"
            ))
            .send()
    };
    let status_path = format!("/api/marketing/campaigns/{id}/status");
    let status = |to: &'static str| {
        server.send(
            Method::POST,
            &status_path,
            Some(&key),
            Some(json!({ "status": to })),
            &[],
        )
    };

    // Renaming, then regenerating, keeps the address links were sent with.
    let renamed = server
        .send(
            Method::PATCH,
            &format!("/api/marketing/campaigns/{id}"),
            Some(&key),
            Some(json!({"name": "Completely different name"})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let again = server.generate(&key, &id).await;
    assert_eq!(again[0]["content"]["public_path"], path.as_str());
    assert_eq!(visit().await.unwrap().status(), StatusCode::OK);

    // The same address twice within a day is one lead.
    assert_eq!(
        sign_up("ada%40example.com").await.unwrap().status(),
        StatusCode::CREATED
    );
    let twice = sign_up("ADA%40example.com").await.unwrap();
    assert_eq!(twice.status(), StatusCode::OK);
    assert!(twice.text().await.unwrap().contains("Thank you"));

    assert_eq!(status("active").await.status, StatusCode::OK);
    assert_eq!(status("paused").await.status, StatusCode::OK);
    let paused = visit().await.unwrap();
    assert_eq!(paused.status(), StatusCode::OK);
    let notice = paused.text().await.unwrap();
    assert!(
        notice.contains("paused") && !notice.contains("<form"),
        "{notice}"
    );
    let refused = sign_up("grace%40example.com").await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "page_paused");

    assert_eq!(status("completed").await.status, StatusCode::OK);
    let gone = visit().await.unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    assert!(gone.text().await.unwrap().contains("ended"));
    let late = sign_up("linus%40example.com").await.unwrap();
    assert_eq!(late.status(), StatusCode::GONE);
    let problem: Value = late.json().await.unwrap();
    assert_eq!(problem["code"], "page_gone");

    let leads = server
        .get(&format!("/api/marketing/campaigns/{id}/leads"), &key)
        .await;
    assert_eq!(
        leads.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        leads.body
    );
}

async fn user_text_cannot_inject_merge_tags_or_reorder_text(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    for company in ["Ledgerly {{unsubscribe_url}}", "Ledgerly \u{202E}gpj.exe"] {
        let mut sneaky = brand();
        sneaky["company_name"] = json!(company);
        let refused = put_brand(&server, &key, sneaky).await;
        let problem = refused.problem(422, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "company_name", "{problem}");
    }
    let refused = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "re_engagement", "objective": "Win back {{first_name}} by June"}),
        )
        .await;
    let problem = refused.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "objective");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("merge tags")
    );
    assert_eq!(
        put_brand(&server, &key, brand()).await.status,
        StatusCode::OK
    );
}
