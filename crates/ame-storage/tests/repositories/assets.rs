//! Asset sets are written atomically: a failing set leaves nothing, concurrent replacements do
//! not merge.

use ame_domain::{AssetType, CampaignType, NewAsset};
use ame_storage::{AssetRepository, StorageError};
use ame_test_support::{TestDb, backend_tests};
use serde_json::json;
use std::collections::HashSet;

use crate::support::*;

backend_tests!(
    failing_asset_set_leaves_nothing_behind,
    concurrent_set_replacements_do_not_merge,
);

async fn failing_asset_set_leaves_nothing_behind(db: TestDb) {
    let org = new_org(&db, "Atomic Ads").await;
    let id = new_campaign(&db, org, CampaignType::LeadGen, "Capture 300 trial leads").await;
    let assets = db.storage.assets();
    let first = assets
        .replace_set(
            org,
            id,
            vec![asset(AssetType::LandingPage, json!({"headline": "v1"}))],
        )
        .await
        .unwrap();
    let broken = vec![
        asset(AssetType::LandingPage, json!({"headline": "v2"})),
        asset(AssetType::EmailSequence, json!({"emails": []})),
        // content must be a JSON object: the database's CHECK refuses the last row.
        asset(AssetType::AdCreative, json!(["not", "an", "object"])),
    ];
    let err = assets.replace_set(org, id, broken).await.unwrap_err();
    assert!(matches!(err, StorageError::Invalid(_)), "{err:?}");
    assert_eq!(
        assets.list_for_campaign(org, id).await.unwrap(),
        first,
        "partial set or lost previous set"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM marketing_assets").await,
        1
    );
}

async fn concurrent_set_replacements_do_not_merge(db: TestDb) {
    let org = new_org(&db, "Twice Ltd").await;
    let id = new_campaign(&db, org, CampaignType::Referral, "Get 40 referrals by May").await;
    for round in 0..5 {
        let set = |tag: &str, n: usize| -> Vec<NewAsset> {
            (0..n)
                .map(|i| asset(AssetType::SocialPost, json!({"tag": tag, "n": i})))
                .collect()
        };
        let (x, y) = (db.storage.assets(), db.storage.assets());
        let (left, right) = (set("left", 2), set("right", 3));
        let (a, b) = tokio::join!(
            tokio::spawn(async move { x.replace_set(org, id, left).await }),
            tokio::spawn(async move { y.replace_set(org, id, right).await }),
        );
        a.unwrap().unwrap();
        b.unwrap().unwrap();
        let stored = db
            .storage
            .assets()
            .list_for_campaign(org, id)
            .await
            .unwrap();
        let tags: HashSet<_> = stored.iter().map(|a| a.content["tag"].clone()).collect();
        assert_eq!(tags.len(), 1, "round {round}: sets merged: {stored:?}");
        assert!(
            stored.len() == 2 || stored.len() == 3,
            "round {round}: {}",
            stored.len()
        );
    }
}
