//! The embedded default: an SQLite file that survives restarts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{CampaignStatus, CampaignType, NewCampaign};
use ame_storage::{Backend, CampaignRepository, OrganizationRepository, Storage};

#[tokio::test]
async fn file_database_persists_across_reopen_and_uses_wal() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("ame.db").display());

    let storage = Storage::connect(&url).await.unwrap();
    assert_eq!(storage.backend(), Backend::Sqlite);
    storage.migrate().await.unwrap();
    let org = storage
        .organizations()
        .create("Persistent Ltd")
        .await
        .unwrap();
    let valid = NewCampaign::new(CampaignType::ClientRetention, "Keep 95% of Q4 renewals")
        .validate()
        .unwrap();
    let campaign = storage.campaigns().create(org.id, valid).await.unwrap();
    storage
        .campaigns()
        .change_status(org.id, campaign.id, CampaignStatus::Scheduled, None)
        .await
        .unwrap();
    let mode = storage
        .query_json("PRAGMA journal_mode", None)
        .await
        .unwrap();
    assert_eq!(mode[0]["journal_mode"], "wal");
    storage.close().await.unwrap();

    let reopened = Storage::connect(&url).await.unwrap();
    reopened.migrate().await.unwrap();
    let read = reopened.campaigns().get(org.id, campaign.id).await.unwrap();
    assert_eq!(read.status, CampaignStatus::Scheduled);
    assert_eq!(read.objective, "Keep 95% of Q4 renewals");
    assert_eq!(reopened.applied_migrations().await.unwrap().len(), 27);
}
