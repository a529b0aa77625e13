//! API keys, idempotency records and the migration check the server runs at start, on both
//! backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{MemberRole, UserId};
use ame_storage::{
    ApiKeyRepository, IdempotencyClaim, IdempotencyRepository, OrganizationRepository, StorageError,
};
use ame_test_support::{TestDb, backend_tests};
use std::time::Duration;

backend_tests!(
    keys_authenticate_until_revoked,
    keys_are_scoped_to_their_organization,
    only_managers_handle_keys,
    idempotency_claims_replay_and_detect_mismatches,
    lapsed_claims_are_taken_over_with_the_same_resource_id,
    the_application_sees_no_pending_migrations,
);

async fn keys_authenticate_until_revoked(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
    let keys = db.storage.api_keys();
    let issued = keys
        .create(
            org,
            ame_storage::NewApiKey::named("CRM sync", MemberRole::Member),
            MemberRole::Owner,
        )
        .await
        .unwrap();
    assert!(issued.secret.starts_with("ame_"));
    assert!(issued.secret.starts_with(&issued.key.display_prefix));
    assert_eq!(issued.key.role, MemberRole::Member);

    let principal = keys.authenticate(&issued.secret).await.unwrap().unwrap();
    assert_eq!(
        (principal.org, principal.role, principal.key_id),
        (org, MemberRole::Member, issued.key.id)
    );

    // Near misses do not authenticate.
    let mut altered = issued.secret.clone();
    altered.pop();
    altered.push('x');
    assert!(keys.authenticate(&altered).await.unwrap().is_none());
    assert!(keys.authenticate("ame_short").await.unwrap().is_none());
    assert!(keys.authenticate("").await.unwrap().is_none());

    // The secret is not stored anywhere in clear.
    let rows = db
        .admin
        .query_json("SELECT * FROM api_keys", None)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        !rows[0].to_string().contains(&issued.secret[12..]),
        "{}",
        rows[0]
    );

    let revoked = keys
        .revoke(org, issued.key.id, MemberRole::Owner)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(keys.authenticate(&issued.secret).await.unwrap().is_none());
    // Revoking twice keeps the first revocation time.
    assert_eq!(
        keys.revoke(org, issued.key.id, MemberRole::Owner)
            .await
            .unwrap()
            .revoked_at,
        revoked.revoked_at
    );
    assert_eq!(keys.list(org).await.unwrap(), vec![revoked]);
}

