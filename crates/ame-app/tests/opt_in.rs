//! Double opt-in end to end through the outbox, on both backends: a consumer brand's sign-up
//! gets one confirmation email and is subscribed only by pressing the button its link opens;
//! forged, foreign and expired links change nothing; a confirmed opt-in lifts an erasure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ame_app::{AppError, LeadOutcome};
use ame_domain::{
    Consent, Contact, ContactFilter, Market, NewContact, OptInConfirmation, PageRequest,
};
use ame_storage::{BlobStore, ObjectBlobs};
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;
use futures::TryStreamExt;
use std::sync::Arc;
use support::{Harness, at, brand};

backend_tests!(a_consumer_sign_up_is_subscribed_only_when_its_owner_confirms);

/// One message of the outbox: its Message-ID, recipient, subject and plain text.
#[derive(Debug)]
struct Sent {
    message_id: String,
    to: String,
    subject: String,
    text: String,
    list_unsubscribe: bool,
}

async fn outbox(blobs: &Arc<dyn BlobStore>) -> Vec<Sent> {
    let mut out = Vec::new();
    for blob in blobs.list().await.unwrap() {
        if !blob.key.starts_with("outbox/") {
            continue;
        }
        let (_, stream) = blobs.open(&blob.key).await.unwrap().unwrap();
        let chunks: Vec<bytes::Bytes> = stream.try_collect().await.unwrap();
        let raw = chunks.concat();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        out.push(Sent {
            message_id: message.message_id().unwrap_or_default().to_owned(),
            to: message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned(),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            list_unsubscribe: message.header("List-Unsubscribe").is_some(),
        });
    }
    out
}

/// The confirmation links' tokens in the confirmation emails sent to `to`.
async fn confirmation_tokens(blobs: &Arc<dyn BlobStore>, slug: &str, to: &str) -> Vec<String> {
    let prefix = format!("https://ame.example/p/{slug}/confirm/");
    let mut found = Vec::new();
    for sent in outbox(blobs).await {
        if sent.to == to && sent.message_id.starts_with("confirm.") {
            let start = sent.text.find(&prefix).expect("a confirmation link") + prefix.len();
            let token: String = sent.text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
                .collect();
            found.push(token);
        }
    }
    found
}

async fn find_contact(h: &Harness, email: &str) -> Option<Contact> {
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
        .find(|c| c.email.as_deref() == Some(email))
}

