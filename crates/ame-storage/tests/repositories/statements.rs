//! Creating a campaign as the organization on PostgreSQL runs on the single-statement
//! connections, which are not tested with a round trip after every use: abandoned statements,
//! refused statements and queues of waiting statements must all leave them usable.

use crate::support::*;
use ame_domain::{CampaignFilter, CampaignType, NewCampaign, OrgId};
use ame_storage::{CampaignRepository, PoolSize, StorageError};
use ame_test_support::TestDb;
use std::collections::HashSet;
use std::time::Duration;

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn abandoned_creates_leave_the_connection_usable() {
        super::abandoned_creates_leave_the_connection_usable(
            ame_test_support::TestDb::postgres().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refused_creates_leave_the_connection_usable() {
        super::refused_creates_leave_the_connection_usable(
            ame_test_support::TestDb::postgres().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_creates_wait_for_the_one_connection() {
        super::concurrent_creates_wait_for_the_one_connection(
            ame_test_support::TestDb::postgres().await,
        )
        .await;
    }
}

/// One single-statement connection and one for transactions.
const ONE_CONNECTION: PoolSize = PoolSize {
    min: 0,
    max: 1,
    statements: 1,
};

const OBJECTIVE: &str = "Book 40 demos with finance teams by March";

fn lead_gen() -> ame_domain::ValidCampaign {
    NewCampaign::new(CampaignType::LeadGen, OBJECTIVE)
        .validate()
        .unwrap()
}

async fn abandoned_creates_leave_the_connection_usable(db: TestDb) {
    let storage = db.storage_with(ONE_CONNECTION).await;
    let org = new_org(&db, "Abandoned").await;
    let campaigns = storage.campaigns();
    let (mut completed, mut abandoned) = (0, 0);
    // Deadlines from nothing to a few milliseconds drop the create before its statement is
    // sent, while the database runs it, and as its answer arrives.
    for step in 0..80u64 {
        match tokio::time::timeout(
            Duration::from_micros(step * 75),
            campaigns.create(org, lead_gen()),
        )
        .await
        {
            Ok(created) => {
                created.unwrap();
                completed += 1;
            }
            Err(_) => abandoned += 1,
        }
    }
    assert!(abandoned > 0, "a zero deadline always abandons the create");

    let last = campaigns.create(org, lead_gen()).await.unwrap();
    assert_eq!(
        campaigns.get(org, last.id).await.unwrap().objective,
        OBJECTIVE
    );
    let (stored, _) = read_all(&campaigns, org, CampaignFilter::default(), 50).await;
    // An abandoned create may or may not have committed; a completed one always did, and no
    // row is ever half written.
    assert!(
        stored.len() > completed,
        "{} stored, {completed} completed",
        stored.len()
    );
    assert!(stored.len() <= completed + abandoned + 1);
    assert!(
        stored
            .iter()
            .all(|c| c.objective == OBJECTIVE && c.org_id == org)
    );
    storage.close().await.unwrap();
}

async fn refused_creates_leave_the_connection_usable(db: TestDb) {
    let storage = db.storage_with(ONE_CONNECTION).await;
    let org = new_org(&db, "Refused").await;
    let campaigns = storage.campaigns();
    for _ in 0..3 {
        let refused = campaigns.create(OrgId::new(), lead_gen()).await;
        assert!(
            matches!(refused, Err(StorageError::NotFound { .. })),
            "{refused:?}"
        );
        let created = campaigns.create(org, lead_gen()).await.unwrap();
        assert_eq!(created.org_id, org);
    }
    storage.close().await.unwrap();
}

async fn concurrent_creates_wait_for_the_one_connection(db: TestDb) {
    let storage = db.storage_with(ONE_CONNECTION).await;
    let org = new_org(&db, "Queued").await;
    let creates = (0..24).map(|_| {
        let campaigns = storage.campaigns();
        tokio::spawn(async move { campaigns.create(org, lead_gen()).await })
    });
    let mut ids = HashSet::new();
    for created in futures::future::join_all(creates).await {
        ids.insert(created.unwrap().unwrap().id);
    }
    assert_eq!(ids.len(), 24);
    let (stored, _) = read_all(&storage.campaigns(), org, CampaignFilter::default(), 10).await;
    assert_eq!(stored.iter().map(|c| c.id).collect::<HashSet<_>>(), ids);
    storage.close().await.unwrap();
}