async fn keys_are_scoped_to_their_organization(db: TestDb) {
    let orgs = db.storage.organizations();
    let (a, b) = (
        orgs.create("A").await.unwrap().id,
        orgs.create("B").await.unwrap().id,
    );
    let keys = db.storage.api_keys();
    let of_a = keys
        .create(
            a,
            ame_storage::NewApiKey::named("a", MemberRole::Viewer),
            MemberRole::Owner,
        )
        .await
        .unwrap();
    assert!(keys.list(b).await.unwrap().is_empty());
    assert!(matches!(
        keys.revoke(b, of_a.key.id, MemberRole::Owner).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(keys.authenticate(&of_a.secret).await.unwrap().is_some());
}

async fn only_managers_handle_keys(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
    let (admin, member) = (UserId::new(), UserId::new());
    db.storage
        .organizations()
        .set_member(org, admin, MemberRole::Admin)
        .await
        .unwrap();
    db.storage
        .organizations()
        .set_member(org, member, MemberRole::Member)
        .await
        .unwrap();

    let as_member = db.storage.acting_as(member).api_keys();
    assert!(matches!(
        as_member
            .create(
                org,
                ame_storage::NewApiKey::named("x", MemberRole::Viewer),
                MemberRole::Owner
            )
            .await,
        Err(StorageError::Forbidden(_))
    ));
    assert!(matches!(
        as_member.list(org).await,
        Err(StorageError::Forbidden(_))
    ));

    let as_admin = db.storage.acting_as(admin).api_keys();
    let issued = as_admin
        .create(
            org,
            ame_storage::NewApiKey::named("x", MemberRole::Admin),
            MemberRole::Owner,
        )
        .await
        .unwrap();
    assert!(matches!(
        as_admin
            .create(
                org,
                ame_storage::NewApiKey::named("x", MemberRole::Owner),
                MemberRole::Owner
            )
            .await,
        Err(StorageError::Forbidden(_))
    ));
    assert_eq!(as_admin.list(org).await.unwrap().len(), 1);
    let owner_key = db
        .storage
        .api_keys()
        .create(
            org,
            ame_storage::NewApiKey::named("root", MemberRole::Owner),
            MemberRole::Owner,
        )
        .await
        .unwrap();
    assert!(matches!(
        as_admin
            .revoke(org, owner_key.key.id, MemberRole::Owner)
            .await,
        Err(StorageError::Forbidden(_))
    ));
    // The service principal acts with the caller's role, not as an owner.
    let service = db.storage.api_keys();
    assert!(matches!(
        service
            .revoke(org, owner_key.key.id, MemberRole::Admin)
            .await,
        Err(StorageError::Forbidden(_))
    ));
    assert!(matches!(
        service
            .rotate(org, owner_key.key.id, None, None, MemberRole::Admin)
            .await,
        Err(StorageError::Forbidden(_))
    ));
    assert!(matches!(
        service
            .create(
                org,
                ame_storage::NewApiKey::named("x", MemberRole::Owner),
                MemberRole::Admin
            )
            .await,
        Err(StorageError::Forbidden(_))
    ));
    as_admin
        .revoke(org, issued.key.id, MemberRole::Owner)
        .await
        .unwrap();
    // Names are validated.
    assert!(matches!(
        as_admin
            .create(
                org,
                ame_storage::NewApiKey::named("  ", MemberRole::Viewer),
                MemberRole::Owner
            )
            .await,
        Err(StorageError::Validation(_))
    ));
}

async fn idempotency_claims_replay_and_detect_mismatches(db: TestDb) {
    let orgs = db.storage.organizations();
    let (a, b) = (
        orgs.create("A").await.unwrap().id,
        orgs.create("B").await.unwrap().id,
    );
    let store = db.storage.idempotency();
    let lease = Duration::from_secs(60);
    let IdempotencyClaim::Acquired { resource_id } =
        store.claim(a, "k1", "h1", lease).await.unwrap()
    else {
        panic!("first claim must be acquired");
    };
    // A retry during the claim is told honestly how long it may last.
    let IdempotencyClaim::InProgress { retry_after } =
        store.claim(a, "k1", "h1", lease).await.unwrap()
    else {
        panic!("a live claim is in progress");
    };
    assert!(
        (59..=60).contains(&retry_after.as_secs()),
        "{retry_after:?}"
    );
    assert_eq!(
        store.claim(a, "k1", "h2", lease).await.unwrap(),
        IdempotencyClaim::Mismatch
    );
    // Another organization's identical key is independent.
    assert!(
        matches!(store.claim(b, "k1", "h1", lease).await.unwrap(), IdempotencyClaim::Acquired { resource_id: other } if other != resource_id)
    );

    store.complete(a, "k1", 201, "{\"id\":1}").await.unwrap();
    assert_eq!(
        store.claim(a, "k1", "h1", lease).await.unwrap(),
        IdempotencyClaim::Completed {
            status: 201,
            body: "{\"id\":1}".to_owned()
        }
    );
    assert_eq!(
        store.claim(a, "k1", "h2", lease).await.unwrap(),
        IdempotencyClaim::Mismatch
    );

    // A released claim can be acquired again; a completed one cannot be released.
    assert!(matches!(
        store.claim(a, "k2", "h", lease).await.unwrap(),
        IdempotencyClaim::Acquired { .. }
    ));
    store.release(a, "k2").await.unwrap();
    assert!(matches!(
        store.claim(a, "k2", "h", lease).await.unwrap(),
        IdempotencyClaim::Acquired { .. }
    ));
    store.release(a, "k1").await.unwrap();
    assert!(matches!(
        store.claim(a, "k1", "h1", lease).await.unwrap(),
        IdempotencyClaim::Completed { .. }
    ));

    assert!(matches!(
        store.claim(a, "", "h", lease).await,
        Err(StorageError::Invalid(_))
    ));
    assert!(matches!(
        store.claim(a, &"k".repeat(256), "h", lease).await,
        Err(StorageError::Invalid(_))
    ));
}

async fn lapsed_claims_are_taken_over_with_the_same_resource_id(db: TestDb) {
    let org = db.storage.organizations().create("A").await.unwrap().id;
    let store = db.storage.idempotency();
    let IdempotencyClaim::Acquired { resource_id } =
        store.claim(org, "k", "h", Duration::ZERO).await.unwrap()
    else {
        panic!("first claim must be acquired");
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store
            .claim(org, "k", "h", Duration::from_secs(60))
            .await
            .unwrap(),
        IdempotencyClaim::Acquired { resource_id }
    );
    assert!(matches!(
        store
            .claim(org, "k", "h", Duration::from_secs(60))
            .await
            .unwrap(),
        IdempotencyClaim::InProgress { .. }
    ));
    // A heartbeat keeps a short claim alive; once the attempt stops renewing, a retry takes
    // over as soon as the claim lapses.
    assert!(store.renew(org, "k", Duration::ZERO).await.unwrap());
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store
            .claim(org, "k", "h", Duration::from_secs(60))
            .await
            .unwrap(),
        IdempotencyClaim::Acquired { resource_id }
    );
    store.complete(org, "k", 201, "{}").await.unwrap();
    assert!(
        !store
            .renew(org, "k", Duration::from_secs(60))
            .await
            .unwrap(),
        "a completed claim is not renewed"
    );
}

async fn the_application_sees_no_pending_migrations(db: TestDb) {
    // On PostgreSQL `storage` is the ordinary application role, which may read but not create
    // the migration table.
    assert_eq!(
        db.storage.pending_migrations().await.unwrap(),
        Vec::<String>::new()
    );
    db.admin.rollback_all().await.unwrap();
    assert_eq!(db.admin.pending_migrations().await.unwrap().len(), 27);
    db.admin.migrate().await.unwrap();
    assert!(db.admin.pending_migrations().await.unwrap().is_empty());
}
