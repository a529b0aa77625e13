//! The campaign lifecycle: status transitions, database constraints, concurrent changes, plan
//! edits and the rows a delete takes with it.

use ame_domain::{AssetType, CampaignStatus, CampaignType, NewCampaign, PlanPatch};
use ame_storage::{AssetRepository, CampaignRepository, OrganizationRepository, StorageError};
use ame_test_support::{TestDb, backend_tests};
use serde_json::json;

use crate::support::*;

backend_tests!(
    every_status_pair_follows_the_lifecycle,
    database_rejects_unknown_type_and_status,
    concurrent_status_changes_have_one_winner,
    plan_edits_apply_to_drafts_only,
    deletes_cascade,
);

async fn every_status_pair_follows_the_lifecycle(db: TestDb) {
    let org = new_org(&db, "Lifecycle Ltd").await;
    let campaigns = db.storage.campaigns();
    for from in CampaignStatus::ALL {
        for to in CampaignStatus::ALL {
            let id = new_campaign(&db, org, CampaignType::LeadGen, "Book 40 demos in Q1").await;
            for step in path_to(*from) {
                campaigns.change_status(org, id, *step, None).await.unwrap();
            }
            assert_eq!(campaigns.get(org, id).await.unwrap().status, *from);
            match campaigns.change_status(org, id, *to, Some(*from)).await {
                Ok(changed) => {
                    assert!(from.can_become(*to), "{from} -> {to} must be refused");
                    assert_eq!(changed.status, *to);
                    assert_eq!(campaigns.get(org, id).await.unwrap().status, *to);
                }
                Err(StorageError::Transition(err)) => {
                    assert!(!from.can_become(*to), "{from} -> {to} must be allowed");
                    assert_eq!(err.from, *from);
                    assert_eq!(err.allowed, from.allowed_next());
                    assert_eq!(
                        campaigns.get(org, id).await.unwrap().status,
                        *from,
                        "refused change left a trace"
                    );
                }
                Err(other) => panic!("{from} -> {to}: unexpected {other:?}"),
            }
        }
    }
}

async fn database_rejects_unknown_type_and_status(db: TestDb) {
    let org = new_org(&db, "Checks Inc").await;
    let org_lit = uuid_literal(&db, org.as_uuid());
    let insert = |id: uuid::Uuid, campaign_type: &str, status: &str| {
        format!(
            "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, performance, channels, timezone, created_at, updated_at) \
             VALUES ({}, {org_lit}, '{campaign_type}', 'A valid objective', '{status}', '{{}}', '[]', 'UTC', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
            uuid_literal(&db, id)
        )
    };
    // The same statement with valid values succeeds, so the failures below are the CHECKs.
    db.admin
        .execute_sql(&insert(uuid::Uuid::new_v4(), "lead_gen", "draft"))
        .await
        .unwrap();
    for (campaign_type, status, constraint) in [
        ("cold_calling", "draft", "marketing_campaigns_type_check"),
        ("lead_gen", "launched", "marketing_campaigns_status_check"),
    ] {
        let err = db
            .admin
            .execute_sql(&insert(uuid::Uuid::new_v4(), campaign_type, status))
            .await
            .unwrap_err();
        match err {
            StorageError::Invalid(msg) => {
                assert!(msg.contains(constraint), "{campaign_type}/{status}: {msg}")
            }
            other => panic!("expected a CHECK violation, got {other:?}"),
        }
    }
    let asset_sql = |asset_type: &str, campaign: &str| {
        format!(
            "INSERT INTO marketing_assets (id, campaign_id, org_id, asset_type, content, metadata, created_at, updated_at) \
             SELECT {}, id, org_id, '{asset_type}', '{{}}', '{{}}', created_at, updated_at FROM marketing_campaigns WHERE campaign_type = '{campaign}'",
            uuid_literal(&db, uuid::Uuid::new_v4())
        )
    };
    db.admin
        .execute_sql(&asset_sql("voice_ad", "lead_gen"))
        .await
        .unwrap();
    match db
        .admin
        .execute_sql(&asset_sql("hologram", "lead_gen"))
        .await
    {
        Err(StorageError::Invalid(msg)) => {
            assert!(msg.contains("marketing_assets_type_check"), "{msg}")
        }
        other => panic!("expected the asset type CHECK, got {other:?}"),
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM marketing_campaigns").await,
        1
    );
}

