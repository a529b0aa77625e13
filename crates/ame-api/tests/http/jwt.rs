//! User JWTs: valid ones act as the user in the organization named by `X-Org-Id`; expired,
//! forged, wrongly addressed, unsigned and non-member tokens are refused.

use crate::common::{JWT_AUDIENCE, JWT_SECRET, Server};
use ame_domain::{MemberRole, UserId};
use ame_storage::OrganizationRepository;
use ame_test_support::{TestDb, backend_tests};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

backend_tests!(
    user_tokens_are_verified_and_scoped,
    keys_follow_their_issuer_and_are_rotated_and_audited,
);

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

async fn keys_follow_their_issuer_and_are_rotated_and_audited(db: TestDb) {
    let server = Server::start_uncached(db).await;
    let orgs = server.db.storage.organizations();
    let (org, owner_key) = server.org_with_key("Issuers", MemberRole::Owner).await;
    let (_, stranger) = server.org_with_key("Elsewhere", MemberRole::Owner).await;
    let admin = UserId::new();
    orgs.set_member(org, admin, MemberRole::Admin)
        .await
        .unwrap();
    let admin_token = token(
        Algorithm::HS256,
        JWT_SECRET,
        &claims(admin, JWT_AUDIENCE, 600),
    );
    let org_header = org.to_string();

    let issued = server
        .send(
            Method::POST,
            "/api/org/api-keys",
            Some(&admin_token),
            Some(
                json!({"name": "CRM sync", "role": "admin", "expires_at": "2030-01-01T00:00:00Z"}),
            ),
            &[
                ("x-org-id", org_header.as_str()),
                ("x-request-id", "issue-1"),
            ],
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert_eq!(issued.body["key"]["issued_by_user"], admin.to_string());
    assert_eq!(issued.body["key"]["expires_at"], "2030-01-01T00:00:00Z");
    let key = issued.body["secret"].as_str().unwrap().to_owned();
    let key_id = issued.body["key"]["id"].as_str().unwrap().to_owned();
    let write = |secret: String| {
        let server = &server;
        async move {
            server
                .post(
                    "/api/marketing/campaign",
                    &secret,
                    json!({"campaign_type": "upsell", "objective": "Upgrade 20 teams"}),
                )
                .await
        }
    };
    assert_eq!(write(key.clone()).await.status, StatusCode::CREATED);
    let past = server
        .send(
            Method::POST,
            "/api/org/api-keys",
            Some(&admin_token),
            Some(json!({"name": "old", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"})),
            &[("x-org-id", org_header.as_str())],
        )
        .await;
    assert_eq!(
        past.problem(422, "validation_failed")["errors"][0]["field"],
        "expires_at"
    );

    // Demoting the issuer demotes the key; removing the issuer ends it.
    orgs.set_member(org, admin, MemberRole::Viewer)
        .await
        .unwrap();
    write(key.clone()).await.problem(403, "forbidden");
    assert_eq!(
        server.get("/api/marketing/campaigns", &key).await.status,
        StatusCode::OK
    );
    orgs.set_member(org, admin, MemberRole::Admin)
        .await
        .unwrap();
    assert_eq!(write(key.clone()).await.status, StatusCode::CREATED);

    // A key does not rotate itself away.
    let owner_key_id = server.get("/api/org/api-keys", &owner_key).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "test")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .send(
            Method::POST,
            &format!("/api/org/api-keys/{owner_key_id}/rotate"),
            Some(&owner_key),
            None,
            &[],
        )
        .await
        .problem(409, "cannot_revoke_own_key");

    // Rotation: the old secret stops, the new one works, the list shows both.
    let rotated = server
        .send(
            Method::POST,
            &format!("/api/org/api-keys/{key_id}/rotate"),
            Some(&owner_key),
            None,
            &[("x-request-id", "rotate-1")],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.body);
    let new_key = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(rotated.body["key"]["name"], "CRM sync");
    assert_eq!(rotated.body["key"]["expires_at"], "2030-01-01T00:00:00Z");
    server
        .get("/api/marketing/campaigns", &key)
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        server
            .get("/api/marketing/campaigns", &new_key)
            .await
            .status,
        StatusCode::OK
    );
    let listed = server.get("/api/org/api-keys", &owner_key).await;
    let old = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == key_id.as_str())
        .unwrap()
        .clone();
    assert!(old["revoked_at"].is_string(), "{old}");
    assert!(old["last_used_at"].is_string(), "used keys say when: {old}");
    server
        .send(
            Method::POST,
            &format!("/api/org/api-keys/{key_id}/rotate"),
            Some(&stranger),
            None,
            &[],
        )
        .await
        .problem(404, "not_found");

    // The rotated key was issued by the owner key: no person behind it, so it keeps its role
    // when the admin leaves; a key the admin issued stops.
    let by_admin = server
        .send(
            Method::POST,
            "/api/org/api-keys",
            Some(&admin_token),
            Some(json!({"name": "ops", "role": "member"})),
            &[("x-org-id", org_header.as_str())],
        )
        .await;
    let by_admin = by_admin.body["secret"].as_str().unwrap().to_owned();
    orgs.remove_member(org, admin).await.unwrap();
    server
        .get("/api/marketing/campaigns", &by_admin)
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        server
            .get("/api/marketing/campaigns", &new_key)
            .await
            .status,
        StatusCode::OK
    );

    // The audit log names who did what in which request; only owners and admins read it.
    let log = server.get("/api/org/audit", &owner_key).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let events = log.body["items"].as_array().unwrap();
    let find = |action: &str| {
        events
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} in {events:?}"))
            .clone()
    };
    let issue = events
        .iter()
        .find(|e| e["action"] == "api_key.issued" && e["request_id"] == "issue-1")
        .unwrap();
    assert_eq!(issue["actor_kind"], "user");
    assert_eq!(issue["actor_id"], admin.to_string());
    let rotation = find("api_key.rotated");
    assert_eq!(rotation["actor_kind"], "api_key");
    assert_eq!(rotation["target_id"], key_id.as_str());
    assert_eq!(rotation["request_id"], "rotate-1");
    let member_key = server.key(org, MemberRole::Member).await;
    server
        .get("/api/org/audit", &member_key)
        .await
        .problem(403, "forbidden");
    let theirs = server.get("/api/org/audit", &stranger).await;
    assert!(
        theirs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["org_id"] != org_header.as_str()),
        "{}",
        theirs.body
    );
}
