//! Sequence steps reach each contact in order and spaced, whatever delays them: a late start,
//! a pause across later steps, a tight rate limit and refused attempts retried with backoff.
//! On both backends, with time moved by a manual clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::execution::MailError;
use ame_domain::{CampaignId, CampaignStatus, local_days_between};
use ame_test_support::{TestDb, backend_tests};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

mod support;

use support::{Harness, at};

backend_tests!(
    a_late_start_sends_the_first_overdue_step_and_spaces_the_rest,
    steps_due_during_a_pause_go_one_at_a_time_after_it,
    a_tight_rate_limit_keeps_every_contacts_steps_in_order,
    a_step_retried_after_refusals_holds_back_the_next,
);

const CONTACTS: [(&str, &str); 6] = [
    ("auckland@example.com", "Pacific/Auckland"),
    ("la@example.com", "America/Los_Angeles"),
    ("london@example.com", "Europe/London"),
    ("kolkata@example.com", "Asia/Kolkata"),
    ("chicago@example.com", "America/Chicago"),
    ("berlin@example.com", "Europe/Berlin"),
];

/// The step a message is, from its Message-ID `<campaign.step.contact@domain>`.
fn step_of(message_id: &str) -> u32 {
    message_id
        .trim_start_matches('<')
        .split('.')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap()
}

/// Each contact's steps as received, with when.
fn received(h: &Harness) -> BTreeMap<String, Vec<(u32, DateTime<Utc>)>> {
    let mut by_contact: BTreeMap<String, Vec<(u32, DateTime<Utc>)>> = BTreeMap::new();
    for (message, at) in h.mailer.accepted() {
        by_contact
            .entry(message.to.clone())
            .or_default()
            .push((step_of(&message.message_id), at));
    }
    by_contact
}

/// Every contact got steps 1, 2, 3 exactly once, in that order, with at least the plan's gap
/// (4 and 6 local days for the re-engagement sequence) between them; returns how many
/// contacts' steps were checked.
fn assert_in_order_and_spaced(h: &Harness) -> usize {
    let got = received(h);
    for (address, zone) in CONTACTS {
        let tz: Tz = zone.parse().unwrap();
        let steps = got.get(address).cloned().unwrap_or_default();
        let order: Vec<u32> = steps.iter().map(|(s, _)| *s).collect();
        assert_eq!(order, [1, 2, 3], "{address} received {steps:?}");
        for (pair, gap) in steps.windows(2).zip([4, 6]) {
            let days = local_days_between(pair[0].1, pair[1].1, tz);
            assert!(
                days >= gap,
                "{address}: step {} came {days} local days after step {} (plan: {gap})",
                pair[1].0,
                pair[0].0
            );
        }
    }
    got.len()
}

async fn with_contacts(h: &Harness) {
    let rows: Vec<_> = CONTACTS.iter().map(|(a, z)| (*a, Some(*z))).collect();
    h.contacts(&rows).await;
}

/// A campaign whose sends go every day of the week, around the clock.
async fn daily_campaign(h: &Harness, start: DateTime<Utc>) -> CampaignId {
    h.campaign_with(start, |new| {
        new.send_window = Some(ame_domain::SendWindow {
            days: {
                use chrono::Weekday::*;
                vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun]
            },
            start: chrono::NaiveTime::MIN,
            end: chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap(),
        });
    })
    .await
}

async fn a_late_start_sends_the_first_overdue_step_and_spaces_the_rest(db: TestDb) {
    let now = at(2027, 3, 12, 11, 0);
    let h = Harness::new(db, now).await;
    with_contacts(&h).await;
    // Planned to start eleven days ago: every step of the plan is overdue.
    daily_campaign(&h, now - TimeDelta::days(11)).await;
    h.run_until(now + TimeDelta::hours(2), TimeDelta::minutes(10))
        .await;
    let first = received(&h);
    assert_eq!(first.len(), CONTACTS.len());
    assert!(
        first
            .values()
            .all(|steps| steps.len() == 1 && steps[0].0 == 1),
        "only the first step goes at once: {first:?}"
    );
    h.run_until(now + TimeDelta::days(14), TimeDelta::hours(1))
        .await;
    assert_eq!(assert_in_order_and_spaced(&h), CONTACTS.len());
}

async fn steps_due_during_a_pause_go_one_at_a_time_after_it(db: TestDb) {
    let start = at(2027, 3, 1, 10, 0);
    let h = Harness::new(db, start - TimeDelta::hours(1)).await;
    with_contacts(&h).await;
    let campaign = daily_campaign(&h, start).await;
    h.run_until(start + TimeDelta::days(1), TimeDelta::minutes(30))
        .await;
    assert_eq!(h.mailer.accepted().len(), CONTACTS.len());
    h.engine
        .change_status(&h.caller, campaign, CampaignStatus::Paused, None)
        .await
        .unwrap();
    // Paused across both later steps (days 4 and 10).
    h.run_until(start + TimeDelta::days(12), TimeDelta::hours(2))
        .await;
    assert_eq!(h.mailer.accepted().len(), CONTACTS.len());
    h.engine
        .change_status(&h.caller, campaign, CampaignStatus::Active, None)
        .await
        .unwrap();
    h.run_until(start + TimeDelta::days(13), TimeDelta::minutes(30))
        .await;
    let resumed = received(&h);
    assert!(
        resumed.values().all(|steps| steps.len() == 2),
        "only the next step goes at the resume: {resumed:?}"
    );
    h.run_until(start + TimeDelta::days(22), TimeDelta::hours(1))
        .await;
    assert_eq!(assert_in_order_and_spaced(&h), CONTACTS.len());
}

async fn a_tight_rate_limit_keeps_every_contacts_steps_in_order(db: TestDb) {
    let now = at(2027, 3, 12, 11, 0);
    let h = Harness::with_send_rate(db, now, 1).await;
    with_contacts(&h).await;
    daily_campaign(&h, now - TimeDelta::days(11)).await;
    h.run_until(now + TimeDelta::days(14), TimeDelta::minutes(20))
        .await;
    assert_eq!(assert_in_order_and_spaced(&h), CONTACTS.len());
    let mut minutes: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, at) in h.mailer.accepted() {
        *minutes.entry(at.timestamp() / 60).or_default() += 1;
    }
    assert!(
        minutes.values().all(|n| *n <= 1),
        "one a minute: {minutes:?}"
    );
}

async fn a_step_retried_after_refusals_holds_back_the_next(db: TestDb) {
    let now = at(2027, 3, 12, 11, 0);
    let h = Harness::new(db, now).await;
    with_contacts(&h).await;
    for _ in 0..4 {
        h.mailer.fail_next(
            "london@example.com",
            MailError::Transient("451 4.7.1 try again later".into()),
        );
    }
    daily_campaign(&h, now - TimeDelta::days(11)).await;
    h.run_until(now + TimeDelta::days(14), TimeDelta::minutes(10))
        .await;
    assert_eq!(assert_in_order_and_spaced(&h), CONTACTS.len());
    let london = h.mailer.to("london@example.com");
    assert!(
        london[0].1 > now + TimeDelta::minutes(5),
        "the first step got through only after its retries"
    );
}