async fn concurrent_status_changes_have_one_winner(db: TestDb) {
    use CampaignStatus::*;
    let org = new_org(&db, "Race Corp").await;
    // Active and archived exclude each other; scheduled and active do not (scheduled -> active
    // is allowed), so there both clients state the status they saw: draft.
    let races = [
        (Active, Archived, None),
        (Scheduled, Active, Some(Draft)),
        (Active, Scheduled, Some(Draft)),
    ];
    for round in 0..12 {
        let (first, second, expected) = races[round % races.len()];
        let id = new_campaign(
            &db,
            org,
            CampaignType::BrandAwareness,
            "Be known in Leeds by June",
        )
        .await;
        let (x, y) = (db.storage.campaigns(), db.storage.campaigns());
        let (a, b) = tokio::join!(
            tokio::spawn(async move { x.change_status(org, id, first, expected).await }),
            tokio::spawn(async move { y.change_status(org, id, second, expected).await }),
        );
        let results = [a.unwrap(), b.unwrap()];
        let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round} {first}/{second}: {results:?}"
        );
        let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(loser.is_conflict(), "round {round}: {loser:?}");
        let stored = db.storage.campaigns().get(org, id).await.unwrap();
        assert_eq!(stored.status, winners[0].status);
    }
    // A stale expectation is a conflict and changes nothing.
    let id = new_campaign(&db, org, CampaignType::Upsell, "Upgrade 30 accounts").await;
    let stale = db
        .storage
        .campaigns()
        .change_status(org, id, Active, Some(Scheduled))
        .await;
    assert!(matches!(stale, Err(StorageError::Conflict(_))), "{stale:?}");
    assert_eq!(
        db.storage.campaigns().get(org, id).await.unwrap().status,
        Draft
    );
}

async fn plan_edits_apply_to_drafts_only(db: TestDb) {
    let org = new_org(&db, "Planner GmbH").await;
    let campaigns = db.storage.campaigns();
    let mut submission = NewCampaign::new(CampaignType::LeadGen, "Book 25 demos with CFOs");
    submission.budget = Some(rust_decimal::Decimal::new(250050, 2));
    submission.planned_reach = Some(40_000);
    submission.channels = vec![ame_domain::Channel::Linkedin, ame_domain::Channel::Email];
    submission.timezone = Some("Europe/Berlin".into());
    let created = campaigns
        .create(org, submission.validate().unwrap())
        .await
        .unwrap();
    assert_eq!(created.plan.budget.unwrap().to_string(), "2500.50");
    assert_eq!(created.plan.channels.len(), 2);
    assert_eq!(
        campaigns.get(org, created.id).await.unwrap(),
        created,
        "round trip changed the campaign"
    );

    let edited = campaigns
        .update_plan(
            org,
            created.id,
            PlanPatch {
                name: Some(Some("CFO demos".into())),
                budget: Some(None),
                ..PlanPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.plan.name.as_deref(), Some("CFO demos"));
    assert_eq!(edited.plan.budget, None);
    assert_eq!(edited.plan.planned_reach, Some(40_000));
    assert!(edited.updated_at >= created.updated_at);

    let invalid = campaigns
        .update_plan(
            org,
            created.id,
            PlanPatch {
                timezone: Some("Mars/Base".into()),
                ..PlanPatch::default()
            },
        )
        .await;
    assert!(
        matches!(invalid, Err(StorageError::Validation(_))),
        "{invalid:?}"
    );

    campaigns
        .change_status(org, created.id, CampaignStatus::Active, None)
        .await
        .unwrap();
    let refused = campaigns
        .update_plan(
            org,
            created.id,
            PlanPatch {
                name: Some(None),
                ..PlanPatch::default()
            },
        )
        .await;
    assert!(
        matches!(refused, Err(StorageError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(
        campaigns
            .get(org, created.id)
            .await
            .unwrap()
            .plan
            .name
            .as_deref(),
        Some("CFO demos")
    );
}

async fn deletes_cascade(db: TestDb) {
    let org = new_org(&db, "Cascade Co").await;
    let other = new_org(&db, "Bystander Co").await;
    let id = new_campaign(&db, org, CampaignType::LeadGen, "Fill the spring webinar").await;
    let kept = new_campaign(&db, org, CampaignType::Upsell, "Sell the premium add-on").await;
    let bystander = new_campaign(&db, other, CampaignType::Upsell, "Sell the premium add-on").await;
    let assets = db.storage.assets();
    let set = vec![
        asset(
            AssetType::LandingPage,
            json!({"headline": "Spring webinar"}),
        ),
        asset(AssetType::EmailSequence, json!({"emails": []})),
    ];
    assets.replace_set(org, id, set.clone()).await.unwrap();
    assets.replace_set(org, kept, set.clone()).await.unwrap();
    assets.replace_set(other, bystander, set).await.unwrap();
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM marketing_assets").await,
        6
    );

    db.storage.campaigns().delete(org, id).await.unwrap();
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM marketing_assets").await,
        4
    );
    assert!(matches!(
        db.storage.campaigns().get(org, id).await,
        Err(StorageError::NotFound { .. })
    ));

    db.storage.organizations().delete(org).await.unwrap();
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM marketing_campaigns").await,
        1
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM marketing_assets").await,
        2
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM user_organizations").await,
        1
    );
    assert!(matches!(
        db.storage.organizations().get(org).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(
        db.storage
            .campaigns()
            .get(other, bystander)
            .await
            .unwrap()
            .id,
        bystander
    );
}
