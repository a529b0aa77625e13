//! Token buckets pace sending on both backends: a bucket gives its burst at once, then one slot
//! per refill interval, reserved in order by concurrent takers, and never further ahead than
//! the longest wait allowed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{BucketRate, OrgId};
use ame_storage::{ExecutionRepository, OrganizationRepository, SqlExecution};
use ame_test_support::{TestDb, backend_tests};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeSet;

backend_tests!(buckets_hand_out_slots_at_their_rate);

async fn reserve(
    execution: &SqlExecution,
    org: OrgId,
    bucket: &str,
    rate: BucketRate,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    execution
        .reserve_send_slot(org, bucket, rate, TimeDelta::seconds(1), at)
        .await
        .unwrap()
}

async fn buckets_hand_out_slots_at_their_rate(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
    let other = db.storage.organizations().create("Other").await.unwrap().id;
    let execution = db.storage.execution();
    let start = Utc::now();
    let ms = TimeDelta::milliseconds;
    // 120 a minute: 2 a second, holding 2.
    let rate = BucketRate::per_minute(120);
    let org_bucket = |at| reserve(&execution, org, "organization", rate, at);
    assert_eq!(org_bucket(start).await, Some(start));
    assert_eq!(org_bucket(start).await, Some(start), "the burst is two");
    assert_eq!(
        org_bucket(start).await,
        Some(start + ms(500)),
        "then one per 500 ms"
    );
    assert_eq!(org_bucket(start).await, Some(start + ms(1000)));
    assert_eq!(
        org_bucket(start).await,
        None,
        "no slot further than the longest wait (1 s)"
    );
    // An hour idle refills only up to the burst.
    let later = start + TimeDelta::hours(1);
    assert_eq!(org_bucket(later).await, Some(later));
    assert_eq!(org_bucket(later).await, Some(later));
    assert_eq!(org_bucket(later).await, Some(later + ms(500)));
    // Buckets are per organization and per name.
    assert_eq!(
        reserve(&execution, other, "organization", rate, start).await,
        Some(start)
    );
    assert_eq!(
        reserve(&execution, org, "domain:google", rate, start).await,
        Some(start)
    );

    // Concurrent takers at one instant get the burst now and distinct slots after it.
    let busy = BucketRate::per_minute(600);
    let at = start + TimeDelta::days(1);
    let mut handles = Vec::new();
    for _ in 0..30 {
        let execution = execution.clone();
        handles.push(tokio::spawn(async move {
            execution
                .reserve_send_slot(org, "busy", busy, TimeDelta::minutes(10), at)
                .await
                .unwrap()
                .unwrap()
        }));
    }
    let mut slots = Vec::new();
    for h in handles {
        slots.push(h.await.unwrap());
    }
    assert_eq!(
        slots.iter().filter(|s| **s == at).count(),
        10,
        "a burst of ten"
    );
    let later: BTreeSet<_> = slots.iter().filter(|s| **s > at).collect();
    assert_eq!(
        later.len(),
        20,
        "the rest each get their own slot: {slots:?}"
    );
    assert_eq!(**later.last().unwrap(), at + ms(2000), "100 ms apart");
}
