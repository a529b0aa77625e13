//! The dashboard over real HTTP, on both backends: sign-in (session fixation, cookie flags,
//! logout, throttling, removal), CSRF and roles on every form, tenant isolation, the
//! Content-Security-Policy and escaping of what people typed.

use crate::common::{Server, brand};
use ame_app::Engine;
use ame_domain::{MemberRole, OrgId};
use ame_test_support::{TestDb, backend_tests};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use scraper::{Html, Selector};

backend_tests!(
    signing_in_starts_a_new_session_with_strict_cookies_and_logout_ends_it,
    wrong_passwords_are_throttled_per_account,
    forms_need_the_sessions_token_and_viewers_change_nothing,
    another_organizations_pages_are_not_found,
    what_people_type_is_shown_as_text,
    removing_a_person_ends_their_sessions_there,
    the_campaign_form_shows_the_apis_errors_on_its_fields,
    the_list_searches_filters_and_pages,
    the_launch_checklist_blocks_scheduling_until_met,
);

const PASSWORD: &str = "correct horse battery staple";

/// A browser without redirects or a cookie jar: every cookie is sent by hand.
struct Browser {
    base: String,
    http: reqwest::Client,
    session: String,
    csrf: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|header| {
            let value = header[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or_default()
                .to_owned();
            (value, header.to_owned())
        })
}

fn hidden_csrf(html: &str) -> String {
    let doc = Html::parse_document(html);
    let selector = Selector::parse("input[name=csrf]").unwrap();
    doc.select(&selector)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("a csrf field")
        .to_owned()
}

async fn person(server: &Server, org: OrgId, email: &str, role: MemberRole) {
    Engine::new(server.db.storage.clone())
        .add_user(org, email, role, Some(PASSWORD.into()))
        .await
        .unwrap();
}

/// Posts the sign-in form (with the cookie `planted` already set, if any).
async fn sign_in_raw(
    base: &str,
    email: &str,
    password: &str,
    planted: Option<&str>,
    https: bool,
) -> reqwest::Response {
    let http = client();
    let page = http.get(format!("{base}/login")).send().await.unwrap();
    let (login_csrf, _) = cookie_value(&page, "ame_login_csrf").expect("login csrf cookie");
    let token = hidden_csrf(&page.text().await.unwrap());
    let mut cookies = format!("ame_login_csrf={login_csrf}");
    if let Some(planted) = planted {
        cookies.push_str(&format!("; ame_session={planted}"));
    }
    let mut request = http
        .post(format!("{base}/login"))
        .header(COOKIE, cookies)
        .form(&[
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
        ]);
    if https {
        request = request.header("X-Forwarded-Proto", "https");
    }
    request.send().await.unwrap()
}

