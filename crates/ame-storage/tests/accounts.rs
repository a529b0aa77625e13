//! Dashboard accounts and sessions on both backends: who may give a person a password, that a
//! person sees and ends only their own sessions, and that removal ends sessions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{MemberRole, OrgId};
use ame_storage::{AccountRepository, NewWebSession, OrganizationRepository, StorageError};
use ame_test_support::{TestDb, backend_tests};
use chrono::{TimeDelta, Utc};

backend_tests!(
    a_login_is_found_by_email_in_any_case,
    an_administrator_cannot_take_over_a_person_of_another_organization,
    people_see_and_end_only_their_own_sessions,
    removal_ends_the_sessions_in_that_organization,
);

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA";

fn session(user: ame_domain::UserId, org: Option<OrgId>, byte: u8) -> NewWebSession {
    let now = Utc::now();
    NewWebSession {
        id_hash: [byte; 32],
        user,
        org,
        csrf_token: format!("token-{byte}"),
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
    }
}

async fn a_login_is_found_by_email_in_any_case(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
    let accounts = db.storage.accounts();
    let user = accounts
        .set_login(
            org,
            "Ana@Example.com",
            Some(HASH.into()),
            MemberRole::Admin,
            Utc::now(),
        )
        .await
        .unwrap();
    let found = accounts.login("ANA@example.COM").await.unwrap().unwrap();
    assert_eq!(found.user, user);
    assert_eq!(found.password_hash, HASH);
    assert!(accounts.login("bo@example.com").await.unwrap().is_none());
    let mine = db.storage.acting_as(user).accounts();
    let memberships = mine.memberships(user).await.unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(
        (memberships[0].org, memberships[0].role),
        (org, MemberRole::Admin)
    );
    let refused = accounts
        .set_login(
            org,
            "x@example.com",
            Some("plain text".into()),
            MemberRole::Member,
            Utc::now(),
        )
        .await;
    assert!(refused.is_err(), "only argon2id hashes are stored");
}

async fn an_administrator_cannot_take_over_a_person_of_another_organization(db: TestDb) {
    let acme = db.storage.organizations().create("Acme").await.unwrap().id;
    let other = db.storage.organizations().create("Other").await.unwrap().id;
    let ana = db
        .storage
        .accounts()
        .set_login(
            other,
            "ana@example.com",
            Some(HASH.into()),
            MemberRole::Owner,
            Utc::now(),
        )
        .await
        .unwrap();
    let admin = db
        .storage
        .accounts()
        .set_login(
            acme,
            "admin@acme.example",
            Some(HASH.into()),
            MemberRole::Admin,
            Utc::now(),
        )
        .await
        .unwrap();
    let as_admin = db.storage.acting_as(admin).accounts();
    let takeover = as_admin
        .set_login(
            acme,
            "ana@example.com",
            Some(HASH.replace("aGFzaA", "b3duZWQ")),
            MemberRole::Member,
            Utc::now(),
        )
        .await;
    if db.backend() == ame_storage::Backend::Postgres {
        assert!(
            matches!(takeover, Err(StorageError::NotFound { .. })),
            "{takeover:?}"
        );
        let kept = db
            .storage
            .accounts()
            .login("ana@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((kept.user, kept.password_hash.as_str()), (ana, HASH));
    }
    let viewer = db
        .storage
        .accounts()
        .set_login(
            acme,
            "vic@acme.example",
            None,
            MemberRole::Viewer,
            Utc::now(),
        )
        .await
        .unwrap();
    let as_viewer = db.storage.acting_as(viewer).accounts();
    let refused = as_viewer
        .set_login(
            acme,
            "new@acme.example",
            Some(HASH.into()),
            MemberRole::Owner,
            Utc::now(),
        )
        .await;
    assert!(
        matches!(refused, Err(StorageError::NotFound { .. })),
        "{refused:?}"
    );
}

async fn people_see_and_end_only_their_own_sessions(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
    let accounts = db.storage.accounts();
    let ana = accounts
        .set_login(
            org,
            "ana@example.com",
            Some(HASH.into()),
            MemberRole::Member,
            Utc::now(),
        )
        .await
        .unwrap();
    let bo = accounts
        .set_login(
            org,
            "bo@example.com",
            Some(HASH.into()),
            MemberRole::Member,
            Utc::now(),
        )
        .await
        .unwrap();
    db.storage
        .acting_as(ana)
        .accounts()
        .create_session(session(ana, Some(org), 1))
        .await
        .unwrap();
    let found = accounts
        .session([1; 32], Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.user, found.org, found.email.as_str()),
        (ana, Some(org), "ana@example.com")
    );
    assert!(
        accounts
            .session([1; 32], Utc::now() + TimeDelta::hours(2))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    db.storage
        .acting_as(bo)
        .accounts()
        .end_session(bo, [1; 32])
        .await
        .unwrap();
    assert!(
        accounts
            .session([1; 32], Utc::now())
            .await
            .unwrap()
            .is_some(),
        "Bo cannot end Ana's session"
    );
    let switched = db
        .storage
        .acting_as(bo)
        .accounts()
        .switch_session(bo, [1; 32], org)
        .await;
    assert!(matches!(switched, Err(StorageError::NotFound { .. })));
    db.storage
        .acting_as(ana)
        .accounts()
        .end_session(ana, [1; 32])
        .await
        .unwrap();
    assert!(
        accounts
            .session([1; 32], Utc::now())
            .await
            .unwrap()
            .is_none()
    );
}

async fn removal_ends_the_sessions_in_that_organization(db: TestDb) {
    let acme = db.storage.organizations().create("Acme").await.unwrap().id;
    let other = db.storage.organizations().create("Other").await.unwrap().id;
    let accounts = db.storage.accounts();
    let ana = accounts
        .set_login(
            acme,
            "ana@example.com",
            Some(HASH.into()),
            MemberRole::Member,
            Utc::now(),
        )
        .await
        .unwrap();
    accounts
        .set_login(
            other,
            "ana@example.com",
            None,
            MemberRole::Member,
            Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mine = db.storage.acting_as(ana).accounts();
    mine.create_session(session(ana, Some(acme), 3))
        .await
        .unwrap();
    mine.create_session(session(ana, Some(other), 4))
        .await
        .unwrap();
    accounts
        .remove_login(acme, "ANA@example.com")
        .await
        .unwrap();
    assert!(
        accounts
            .session([3; 32], Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        accounts
            .session([4; 32], Utc::now())
            .await
            .unwrap()
            .is_some(),
        "the other organization's session stays"
    );
    assert_eq!(mine.memberships(ana).await.unwrap().len(), 1);
    assert!(matches!(
        accounts.remove_login(acme, "ana@example.com").await,
        Err(StorageError::NotFound { .. })
    ));
}
