//! Every tracking kind the domain names is one the database accepts, on both backends (the
//! SQL CHECK list and the enum cannot drift apart unnoticed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{CampaignType, Channel, NewCampaign, TrackingKind};
use ame_storage::{
    CampaignRepository, ExecutionRepository, NewTrackingEvent, OrganizationRepository,
};
use ame_test_support::{TestDb, backend_tests};
use chrono::Utc;

backend_tests!(every_tracking_kind_is_stored_and_read_back);

async fn every_tracking_kind_is_stored_and_read_back(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
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
        .unwrap();
    let execution = db.storage.execution();
    let all: Vec<TrackingKind> = TrackingKind::NAMES
        .iter()
        .map(|name| name.parse().unwrap())
        .collect();
    for &kind in &all {
        execution
            .record_event(
                org,
                NewTrackingEvent {
                    campaign: campaign.id,
                    asset: None,
                    variant: None,
                    contact: None,
                    kind,
                    channel: Channel::Email,
                    value: None,
                    at: Utc::now(),
                    dedupe_key: None,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let stored: Vec<TrackingKind> = execution
        .events(org, campaign.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(stored.len(), all.len());
    for kind in all {
        assert!(stored.contains(&kind), "{kind} was not read back");
    }
}
