//! User JWTs: valid ones act as the user in the organization named by `X-Org-Id`; expired,
//! forged, wrongly addressed, unsigned and non-member tokens are refused.

use crate::common::{JWT_AUDIENCE, JWT_SECRET, Server};
use ame_domain::{MemberRole, UserId};
use ame_storage::OrganizationRepository;
use ame_test_support::{TestDb, backend_tests};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

backend_tests!(user_tokens_are_verified_and_scoped);

fn token(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn claims(user: UserId, audience: &str, expires_in: i64) -> Value {
    json!({
        "sub": user.to_string(),
        "aud": audience,
        "role": "authenticated",
        "exp": chrono::Utc::now().timestamp() + expires_in,
    })
}

fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.",
        engine.encode(br#"{"alg":"none","typ":"JWT"}"#),
        engine.encode(claims.to_string())
    )
}

async fn call(
    server: &Server,
    token: String,
    org: String,
    body: Option<Value>,
) -> crate::common::Reply {
    let (method, path) = if body.is_some() {
        (Method::POST, "/api/marketing/campaign")
    } else {
        (Method::GET, "/api/marketing/campaigns")
    };
    server
        .send(
            method,
            path,
            Some(&token),
            body,
            &[("x-org-id", org.as_str())],
        )
        .await
}

async fn user_tokens_are_verified_and_scoped(db: TestDb) {
    let server = Server::start(db).await;
    let orgs = server.db.storage.organizations();
    let (org, _) = server.org_with_key("A", MemberRole::Owner).await;
    let (other_org, _) = server.org_with_key("B", MemberRole::Owner).await;
    let (member, viewer, stranger) = (UserId::new(), UserId::new(), UserId::new());
    orgs.set_member(org, member, MemberRole::Member)
        .await
        .unwrap();
    orgs.set_member(org, viewer, MemberRole::Viewer)
        .await
        .unwrap();
    let org_header = org.to_string();
    let good = token(
        Algorithm::HS256,
        JWT_SECRET,
        &claims(member, JWT_AUDIENCE, 600),
    );
    let new_campaign = json!({"campaign_type": "upsell", "objective": "Upgrade 20 teams"});

    let created = call(
        &server,
        good.clone(),
        org_header.clone(),
        Some(new_campaign.clone()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["org_id"], org_header.as_str());
    let listed = call(&server, good.clone(), org_header.clone(), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    let viewer_token = token(
        Algorithm::HS256,
        JWT_SECRET,
        &claims(viewer, JWT_AUDIENCE, 600),
    );
    assert_eq!(
        call(&server, viewer_token.clone(), org_header.clone(), None)
            .await
            .status,
        StatusCode::OK
    );
    call(
        &server,
        viewer_token,
        org_header.clone(),
        Some(new_campaign.clone()),
    )
    .await
    .problem(403, "forbidden");

    for (what, bad) in [
        (
            "expired",
            token(
                Algorithm::HS256,
                JWT_SECRET,
                &claims(member, JWT_AUDIENCE, -600),
            ),
        ),
        (
            "wrong signature",
            token(
                Algorithm::HS256,
                b"another-secret-another-secret-12",
                &claims(member, JWT_AUDIENCE, 600),
            ),
        ),
        (
            "wrong audience",
            token(Algorithm::HS256, JWT_SECRET, &claims(member, "anon", 600)),
        ),
        (
            "other algorithm",
            token(
                Algorithm::HS512,
                JWT_SECRET,
                &claims(member, JWT_AUDIENCE, 600),
            ),
        ),
        ("alg none", unsigned(&claims(member, JWT_AUDIENCE, 600))),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let reply = call(&server, bad, org_header.clone(), None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            reply.body
        );
        reply.problem(401, "unauthorized");
    }

    // A valid token for an organization the user does not belong to.
    call(&server, good.clone(), other_org.to_string(), None)
        .await
        .problem(403, "forbidden");
    let stranger_token = token(
        Algorithm::HS256,
        JWT_SECRET,
        &claims(stranger, JWT_AUDIENCE, 600),
    );
    call(&server, stranger_token, org_header.clone(), None)
        .await
        .problem(403, "forbidden");
    // The organization must be named, as a UUID.
    let no_org = server.get("/api/marketing/campaigns", &good).await;
    no_org.problem(400, "missing_org_header");
    call(&server, good, "acme".to_owned(), None)
        .await
        .problem(400, "invalid_org_header");
}
