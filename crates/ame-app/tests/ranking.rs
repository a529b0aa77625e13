//! A campaign's ranked audience is scored once per model version and audience state, stored,
//! and read a page at a time; a change to contacts, outcomes or time scores it again, and a
//! cursor of a replaced ranking is refused. Both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ame_app::{AppError, Clock};
use ame_domain::{Audience, CampaignType, Goal, Group, NewCampaign, NewContact, NewOutcome};
use ame_storage::AudienceScoreRepository;
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;
use std::collections::{BTreeMap, HashSet};
use support::{Harness, at};

backend_tests!(a_ranking_is_stored_once_and_paged_until_its_inputs_change);

/// More than one stored block (1,000 positions), so pages cross a block's end.
const CONTACTS: usize = 1250;

async fn draft(h: &Harness, objective: &str) -> ame_domain::CampaignId {
    let mut new = NewCampaign::new(CampaignType::ReEngagement, objective);
    new.audience = Some(Audience::all_subscribed());
    let valid = h.engine.check_new_campaign(&h.caller, new).unwrap();
    h.engine
        .create_campaign(&h.caller, valid, None)
        .await
        .unwrap()
        .id
}

async fn a_ranking_is_stored_once_and_paged_until_its_inputs_change(db: TestDb) {
    let scores = db.storage.audience_scores();
    let h = Harness::new(db, at(2027, 3, 1, 14, 0)).await;
    let contacts: Vec<NewContact> = (0..CONTACTS)
        .map(|i| NewContact {
            attributes: serde_json::json!({"score": (i % 10) as f64})
                .as_object()
                .cloned(),
            ..NewContact::email(format!("c{i}@example.com"))
        })
        .collect();
    for chunk in contacts.chunks(1000) {
        h.engine
            .upsert_contacts(&h.caller, chunk.to_vec())
            .await
            .unwrap();
    }
    // Past outcomes: a higher score converts more often.
    let past = draft(&h, "Last quarter's win-back mailing").await;
    let rows: Vec<NewOutcome> = (0..CONTACTS)
        .map(|i| NewOutcome {
            email: format!("c{i}@example.com"),
            group: Group::Treatment,
            variants: BTreeMap::new(),
            clicked: false,
            converted: (i * 7919) % 10 < i % 10,
            value: None,
            converted_before_assignment: false,
        })
        .collect();
    for chunk in rows.chunks(1000) {
        h.engine
            .record_outcomes(&h.caller, past, chunk.to_vec())
            .await
            .unwrap();
    }
    h.engine
        .train_targeting(&h.caller, Goal::Conversions)
        .await
        .unwrap();
    let campaign = draft(&h, "Win back finance teams this spring").await;

    // Paged through 400 at a time (the third page spans two stored blocks): every contact
    // once, best first, the last page without a cursor.
    let mut seen = HashSet::new();
    let mut values = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = h
            .engine
            .score_audience(
                &h.caller,
                campaign,
                Goal::Conversions,
                400,
                cursor.as_deref(),
            )
            .await
            .unwrap();
        pages += 1;
        for item in &page.items {
            assert!(seen.insert(item.contact_id), "{:?} twice", item.contact_id);
            assert!(item.email.is_some());
            values.push(item.expected_value);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen.len(), CONTACTS);
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "not best first");
    assert!(
        values.first() > values.last(),
        "the model ranks no one above anyone"
    );
    let stored = scores
        .score_set(h.caller.org, campaign, Goal::Conversions)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.total, CONTACTS as u64);
    let first_scored = stored.scored_at;

    // An hour later with nothing changed, the first page reads the stored ranking.
    h.clock.set(h.clock.now() + TimeDelta::hours(1));
    let again = h
        .engine
        .score_audience(&h.caller, campaign, Goal::Conversions, 100, None)
        .await
        .unwrap();
    let still = scores
        .score_set(h.caller.org, campaign, Goal::Conversions)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        still.scored_at, first_scored,
        "scored again with nothing changed"
    );
    let old_cursor = again.next_cursor.unwrap();

    // Erasing a contact takes it off the stored ranking's pages at once.
    let page = |cursor: String| {
        let engine = &h.engine;
        let caller = &h.caller;
        async move {
            engine
                .score_audience(caller, campaign, Goal::Conversions, 100, Some(&cursor))
                .await
                .unwrap()
        }
    };
    let second = page(old_cursor.clone()).await;
    let erased = second.items[0].contact_id;
    h.engine.erase_contact(&h.caller, erased).await.unwrap();
    let second_again = page(old_cursor.clone()).await;
    assert_eq!(second_again.items.len(), 99);
    assert!(second_again.items.iter().all(|s| s.contact_id != erased));
    assert_eq!(second_again.next_cursor, second.next_cursor);
    let after_erasure = h
        .engine
        .score_audience(&h.caller, campaign, Goal::Conversions, 1000, None)
        .await
        .unwrap();
    assert!(after_erasure.items.iter().all(|s| s.contact_id != erased));
    assert_eq!(after_erasure.items.len(), 1000);

    // The erasure changed the inputs: the audience was scored again, and a cursor of the
    // replaced ranking is refused with what to do.
    let replaced = scores
        .score_set(h.caller.org, campaign, Goal::Conversions)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(replaced.total, CONTACTS as u64 - 1);
    assert!(replaced.scored_at > first_scored);
    let stale = h
        .engine
        .score_audience(
            &h.caller,
            campaign,
            Goal::Conversions,
            100,
            Some(&old_cursor),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, AppError::Conflict(why) if why.contains("without a cursor")),
        "{stale:?}"
    );

    // A new contact joins the next ranking.
    h.engine
        .upsert_contacts(&h.caller, vec![NewContact::email("newcomer@example.com")])
        .await
        .unwrap();
    let with_newcomer = h
        .engine
        .score_audience(&h.caller, campaign, Goal::Conversions, 10, None)
        .await
        .unwrap();
    let ranked_now = scores
        .score_set(h.caller.org, campaign, Goal::Conversions)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ranked_now.total, CONTACTS as u64);
    assert!(with_newcomer.next_cursor.is_some());

    // A day on, the same inputs are scored again (engagement ages).
    let before = scores
        .score_set(h.caller.org, campaign, Goal::Conversions)
        .await
        .unwrap()
        .unwrap();
    h.clock.set(h.clock.now() + TimeDelta::hours(25));
    h.engine
        .score_audience(&h.caller, campaign, Goal::Conversions, 10, None)
        .await
        .unwrap();
    let aged = scores
        .score_set(h.caller.org, campaign, Goal::Conversions)
        .await
        .unwrap()
        .unwrap();
    assert!(aged.scored_at > before.scored_at);

    // Two first pages after a change both store the new ranking (one after the other) and
    // both answer.
    h.engine
        .upsert_contacts(&h.caller, vec![NewContact::email("second@example.com")])
        .await
        .unwrap();
    let first_page = || {
        h.engine
            .score_audience(&h.caller, campaign, Goal::Conversions, 10, None)
    };
    let (one, two) = tokio::join!(first_page(), first_page());
    assert_eq!(one.unwrap().items.len(), 10);
    assert_eq!(two.unwrap().items.len(), 10);
    let both = scores
        .score_set(h.caller.org, campaign, Goal::Conversions)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(both.total, CONTACTS as u64 + 1);
}
