//! Erasure keeps its promise, on both backends: an erased address is never subscribed again by
//! an upsert, an import or a landing-page form; only a keyed hash of it is kept; its outbox
//! copies and landing-page forms go with it. An export shows everything held before.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ame_app::AppError;
use ame_app::execution::OutboxMailer;
use ame_app::tracking::ConversionInput;
use ame_domain::{
    Channel, Consent, Contact, ContactFilter, ContactPatch, DeliveryState, Group, NewContact,
    PageRequest, TrackingKind,
};
use ame_storage::{BlobStore, ObjectBlobs};
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;
use std::sync::Arc;
use support::{Harness, at};

backend_tests!(
    an_erased_address_stays_suppressed_through_upsert_and_import,
    an_export_holds_what_is_kept_and_erasure_leaves_no_copy
);

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

async fn an_export_holds_what_is_kept_and_erasure_leaves_no_copy(db: TestDb) {
    let blobs: Arc<dyn BlobStore> = Arc::new(ObjectBlobs::in_memory());
    let h = Harness::with_outbox(db, at(2027, 3, 1, 8, 0), blobs.clone()).await;
    let (campaign, slug) = h.lead_campaign().await;
    // Sign-ups while the send window is open, so the nurture's first email goes at once.
    h.run_until(at(2027, 3, 1, 9, 0), TimeDelta::minutes(5))
        .await;
    h.sign_up(&slug, "Ada Lovelace", "ada@example.com")
        .await
        .unwrap();
    h.sign_up(&slug, "Grace Hopper", "grace@example.com")
        .await
        .unwrap();
    let submitted = ame_app::Clock::now(&*h.clock);
    h.run_until(submitted + TimeDelta::seconds(10), TimeDelta::seconds(1))
        .await;
    let ada = contact(&h, "ada@example.com").await;
    h.engine
        .record_conversion(
            &h.caller,
            ConversionInput {
                campaign_id: Some(campaign),
                contact_id: Some(ada.id),
                value: Some(rust_decimal::Decimal::new(12050, 2)),
                ..ConversionInput::default()
            },
        )
        .await
        .unwrap();
    h.clock.set(submitted + TimeDelta::minutes(5));
    h.engine
        .patch_contact(
            &h.caller,
            ada.id,
            ContactPatch {
                consent: Some(Consent::Unsubscribed),
                ..ContactPatch::default()
            },
        )
        .await
        .unwrap();

    let export = h.engine.export_contact(&h.caller, ada.id).await.unwrap();
    assert_eq!(export.contact.email.as_deref(), Some("ada@example.com"));
    let history: Vec<(Consent, &str)> = export
        .consent_history
        .iter()
        .map(|c| (c.consent, c.source.as_str()))
        .collect();
    assert_eq!(
        history,
        vec![
            (Consent::Subscribed, "landing_page"),
            (Consent::Unsubscribed, "api")
        ]
    );
    let steps: Vec<(u32, DeliveryState)> = export
        .deliveries
        .iter()
        .map(|d| (d.step, d.state))
        .collect();
    assert_eq!(
        steps,
        vec![
            (1, DeliveryState::Sent),
            (2, DeliveryState::Pending),
            (3, DeliveryState::Pending),
            (4, DeliveryState::Pending)
        ],
        "the sequence planned for her, the first sent"
    );
    let message = &export.deliveries[0];
    assert_eq!(message.campaign_id, campaign);
    let kinds: Vec<(TrackingKind, Channel, Option<&str>)> = export
        .events
        .iter()
        .map(|e| (e.kind, e.channel, e.value.as_deref()))
        .collect();
    assert!(
        kinds.contains(&(TrackingKind::Lead, Channel::Web, None)),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(kind, _, value)| *kind == TrackingKind::Conversion && *value == Some("120.5")),
        "{kinds:?}"
    );
    assert!(export.events.iter().all(|e| e.campaign_id == campaign));
    assert_eq!(
        export
            .outcomes
            .iter()
            .map(|o| (o.campaign_id, o.group))
            .collect::<Vec<_>>(),
        vec![(campaign, Group::Treatment)]
    );
    assert_eq!(export.leads.len(), 1, "her form, not Grace's");
    assert_eq!(export.leads[0].fields["email"], "ada@example.com");
    let audit = h.engine.audit_log(&h.caller, None).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "contact.exported" && e.target_id == Some(ada.id.as_uuid())),
        "the export is audited"
    );

    // Her message sits in the outbox until she is erased; Grace's stays.
    let hers = OutboxMailer::key(&message.message_id);
    assert!(blobs.open(&hers).await.unwrap().is_some());
    let grace = contact(&h, "grace@example.com").await;
    let grace_export = h.engine.export_contact(&h.caller, grace.id).await.unwrap();
    let theirs = OutboxMailer::key(&grace_export.deliveries[0].message_id);
    h.engine.erase_contact(&h.caller, ada.id).await.unwrap();
    assert!(
        blobs.open(&hers).await.unwrap().is_none(),
        "her copy is gone"
    );
    assert!(
        blobs.open(&theirs).await.unwrap().is_some(),
        "Grace's is kept"
    );
    let leads = h.engine.leads(&h.caller, campaign, None).await.unwrap();
    assert_eq!(
        leads
            .iter()
            .map(|l| l.fields["email"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["grace@example.com"],
        "her form is deleted"
    );
    assert!(matches!(
        h.engine.export_contact(&h.caller, ada.id).await,
        Err(AppError::NotFound { .. })
    ));
    // Erasing again (as after a failure part-way) changes nothing more and succeeds.
    h.engine.erase_contact(&h.caller, ada.id).await.unwrap();
}
