//! Contacts, segments, a campaign run over HTTP (outbox, tracked links, unsubscribe, results),
//! dead jobs and their retry.

use crate::common::{Server, brand};
use ame_api::LimitSettings;
use ame_app::execution::ExecutionSettings;
use ame_app::{Clock, Engine, ManualClock};
use ame_app::{Worker, WorkerSettings};
use ame_domain::MemberRole;
use ame_storage::{BlobStore, ObjectBlobs};
use ame_test_support::{TestDb, backend_tests};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

backend_tests!(
    contacts_are_upserted_listed_changed_and_erased,
    bad_contacts_and_segments_are_refused_whole,
    a_campaign_runs_into_the_outbox_and_its_links_track_and_unsubscribe,
    a_dead_job_is_listed_and_retried,
    a_referral_email_carries_the_contacts_own_link_and_the_friend_who_signs_up_credits_them,
);

async fn contacts_are_upserted_listed_changed_and_erased(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let reply = server
        .send(
            Method::POST,
            "/api/marketing/contacts",
            Some(&key),
            Some(json!([
                {"email": "ada@example.com", "first_name": "Ada", "time_zone": "Europe/London",
                 "attributes": {"plan": "pro", "seats": 12}},
                {"email": "grace@example.com", "attributes": {"plan": "free", "seats": 2}},
            ])),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"created": 2, "updated": 0, "kept_suppressed": 0})
    );
    let pro = server
        .get("/api/marketing/contacts?attribute=plan:pro", &key)
        .await;
    assert_eq!(pro.body["items"].as_array().unwrap().len(), 1);
    let ada = pro.body["items"][0].clone();
    assert_eq!(ada["first_name"], "Ada");
    let page = server.get("/api/marketing/contacts?limit=1", &key).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let next = server
        .get(
            &format!("/api/marketing/contacts?limit=1&cursor={cursor}"),
            &key,
        )
        .await;
    assert_eq!(next.body["items"].as_array().unwrap().len(), 1);
    assert_ne!(next.body["items"][0]["id"], page.body["items"][0]["id"]);

    let id = ada["id"].as_str().unwrap();
    let changed = server
        .send(
            Method::PATCH,
            &format!("/api/marketing/contacts/{id}"),
            Some(&key),
            Some(json!({"first_name": null, "consent": "unsubscribed"})),
            &[],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["first_name"], Value::Null);
    assert_eq!(changed.body["consent"], "unsubscribed");
    let erased = server
        .send(
            Method::DELETE,
            &format!("/api/marketing/contacts/{id}"),
            Some(&key),
            None,
            &[],
        )
        .await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT);
    // Erased is gone: reading it again is a 404.
    server
        .get(&format!("/api/marketing/contacts/{id}"), &key)
        .await
        .problem(404, "not_found");

    let segment = server
        .post(
            "/api/marketing/segments",
            &key,
            json!({"name": "Big teams", "filter": {"conditions": [{"attribute": "seats", "min": 10}]}}),
        )
        .await;
    assert_eq!(segment.status, StatusCode::CREATED, "{}", segment.body);
    let listed = server.get("/api/marketing/segments", &key).await;
    assert_eq!(listed.body["items"][0]["name"], "Big teams");
    // A viewer reads but does not write.
    let (_, viewer) = server.org_with_key("Viewers", MemberRole::Viewer).await;
    server
        .post(
            "/api/marketing/contacts",
            &viewer,
            json!([{"email": "x@example.com"}]),
        )
        .await
        .problem(403, "forbidden");
}