async fn a_consumer_sign_up_is_subscribed_only_when_its_owner_confirms(db: TestDb) {
    let blobs: Arc<dyn BlobStore> = Arc::new(ObjectBlobs::in_memory());
    let h = Harness::with_outbox(db, at(2027, 3, 1, 8, 0), blobs.clone()).await;
    let mut consumer = brand();
    consumer.market = Market::Consumer;
    h.engine.save_brand(&h.caller, consumer).await.unwrap();
    let (campaign, slug) = h.lead_campaign().await;
    // Sign-ups while the send window is open, so a confirmed lead's first email goes at once.
    h.run_until(at(2027, 3, 1, 9, 0), TimeDelta::minutes(5))
        .await;

    let outcome = h
        .sign_up(&slug, "Ada Lovelace", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(outcome, LeadOutcome::AwaitingConfirmation);
    let now = ame_app::Clock::now(&*h.clock);
    h.run_until(now + TimeDelta::seconds(10), TimeDelta::seconds(1))
        .await;
    assert!(
        find_contact(&h, "ada@example.com").await.is_none(),
        "not before confirming"
    );
    let sent = outbox(&blobs).await;
    assert_eq!(sent.len(), 1, "only the confirmation request: {sent:?}");
    assert_eq!(sent[0].to, "ada@example.com");
    assert_eq!(
        sent[0].subject,
        "Please confirm your subscription to Ledgerly"
    );
    assert!(sent[0].text.starts_with("Hi Ada,"), "{}", sent[0].text);
    assert!(!sent[0].list_unsubscribe, "not a mailing");
    let tokens = confirmation_tokens(&blobs, &slug, "ada@example.com").await;
    assert_eq!(tokens.len(), 1);
    let token = tokens[0].clone();

    // Opening the link shows a button and changes nothing; forged and foreign links are refused.
    let shown = h.engine.confirmation_page(&slug, &token).await.unwrap();
    assert_eq!(shown.company_name, "Ledgerly");
    assert!(find_contact(&h, "ada@example.com").await.is_none());
    let (id, mac) = token.split_once('.').unwrap();
    for bad in [
        format!("{id}.{}", mac.chars().rev().collect::<String>()),
        format!("{mac}.{id}"),
        "nonsense".to_owned(),
    ] {
        assert!(matches!(
            h.engine.confirm_sign_up(&slug, &bad).await,
            Err(AppError::NotFound { .. })
        ));
    }
    let (_, other_slug) = h.lead_campaign().await;
    assert!(matches!(
        h.engine.confirm_sign_up(&other_slug, &token).await,
        Err(AppError::NotFound { .. })
    ));

    // Pressing it subscribes her, as a lead of the campaign, who is then nurtured.
    let confirmed = h.engine.confirm_sign_up(&slug, &token).await.unwrap();
    let OptInConfirmation::Confirmed(contact) = confirmed else {
        panic!("{confirmed:?}");
    };
    let ada = find_contact(&h, "ada@example.com").await.unwrap();
    assert_eq!(ada.id, contact);
    assert_eq!(
        (
            ada.consent,
            ada.consent_source.as_str(),
            ada.first_name.as_deref()
        ),
        (Consent::Subscribed, "double_opt_in", Some("Ada"))
    );
    assert_eq!(
        h.engine.confirm_sign_up(&slug, &token).await.unwrap(),
        OptInConfirmation::AlreadyConfirmed
    );
    let now = ame_app::Clock::now(&*h.clock);
    h.run_until(now + TimeDelta::seconds(10), TimeDelta::seconds(1))
        .await;
    let to_ada: Vec<Sent> = outbox(&blobs)
        .await
        .into_iter()
        .filter(|s| s.to == "ada@example.com" && !s.message_id.starts_with("confirm."))
        .collect();
    assert_eq!(to_ada.len(), 1, "step 1 of the nurture sequence");
    assert!(to_ada[0].list_unsubscribe);
    let export = h.engine.export_contact(&h.caller, ada.id).await.unwrap();
    assert!(
        export
            .events
            .iter()
            .any(|e| e.kind == ame_domain::TrackingKind::Lead && e.campaign_id == campaign),
        "counted as a lead on confirmation"
    );
    assert_eq!(
        export.consent_history.last().unwrap().source,
        "double_opt_in"
    );

    // A link older than seven days subscribes nobody.
    h.sign_up(&slug, "Bo", "bo@example.com").await.unwrap();
    let now = ame_app::Clock::now(&*h.clock);
    h.run_until(now + TimeDelta::seconds(5), TimeDelta::seconds(1))
        .await;
    let late = confirmation_tokens(&blobs, &slug, "bo@example.com")
        .await
        .remove(0);
    h.clock.set(now + TimeDelta::days(8));
    assert_eq!(
        h.engine.confirm_sign_up(&slug, &late).await.unwrap(),
        OptInConfirmation::Expired
    );
    assert!(find_contact(&h, "bo@example.com").await.is_none());

    // After an erasure (which removes her messages from the outbox, the confirmation request
    // too), an upsert cannot subscribe her again, but her own confirmed sign-up can.
    h.engine.erase_contact(&h.caller, ada.id).await.unwrap();
    assert!(
        outbox(&blobs)
            .await
            .iter()
            .all(|s| s.to != "ada@example.com"),
        "no copy of a message to her is left"
    );
    h.engine
        .upsert_contacts(&h.caller, vec![NewContact::email("ada@example.com")])
        .await
        .unwrap();
    assert_eq!(
        find_contact(&h, "ada@example.com").await.unwrap().consent,
        Consent::Unsubscribed
    );
    assert_eq!(
        h.sign_up(&slug, "Ada", "ada@example.com").await.unwrap(),
        LeadOutcome::AwaitingConfirmation
    );
    let now = ame_app::Clock::now(&*h.clock);
    h.run_until(now + TimeDelta::seconds(5), TimeDelta::seconds(1))
        .await;
    let again = confirmation_tokens(&blobs, &slug, "ada@example.com").await;
    assert_eq!(again.len(), 1, "only the new request");
    let again = &again[0];
    assert_ne!(*again, token);
    assert!(matches!(
        h.engine.confirm_sign_up(&slug, again).await.unwrap(),
        OptInConfirmation::Confirmed(_)
    ));
    assert_eq!(
        find_contact(&h, "ada@example.com").await.unwrap().consent,
        Consent::Subscribed
    );
}
