//! Optimisation over HTTP: outcome records and their errors, lift, variant tests, the
//! targeting model's lifecycle, and landing-page visitors who keep their variant.

use crate::common::{Server, brand};
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

backend_tests!(
    outcome_records_refuse_bad_input_and_say_what_is_wrong,
    imported_outcomes_give_lift_tests_and_a_model,
    landing_page_visitors_keep_their_variant_and_count_as_leads,
);

async fn setup(server: &Server) -> (String, String) {
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let campaign = server
        .campaign(&key, "re_engagement", "Win back finance teams")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (key, campaign)
}

async fn outcome_records_refuse_bad_input_and_say_what_is_wrong(db: TestDb) {
    let server = Server::start(db).await;
    let (key, campaign) = setup(&server).await;
    server
        .post(
            "/api/marketing/contacts",
            &key,
            json!([{"email": "known@example.com"}]),
        )
        .await;
    let path = format!("/api/marketing/campaigns/{campaign}/outcomes");
    let unknown = server
        .post(
            &path,
            &key,
            json!([{"email": "known@example.com", "group": "treatment"},
                   {"email": "stranger@example.com", "group": "control"}]),
        )
        .await;
    let body = unknown.problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "[1].email", "{body}");
    let wrong_group = server
        .post(
            &path,
            &key,
            json!([{"email": "known@example.com", "group": "vip"}]),
        )
        .await;
    let text = wrong_group.problem(422, "validation_failed").to_string();
    assert!(
        text.contains("treatment") && text.contains("control"),
        "{text}"
    );
    let number = server
        .post(
            &path,
            &key,
            json!([{"email": "known@example.com", "group": "treatment", "converted": true, "value": 25}]),
        )
        .await;
    assert!(
        number
            .problem(422, "validation_failed")
            .to_string()
            .contains("value")
    );
    server
        .post(&path, &key, json!([]))
        .await
        .problem(422, "validation_failed");
    // Nothing was written by the refused requests.
    let lift = server
        .get(&format!("/api/marketing/campaigns/{campaign}/lift"), &key)
        .await;
    assert_eq!(lift.body["treatment"]["contacts"], 0, "{}", lift.body);

    // No outcomes, no model: 409 saying what is missing.
    for reply in [
        server
            .get("/api/marketing/targeting/model?goal=clicks", &key)
            .await,
        server
            .post(
                "/api/marketing/targeting/train?goal=conversions",
                &key,
                json!({}),
            )
            .await,
    ] {
        let body = reply.problem(409, "conflict");
        assert!(
            body["detail"].as_str().unwrap().contains("outcomes"),
            "{body}"
        );
    }
    let bad_goal = server
        .get("/api/marketing/targeting/model?goal=likes", &key)
        .await;
    assert!(
        bad_goal
            .problem(422, "validation_failed")
            .to_string()
            .contains("conversions")
    );
    let score = server
        .post(
            &format!("/api/marketing/campaigns/{campaign}/audience/score?goal=clicks"),
            &key,
            json!({}),
        )
        .await;
    score.problem(409, "conflict");

    // Plans: targeting fractions outside (0, 1] and holdouts above one half are refused.
    for (patch, field) in [
        (
            json!({"targeting": {"mode": "top_fraction", "fraction": 1.5}}),
            "targeting.fraction",
        ),
        (
            json!({"targeting": {"mode": "top_fraction", "fraction": 0}}),
            "targeting.fraction",
        ),
        (json!({"targeting": {"mode": "budget"}}), "targeting.budget"),
        (json!({"holdout_fraction": 0.9}), "holdout_fraction"),
    ] {
        let reply = server
            .send(
                reqwest::Method::PATCH,
                &format!("/api/marketing/campaigns/{campaign}"),
                Some(&key),
                Some(patch.clone()),
                &[],
            )
            .await;
        let body = reply.problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{patch}: {body}");
    }
    let ok = server
        .send(
            reqwest::Method::PATCH,
            &format!("/api/marketing/campaigns/{campaign}"),
            Some(&key),
            Some(json!({"holdout_fraction": 0.2, "targeting": {"mode": "top_fraction", "fraction": 0.5}})),
            &[],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["holdout_fraction"], 0.2);
    assert_eq!(ok.body["targeting"]["fraction"], 0.5);
}

