//! Brand profiles, asset set versions, published landing pages and their leads, on both
//! backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    AssetType, Brand, CampaignId, CampaignStatus, CampaignType, MemberRole, NewAsset, NewCampaign,
    OrgId, UserId,
};
use ame_storage::{
    AssetRepository, BrandRepository, CampaignRepository, LeadRecording, LeadRepository,
    OrganizationRepository, PageToPublish, PublicPageRepository, StorageError,
};
use ame_test_support::{TestDb, backend_tests};
use serde_json::json;

backend_tests!(
    brand_profiles_are_saved_replaced_and_private,
    regenerating_keeps_earlier_versions_as_history,
    published_pages_resolve_publicly_and_collect_leads,
);

async fn org_with_campaign(db: &TestDb, name: &str) -> (OrgId, CampaignId) {
    let org = db.storage.organizations().create(name).await.unwrap().id;
    let campaign = db
        .storage
        .campaigns()
        .create(
            org,
            NewCampaign::new(CampaignType::LeadGen, "Book 40 demos")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap()
        .id;
    (org, campaign)
}

fn asset(asset_type: AssetType, label: &str) -> NewAsset {
    NewAsset {
        asset_type,
        content: json!({"label": label}),
        metadata: json!({}),
    }
}

async fn brand_profiles_are_saved_replaced_and_private(db: TestDb) {
    let (a, _) = org_with_campaign(&db, "A").await;
    let (b, _) = org_with_campaign(&db, "B").await;
    let brands = db.storage.brands();
    assert_eq!(brands.get(a).await.unwrap(), None);
    let mut brand = Brand::placeholder();
    brand.company_name = "Ledgerly".into();
    let saved = brands.put(a, brand.clone()).await.unwrap();
    assert_eq!((saved.org_id, &saved.brand), (a, &brand));
    brand.tone = ame_domain::Tone::Bold;
    let replaced = brands.put(a, brand.clone()).await.unwrap();
    assert_eq!(replaced.brand.tone, ame_domain::Tone::Bold);
    assert_eq!(replaced.created_at, saved.created_at);
    assert!(replaced.updated_at >= saved.updated_at);
    assert_eq!(brands.get(a).await.unwrap().unwrap().brand, brand);
    assert_eq!(brands.get(b).await.unwrap(), None, "B sees no brand of A");

    let viewer = UserId::new();
    db.storage
        .organizations()
        .set_member(a, viewer, MemberRole::Viewer)
        .await
        .unwrap();
    let as_viewer = db.storage.acting_as(viewer);
    assert_eq!(
        as_viewer.brands().get(a).await.unwrap().unwrap().brand,
        brand
    );
    assert!(matches!(
        as_viewer.brands().put(a, Brand::placeholder()).await,
        Err(StorageError::Forbidden(_))
    ));
    let stranger = db.storage.acting_as(UserId::new());
    assert!(matches!(
        stranger.brands().get(a).await,
        Err(StorageError::NotFound { .. })
    ));
}

async fn regenerating_keeps_earlier_versions_as_history(db: TestDb) {
    let (org, campaign) = org_with_campaign(&db, "A").await;
    let assets = db.storage.assets();
    let first = assets
        .replace_set(org, campaign, vec![asset(AssetType::LandingPage, "v1")])
        .await
        .unwrap();
    assert_eq!((first[0].version, first[0].current), (1, true));
    let second = assets
        .replace_set(
            org,
            campaign,
            vec![
                asset(AssetType::LandingPage, "v2"),
                asset(AssetType::EmailSequence, "v2"),
            ],
        )
        .await
        .unwrap();
    assert!(second.iter().all(|a| a.version == 2 && a.current));
    let current = assets.list_for_campaign(org, campaign).await.unwrap();
    assert_eq!(
        current
            .iter()
            .map(|a| a.content["label"].clone())
            .collect::<Vec<_>>(),
        [json!("v2"), json!("v2")]
    );
    let old = assets.list_version(org, campaign, 1).await.unwrap();
    assert_eq!(
        (old.len(), old[0].current, &old[0].content["label"]),
        (1, false, &json!("v1"))
    );
    assert_eq!(assets.get(org, first[0].id).await.unwrap().version, 1);
    let versions = assets.versions(org, campaign).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.current, v.assets))
            .collect::<Vec<_>>(),
        [(2, true, 2), (1, false, 1)]
    );
    assert!(matches!(
        assets.list_version(org, campaign, 3).await,
        Err(StorageError::NotFound { .. })
    ));
    let (other, _) = org_with_campaign(&db, "B").await;
    assert!(matches!(
        assets.versions(other, campaign).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        assets.list_version(other, campaign, 1).await,
        Err(StorageError::NotFound { .. })
    ));
}