async fn bad_contacts_and_segments_are_refused_whole(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Owner).await;
    let reply = server
        .send(
            Method::POST,
            "/api/marketing/contacts",
            Some(&key),
            Some(json!([
                {"email": "ok@example.com"},
                {"email": "not an address", "time_zone": "Mars/Olympus",
                 "attributes": {"plan": ["a", "b"]}},
            ])),
            &[],
        )
        .await;
    let problem = reply.problem(422, "validation_failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["[1].email", "[1].time_zone", "[1].attributes.plan"]
    );
    let listed = server.get("/api/marketing/contacts", &key).await;
    assert_eq!(listed.body["items"], json!([]), "nothing was written");

    let unknown = server
        .post(
            "/api/marketing/contacts",
            &key,
            json!([{"email": "a@example.com", "nickname": "A"}]),
        )
        .await;
    let problem = unknown.problem(422, "validation_failed");
    assert!(problem.to_string().contains("nickname"), "{problem}");

    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"email": format!("p{i}@example.com")}))
        .collect();
    let reply = server
        .post("/api/marketing/contacts", &key, Value::Array(too_many))
        .await;
    assert_eq!(
        reply.problem(422, "validation_failed")["errors"][0]["field"],
        "contacts"
    );
    server
        .post("/api/marketing/contacts", &key, json!([]))
        .await
        .problem(422, "validation_failed");

    let segment = server
        .post(
            "/api/marketing/segments",
            &key,
            json!({"name": "x", "filter": {"conditions": [{"attribute": "plan", "like": "p%"}]}}),
        )
        .await;
    assert!(
        segment
            .problem(422, "validation_failed")
            .to_string()
            .contains("like")
    );
    let segment = server
        .post(
            "/api/marketing/segments",
            &key,
            json!({"name": "x", "filter": {"conditions": [{"attribute": "seats", "min": 5, "max": 1}]}}),
        )
        .await;
    assert_eq!(
        segment.problem(422, "validation_failed")["errors"][0]["field"],
        "filter.conditions[0].max"
    );
    let campaign = server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "re_engagement", "objective": "Win back teams",
                   "audience": {"all_subscribed": true, "campaign_leads": true}, "holdout_fraction": 0}),
        )
        .await;
    assert_eq!(
        campaign.problem(422, "validation_failed")["errors"][0]["field"],
        "audience"
    );
    let id = server.campaign(&key, "lead_gen", "Book demos").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for email in ["ada\u{0}@example.com", "not an address", &"a".repeat(300)] {
        let conversion = server
            .post(
                "/api/marketing/conversions",
                &key,
                json!({"campaign_id": id, "email": email}),
            )
            .await;
        assert_eq!(
            conversion.problem(422, "validation_failed")["errors"][0]["field"],
            "email",
            "{email:?}"
        );
    }
}

struct Running {
    server: Server,
    clock: Arc<ManualClock>,
    worker: Worker,
    blobs: Arc<ObjectBlobs>,
}

async fn running(db: TestDb) -> Running {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap(),
    ));
    let blobs = Arc::new(ObjectBlobs::in_memory());
    let engine = Engine::new(db.storage.clone())
        .with_clock(clock.clone())
        .with_blobs(blobs.clone())
        .with_execution(ExecutionSettings {
            public_url: "https://ame.example".into(),
            from: "Ledgerly <news@ledgerly.example>".into(),
            ..ExecutionSettings::default()
        });
    let worker = Worker::new(engine.clone(), WorkerSettings::named("http-test"));
    let server = Server::start_engine(db, engine, LimitSettings::OFF).await;
    Running {
        server,
        clock,
        worker,
        blobs,
    }
}

impl Running {
    async fn run_until(&self, until: chrono::DateTime<Utc>) {
        while self.clock.now() < until {
            self.worker.drain().await.unwrap();
            self.clock
                .set((self.clock.now() + chrono::TimeDelta::minutes(10)).min(until));
        }
        self.worker.drain().await.unwrap();
    }

    /// Creates a campaign of `campaign_type` for two contacts, starting 2027-03-01 10:00 UTC
    /// with every subscribed contact and no holdout, generates its assets and schedules it;
    /// returns its id and assets.
    async fn launch(
        &self,
        key: &str,
        campaign_type: &str,
        objective: &str,
    ) -> (String, Vec<Value>) {
        let campaign = self
            .server
            .post(
                "/api/marketing/campaign",
                key,
                json!({"campaign_type": campaign_type, "objective": objective,
                       "planned_reach": 2, "start_at": "2027-03-01T10:00:00Z",
                       "audience": {"all_subscribed": true}, "holdout_fraction": 0}),
            )
            .await;
        assert_eq!(campaign.status, StatusCode::CREATED, "{}", campaign.body);
        let id = campaign.body["id"].as_str().unwrap().to_owned();
        let assets = self.server.generate(key, &id).await;
        let scheduled = self
            .server
            .post(
                &format!("/api/marketing/campaigns/{id}/status"),
                key,
                json!({"status": "scheduled"}),
            )
            .await;
        assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.body);
        (id, assets)
    }

    async fn outbox(&self) -> Vec<String> {
        let mut messages = Vec::new();
        for blob in self.blobs.list().await.unwrap() {
            if blob.key.starts_with("outbox/") {
                let (_, stream) = self.blobs.open(&blob.key).await.unwrap().unwrap();
                let chunks: Vec<bytes::Bytes> =
                    futures::TryStreamExt::try_collect(stream).await.unwrap();
                // Undo quoted-printable soft line breaks, so links read whole.
                let text = String::from_utf8(chunks.concat()).unwrap();
                messages.push(text.replace("=\r\n", "").replace("=3D", "="));
            }
        }
        messages
    }
}