async fn imported_outcomes_give_lift_tests_and_a_model(db: TestDb) {
    let server = Server::start(db).await;
    let (key, campaign) = setup(&server).await;
    let contacts: Vec<Value> = (0..300)
        .map(|i| json!({"email": format!("p{i}@example.com"), "attributes": {"tier": if i % 3 == 0 { "gold" } else { "basic" }, "visits": i % 11}}))
        .collect();
    server
        .post("/api/marketing/contacts", &key, json!(contacts))
        .await;
    let records: Vec<Value> = (0..300)
        .map(|i| {
            let treated = i % 5 != 0;
            let converted = if treated {
                i % 3 == 0 || i % 7 == 0
            } else {
                i % 10 == 0
            };
            let mut r = json!({"email": format!("p{i}@example.com"),
                               "group": if treated { "treatment" } else { "control" },
                               "converted": converted, "clicked": converted || i % 4 == 0});
            if treated {
                r["variants"] = json!({"email_subject_step_1": i % 2});
            }
            if converted {
                r["value"] = json!("40.00");
            }
            r
        })
        .collect();
    let path = format!("/api/marketing/campaigns/{campaign}/outcomes");
    let first = server.post(&path, &key, json!(records)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["recorded"], 300);
    // Re-sending a contact replaces its record.
    let again = server
        .post(&path, &key, json!([{"email": "p1@example.com", "group": "treatment", "variants": {"email_subject_step_1": 1}}]))
        .await;
    assert_eq!(again.body["recorded"], 1);

    let lift = server
        .get(&format!("/api/marketing/campaigns/{campaign}/lift"), &key)
        .await
        .body;
    assert_eq!(lift["treatment"]["contacts"], 240, "{lift}");
    assert_eq!(lift["control"]["contacts"], 60);
    assert_eq!(lift["holdout_fraction"], 0.1);
    let conversions = &lift["conversions"];
    let value = conversions["absolute"]["value"].as_f64().unwrap();
    assert!(conversions["absolute"]["low"].as_f64().unwrap() < value);
    assert!(conversions["relative"]["high"].as_f64().unwrap() > 0.0);
    // Revenue per contact counts every contact, non-buyers as 0: 30 of 60 held out bought at 40.
    assert_eq!(lift["revenue"]["control_mean"], 20.0, "{lift}");
    assert_eq!(lift["converted_before_assignment"], 0);
    for bad in ["bootstrap=5", "bootstrap=lots", "resamples=1000"] {
        let reply = server
            .get(
                &format!("/api/marketing/campaigns/{campaign}/lift?{bad}"),
                &key,
            )
            .await;
        let body = reply.problem(422, "validation_failed");
        assert!(body.to_string().contains("bootstrap"), "{body}");
    }

    let tests = server
        .get(
            &format!("/api/marketing/campaigns/{campaign}/experiments"),
            &key,
        )
        .await
        .body;
    let test = &tests["items"][0];
    assert_eq!(test["field"], "email_subject_step_1", "{tests}");
    assert_eq!(test["metric"], "clicks");
    let arms = test["arms"].as_array().unwrap();
    assert_eq!(arms.len(), 2);
    let exposures: u64 = arms.iter().map(|a| a["exposures"].as_u64().unwrap()).sum();
    assert_eq!(exposures, 240);
    let p: f64 = arms
        .iter()
        .map(|a| a["probability_best"].as_f64().unwrap())
        .sum();
    assert!((p - 1.0).abs() < 1e-9);

    let trained = server
        .post(
            "/api/marketing/targeting/train?goal=conversions",
            &key,
            json!({}),
        )
        .await;
    assert_eq!(trained.status, StatusCode::OK, "{}", trained.body);
    let model = server
        .get("/api/marketing/targeting/model?goal=conversions", &key)
        .await
        .body;
    assert_eq!(model["goal"], "conversions");
    assert_eq!(model["rows"], 240);
    assert_eq!(model["control_rows"], 60);
    assert_eq!(model["uplift_modelled"], true);
    // The uplift ranking is qualified exactly when its held-out Qini interval lies above 0
    // (which held-out rows there are depends on the contacts' random ids), and a campaign may
    // target by uplift exactly then.
    let interval = model["held_out"]["qini_interval"]
        .as_array()
        .unwrap()
        .clone();
    let qualified = interval[0].as_f64().unwrap() > 0.0;
    assert_eq!(model["uplift"], qualified, "{model}");
    let targeted = json!({"campaign_type": "re_engagement", "objective": "Win back finance teams",
                          "targeting": {"mode": "uplift_positive"}});
    let created = server
        .post("/api/marketing/campaign", &key, targeted.clone())
        .await;
    if qualified {
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    } else {
        let body = created.problem(422, "validation_failed");
        assert!(body.to_string().contains("includes 0"), "{body}");
    }
    assert_eq!(model["value_per_response"], 40.0);
    let names: Vec<&str> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"visits") && names.contains(&"tier=gold"),
        "{names:?}"
    );
    assert!(model["held_out"]["auc"].as_f64().is_some());
    assert!(model["held_out"]["calibration_error"].as_f64().is_some());
    // Another organization has no model, and may not target by uplift.
    let (_, other) = server.org_with_key("Other", MemberRole::Owner).await;
    server
        .get("/api/marketing/targeting/model?goal=conversions", &other)
        .await
        .problem(409, "conflict");
    let refused = server
        .post("/api/marketing/campaign", &other, targeted)
        .await;
    let body = refused.problem(422, "validation_failed");
    assert!(body.to_string().contains("targeting.mode"), "{body}");
    assert!(body.to_string().contains("top_fraction"), "{body}");
}

