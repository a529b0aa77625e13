//! Keyset pagination: newest first, each campaign once, ties broken by id.

use ame_domain::{CampaignFilter, CampaignStatus, CampaignType};
use ame_storage::CampaignRepository;
use ame_test_support::{TestDb, backend_tests};
use std::collections::HashSet;

use crate::support::*;

backend_tests!(
    pagination_breaks_timestamp_ties_by_id,
    keyset_pagination_returns_each_campaign_once,
);

async fn pagination_breaks_timestamp_ties_by_id(db: TestDb) {
    let org = new_org(&db, "Same Second Ltd").await;
    let older = new_campaign(&db, org, CampaignType::Upsell, "Created before the burst").await;
    // Seven campaigns with one identical creation time (written as the application writes it).
    let org_lit = uuid_literal(&db, org.as_uuid());
    let mut burst = Vec::new();
    for i in 0..7 {
        let id = uuid::Uuid::new_v4();
        burst.push(id);
        db.admin
            .execute_sql(&format!(
                "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective, status, performance, channels, timezone, created_at, updated_at) \
                 VALUES ({}, {org_lit}, 'referral', 'Burst campaign {i}', 'draft', '{{}}', '[]', 'UTC', '2030-01-01T00:00:00+00:00', '2030-01-01T00:00:00+00:00')",
                uuid_literal(&db, id)
            ))
            .await
            .unwrap();
    }
    let campaigns = db.storage.campaigns();
    let (all, pages) = read_all(&campaigns, org, CampaignFilter::default(), 3).await;
    assert_eq!(pages, 3);
    assert_eq!(all.len(), 8);
    assert_newest_first(&all);
    burst.sort();
    burst.reverse();
    let listed: Vec<uuid::Uuid> = all[..7].iter().map(|c| c.id.as_uuid()).collect();
    assert_eq!(listed, burst, "ties must be ordered by id, descending");
    assert_eq!(all[7].id, older);
}

async fn keyset_pagination_returns_each_campaign_once(db: TestDb) {
    let org = new_org(&db, "Pager plc").await;
    let noise = new_org(&db, "Noise plc").await;
    new_campaign(&db, noise, CampaignType::LeadGen, "Someone else's campaign").await;
    let campaigns = db.storage.campaigns();
    let mut created = Vec::new();
    for i in 0..250 {
        let campaign_type = CampaignType::ALL[i % CampaignType::ALL.len()];
        let id = new_campaign(&db, org, campaign_type, &format!("Objective number {i}")).await;
        if i % 3 == 0 {
            campaigns
                .change_status(org, id, CampaignStatus::Active, None)
                .await
                .unwrap();
        }
        created.push(id);
    }
    let (all, pages) = read_all(&campaigns, org, CampaignFilter::default(), 100).await;
    assert_eq!(pages, 3);
    assert_eq!(all.len(), 250);
    let ids: HashSet<_> = all.iter().map(|c| c.id).collect();
    assert_eq!(ids, created.iter().copied().collect::<HashSet<_>>());
    assert_newest_first(&all);

    let filter = CampaignFilter {
        status: Some(CampaignStatus::Active),
        campaign_type: Some(CampaignType::LeadGen),
        search: None,
    };
    let (filtered, filtered_pages) = read_all(&campaigns, org, filter, 10).await;
    assert_eq!(filtered_pages, 5);
    assert_newest_first(&filtered);
    let expected: HashSet<_> = (0..250)
        .filter(|i| i % 3 == 0 && i % 6 == 0)
        .map(|i| created[i])
        .collect();
    assert_eq!(
        filtered.iter().map(|c| c.id).collect::<HashSet<_>>(),
        expected
    );
    assert!(filtered.iter().all(|c| c.status == CampaignStatus::Active && c.campaign_type == CampaignType::LeadGen));
    assert_eq!(filtered.len(), expected.len());

    let search = |text: &str| CampaignFilter {
        search: CampaignFilter::search_text(text).unwrap(),
        ..CampaignFilter::default()
    };
    let (found, found_pages) = read_all(&campaigns, org, search("NUMBER 12"), 5).await;
    assert_eq!(found_pages, 3);
    let expected: HashSet<_> = [12, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129]
        .into_iter()
        .map(|i| created[i])
        .collect();
    assert_eq!(found.iter().map(|c| c.id).collect::<HashSet<_>>(), expected);
    let (wildcard, _) = read_all(&campaigns, org, search("100%"), 5).await;
    assert!(
        wildcard.is_empty(),
        "a % in the search is a literal character"
    );
    let (elsewhere, _) = read_all(&campaigns, org, search("someone else"), 5).await;
    assert!(elsewhere.is_empty(), "search stays inside the organization");
}