/// The last path segment after `prefix` in `text`, up to a character a token never holds.
fn token_after(text: &str, prefix: &str) -> String {
    text.split(prefix)
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect::<String>()
        .trim_end_matches('.')
        .to_owned()
}

async fn a_campaign_runs_into_the_outbox_and_its_links_track_and_unsubscribe(db: TestDb) {
    let r = running(db).await;
    let (_, key) = r.server.org_with_key("Ledgerly", MemberRole::Owner).await;
    let put = r
        .server
        .send(
            Method::PUT,
            "/api/marketing/brand",
            Some(&key),
            Some(brand()),
            &[],
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    r.server
        .post(
            "/api/marketing/contacts",
            &key,
            json!([
                {"email": "ada@example.com", "first_name": "Ada", "time_zone": "Europe/London"},
                {"email": "grace@example.com", "first_name": "Grace", "time_zone": "Europe/London"},
            ]),
        )
        .await;
    let (id, _) = r
        .launch(&key, "re_engagement", "Win back finance teams")
        .await;
    r.run_until(Utc.with_ymd_and_hms(2027, 3, 1, 11, 0, 0).unwrap())
        .await;

    let outbox = r.outbox().await;
    assert_eq!(outbox.len(), 2, "one message per contact so far");
    let ada = outbox
        .iter()
        .find(|m| m.contains("To: Ada <ada@example.com>"))
        .unwrap();
    assert!(ada.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let click = token_after(ada, "https://ame.example/t/");
    let unsubscribe = token_after(ada, "List-Unsubscribe: <https://ame.example/u/");

    // A person's browser (software without a user agent is sent on but not counted).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        .build()
        .unwrap();
    let followed = http
        .get(format!("{}/t/{click}", r.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), StatusCode::FOUND);
    assert!(
        followed.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://ledgerly.example/demo")
    );
    let mut tampered = click.clone();
    tampered.replace_range(5..6, if &click[5..6] == "A" { "B" } else { "A" });
    let refused = http
        .get(format!("{}/t/{tampered}", r.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    // The link opens a page that changes nothing; its button (or a one-click POST) unsubscribes.
    let page = http
        .get(format!("{}/u/{unsubscribe}", r.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    let ada_contact = r
        .server
        .get("/api/marketing/contacts?consent=subscribed", &key)
        .await;
    assert_eq!(ada_contact.body["items"].as_array().unwrap().len(), 2);
    let done = http
        .post(format!("{}/u/{unsubscribe}", r.server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let left = r
        .server
        .get("/api/marketing/contacts?consent=unsubscribed", &key)
        .await;
    assert_eq!(left.body["items"][0]["email"], "ada@example.com");

    r.run_until(Utc.with_ymd_and_hms(2027, 3, 16, 0, 0, 0).unwrap())
        .await;
    assert_eq!(r.outbox().await.len(), 4, "Ada's later steps were not sent");
    let results = r
        .server
        .get(&format!("/api/marketing/campaigns/{id}/results"), &key)
        .await;
    let email: Vec<&Value> = results.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["channel"] == "email")
        .collect();
    let clicks: i64 = email.iter().map(|r| r["clicks"].as_i64().unwrap()).sum();
    let reach: i64 = email.iter().map(|r| r["reach"].as_i64().unwrap()).sum();
    assert_eq!((reach, clicks), (4, 1), "{}", results.body);
    let email = &results.body["email"];
    assert_eq!(
        (
            &email["delivered"],
            &email["bounced"],
            &email["unsubscribed"]
        ),
        (&json!(4), &json!(0), &json!(1)),
        "{email}"
    );
    assert_eq!(email["unsubscribe_rate"], json!(0.25));
    let prediction = r
        .server
        .get(&format!("/api/marketing/predict/{id}?draws=500"), &key)
        .await;
    let stages = prediction.body["prediction"]["stages"]
        .as_array()
        .or_else(|| prediction.body["stages"].as_array())
        .unwrap();
    let observed = stages.iter().find(|s| s["stage"] == "clicks").unwrap();
    assert_eq!(observed["observed"], json!(1.0));
    let ledger = r
        .server
        .get(&format!("/api/marketing/campaigns/{id}/deliveries"), &key)
        .await;
    let states: Vec<&str> = ledger.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "sent").count(), 4);
    assert_eq!(states.iter().filter(|s| **s == "suppressed").count(), 2);
    assert!(ledger.body["next_cursor"].is_null());

    // Pages of four follow `next_cursor` to the same six rows; filters narrow them.
    let base = format!("/api/marketing/campaigns/{id}/deliveries");
    let first = r.server.get(&format!("{base}?limit=4"), &key).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 4);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = r
        .server
        .get(&format!("{base}?limit=4&cursor={cursor}"), &key)
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 2);
    assert!(second.body["next_cursor"].is_null());
    let rows = |body: &Value| -> Vec<(i64, String)> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["step"].as_i64().unwrap(),
                    d["contact_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let paged: Vec<_> = rows(&first.body)
        .into_iter()
        .chain(rows(&second.body))
        .collect();
    assert_eq!(paged, rows(&ledger.body));
    let suppressed = r
        .server
        .get(&format!("{base}?state=suppressed"), &key)
        .await;
    let suppressed_rows = rows(&suppressed.body);
    assert_eq!(suppressed_rows.len(), 2);
    let ada = &suppressed_rows[0].1;
    let adas = r
        .server
        .get(&format!("{base}?contact={ada}&step=3"), &key)
        .await;
    assert_eq!(rows(&adas.body), [(3, ada.clone())]);
    let bad = r
        .server
        .get(&format!("{base}?state=lost&step=0&limit=0&cursor=x"), &key)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["state", "step", "limit", "cursor"]);
}

async fn a_dead_job_is_listed_and_retried(db: TestDb) {
    let r = running(db).await;
    let (_, key) = r.server.org_with_key("Ledgerly", MemberRole::Owner).await;
    r.server
        .send(
            Method::PUT,
            "/api/marketing/brand",
            Some(&key),
            Some(brand()),
            &[],
        )
        .await;
    r.server
        .post(
            "/api/marketing/contacts",
            &key,
            json!([{"email": "ada@example.com", "time_zone": "Europe/London"}]),
        )
        .await;
    // Activated before its assets exist: refused with the launch checklist.
    let bare = r
        .server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "re_engagement", "objective": "Win back finance teams",
                   "audience": {"all_subscribed": true}, "holdout_fraction": 0}),
        )
        .await;
    let bare = bare.body["id"].as_str().unwrap().to_owned();
    let refused = r
        .server
        .post(
            &format!("/api/marketing/campaigns/{bare}/status"),
            &key,
            json!({"status": "active"}),
        )
        .await;
    let problem = refused.problem(409, "campaign_not_ready");
    assert_eq!(problem["unmet"][0]["code"], "no_assets", "{problem}");
    let checklist = r
        .server
        .get(&format!("/api/marketing/campaigns/{bare}/readiness"), &key)
        .await;
    assert_eq!(checklist.body["ready"], false, "{}", checklist.body);
    r.server.generate(&key, &bare).await;
    let ready = r
        .server
        .get(&format!("/api/marketing/campaigns/{bare}/readiness"), &key)
        .await;
    assert_eq!(ready.body, json!({"ready": true, "items": []}));

    // Targeted by a model nobody trained: the launch cannot pick its audience and fails until
    // dead.
    let campaign = r
        .server
        .post(
            "/api/marketing/campaign",
            &key,
            json!({"campaign_type": "re_engagement", "objective": "Win back finance teams",
                   "audience": {"all_subscribed": true}, "holdout_fraction": 0,
                   "targeting": {"mode": "top_fraction", "fraction": 0.5, "goal": "clicks"}}),
        )
        .await;
    let id = campaign.body["id"].as_str().unwrap().to_owned();
    r.server.generate(&key, &id).await;
    let activated = r
        .server
        .post(
            &format!("/api/marketing/campaigns/{id}/status"),
            &key,
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.body);
    r.run_until(Utc.with_ymd_and_hms(2027, 3, 1, 14, 0, 0).unwrap())
        .await;
    let dead = r.server.get("/api/marketing/jobs?state=dead", &key).await;
    let items = dead.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", dead.body);
    assert_eq!(items[0]["kind"], "campaign_launch");
    assert!(
        items[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("no clicks model"),
        "{}",
        items[0]
    );
    r.server
        .get("/api/marketing/jobs?state=buried", &key)
        .await
        .problem(422, "validation_failed");

    let job = items[0]["id"].as_str().unwrap();
    let retried = r
        .server
        .send(
            Method::POST,
            &format!("/api/marketing/jobs/{job}/retry"),
            Some(&key),
            None,
            &[],
        )
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.body["state"], "queued");
    assert_eq!(retried.body["attempts"], 0);
    r.server
        .send(
            Method::POST,
            &format!("/api/marketing/jobs/{job}/retry"),
            Some(&key),
            None,
            &[],
        )
        .await
        .problem(409, "conflict");
    r.run_until(Utc.with_ymd_and_hms(2027, 3, 1, 20, 0, 0).unwrap())
        .await;
    let again = r.server.get("/api/marketing/jobs?state=dead", &key).await;
    let items = again.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "still no model: dead again after fresh attempts"
    );
    assert_eq!(items[0]["attempts"], items[0]["max_attempts"]);
}

