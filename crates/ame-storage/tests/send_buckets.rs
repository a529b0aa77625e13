//! Token buckets pace sending on both backends: a bucket gives its burst at once, then one token
//! per refill interval, and concurrent takers share it exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::BucketRate;
use ame_storage::{ExecutionRepository, OrganizationRepository};
use ame_test_support::{TestDb, backend_tests};
use chrono::{TimeDelta, Utc};

backend_tests!(buckets_refill_at_their_rate_and_never_burst_past_it);

async fn buckets_refill_at_their_rate_and_never_burst_past_it(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
    let other = db.storage.organizations().create("Other").await.unwrap().id;
    let execution = db.storage.execution();
    let start = Utc::now();
    // 120 a minute: 2 a second, holding 2.
    let rate = BucketRate::per_minute(120);
    let take = |org, at| {
        let execution = execution.clone();
        async move {
            execution
                .take_send_token(org, "organization", rate, at)
                .await
                .unwrap()
        }
    };
    assert!(take(org, start).await);
    assert!(take(org, start).await);
    assert!(!take(org, start).await, "the burst is two");
    assert!(
        !take(org, start + TimeDelta::milliseconds(400)).await,
        "0.8 of a token after 400 ms"
    );
    assert!(
        take(org, start + TimeDelta::milliseconds(500)).await,
        "one token after 500 ms"
    );
    assert!(!take(org, start + TimeDelta::milliseconds(600)).await);
    // An hour idle refills only up to the burst.
    let later = start + TimeDelta::hours(1);
    let taken = takes_at(&execution, org, rate, later, 10).await;
    assert_eq!(taken, 2);
    // Buckets are per organization and per name.
    assert!(take(other, start).await);
    assert!(
        execution
            .take_send_token(org, "domain:google", rate, start)
            .await
            .unwrap()
    );
    // A clock behind the last draw refills nothing and does not move the bucket back.
    assert!(!take(org, later - TimeDelta::seconds(30)).await);
    assert!(take(org, later + TimeDelta::milliseconds(500)).await);

    // Concurrent takers at one instant share the burst exactly.
    let busy = BucketRate::per_minute(600);
    let at = start + TimeDelta::days(1);
    let mut handles = Vec::new();
    for _ in 0..30 {
        let execution = execution.clone();
        handles.push(tokio::spawn(async move {
            execution
                .take_send_token(org, "busy", busy, at)
                .await
                .unwrap()
        }));
    }
    let mut granted = 0;
    for h in handles {
        granted += usize::from(h.await.unwrap());
    }
    assert_eq!(granted, 10, "a 600-a-minute bucket holds ten");
}

/// How many of `n` takes at `at` succeed, one after another.
async fn takes_at(
    execution: &ame_storage::SqlExecution,
    org: ame_domain::OrgId,
    rate: BucketRate,
    at: chrono::DateTime<Utc>,
    n: usize,
) -> usize {
    let mut taken = 0;
    for _ in 0..n {
        if execution
            .take_send_token(org, "organization", rate, at)
            .await
            .unwrap()
        {
            taken += 1;
        }
    }
    taken
}
