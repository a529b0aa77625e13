//! Erasure keeps its promise, on both backends: an erased address is never subscribed again by
//! an upsert, an import or a landing-page form; only a keyed hash of it is kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ame_domain::{Consent, Contact, ContactFilter, NewContact, PageRequest};
use ame_test_support::{TestDb, backend_tests};
use support::{Harness, at};

backend_tests!(an_erased_address_stays_suppressed_through_upsert_and_import);

/// The contact whose address is `email` (compared case-insensitively).
async fn contact(h: &Harness, email: &str) -> Contact {
    h.engine
        .contacts(
            &h.caller,
            ContactFilter::default(),
            PageRequest::new(100, None).unwrap(),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|c| {
            c.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .unwrap_or_else(|| panic!("{email} is not a contact"))
}

async fn consent_of(h: &Harness, email: &str) -> Consent {
    contact(h, email).await.consent
}

async fn an_erased_address_stays_suppressed_through_upsert_and_import(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 9, 0)).await;
    h.engine
        .upsert_contacts(
            &h.caller,
            vec![
                NewContact::email("ana@example.com"),
                NewContact::email("bo@example.com"),
            ],
        )
        .await
        .unwrap();
    let ana = contact(&h, "ana@example.com").await;
    h.engine.erase_contact(&h.caller, ana.id).await.unwrap();
    let audit = h.engine.audit_log(&h.caller, None).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "contact.erased" && e.target_id == Some(ana.id.as_uuid())),
        "the erasure is audited: {audit:?}"
    );

    // Adding the address again, even asking to subscribe it, creates it unsubscribed.
    let again = h
        .engine
        .upsert_contacts(
            &h.caller,
            vec![NewContact {
                consent: Some(Consent::Subscribed),
                ..NewContact::email("Ana@Example.com")
            }],
        )
        .await
        .unwrap();
    assert_eq!((again.created, again.kept_suppressed), (1, 1));
    assert_eq!(
        consent_of(&h, "Ana@Example.com").await,
        Consent::Unsubscribed
    );

    // An import cannot subscribe it either; other addresses are untouched.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("contacts.csv");
    std::fs::write(
        &file,
        "email,consent\nana@example.com,subscribed\ncy@example.com,subscribed\n",
    )
    .unwrap();
    h.engine
        .import_contacts_file(h.caller.org, &file)
        .await
        .unwrap();
    assert_eq!(
        consent_of(&h, "Ana@Example.com").await,
        Consent::Unsubscribed
    );
    assert_eq!(consent_of(&h, "cy@example.com").await, Consent::Subscribed);
    assert_eq!(consent_of(&h, "bo@example.com").await, Consent::Subscribed);
}