impl Browser {
    async fn sign_in(server: &Server, email: &str) -> Self {
        let response = sign_in_raw(&server.base, email, PASSWORD, None, false).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (session, _) = cookie_value(&response, "ame_session").expect("session cookie");
        let mut browser = Self {
            base: server.base.clone(),
            http: client(),
            session,
            csrf: String::new(),
        };
        let (_, html) = browser.get("/app/campaigns").await;
        browser.csrf = hidden_csrf(&html);
        browser
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, format!("ame_session={}", self.session))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, format!("ame_session={}", self.session))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts with this session's CSRF token added.
    async fn submit(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    async fn create_campaign(&self, objective: &str, name: &str) -> String {
        let response = self
            .submit(
                "/app/campaigns",
                &[
                    ("campaign_type", "lead_gen"),
                    ("objective", objective),
                    ("name", name),
                    ("planned_reach", "5000"),
                    ("channels", "email"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response.headers()[LOCATION].to_str().unwrap().to_owned()
    }
}

async fn org_with_owner(server: &Server, email: &str) -> OrgId {
    let (org, _) = server.org_with_key("Ledgerly", MemberRole::Owner).await;
    person(server, org, email, MemberRole::Owner).await;
    org
}

async fn signing_in_starts_a_new_session_with_strict_cookies_and_logout_ends_it(db: TestDb) {
    let server = Server::start(db).await;
    org_with_owner(&server, "ana@example.com").await;
    let response = sign_in_raw(
        &server.base,
        "Ana@Example.com",
        PASSWORD,
        Some("planted"),
        false,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/app/campaigns");
    let (session, header) = cookie_value(&response, "ame_session").unwrap();
    assert_ne!(
        session, "planted",
        "a session id planted before sign-in is never kept"
    );
    assert!(session.len() >= 43, "{session}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(header.contains(flag), "{header}");
    }
    assert!(!header.contains("Secure"), "plain HTTP: {header}");
    let over_https = sign_in_raw(&server.base, "ana@example.com", PASSWORD, None, true).await;
    assert!(
        cookie_value(&over_https, "ame_session")
            .unwrap()
            .1
            .contains("Secure")
    );

    let browser = Browser::sign_in(&server, "ana@example.com").await;
    for path in [
        "/login",
        "/app/campaigns",
        "/app/campaigns/new",
        "/app/brand",
        "/app/keys",
        "/app/leads",
        "/app/contacts",
        "/app/targeting",
    ] {
        let response = browser
            .http
            .get(format!("{}{path}", server.base))
            .header(COOKIE, format!("ame_session={}", browser.session))
            .send()
            .await
            .unwrap();
        let policy = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            policy.contains("script-src 'self'") && !policy.contains("unsafe"),
            "{path}: {policy}"
        );
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<script>") && !html.contains(" style="),
            "{path} has inline script or style"
        );
    }
    let out = browser.submit("/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[LOCATION], "/login");
    let (status, _) = browser.get("/app/campaigns").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the old cookie no longer works after logout"
    );
}

async fn wrong_passwords_are_throttled_per_account(db: TestDb) {
    let server = Server::start(db).await;
    org_with_owner(&server, "ana@example.com").await;
    for _ in 0..ame_app::sign_in_throttle::FREE_FAILURES {
        let response = sign_in_raw(
            &server.base,
            "ana@example.com",
            "wrong password!",
            None,
            false,
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("email address or password is wrong")
        );
    }
    let blocked = sign_in_raw(&server.base, "ana@example.com", PASSWORD, None, false).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().contains_key("retry-after"));
    assert!(cookie_value(&blocked, "ame_session").is_none());
    assert!(
        blocked
            .text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins to this account from this address")
    );
    let unknown = sign_in_raw(&server.base, "nobody@example.com", PASSWORD, None, false).await;
    assert_eq!(
        unknown.status(),
        StatusCode::UNAUTHORIZED,
        "another account is not blocked"
    );
}

async fn forms_need_the_sessions_token_and_viewers_change_nothing(db: TestDb) {
    let server = Server::start(db).await;
    let org = org_with_owner(&server, "ana@example.com").await;
    person(&server, org, "vic@example.com", MemberRole::Viewer).await;
    let owner = Browser::sign_in(&server, "ana@example.com").await;
    let campaign = owner
        .create_campaign("Book 40 demos with finance leads", "Spring demos")
        .await;
    let fields = [
        ("campaign_type", "lead_gen"),
        ("objective", "Another campaign"),
    ];
    assert_eq!(
        owner.post("/app/campaigns", &fields).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut forged = vec![("csrf", "not-the-token")];
    forged.extend_from_slice(&fields);
    assert_eq!(
        owner.post("/app/campaigns", &forged).await.status(),
        StatusCode::FORBIDDEN
    );
    let no_token_logout = owner.post("/logout", &[]).await;
    assert_eq!(
        no_token_logout.status(),
        StatusCode::FORBIDDEN,
        "logout is a form too"
    );

    let viewer = Browser::sign_in(&server, "vic@example.com").await;
    let (_, list) = viewer.get("/app/campaigns").await;
    assert!(!list.contains("new-campaign"));
    let (status, detail) = viewer.get(&campaign).await;
    assert_eq!(status, StatusCode::OK);
    for control in [
        "id=\"lifecycle\"",
        "id=\"generate-form\"",
        "id=\"edit-form\"",
    ] {
        assert!(!detail.contains(control), "a viewer sees {control}");
    }
    assert_eq!(
        viewer.submit("/app/campaigns", &fields).await.status(),
        StatusCode::FORBIDDEN
    );
    for path in ["/status", "/generate", "/edit"] {
        let response = viewer
            .submit(
                &format!("{campaign}{path}"),
                &[("status", "scheduled"), ("objective", "x y z")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (_, after) = owner.get(&campaign).await;
    assert!(after.contains(">draft<"), "nothing changed");
}

async fn another_organizations_pages_are_not_found(db: TestDb) {
    let server = Server::start(db).await;
    org_with_owner(&server, "ana@example.com").await;
    org_with_owner(&server, "bo@example.com").await;
    let ana = Browser::sign_in(&server, "ana@example.com").await;
    let bo = Browser::sign_in(&server, "bo@example.com").await;
    let theirs = bo
        .create_campaign("Bo's private campaign objective", "Private")
        .await;
    for tab in ["", "/forecast", "/results", "/schedule", "/experiments"] {
        let (status, html) = ana.get(&format!("{theirs}{tab}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{tab}");
        assert!(!html.contains("Private"), "{tab}");
    }
    let response = ana
        .submit(&format!("{theirs}/status"), &[("status", "scheduled")])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (_, list) = ana.get("/app/campaigns").await;
    assert!(!list.contains("Private"));
}

async fn what_people_type_is_shown_as_text(db: TestDb) {
    let server = Server::start(db).await;
    org_with_owner(&server, "ana@example.com").await;
    let browser = Browser::sign_in(&server, "ana@example.com").await;
    let mut fields: Vec<(String, String)> = brand()
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::Array(items) => (
                k.clone(),
                items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            other => (k.clone(), other.as_str().unwrap_or_default().to_owned()),
        })
        .collect();
    for (name, value) in &mut fields {
        if name == "company_name" {
            *value = "<b>Acme</b> & Co".into();
        }
    }
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = browser.submit("/app/brand", &form).await;
    assert_eq!(
        saved.status(),
        StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap()
    );
    let (_, brand_page) = browser.get("/app/brand").await;
    assert!(brand_page.contains("&lt;b&gt;Acme&lt;/b&gt; &amp; Co"));
    let campaign = browser
        .create_campaign(
            "<script>alert(1)</script> & launch",
            "<img src=x onerror=alert(2)>",
        )
        .await;
    let (_, html) = browser.get(&campaign).await;
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; launch"));
    let doc = Html::parse_document(&html);
    let injected = Selector::parse("main script, main img[src=x], script:not([src])").unwrap();
    assert_eq!(doc.select(&injected).count(), 0);
    let h1 = Selector::parse("h1").unwrap();
    let heading: String = doc.select(&h1).next().unwrap().text().collect();
    assert_eq!(heading, "<img src=x onerror=alert(2)>");
}

async fn removing_a_person_ends_their_sessions_there(db: TestDb) {
    let server = Server::start(db).await;
    let org = org_with_owner(&server, "ana@example.com").await;
    person(&server, org, "mo@example.com", MemberRole::Member).await;
    let mo = Browser::sign_in(&server, "mo@example.com").await;
    assert_eq!(mo.get("/app/campaigns").await.0, StatusCode::OK);
    Engine::new(server.db.storage.clone())
        .remove_user(org, "MO@example.com")
        .await
        .unwrap();
    let (status, _) = mo.get("/app/campaigns").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the session ended with the membership"
    );
    let again = sign_in_raw(&server.base, "mo@example.com", PASSWORD, None, false).await;
    let (cookie, _) = cookie_value(&again, "ame_session").unwrap();
    let response = client()
        .get(format!("{}/app/campaigns", server.base))
        .header(COOKIE, format!("ame_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "signed in, but in no organization"
    );
}

async fn the_campaign_form_shows_the_apis_errors_on_its_fields(db: TestDb) {
    let server = Server::start(db).await;
    org_with_owner(&server, "ana@example.com").await;
    let browser = Browser::sign_in(&server, "ana@example.com").await;
    let response = browser
        .submit(
            "/app/campaigns",
            &[
                ("campaign_type", "lead_gen"),
                ("objective", "ab"),
                ("planned_reach", "lots"),
                ("budget", "12.345"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let doc = Html::parse_document(&html);
    for field in ["objective", "planned_reach"] {
        let input = Selector::parse(&format!("#{field}")).unwrap();
        let element = doc.select(&input).next().unwrap().value();
        assert_eq!(element.attr("aria-invalid"), Some("true"), "{field}");
        assert!(
            element
                .attr("aria-describedby")
                .unwrap()
                .contains(&format!("{field}-error"))
        );
        let message = Selector::parse(&format!("#{field}-error")).unwrap();
        assert!(doc.select(&message).next().is_some(), "{field}");
    }
    assert!(html.contains("error-summary"));
    let kept = Selector::parse("#objective").unwrap();
    let text: String = doc.select(&kept).next().unwrap().text().collect();
    assert_eq!(text, "ab", "the form keeps what was typed");
    let (_, list) = browser.get("/app/campaigns").await;
    assert!(list.contains("No campaigns match"), "nothing was stored");
}

async fn the_list_searches_filters_and_pages(db: TestDb) {
    let server = Server::start(db).await;
    org_with_owner(&server, "ana@example.com").await;
    let browser = Browser::sign_in(&server, "ana@example.com").await;
    for i in 0..27 {
        browser
            .create_campaign(&format!("Grow signups wave {i}"), &format!("Wave {i}"))
            .await;
    }
    browser
        .create_campaign("Spring_launch 100% ready", "Spring launch")
        .await;
    let (_, spring) = browser.get("/app/campaigns?q=SPRING_").await;
    assert!(spring.contains("Spring launch") && !spring.contains("Wave 1<"));
    let (_, percent) = browser.get("/app/campaigns?q=100%25").await;
    assert!(percent.contains("Spring launch") && !percent.contains("Wave"));
    let (_, first) = browser
        .get("/app/campaigns?status=draft&type=lead_gen")
        .await;
    let doc = Html::parse_document(&first);
    let rows = Selector::parse("#campaigns tbody tr").unwrap();
    assert_eq!(doc.select(&rows).count(), 25);
    let next = Selector::parse("a[rel=next]").unwrap();
    let href = doc
        .select(&next)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let (_, second) = browser.get(&href).await;
    assert_eq!(Html::parse_document(&second).select(&rows).count(), 3);
    let (_, none) = browser.get("/app/campaigns?status=active").await;
    assert!(none.contains("No campaigns match"));
    let (status, _) = browser.get("/app/campaigns?status=sleeping").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_launch_checklist_blocks_scheduling_until_met(db: TestDb) {
    let server = Server::start(db).await;
    org_with_owner(&server, "ana@example.com").await;
    let ana = Browser::sign_in(&server, "ana@example.com").await;
    let campaign = ana
        .create_campaign("Win back finance teams who left", "Win back")
        .await;
    let (status, html) = ana.get(&campaign).await;
    assert_eq!(status, StatusCode::OK);
    let page = Html::parse_document(&html);
    let items = Selector::parse("#readiness li").unwrap();
    let codes: Vec<String> = page
        .select(&items)
        .filter_map(|li| li.value().attr("data-code").map(str::to_owned))
        .collect();
    assert!(
        codes.contains(&"no_brand_profile".to_owned()) && codes.contains(&"no_assets".to_owned()),
        "{codes:?}"
    );
    let refused = ana
        .submit(
            &format!("{campaign}/status"),
            &[("status", "scheduled"), ("expected", "draft")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let explained = refused.text().await.unwrap();
    assert!(explained.contains("launch checklist"), "{explained}");
    let (_, after) = ana.get(&campaign).await;
    assert!(after.contains(">draft<"), "the campaign stayed a draft");
}
