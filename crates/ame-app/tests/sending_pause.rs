//! A mail server that fails on the sending side (down, refusing the login or the sender) pauses
//! the organization's sending after enough failures in a row, leaves every contact as it was,
//! and loses nothing: once resumed, every message goes. On both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::execution::MailError;
use ame_domain::{Consent, ContactFilter, DEFAULT_PAUSE_AFTER_FAILURES, PageRequest, SendingState};
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;

mod support;

use support::{Harness, at};

backend_tests!(sending_side_failures_pause_sending_and_a_resume_loses_nothing);

async fn sending_side_failures_pause_sending_and_a_resume_loses_nothing(db: TestDb) {
    let start = at(2027, 3, 1, 10, 0);
    let h = Harness::new(db, start - TimeDelta::minutes(5)).await;
    let addresses: Vec<String> = (0..25).map(|i| format!("p{i}@example.com")).collect();
    let rows: Vec<_> = addresses
        .iter()
        .map(|a| (a.as_str(), Some("Europe/London")))
        .collect();
    h.contacts(&rows).await;
    // One recipient refused for good still bounces; a refused sender does not.
    h.mailer.fail_next(
        "p0@example.com",
        MailError::Rejected("550 5.1.1 no such user".into()),
    );
    h.mailer.fail_next(
        "p1@example.com",
        MailError::Sender("530 5.7.0 authentication required".into()),
    );
    *h.mailer.down.lock().unwrap() = true;
    h.campaign(start).await;
    h.run_until(start + TimeDelta::hours(3), TimeDelta::minutes(5))
        .await;

    let status = h.engine.sending_status(&h.caller).await.unwrap();
    assert_eq!(status.state, SendingState::Paused, "{status:?}");
    assert!(
        status.consecutive_failures >= DEFAULT_PAUSE_AFTER_FAILURES,
        "sends already in flight may add to the count: {status:?}"
    );
    assert!(status.last_error.unwrap().contains("connection refused"));
    assert!(h.mailer.accepted().is_empty());
    let contacts = h
        .engine
        .contacts(&h.caller, ContactFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert!(
        contacts
            .items
            .iter()
            .all(|c| c.consent == Consent::Subscribed),
        "no contact is touched by the sending side's failures"
    );

    // Fixed: the server is back, but nothing goes until an owner or admin resumes.
    *h.mailer.down.lock().unwrap() = false;
    h.run_until(start + TimeDelta::hours(5), TimeDelta::minutes(5))
        .await;
    assert!(h.mailer.accepted().is_empty(), "paused until resumed");
    let viewer = ame_app::Caller {
        role: ame_domain::MemberRole::Member,
        ..h.caller
    };
    assert!(h.engine.resume_sending(&viewer).await.is_err());
    let resumed = h.engine.resume_sending(&h.caller).await.unwrap();
    assert_eq!(resumed.state, SendingState::Active);
    assert_eq!(resumed.consecutive_failures, 0);
    h.run_until(start + TimeDelta::hours(6), TimeDelta::minutes(5))
        .await;
    let got: std::collections::BTreeSet<String> =
        h.mailer.accepted().into_iter().map(|(m, _)| m.to).collect();
    assert_eq!(got.len(), 24, "every first step but the bounced one went");
    assert!(!got.contains("p0@example.com"));
    let bounced = h
        .engine
        .contacts(
            &h.caller,
            ContactFilter {
                consent: Some(Consent::Bounced),
                ..ContactFilter::default()
            },
            PageRequest::first(),
        )
        .await
        .unwrap();
    assert_eq!(bounced.items.len(), 1);
    let dead = h
        .engine
        .jobs(
            &h.caller,
            Some(ame_domain::JobState::Dead),
            PageRequest::first(),
        )
        .await
        .unwrap();
    assert!(dead.items.is_empty(), "{:?}", dead.items);
}
