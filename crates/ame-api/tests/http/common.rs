//! A running server over a test database, and request helpers.

use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use ame_api::{AppState, JwtVerifier, LimitSettings, build_app, metrics};
use ame_app::{BenchmarkSharing, Engine};
use ame_domain::{MemberRole, OrgId};
use ame_storage::{ApiKeyRepository, OrganizationRepository};
use ame_test_support::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::TcpListener;

pub const JWT_SECRET: &[u8] = b"test-jwt-secret-of-enough-length-32b";
pub const JWT_AUDIENCE: &str = "authenticated";
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub struct Server {
    pub base: String,
    pub db: TestDb,
    pub http: reqwest::Client,
    handle: ServerHandle,
}

impl Drop for Server {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

/// A response: status, headers and the body as JSON (`Null` when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json body with this status and code, and returns the body.
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["type"], format!("urn:ame:problem:{code}"));
        assert!(self.body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.body["detail"].as_str().is_some_and(|t| !t.is_empty()));
        &self.body
    }
}

impl Server {
    /// A server without abuse limits (tests of other things send more than visitors do).
    pub async fn start(db: TestDb) -> Self {
        let engine = Engine::new(db.storage.clone());
        Self::start_engine(db, engine, LimitSettings::OFF).await
    }

    /// A server whose engine pools results across organizations as `sharing` allows.
    pub async fn start_sharing(db: TestDb, sharing: BenchmarkSharing) -> Self {
        let engine = Engine::new(db.storage.clone()).with_benchmark_sharing(sharing);
        Self::start_engine(db, engine, LimitSettings::OFF).await
    }

    /// A server with the abuse limits `limits`.
    pub async fn start_limited(db: TestDb, limits: LimitSettings) -> Self {
        let engine = Engine::new(db.storage.clone());
        Self::start_engine(db, engine, limits).await
    }

    /// A server whose API keys are resolved afresh on every request (no key cache), so changes
    /// made beside the server show at once.
    pub async fn start_uncached(db: TestDb) -> Self {
        let engine = Engine::new(db.storage.clone()).with_key_cache_ttl(std::time::Duration::ZERO);
        Self::start_engine(db, engine, LimitSettings::OFF).await
    }

    /// A server over `engine` with the abuse limits `limits`.
    pub async fn start_engine(db: TestDb, engine: Engine, limits: LimitSettings) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        let state = AppState::from_engine(engine)
            .with_jwt(JwtVerifier::hs256(JWT_SECRET, JWT_AUDIENCE))
            .with_metrics_token(METRICS_TOKEN)
            .with_limits(limits);
        let metrics = metrics().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || build_app(state.clone(), metrics.clone()))
            .workers(2)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base,
            db,
            http: reqwest::Client::new(),
            handle,
        }
    }

    /// A new organization with an API key of `role`.
    pub async fn org_with_key(&self, name: &str, role: MemberRole) -> (OrgId, String) {
        let org = self
            .db
            .storage
            .organizations()
            .create(name)
            .await
            .unwrap()
            .id;
        (org, self.key(org, role).await)
    }

    pub async fn key(&self, org: OrgId, role: MemberRole) -> String {
        self.db
            .storage
            .api_keys()
            .create(
                org,
                ame_storage::NewApiKey::named("test", role),
                MemberRole::Owner,
            )
            .await
            .unwrap()
            .secret
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    /// Creates a campaign and returns its JSON.
    pub async fn campaign(&self, token: &str, campaign_type: &str, objective: &str) -> Value {
        let reply = self
            .post(
                "/api/marketing/campaign",
                token,
                json!({"campaign_type": campaign_type, "objective": objective}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body
    }

    /// Makes a draft campaign ready to launch: the brand saved, one subscribed contact, every
    /// subscribed contact as its audience and its assets generated.
    pub async fn make_launchable(&self, token: &str, campaign_id: &str) {
        let saved = self
            .send(
                Method::PUT,
                "/api/marketing/brand",
                Some(token),
                Some(brand()),
                &[],
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        self.give_audience(token, campaign_id).await;
        self.generate(token, campaign_id).await;
    }

    /// The hidden `form_token` the landing page at `path` serves now.
    pub async fn form_token(&self, path: &str) -> String {
        let html = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        form_token_of(&html)
    }

    /// Adds one subscribed contact and makes every subscribed contact a draft's audience.
    pub async fn give_audience(&self, token: &str, campaign_id: &str) {
        let contact = self
            .post(
                "/api/marketing/contacts",
                token,
                json!([{"email": "launch-check@example.com"}]),
            )
            .await;
        assert_eq!(contact.status, StatusCode::OK, "{}", contact.body);
        let audience = self
            .send(
                Method::PATCH,
                &format!("/api/marketing/campaigns/{campaign_id}"),
                Some(token),
                Some(json!({"audience": {"all_subscribed": true}})),
                &[],
            )
            .await;
        assert_eq!(audience.status, StatusCode::OK, "{}", audience.body);
    }

    /// Generates a campaign's assets and returns the list.
    pub async fn generate(&self, token: &str, campaign_id: &str) -> Vec<Value> {
        let reply = self
            .send(
                Method::POST,
                &format!("/api/marketing/generate-assets/{campaign_id}"),
                Some(token),
                None,
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["items"].as_array().unwrap().clone()
    }
}

/// A complete brand profile for tests that publish pages or send mail.
pub fn brand() -> Value {
    json!({
        "company_name": "Ledgerly",
        "product": "automated month-end close software",
        "audience": "finance teams at mid-sized companies",
        "value_propositions": ["close the books in 3 days instead of 10", "catch reconciliation errors before auditors do"],
        "tone": "professional",
        "cta_text": "Book a demo",
        "cta_url": "https://ledgerly.example/demo",
        "primary_color": "#1f4e79",
        "accent_color": "#f2a900",
        "sign_off": "The Ledgerly team",
        "postal_address": "Ledgerly Inc., 100 Main St, Springfield, IL 62701, USA"
    })
}

/// The hidden `form_token` field's value in a served landing page.
pub fn form_token_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("form input[name=form_token]").unwrap())
        .next()
        .unwrap_or_else(|| panic!("the page has no form token: {html}"))
        .value()
        .attr("value")
        .unwrap()
        .to_owned()
}