async fn a_referral_email_carries_the_contacts_own_link_and_the_friend_who_signs_up_credits_them(
    db: TestDb,
) {
    let r = running(db).await;
    let (_, key) = r.server.org_with_key("Ledgerly", MemberRole::Owner).await;
    let mut profile = brand();
    profile["story"] = json!({"offers": {"referral_reward": "a month free"}});
    let put = r
        .server
        .send(
            Method::PUT,
            "/api/marketing/brand",
            Some(&key),
            Some(profile),
            &[],
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    r.server
        .post(
            "/api/marketing/contacts",
            &key,
            json!([{"email": "ada@example.com", "first_name": "Ada", "time_zone": "Europe/London"},
                   {"email": "bob@example.com", "first_name": "Bob", "time_zone": "Europe/London"}]),
        )
        .await;
    let listed = r.server.get("/api/marketing/contacts", &key).await;
    let ada_id = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == "ada@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, assets) = r
        .launch(&key, "referral", "Get customers to invite peers")
        .await;
    let page = assets
        .iter()
        .find(|a| a["asset_type"] == "landing_page")
        .unwrap();
    let path = page["content"]["public_path"].as_str().unwrap().to_owned();
    r.run_until(Utc.with_ymd_and_hms(2027, 3, 1, 11, 0, 0).unwrap())
        .await;

    let outbox = r.outbox().await;
    assert_eq!(outbox.len(), 2, "the invitation to each contact");
    let message = outbox
        .iter()
        .find(|m| m.contains("To: Ada <ada@example.com>"))
        .unwrap();
    assert!(!message.contains("{{"), "a merge tag was left: {message}");
    let personal = format!("https://ame.example{path}?ref=");
    assert!(message.contains(&personal), "{message}");
    let referral = token_after(message, &personal);

    let http = reqwest::Client::builder()
        .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        .build()
        .unwrap();
    let open = |query: String| {
        let request = http.get(format!("{}{path}{query}", r.server.base));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let hidden_ref = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        doc.select(&scraper::Selector::parse("form input[name=ref]").unwrap())
            .next()
            .map(|i| i.value().attr("value").unwrap().to_owned())
    };
    let mut forged = referral.clone();
    forged.replace_range(5..6, if &referral[5..6] == "A" { "B" } else { "A" });
    assert_eq!(hidden_ref(&open(format!("?ref={forged}")).await), None);
    let friend_page = open(format!("?ref={referral}")).await;
    assert_eq!(hidden_ref(&friend_page).as_deref(), Some(referral.as_str()));
    assert!(
        !friend_page.contains("Share your"),
        "the page speaks to the friend, not the referrer"
    );
    let token = crate::common::form_token_of(&friend_page);
    let sent = http
        .post(format!("{}{path}/leads", r.server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &r.server.base)
        .body(format!(
            "name=Grace+Hopper&email=grace%40example.com&company=Navy&consent=yes&form_token={token}&ref={referral}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let leads = r
        .server
        .get(&format!("/api/marketing/campaigns/{id}/leads"), &key)
        .await;
    let lead = &leads.body["items"][0];
    assert_eq!(
        lead["fields"]["email"], "grace@example.com",
        "{}",
        leads.body
    );
    assert_eq!(lead["fields"]["referred_by"], ada_id.as_str());

    // The last email thanks referrers: Ada, who referred Grace, gets it; Bob does not.
    r.run_until(Utc.with_ymd_and_hms(2027, 3, 16, 0, 0, 0).unwrap())
        .await;
    let outbox = r.outbox().await;
    let to = |who: &str| outbox.iter().filter(|m| m.contains(who)).count();
    let all = r
        .server
        .get(&format!("/api/marketing/campaigns/{id}/deliveries"), &key)
        .await;
    assert_eq!(to("To: Ada <ada@example.com>"), 3, "{}", all.body);
    assert_eq!(to("To: Bob <bob@example.com>"), 2);
    let ledger = r
        .server
        .get(
            &format!("/api/marketing/campaigns/{id}/deliveries?state=suppressed"),
            &key,
        )
        .await;
    let suppressed = ledger.body["items"].as_array().unwrap();
    assert_eq!(suppressed.len(), 1, "{}", ledger.body);
    assert_eq!(suppressed[0]["step"], 3);
    assert_ne!(suppressed[0]["contact_id"], ada_id.as_str());
}