async fn landing_page_visitors_keep_their_variant_and_count_as_leads(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("Ledgerly", MemberRole::Member).await;
    let put = server
        .send(
            reqwest::Method::PUT,
            "/api/marketing/brand",
            Some(&key),
            Some(brand()),
            &[],
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let id = server
        .campaign(&key, "lead_gen", "Book 40 demos with CFOs by March")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assets = server.generate(&key, &id).await;
    let headlines = assets[0]["content"]["headline"].as_array().unwrap().clone();
    assert!(headlines.len() >= 2);
    let path = assets[0]["content"]["public_path"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{}{path}", server.base);
    let h1 = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        doc.select(&scraper::Selector::parse("h1").unwrap())
            .next()
            .unwrap()
            .text()
            .collect::<String>()
    };
    let mut seen = std::collections::HashSet::new();
    let mut visitor = None;
    let mut token = String::new();
    // Visitors in an ordinary browser (software without one is shown a page, not enrolled).
    let browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    for _ in 0..12 {
        let first = server
            .http
            .get(&url)
            .header("user-agent", browser)
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{url}");
        assert_eq!(first.headers()["cache-control"], "private, no-cache");
        let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains(&format!("Path={path}")),
            "{cookie}"
        );
        let pair = cookie.split(';').next().unwrap().to_owned();
        let text = first.text().await.unwrap();
        token = crate::common::form_token_of(&text);
        let shown = h1(&text);
        assert!(
            headlines.iter().any(|h| h.as_str() == Some(shown.as_str())),
            "{shown}"
        );
        seen.insert(shown.clone());
        // The same visitor sees the same headline on every later visit.
        for _ in 0..3 {
            let again = server
                .http
                .get(&url)
                .header("user-agent", browser)
                .header("cookie", &pair)
                .send()
                .await
                .unwrap();
            assert_eq!(h1(&again.text().await.unwrap()), shown);
        }
        visitor = Some(pair);
    }
    assert!(
        seen.len() >= 2,
        "new visitors are split across variants: {seen:?}"
    );
    let lead = server
        .http
        .post(format!("{url}/leads"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &server.base)
        .header("cookie", visitor.unwrap())
        .body(format!(
            "name=Ada+Lovelace&email=ada%40example.com&consent=yes&website=&form_token={token}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(lead.status(), StatusCode::CREATED);
    // A link scanner opening the page is shown a variant but joins no test.
    let scanned = server
        .http
        .get(&url)
        .header("user-agent", "curl/8.5.0")
        .send()
        .await
        .unwrap();
    assert_eq!(scanned.status(), StatusCode::OK);
    let tests = server
        .get(&format!("/api/marketing/campaigns/{id}/experiments"), &key)
        .await
        .body;
    let headline = tests["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["field"] == "landing_headline")
        .unwrap_or_else(|| panic!("{tests}"));
    assert_eq!(headline["metric"], "leads");
    assert_eq!(headline["state"], "burn_in");
    let arms = headline["arms"].as_array().unwrap();
    let exposures: u64 = arms.iter().map(|a| a["exposures"].as_u64().unwrap()).sum();
    let leads: u64 = arms.iter().map(|a| a["successes"].as_u64().unwrap()).sum();
    assert_eq!((exposures, leads), (12, 1));
}
