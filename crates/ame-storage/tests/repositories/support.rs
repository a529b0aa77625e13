//! Helpers shared by the repository tests.

use ame_domain::{
    AssetType, Campaign, CampaignFilter, CampaignId, CampaignStatus, CampaignType, Cursor,
    NewAsset, NewCampaign, OrgId, PageRequest,
};
use ame_storage::{Backend, CampaignRepository, OrganizationRepository, SqlCampaigns};
use ame_test_support::TestDb;
use serde_json::json;

/// A new organization named `name`.
pub(crate) async fn new_org(db: &TestDb, name: &str) -> OrgId {
    db.storage.organizations().create(name).await.unwrap().id
}

/// A new draft campaign of `campaign_type` in `org`.
pub(crate) async fn new_campaign(
    db: &TestDb,
    org: OrgId,
    campaign_type: CampaignType,
    objective: &str,
) -> CampaignId {
    let valid = NewCampaign::new(campaign_type, objective)
        .validate()
        .unwrap();
    db.storage.campaigns().create(org, valid).await.unwrap().id
}

/// A path from draft to every status.
pub(crate) fn path_to(status: CampaignStatus) -> &'static [CampaignStatus] {
    use CampaignStatus::*;
    match status {
        Draft => &[],
        Scheduled => &[Scheduled],
        Active => &[Active],
        Paused => &[Active, Paused],
        Completed => &[Active, Completed],
        Archived => &[Archived],
    }
}

/// A generated asset of `asset_type` holding `content`.
pub(crate) fn asset(asset_type: AssetType, content: serde_json::Value) -> NewAsset {
    NewAsset {
        asset_type,
        content,
        metadata: json!({"generated": true}),
    }
}

/// A literal of `id` for raw SQL on the backend (UUIDs are BLOBs on SQLite).
pub(crate) fn uuid_literal(db: &TestDb, id: uuid::Uuid) -> String {
    match db.backend() {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'::uuid"),
    }
}

/// The `n` column of the first row of `sql`, run as the administrator.
pub(crate) async fn count(db: &TestDb, sql: &str) -> i64 {
    let rows = db.admin.query_json(sql, None).await.unwrap();
    rows[0]["n"].as_i64().unwrap()
}

/// Reads every page of a listing with `size` items per page.
pub(crate) async fn read_all(
    campaigns: &SqlCampaigns,
    org: OrgId,
    filter: CampaignFilter,
    size: u32,
) -> (Vec<Campaign>, usize) {
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = campaigns
            .list(org, filter.clone(), PageRequest::new(size, cursor).unwrap())
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= size as usize);
        seen.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next).unwrap()),
            None => break,
        }
    }
    (seen, pages)
}

/// Asserts strictly newest-first order (creation time, then id).
pub(crate) fn assert_newest_first(campaigns: &[Campaign]) {
    for pair in campaigns.windows(2) {
        assert!(
            (pair[0].created_at, pair[0].id.as_uuid()) > (pair[1].created_at, pair[1].id.as_uuid()),
            "not newest first: {} then {}",
            pair[0].id,
            pair[1].id
        );
    }
}
