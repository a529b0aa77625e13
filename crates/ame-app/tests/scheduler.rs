//! The scheduler end to end inside one process, on both backends, with time moved by a
//! manual clock: sends in each contact's time zone and window across daylight-saving changes,
//! exit rules, bounces, retries, an outage, tracking into results, pause and completion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::Clock;
use ame_app::execution::{ExecutionSettings, MailError};
use ame_app::{Worker, WorkerSettings};
use ame_domain::{
    Audience, CampaignStatus, CampaignType, Consent, DeliveryState, JobState, NewCampaign,
    NewContact, PageRequest,
};
use ame_test_support::{TestDb, backend_tests};
use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashSet};

mod support;

use support::{Harness, at};

backend_tests!(
    a_segment_audience_gets_only_its_members_and_the_rate_limit_holds,
    a_landing_pages_leads_enter_its_nurture_sequence,
    sends_go_out_in_each_contacts_time_zone_and_window_across_daylight_saving,
    unsubscribes_bounces_retries_and_an_outage_lose_nothing,
    clicks_and_conversions_flow_into_results_and_the_prediction,
    pausing_holds_sends_and_the_end_cancels_the_rest,
);

async fn a_segment_audience_gets_only_its_members_and_the_rate_limit_holds(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 8, 0)).await;
    let engine = h.engine.clone().with_execution(ExecutionSettings {
        mailer: Some(h.mailer.clone()),
        public_url: "https://ame.example".into(),
        from: "Ledgerly <news@ledgerly.example>".into(),
        send_rate_per_minute: 2,
        ..ExecutionSettings::default()
    });
    let rows: Vec<NewContact> = (0..6)
        .map(|i| NewContact {
            time_zone: Some("Europe/London".into()),
            attributes: Some(
                serde_json::json!({"plan": if i < 5 { "pro" } else { "free" }, "seats": i * 10})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
            ..NewContact::email(format!("p{i}@example.com"))
        })
        .collect();
    engine.upsert_contacts(&h.caller, rows).await.unwrap();
    let segment = engine
        .create_segment(
            &h.caller,
            serde_json::from_value(serde_json::json!({
                "name": "Pro teams",
                "filter": {"conditions": [{"attribute": "plan", "equals": "pro"}]}
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let mut new = NewCampaign::new(CampaignType::ReEngagement, "Win back pro teams");
    new.start_at = Some(at(2027, 3, 1, 10, 0));
    new.audience = Some(Audience::segment(segment.id));
    new.holdout_fraction = Some(0.0);
    let valid = engine.check_new_campaign(&h.caller, new).unwrap();
    let campaign = engine
        .create_campaign(&h.caller, valid, None)
        .await
        .unwrap()
        .id;
    engine
        .generate_assets(&h.caller, campaign, Some(1), None)
        .await
        .unwrap();
    engine
        .change_status(&h.caller, campaign, CampaignStatus::Scheduled, None)
        .await
        .unwrap();
    let worker = Worker::new(engine.clone(), WorkerSettings::named("rate"));
    while h.clock.now() < at(2027, 3, 1, 10, 10) {
        worker.drain().await.unwrap();
        h.clock.advance(std::time::Duration::from_secs(5));
    }
    let sent = h.mailer.accepted();
    assert_eq!(sent.len(), 5, "every pro contact, and only them");
    assert!(sent.iter().all(|(m, _)| m.to != "p5@example.com"));
    // Never more than 2 in any minute.
    for (_, t) in &sent {
        let in_minute = sent
            .iter()
            .filter(|(_, u)| *u >= *t && *u < *t + chrono::TimeDelta::minutes(1))
            .count();
        assert!(
            in_minute <= 2,
            "{in_minute} messages in the minute from {t}"
        );
    }
    // Paced evenly, not in a burst at each minute's start: at least 30 s between two.
    let mut times: Vec<_> = sent.iter().map(|(_, t)| *t).collect();
    times.sort();
    assert!(
        times
            .windows(2)
            .all(|w| w[1] - w[0] >= chrono::TimeDelta::seconds(30)),
        "{times:?}"
    );
}

async fn a_landing_pages_leads_enter_its_nurture_sequence(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 8, 0)).await;
    let (_, slug) = h.lead_campaign().await;
    h.run_until(at(2027, 3, 1, 9, 0), chrono::TimeDelta::minutes(5))
        .await;
    assert!(
        h.mailer.accepted().is_empty(),
        "no leads yet, nobody to nurture"
    );
    h.sign_up(&slug, "Ada Lovelace", "ada@example.com")
        .await
        .unwrap();
    // Her lead brings the campaign's next sweep forward: she is enrolled and sent step 1
    // within seconds, not at the regular sweep five minutes on.
    let submitted = at(2027, 3, 1, 9, 0);
    h.run_until(
        submitted + chrono::TimeDelta::seconds(5),
        chrono::TimeDelta::seconds(1),
    )
    .await;
    let got = h.mailer.to("ada@example.com");
    assert_eq!(got.len(), 1, "step 1 on entry");
    assert!(got[0].0.html.contains("Ada"), "the lead's first name");
    assert!(got[0].1 <= submitted + chrono::TimeDelta::seconds(5));
    // A second lead a second later waits for the spacing, then is enrolled as quickly.
    h.sign_up(&slug, "Grace Hopper", "grace@example.com")
        .await
        .unwrap();
    let second = ame_app::Clock::now(&*h.clock);
    h.run_until(
        second + chrono::TimeDelta::seconds(5),
        chrono::TimeDelta::seconds(1),
    )
    .await;
    let got = h.mailer.to("grace@example.com");
    assert_eq!(got.len(), 1, "step 1 on entry");
    assert!(got[0].1 <= second + chrono::TimeDelta::seconds(5));
    h.run_until(at(2027, 3, 1, 9, 30), chrono::TimeDelta::minutes(1))
        .await;
    let contact = h
        .engine
        .contacts(
            &h.caller,
            ame_domain::ContactFilter::default(),
            PageRequest::first(),
        )
        .await
        .unwrap();
    assert_eq!(contact.items[0].consent_source, "landing_page");
}

async fn sends_go_out_in_each_contacts_time_zone_and_window_across_daylight_saving(db: TestDb) {
    // Thursday 25 March 2027; London moves to summer time on Sunday the 28th, Auckland back
    // to standard time on Sunday 4 April.
    let h = Harness::new(db, at(2027, 3, 24, 12, 0)).await;
    let zones = [
        ("kiri@example.com", "Pacific/Auckland"),
        ("lena@example.com", "America/Los_Angeles"),
        ("oliver@example.com", "Europe/London"),
        ("priya@example.com", "Asia/Kolkata"),
    ];
    h.contacts(&zones.map(|(e, z)| (e, Some(z)))).await;
    let campaign = h.campaign(at(2027, 3, 25, 10, 0)).await;
    h.run_until(at(2027, 4, 9, 0, 0), chrono::TimeDelta::minutes(10))
        .await;

    let status = h.engine.campaign(&h.caller, campaign).await.unwrap().status;
    assert_eq!(status, CampaignStatus::Active);
    let mut ids = HashSet::new();
    for (email, zone) in zones {
        let tz: Tz = zone.parse().unwrap();
        let got = h.mailer.to(email);
        assert_eq!(got.len(), 3, "{email} gets each of the 3 steps once");
        for (message, sent) in &got {
            assert!(
                ids.insert(message.message_id.clone()),
                "one Message-ID per message"
            );
            let local = sent.with_timezone(&tz);
            assert!(
                !matches!(local.weekday(), Weekday::Sat | Weekday::Sun)
                    && local.time() >= NaiveTime::from_hms_opt(9, 0, 0).unwrap()
                    && local.time() < NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
                "{email} got a message at {local} local"
            );
        }
    }
    // London's day-4 email (Monday 29 March) goes at 09:00 summer time, 08:00 UTC; its first
    // went at once on Thursday (10:00 GMT is inside the window).
    let london: Vec<DateTime<Utc>> = h
        .mailer
        .to("oliver@example.com")
        .iter()
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(london[0], at(2027, 3, 25, 10, 0));
    assert_eq!(london[1], at(2027, 3, 29, 8, 0));
    // Day 10 is Sunday 4 April: the window moves it to Monday the 5th, 09:00 BST.
    assert_eq!(london[2], at(2027, 4, 5, 8, 0));
    // Auckland's first is Friday 09:00 NZDT (20:00 UTC Thursday): 10:00 UTC was 23:00 there.
    let auckland = h.mailer.to("kiri@example.com");
    assert_eq!(auckland[0].1, at(2027, 3, 25, 20, 0));
    // Messages carry the unsubscribe headers' URL and a tracked call to action.
    let (first, _) = &auckland[0];
    assert!(first.unsubscribe_url.starts_with("https://ame.example/u/"));
    assert!(first.html.contains("https://ame.example/t/"));
    assert!(
        first.html.contains("kiri"),
        "personalised with the first name"
    );
    let ledger = h.engine.deliveries(&h.caller, campaign, 100).await.unwrap();
    assert_eq!(ledger.len(), 12);
    assert!(ledger.iter().all(|d| d.state == DeliveryState::Sent));
}

async fn unsubscribes_bounces_retries_and_an_outage_lose_nothing(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 8, 0)).await;
    h.contacts(&[
        ("stays@example.com", Some("Europe/London")),
        ("leaves@example.com", Some("Europe/London")),
        ("gone@example.com", Some("Europe/London")),
        ("slow@example.com", Some("Europe/London")),
    ])
    .await;
    h.mailer.fail_next(
        "gone@example.com",
        MailError::Rejected("550 5.1.1 no such user".into()),
    );
    h.mailer.fail_next(
        "slow@example.com",
        MailError::Transient("451 4.7.1 try again later".into()),
    );
    let campaign = h.campaign(at(2027, 3, 1, 10, 0)).await;
    h.run_until(at(2027, 3, 1, 12, 0), chrono::TimeDelta::minutes(5))
        .await;

    // The 451 was retried with backoff and got through; the 550 bounced the contact.
    assert_eq!(h.mailer.to("slow@example.com").len(), 1);
    assert_eq!(h.mailer.to("gone@example.com").len(), 0);
    let gone = h
        .engine
        .contacts(
            &h.caller,
            ame_domain::ContactFilter {
                consent: Some(Consent::Bounced),
                ..Default::default()
            },
            PageRequest::first(),
        )
        .await
        .unwrap();
    assert_eq!(gone.items.len(), 1);
    assert_eq!(gone.items[0].email.as_deref(), Some("gone@example.com"));

    // One click on the unsubscribe link of the first email stops the later ones.
    let (first, _) = h.mailer.to("leaves@example.com").remove(0);
    let token = first.unsubscribe_url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        h.engine.unsubscribe(&token).await.unwrap(),
        ame_app::tracking::UnsubscribeOutcome::Unsubscribed
    );
    assert!(h.engine.unsubscribe("forged.token").await.is_err());
    // The campaign's email health counts the bounce and the unsubscribe once each, however
    // often the link is followed.
    assert_eq!(
        h.engine.unsubscribe(&token).await.unwrap(),
        ame_app::tracking::UnsubscribeOutcome::AlreadyUnsubscribed
    );
    let health = h.engine.email_health(&h.caller, campaign).await.unwrap();
    assert_eq!(
        (
            health.delivered,
            health.bounced,
            health.complained,
            health.unsubscribed
        ),
        (3, 1, 0, 1),
        "{health:?}"
    );
    assert_eq!(health.bounce_rate, Some(0.25));
    assert_eq!(health.unsubscribe_rate, Some(1.0 / 3.0));
    assert_eq!(
        health.warnings.iter().map(|w| w.code).collect::<Vec<_>>(),
        [ame_domain::HealthWarningCode::BounceRateOverLimit]
    );

    // The mail server is down across the day-4 send; nothing is lost, all goes when it is back.
    *h.mailer.down.lock().unwrap() = true;
    h.run_until(at(2027, 3, 5, 13, 0), chrono::TimeDelta::minutes(10))
        .await;
    assert_eq!(
        h.mailer.to("stays@example.com").len(),
        1,
        "nothing gets through while down"
    );
    // A day of failures on the sending side paused the organization's sending; once the server
    // is back, an admin resumes it and everything waiting goes.
    *h.mailer.down.lock().unwrap() = false;
    let paused = h.engine.sending_status(&h.caller).await.unwrap();
    assert_eq!(paused.state, ame_domain::SendingState::Paused, "{paused:?}");
    h.engine.resume_sending(&h.caller).await.unwrap();
    h.run_until(at(2027, 3, 16, 0, 0), chrono::TimeDelta::minutes(10))
        .await;

    assert_eq!(h.mailer.to("stays@example.com").len(), 3);
    assert_eq!(h.mailer.to("slow@example.com").len(), 3);
    assert_eq!(h.mailer.to("leaves@example.com").len(), 1);
    assert_eq!(h.mailer.to("gone@example.com").len(), 0);
    let ledger = h.engine.deliveries(&h.caller, campaign, 100).await.unwrap();
    let mut by_state: BTreeMap<DeliveryState, usize> = BTreeMap::new();
    for d in &ledger {
        *by_state.entry(d.state).or_default() += 1;
    }
    assert_eq!(by_state.get(&DeliveryState::Sent), Some(&7));
    assert_eq!(by_state.get(&DeliveryState::Failed), Some(&1), "the bounce");
    assert_eq!(
        by_state.get(&DeliveryState::Suppressed),
        Some(&4),
        "after the bounce and the unsubscribe"
    );
    let dead = h
        .engine
        .jobs(&h.caller, Some(JobState::Dead), PageRequest::first())
        .await
        .unwrap();
    assert!(dead.items.is_empty(), "{:?}", dead.items);
}

