//! The email providers' event webhook over HTTP: unknown and unconfigured providers, refused
//! credentials and malformed bodies answer problem+json; an authenticated event is taken.

use crate::common::{Reply, Server};
use ame_app::Engine;
use ame_app::feedback::providers::ProviderWebhooks;
use ame_test_support::{TestDb, backend_tests};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

backend_tests!(provider_webhooks_authenticate_and_answer_problems);

async fn post_raw(server: &Server, path: &str, auth: Option<&str>, body: &str) -> Reply {
    let mut request = server
        .http
        .post(format!("{}{path}", server.base))
        .header("content-type", "text/plain; charset=UTF-8")
        .body(body.to_owned());
    if let Some(credentials) = auth {
        request = request.header(
            "authorization",
            format!("Basic {}", STANDARD.encode(credentials)),
        );
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

async fn provider_webhooks_authenticate_and_answer_problems(db: TestDb) {
    let engine = Engine::new(db.storage.clone()).with_provider_webhooks(ProviderWebhooks {
        postmark_credentials: Some(("postmark".into(), "hook-secret".into())),
        ..ProviderWebhooks::default()
    });
    let server = Server::start_engine(db, engine, ame_api::LimitSettings::OFF).await;
    let path = "/webhooks/email-events/postmark";
    let bounce = r#"{"RecordType":"Bounce","Type":"HardBounce","Email":"nobody@example.com",
        "Metadata":{"ame-message-id":"<never-sent@mail.example>"}}"#;

    let taken = post_raw(&server, path, Some("postmark:hook-secret"), bounce).await;
    assert_eq!(taken.status.as_u16(), 200, "{}", taken.body);
    assert_eq!(
        taken.body,
        serde_json::json!({"applied": 0, "already_recorded": 0, "unknown": 1, "ignored": 0})
    );

    post_raw(&server, path, None, bounce)
        .await
        .problem(401, "unauthorized");
    post_raw(&server, path, Some("postmark:guess"), bounce)
        .await
        .problem(401, "unauthorized");
    post_raw(&server, path, Some("postmark:hook-secret"), "[1, 2")
        .await
        .problem(422, "invalid_provider_event");
    post_raw(&server, "/webhooks/email-events/mailgun", None, "{}")
        .await
        .problem(404, "provider_not_configured");
    let unknown = post_raw(&server, "/webhooks/email-events/sparkpost", None, "{}").await;
    let problem = unknown.problem(404, "not_found");
    assert_eq!(
        problem["allowed"],
        serde_json::json!(["amazon-ses", "sendgrid", "postmark", "mailgun"])
    );
}
