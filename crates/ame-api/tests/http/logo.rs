//! The brand logo over HTTP: upload (PNG or SVG), download, use on generated banners and pages,
//! removal, clear errors for unusable uploads, and no organization reaching another's logo.

use crate::common::{Server, brand};
use ame_domain::MemberRole;
use ame_test_support::{TestDb, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

backend_tests!(
    a_logo_is_uploaded_used_and_removed,
    logos_stay_in_their_organization
);

const MARK: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" rx="12" fill="#ffffff"/><rect x="16" y="16" width="32" height="32" fill="#f2a900"/></svg>"##;

async fn upload(server: &Server, key: &str, media_type: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let response = server
        .http
        .put(format!("{}/api/marketing/brand/logo", server.base))
        .bearer_auth(key)
        .header("content-type", media_type)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert_eq!(content_type, "application/problem+json", "{body}");
    }
    (status, body)
}

async fn put_brand(server: &Server, key: &str) {
    let reply = server
        .send(
            Method::PUT,
            "/api/marketing/brand",
            Some(key),
            Some(brand()),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn a_logo_is_uploaded_used_and_removed(db: TestDb) {
    let server = Server::start(db).await;
    let (_, key) = server.org_with_key("A", MemberRole::Owner).await;

    let (status, body) = upload(&server, &key, "image/svg+xml", MARK.as_bytes()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "brand_not_set");
    put_brand(&server, &key).await;

    let (status, body) = upload(&server, &key, "image/gif", b"GIF89a").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body.to_string().contains("image/svg+xml"), "{body}");
    let (status, body) = upload(&server, &key, "image/png", b"not a png").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "logo", "{body}");
    let big = vec![b' '; 1024 * 1024 + 1];
    let (status, _) = upload(&server, &key, "image/svg+xml", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let none = server.get("/api/marketing/brand/logo", &key).await;
    none.problem(404, "file_missing");

    let (status, body) = upload(&server, &key, "image/svg+xml", MARK.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let logo = &body["logo"];
    assert_eq!(logo["media_type"], "image/png");
    assert_eq!(logo["uploaded_as"], "image/svg+xml");
    assert_eq!(
        (logo["width"].as_u64(), logo["height"].as_u64()),
        (Some(512), Some(512))
    );
    assert_eq!(body["company_name"], "Ledgerly", "the profile's words stay");

    let download = server
        .http
        .get(format!("{}/api/marketing/brand/logo", server.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "image/png");
    let png = download.bytes().await.unwrap();
    let digest: String = Sha256::digest(&png)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(logo["sha256"], digest);

    // Saving the profile's words again keeps the logo.
    put_brand(&server, &key).await;
    assert_eq!(
        server.get("/api/marketing/brand", &key).await.body["logo"],
        *logo
    );

    let campaign = server
        .campaign(&key, "brand_awareness", "Reach 50,000 finance leaders")
        .await;
    let assets = server
        .generate(&key, campaign["id"].as_str().unwrap())
        .await;
    let image = assets
        .iter()
        .find(|a| a["asset_type"] == "image_asset")
        .unwrap();
    for banner in image["content"]["banners"].as_array().unwrap() {
        assert_eq!(banner["logo"], true, "{banner}");
    }
    let campaign = server
        .campaign(&key, "lead_gen", "Book 40 demos by March")
        .await;
    let assets = server
        .generate(&key, campaign["id"].as_str().unwrap())
        .await;
    let page = assets
        .iter()
        .find(|a| a["asset_type"] == "landing_page")
        .unwrap();
    let slug = page["content"]["slug"].as_str().unwrap();
    let html = server
        .http
        .get(format!("{}/p/{slug}", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("class=\"logo\" src=\"data:image/png;base64,"),
        "{html}"
    );

    let removed = server
        .send(
            Method::DELETE,
            "/api/marketing/brand/logo",
            Some(&key),
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(removed.body["logo"], Value::Null);
    server
        .get("/api/marketing/brand/logo", &key)
        .await
        .problem(404, "file_missing");
}

async fn logos_stay_in_their_organization(db: TestDb) {
    let server = Server::start(db).await;
    let (_, a_key) = server.org_with_key("A", MemberRole::Owner).await;
    let (_, b_key) = server.org_with_key("B", MemberRole::Owner).await;
    let (_, viewer) = server.org_with_key("C", MemberRole::Viewer).await;
    put_brand(&server, &a_key).await;
    let (status, a_brand) = upload(&server, &a_key, "image/svg+xml", MARK.as_bytes()).await;
    assert_eq!(status, StatusCode::OK);

    server
        .get("/api/marketing/brand/logo", &b_key)
        .await
        .problem(404, "brand_not_set");
    server
        .send(
            Method::DELETE,
            "/api/marketing/brand/logo",
            Some(&b_key),
            None,
            &[],
        )
        .await
        .problem(404, "brand_not_set");
    let (status, body) = upload(&server, &b_key, "image/svg+xml", MARK.as_bytes()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = upload(&server, &viewer, "image/svg+xml", MARK.as_bytes()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert_eq!(
        server.get("/api/marketing/brand", &a_key).await.body["logo"],
        a_brand["logo"],
        "A's logo is untouched"
    );
}