async fn published_pages_resolve_publicly_and_collect_leads(db: TestDb) {
    let (org, campaign) = org_with_campaign(&db, "A").await;
    let (other, other_campaign) = org_with_campaign(&db, "B").await;
    let assets = db.storage.assets();
    let page = |key: &str| PageToPublish {
        asset_index: 1,
        slug: "book-demos-0a1b2c3d".into(),
        file_key: key.into(),
    };
    let wrong = PageToPublish {
        asset_index: 0,
        ..page("x")
    };
    assert!(matches!(
        assets
            .replace_set_publishing(
                org,
                campaign,
                None,
                vec![
                    asset(AssetType::EmailSequence, "e"),
                    asset(AssetType::LandingPage, "p")
                ],
                Some(wrong)
            )
            .await,
        Err(StorageError::Invalid(_))
    ));
    let reserved = ame_domain::AssetId::new();
    let set = assets
        .replace_set_publishing(
            org,
            campaign,
            Some(reserved),
            vec![
                asset(AssetType::EmailSequence, "e"),
                asset(AssetType::LandingPage, "p"),
            ],
            Some(page("k1")),
        )
        .await
        .unwrap();
    assert_eq!(set[0].id, reserved);
    // A retry under the same reserved id returns the committed set: no second version.
    let retried = assets
        .replace_set_publishing(
            org,
            campaign,
            Some(reserved),
            vec![
                asset(AssetType::EmailSequence, "e-retry"),
                asset(AssetType::LandingPage, "p-retry"),
            ],
            Some(page("k-retry")),
        )
        .await
        .unwrap();
    assert_eq!(retried, set);
    assert_eq!(assets.versions(org, campaign).await.unwrap().len(), 1);
    let public = db.storage.public_pages();
    let found = public.find("book-demos-0a1b2c3d").await.unwrap().unwrap();
    assert_eq!(found.campaign_status, CampaignStatus::Draft);
    let found = found.page;
    assert_eq!(
        (
            found.org,
            found.campaign,
            found.asset,
            found.file_key.as_str()
        ),
        (org, campaign, set[1].id, "k1")
    );
    assert_eq!(public.find("nope").await.unwrap(), None);
    assert_eq!(
        assets
            .published_page(org, campaign)
            .await
            .unwrap()
            .unwrap()
            .asset,
        set[1].id
    );

    let again = assets
        .replace_set_publishing(
            org,
            campaign,
            None,
            vec![
                asset(AssetType::EmailSequence, "e"),
                asset(AssetType::LandingPage, "p2"),
            ],
            Some(page("k2")),
        )
        .await
        .unwrap();
    let found = public
        .find("book-demos-0a1b2c3d")
        .await
        .unwrap()
        .unwrap()
        .page;
    assert_eq!(
        (found.asset, found.file_key.as_str()),
        (again[1].id, "k2"),
        "the page follows the current set"
    );

    let lead = match public
        .record_lead("book-demos-0a1b2c3d", json!({"email": "ada@example.com"}))
        .await
        .unwrap()
    {
        LeadRecording::Stored(lead) => lead,
        other => panic!("expected a stored lead, got {other:?}"),
    };
    assert_eq!(lead.campaign_id, campaign);
    assert_eq!(
        public
            .record_lead("book-demos-0a1b2c3d", json!({"email": "ADA@example.com"}))
            .await
            .unwrap(),
        LeadRecording::Duplicate,
        "the same address within a day is stored once"
    );
    assert_eq!(
        public
            .record_lead("unknown-slug", json!({"email": "x@example.com"}))
            .await
            .unwrap(),
        LeadRecording::NoPage
    );
    let campaigns = db.storage.campaigns();
    campaigns
        .change_status(org, campaign, CampaignStatus::Active, None)
        .await
        .unwrap();
    campaigns
        .change_status(org, campaign, CampaignStatus::Paused, None)
        .await
        .unwrap();
    assert_eq!(
        public
            .record_lead("book-demos-0a1b2c3d", json!({"email": "grace@example.com"}))
            .await
            .unwrap(),
        LeadRecording::Closed(CampaignStatus::Paused)
    );
    assert_eq!(
        public
            .find("book-demos-0a1b2c3d")
            .await
            .unwrap()
            .unwrap()
            .campaign_status,
        CampaignStatus::Paused
    );
    let leads = db.storage.leads();
    let listed = leads.list(org, campaign, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].fields["email"], "ada@example.com");
    assert!(
        leads
            .list(other, other_campaign, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        leads.list(other, campaign, 10).await,
        Err(StorageError::NotFound { .. })
    ));

    db.storage.campaigns().delete(org, campaign).await.unwrap();
    assert_eq!(
        public.find("book-demos-0a1b2c3d").await.unwrap(),
        None,
        "deleting the campaign unpublishes it"
    );
}
