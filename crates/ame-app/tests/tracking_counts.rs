//! Counts nobody can inflate, on both backends: one anonymous client replaying a post's link
//! 500 times adds one click, crawlers, scanners and an address past its limit add none, and
//! different people each count; every request is tallied raw beside counted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ame_app::execution::ClickClaim;
use ame_domain::{Channel, Visit};
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;
use support::{Harness, at};

backend_tests!(replayed_and_automated_clicks_do_not_inflate_results);

/// The clicks the results hold for LinkedIn.
async fn linkedin_clicks(h: &Harness, campaign: ame_domain::CampaignId) -> i64 {
    let (records, _) = h.engine.results(&h.caller, campaign).await.unwrap();
    records
        .iter()
        .filter(|r| r.channel == Channel::Linkedin)
        .filter_map(|r| r.metrics.clicks)
        .sum()
}

async fn replayed_and_automated_clicks_do_not_inflate_results(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 14, 0)).await;
    h.engine
        .upsert_contacts(
            &h.caller,
            vec![ame_domain::NewContact::email("a@example.com")],
        )
        .await
        .unwrap();
    let campaign = h.campaign(at(2027, 3, 1, 15, 0)).await;
    let asset = h
        .engine
        .campaign_assets(&h.caller, campaign, None)
        .await
        .unwrap()[0]
        .id;
    let token = h.engine.execution().signer.click_token(&ClickClaim {
        org: h.caller.org,
        campaign,
        asset,
        variant: 0,
        contact: None,
        channel: Channel::Linkedin,
        destination: "https://ledgerly.example/spring".into(),
    });
    let same_client = Visit::browser("203.0.113.7 Firefox");
    for _ in 0..500 {
        let to = h.engine.click(&token, &same_client).await.unwrap();
        assert_eq!(to, "https://ledgerly.example/spring", "always sent on");
    }
    let scanner = Visit {
        user_agent: Some("Mozilla/5.0 (compatible; Barracuda Sentinel)".into()),
        ..Visit::browser("198.51.100.9")
    };
    let prefetch = Visit {
        prefetch: true,
        ..Visit::browser("198.51.100.10")
    };
    for visit in [&scanner, &prefetch] {
        for _ in 0..50 {
            h.engine.click(&token, visit).await.unwrap();
        }
    }
    // One address rotating its user agent past the server's per-address limit: sent on,
    // not counted.
    for agent in 0..30 {
        let throttled = Visit {
            throttled: true,
            ..Visit::browser(format!("203.0.113.50 Firefox/{agent}"))
        };
        let to = h.engine.click(&token, &throttled).await.unwrap();
        assert_eq!(to, "https://ledgerly.example/spring");
    }
    for person in 0..20 {
        let visit = Visit::browser(format!("192.0.2.{person} Firefox"));
        h.engine.click(&token, &visit).await.unwrap();
    }
    h.run_until(at(2027, 3, 1, 14, 5), TimeDelta::minutes(1))
        .await;
    assert_eq!(
        linkedin_clicks(&h, campaign).await,
        21,
        "one for the replaying client, one per person"
    );
    // An hour later the same client's click counts again, once.
    h.clock.set(at(2027, 3, 1, 15, 10));
    for _ in 0..100 {
        h.engine.click(&token, &same_client).await.unwrap();
    }
    h.run_until(at(2027, 3, 1, 15, 15), TimeDelta::minutes(1))
        .await;
    assert_eq!(linkedin_clicks(&h, campaign).await, 22);

    // Raw beside counted: every request is tallied with what became of it.
    let requests = h
        .engine
        .tracked_requests(&h.caller, campaign)
        .await
        .unwrap();
    assert_eq!(
        requests.clicks,
        ame_domain::RequestCounts {
            raw: 500 + 100 + 30 + 20 + 100,
            counted: 22,
            repeated: 499 + 99,
            automated: 100,
            throttled: 30,
        }
    );
    assert_eq!(requests.page_views, ame_domain::RequestCounts::default());
}
