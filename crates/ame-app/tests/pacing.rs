//! Sending is paced per mailbox provider as well as per organization: recipients at a provider
//! with a low rate get their messages spaced by it while everyone else's go at the
//! organization's pace. On both backends, with time moved by a manual clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::execution::ExecutionSettings;
use ame_domain::DomainRates;
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;

mod support;

use support::{Harness, at};

backend_tests!(a_providers_rate_spaces_its_recipients_only);

async fn a_providers_rate_spaces_its_recipients_only(db: TestDb) {
    let start = at(2027, 3, 2, 15, 0);
    let mut h = Harness::new(db, start - TimeDelta::hours(1)).await;
    h.engine = h.engine.clone().with_execution(ExecutionSettings {
        mailer: Some(h.mailer.clone()),
        public_url: "https://ame.example".into(),
        from: "Ledgerly <news@ledgerly.example>".into(),
        send_rate_per_minute: 6_000,
        // Google's share: 6 a minute, one every 10 s.
        domain_rates: DomainRates::parse("google=6").unwrap(),
        ..ExecutionSettings::default()
    });
    h.worker = ame_app::Worker::new(h.engine.clone(), ame_app::WorkerSettings::named("pacing"));
    let chicago = Some("America/Chicago");
    let gmail: Vec<String> = (0..6).map(|i| format!("g{i}@gmail.com")).collect();
    let others: Vec<String> = (0..6).map(|i| format!("o{i}@example.org")).collect();
    let rows: Vec<(&str, Option<&str>)> = gmail
        .iter()
        .chain(&others)
        .map(|a| (a.as_str(), chicago))
        .collect();
    h.contacts(&rows).await;
    h.campaign(start).await;
    h.run_until(start + TimeDelta::minutes(5), TimeDelta::seconds(1))
        .await;
    let first_steps = |addresses: &[String]| {
        let mut times: Vec<_> = addresses
            .iter()
            .map(|a| h.mailer.to(a).first().map(|(_, t)| *t).unwrap())
            .collect();
        times.sort();
        times
    };
    let google = first_steps(&gmail);
    assert!(
        google
            .windows(2)
            .all(|w| w[1] - w[0] >= TimeDelta::seconds(10)),
        "Gmail recipients at most one per 10 s: {google:?}"
    );
    let rest = first_steps(&others);
    assert!(
        rest[rest.len() - 1] - rest[0] <= TimeDelta::seconds(2),
        "the others go at the organization's pace: {rest:?}"
    );
}