async fn clicks_and_conversions_flow_into_results_and_the_prediction(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 8, 0)).await;
    h.contacts(&[
        ("a@example.com", Some("Europe/London")),
        ("b@example.com", Some("Europe/London")),
        ("c@example.com", Some("Europe/London")),
    ])
    .await;
    let campaign = h.campaign(at(2027, 3, 1, 10, 0)).await;
    h.run_until(at(2027, 3, 1, 11, 0), chrono::TimeDelta::minutes(5))
        .await;
    let (message, _) = h.mailer.to("a@example.com").remove(0);
    let token = message
        .text
        .split("https://ame.example/t/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let destination = h
        .engine
        .click(&token, &ame_domain::Visit::browser("reader"))
        .await
        .unwrap();
    assert!(destination.starts_with("https://ledgerly.example/demo"));
    h.engine
        .click(&token, &ame_domain::Visit::browser("reader"))
        .await
        .unwrap();
    // A tampered token is not a link.
    let mut tampered = token.clone();
    tampered.insert(3, 'x');
    assert!(matches!(
        h.engine
            .click(&tampered, &ame_domain::Visit::browser("reader"))
            .await,
        Err(ame_app::AppError::NotFound { .. })
    ));
    h.engine
        .record_conversion(
            &h.caller,
            ame_app::tracking::ConversionInput {
                click_token: Some(token),
                value: Some("1200.00".parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    h.run_until(at(2027, 3, 1, 11, 30), chrono::TimeDelta::minutes(1))
        .await;

    let (records, totals) = h.engine.results(&h.caller, campaign).await.unwrap();
    let email: Vec<_> = records
        .iter()
        .filter(|r| r.channel == ame_domain::Channel::Email)
        .collect();
    assert_eq!(email.len(), 1);
    assert_eq!(email[0].metrics.reach, Some(3));
    assert_eq!(email[0].metrics.clicks, Some(1), "unique clickers");
    assert_eq!(email[0].metrics.conversions, Some(1));
    assert_eq!(totals.metrics.revenue, Some("1200.00".parse().unwrap()));
    let prediction = h
        .engine
        .predict(&h.caller, campaign, Some(1), Some(2000))
        .await
        .unwrap();
    let json = serde_json::to_value(&prediction).unwrap();
    let clicks = json["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "clicks")
        .unwrap();
    assert_eq!(clicks["observed"], serde_json::json!(1.0));
    // The converted contact leaves the sequence.
    h.run_until(at(2027, 3, 16, 0, 0), chrono::TimeDelta::minutes(15))
        .await;
    assert_eq!(h.mailer.to("a@example.com").len(), 1);
    assert_eq!(h.mailer.to("b@example.com").len(), 3);
}

async fn pausing_holds_sends_and_the_end_cancels_the_rest(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 8, 0)).await;
    h.contacts(&[("a@example.com", Some("Europe/London"))])
        .await;
    let mut new = NewCampaign::new(CampaignType::ReEngagement, "Bring lapsed teams back");
    new.start_at = Some(at(2027, 3, 1, 10, 0));
    new.end_at = Some(at(2027, 3, 10, 0, 0));
    new.audience = Some(Audience::all_subscribed());
    new.holdout_fraction = Some(0.0);
    let valid = h.engine.check_new_campaign(&h.caller, new).unwrap();
    let campaign = h
        .engine
        .create_campaign(&h.caller, valid, None)
        .await
        .unwrap()
        .id;
    h.engine
        .generate_assets(&h.caller, campaign, Some(3), None)
        .await
        .unwrap();
    h.engine
        .change_status(&h.caller, campaign, CampaignStatus::Scheduled, None)
        .await
        .unwrap();
    h.run_until(at(2027, 3, 2, 0, 0), chrono::TimeDelta::minutes(10))
        .await;
    assert_eq!(h.mailer.accepted().len(), 1);
    h.engine
        .change_status(&h.caller, campaign, CampaignStatus::Paused, None)
        .await
        .unwrap();
    h.run_until(at(2027, 3, 8, 0, 0), chrono::TimeDelta::minutes(30))
        .await;
    assert_eq!(h.mailer.accepted().len(), 1, "nothing goes while paused");
    h.engine
        .change_status(&h.caller, campaign, CampaignStatus::Active, None)
        .await
        .unwrap();
    h.run_until(at(2027, 3, 9, 0, 0), chrono::TimeDelta::minutes(10))
        .await;
    let sent = h.mailer.accepted();
    assert_eq!(sent.len(), 2, "the day-4 email goes once resumed");
    assert_eq!(
        sent[1].1,
        at(2027, 3, 8, 9, 0),
        "at the window's next opening"
    );
    // The campaign ends on the 10th, before its day-10 email (due on the 11th): cancelled.
    h.run_until(at(2027, 3, 20, 0, 0), chrono::TimeDelta::minutes(30))
        .await;
    let status = h.engine.campaign(&h.caller, campaign).await.unwrap().status;
    assert_eq!(status, CampaignStatus::Completed);
    assert_eq!(h.mailer.accepted().len(), 2);
    let ledger = h.engine.deliveries(&h.caller, campaign, 10).await.unwrap();
    assert_eq!(ledger[2].state, DeliveryState::Cancelled);
}
