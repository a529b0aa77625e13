//! Recorded campaign results, their totals and the predictor's cross-organization history, on
//! both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    AssetId, AssetType, CampaignId, CampaignType, Channel, ChannelOutcome, MemberRole, NewAsset,
    NewCampaign, OrgId, ResultRecordInput, UserId,
};
use ame_storage::{
    AssetRepository, Backend, CampaignRepository, OrganizationRepository, ResultRepository,
    StorageError,
};
use ame_test_support::{TestDb, backend_tests};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::HashSet;

backend_tests!(
    resending_a_day_replaces_it,
    null_and_zero_stay_distinct,
    the_asset_is_part_of_the_key,
    invalid_submissions_write_nothing,
    other_organizations_campaigns_are_not_found,
    history_spans_organizations_without_their_ids,
    history_revision_tracks_writes_and_deletes,
    concurrent_submissions_all_count,
    results_are_private_to_their_organization,
    totals_that_break_the_funnel_write_nothing,
);

async fn new_org(db: &TestDb, name: &str) -> OrgId {
    db.storage.organizations().create(name).await.unwrap().id
}

async fn new_campaign(db: &TestDb, org: OrgId, campaign_type: CampaignType) -> CampaignId {
    let valid = NewCampaign::new(campaign_type, "Book 40 demos by March")
        .validate()
        .unwrap();
    db.storage.campaigns().create(org, valid).await.unwrap().id
}

/// A record that measured nothing yet.
fn record(date: &str, channel: Channel) -> ResultRecordInput {
    ResultRecordInput {
        date: date.parse().unwrap(),
        channel,
        asset_id: None,
        reach: None,
        clicks: None,
        leads: None,
        conversions: None,
        spend: None,
        revenue: None,
    }
}

/// A record with reach, clicks and spend.
fn measured(
    date: &str,
    channel: Channel,
    reach: i64,
    clicks: i64,
    spend: &str,
) -> ResultRecordInput {
    ResultRecordInput {
        reach: Some(reach),
        clicks: Some(clicks),
        spend: Some(spend.parse().unwrap()),
        ..record(date, channel)
    }
}

fn money(text: &str) -> Option<Decimal> {
    Some(text.parse().unwrap())
}

fn validation_fields(result: Result<impl std::fmt::Debug, StorageError>) -> Vec<String> {
    match result {
        Err(StorageError::Validation(e)) => e.errors.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StorageError>, what: &str) {
    assert!(
        matches!(result, Err(StorageError::NotFound { .. })),
        "{what}: {result:?}"
    );
}

async fn resending_a_day_replaces_it(db: TestDb) {
    let org = new_org(&db, "Acme").await;
    let campaign = new_campaign(&db, org, CampaignType::LeadGen).await;
    let results = db.storage.results();
    let mut first = measured("2026-11-20", Channel::Email, 1000, 40, "120.50");
    first.leads = Some(4);
    let totals = results.record(org, campaign, vec![first]).await.unwrap();
    assert_eq!(totals.records, 1);
    assert_eq!(totals.metrics.reach, Some(1000));
    assert_eq!(totals.metrics.leads, Some(4));

    // The same day again, corrected: it replaces the record, leads become "not measured".
    let totals = results
        .record(
            org,
            campaign,
            vec![
                measured("2026-11-20", Channel::Email, 1500, 60, "130.25"),
                measured("2026-11-21", Channel::Email, 500, 10, "20.00"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(totals.records, 2, "the resent day must not be doubled");
    assert_eq!(totals.metrics.reach, Some(2000));
    assert_eq!(totals.metrics.clicks, Some(70));
    assert_eq!(totals.metrics.leads, None, "a resent null replaces a value");
    assert_eq!(totals.metrics.spend, money("150.25"));
    assert_eq!(totals.first_date, Some("2026-11-20".parse().unwrap()));
    assert_eq!(totals.last_date, Some("2026-11-21".parse().unwrap()));

    let (records, listed_totals) = results.list(org, campaign).await.unwrap();
    assert_eq!(listed_totals, totals);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].date, "2026-11-20".parse().unwrap());
    assert_eq!(records[0].metrics.reach, Some(1500));
    assert_eq!(records[0].metrics.leads, None);
    assert_eq!(records[0].metrics.spend, money("130.25"));
    assert_eq!(records[0].campaign_id, campaign);

    // The channel totals the predictor reads follow too.
    let history = results.history(org, None).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].records, 2);
    assert_eq!(history[0].metrics, totals.metrics);
    assert_eq!(history[0].campaign_type, CampaignType::LeadGen);
    assert_eq!(history[0].channel, Channel::Email);
}

async fn null_and_zero_stay_distinct(db: TestDb) {
    let org = new_org(&db, "Acme").await;
    let campaign = new_campaign(&db, org, CampaignType::BrandAwareness).await;
    let before = db.storage.campaigns().get(org, campaign).await.unwrap();
    let results = db.storage.results();
    let zero = ResultRecordInput {
        reach: Some(0),
        clicks: Some(0),
        spend: money("0"),
        ..record("2026-11-20", Channel::Linkedin)
    };
    let totals = results
        .record(
            org,
            campaign,
            vec![zero, record("2026-11-21", Channel::Linkedin)],
        )
        .await
        .unwrap();
    assert_eq!(totals.records, 2);
    assert_eq!(totals.metrics.reach, Some(0));
    assert_eq!(totals.metrics.clicks, Some(0));
    assert_eq!(totals.metrics.spend, money("0.00"));
    assert_eq!(totals.metrics.leads, None);
    assert_eq!(totals.metrics.conversions, None);
    assert_eq!(totals.metrics.revenue, None);

    let (records, _) = results.list(org, campaign).await.unwrap();
    assert_eq!(
        (records[0].metrics.clicks, records[0].metrics.leads),
        (Some(0), None)
    );
    assert!(records[1].metrics.is_empty(), "{:?}", records[1]);

    let history = results.history(org, None).await.unwrap();
    assert_eq!(history[0].metrics.clicks, Some(0));
    assert_eq!(history[0].metrics.leads, None);

    let after = db.storage.campaigns().get(org, campaign).await.unwrap();
    let performance = &after.performance;
    assert_eq!(performance["records"], json!(2));
    assert_eq!(performance["clicks"], json!(0));
    assert_eq!(performance["spend"], json!("0.00"));
    assert_eq!(performance["leads"], json!(null));
    assert_eq!(performance["revenue"], json!(null));
    assert!(performance.get("leads").is_some(), "{performance}");
    assert_eq!(performance["first_date"], json!("2026-11-20"));
    assert_eq!(performance["last_date"], json!("2026-11-21"));
    assert_eq!(*performance, serde_json::to_value(&totals).unwrap());
    assert_eq!(
        after.updated_at, before.updated_at,
        "recording results is no plan edit"
    );
    assert_eq!(after.plan, before.plan);
}

async fn the_asset_is_part_of_the_key(db: TestDb) {
    let org = new_org(&db, "Acme").await;
    let campaign = new_campaign(&db, org, CampaignType::LeadGen).await;
    let assets = db.storage.assets();
    let new_asset = |asset_type| NewAsset {
        asset_type,
        content: json!({}),
        metadata: json!({}),
    };
    let old = assets
        .replace_set(org, campaign, vec![new_asset(AssetType::SocialPost)])
        .await
        .unwrap();
    let current = assets
        .replace_set(
            org,
            campaign,
            vec![
                new_asset(AssetType::SocialPost),
                new_asset(AssetType::AdCreative),
            ],
        )
        .await
        .unwrap();
    let (old_post, post, ad) = (old[0].id, current[0].id, current[1].id);
    let on = |asset: Option<AssetId>, reach: i64| ResultRecordInput {
        asset_id: asset,
        reach: Some(reach),
        ..record("2026-11-20", Channel::Facebook)
    };
    let results = db.storage.results();
    let totals = results
        .record(
            org,
            campaign,
            vec![on(Some(post), 10), on(None, 1), on(Some(old_post), 100)],
        )
        .await
        .unwrap();
    assert_eq!((totals.records, totals.metrics.reach), (3, Some(111)));
    // Each key again, and one more asset: replaced, not added.
    let totals = results
        .record(
            org,
            campaign,
            vec![
                on(None, 2),
                on(Some(post), 20),
                on(Some(old_post), 200),
                on(Some(ad), 1000),
            ],
        )
        .await
        .unwrap();
    assert_eq!((totals.records, totals.metrics.reach), (4, Some(1222)));

    let (records, _) = results.list(org, campaign).await.unwrap();
    assert_eq!(records[0].asset_id, None, "records without an asset first");
    let mut with_assets: Vec<_> = [post, old_post, ad].map(|a| a.as_uuid()).to_vec();
    with_assets.sort();
    assert_eq!(
        records[1..]
            .iter()
            .map(|r| r.asset_id.unwrap().as_uuid())
            .collect::<Vec<_>>(),
        with_assets,
        "then by asset id"
    );
    assert_eq!(
        records
            .iter()
            .map(|r| r.metrics.reach)
            .collect::<HashSet<_>>(),
        [Some(2), Some(20), Some(200), Some(1000)].into()
    );
}

async fn invalid_submissions_write_nothing(db: TestDb) {
    let org = new_org(&db, "Acme").await;
    let campaign = new_campaign(&db, org, CampaignType::Upsell).await;
    let other_campaign = new_campaign(&db, org, CampaignType::Upsell).await;
    let foreign_asset = db
        .storage
        .assets()
        .replace_set(
            org,
            other_campaign,
            vec![NewAsset {
                asset_type: AssetType::SocialPost,
                content: json!({}),
                metadata: json!({}),
            }],
        )
        .await
        .unwrap()[0]
        .id;
    let results = db.storage.results();
    results
        .record(
            org,
            campaign,
            vec![measured("2026-11-01", Channel::X, 5, 1, "1")],
        )
        .await
        .unwrap();
    let revision = results.history_revision(org).await.unwrap();
    let before = results.list(org, campaign).await.unwrap();
    let performance = db
        .storage
        .campaigns()
        .get(org, campaign)
        .await
        .unwrap()
        .performance;

    let with_asset = |asset: AssetId| ResultRecordInput {
        asset_id: Some(asset),
        ..measured("2026-11-02", Channel::X, 7, 2, "3")
    };
    let fields = validation_fields(
        results
            .record(
                org,
                campaign,
                vec![
                    measured("2026-11-01", Channel::X, 50, 10, "10"),
                    with_asset(AssetId::new()),
                    with_asset(foreign_asset),
                ],
            )
            .await,
    );
    assert_eq!(fields, ["[1].asset_id", "[2].asset_id"]);

    let fields = validation_fields(
        results
            .record(
                org,
                campaign,
                vec![
                    measured("2026-11-01", Channel::X, 50, 10, "10"),
                    measured("2026-11-01", Channel::X, 60, 10, "10"),
                ],
            )
            .await,
    );
    assert_eq!(fields, ["[1].date"]);

    let negative = ResultRecordInput {
        clicks: Some(-1),
        ..record("2026-11-03", Channel::X)
    };
    assert_eq!(
        validation_fields(results.record(org, campaign, vec![negative]).await),
        ["[0].clicks"]
    );
    assert_eq!(
        validation_fields(results.record(org, campaign, vec![]).await),
        ["records"]
    );

    // Channel totals beyond what the totals can hold are refused as a whole, too.
    let huge: Vec<_> = (1..=101)
        .map(|day| ResultRecordInput {
            spend: money("999999999999.99"),
            ..record(
                &format!("2026-{:02}-{:02}", 1 + day / 28, 1 + day % 28),
                Channel::Web,
            )
        })
        .collect();
    assert_eq!(
        validation_fields(results.record(org, campaign, huge).await),
        ["records"]
    );

    assert_eq!(results.list(org, campaign).await.unwrap(), before);
    assert_eq!(results.history_revision(org).await.unwrap(), revision);
    assert_eq!(
        db.storage
            .campaigns()
            .get(org, campaign)
            .await
            .unwrap()
            .performance,
        performance
    );
}

async fn other_organizations_campaigns_are_not_found(db: TestDb) {
    let a = new_org(&db, "A").await;
    let b = new_org(&db, "B").await;
    let a_campaign = new_campaign(&db, a, CampaignType::Referral).await;
    let results = db.storage.results();
    results
        .record(
            a,
            a_campaign,
            vec![measured("2026-11-01", Channel::Email, 5, 1, "1")],
        )
        .await
        .unwrap();
    let before = results.list(a, a_campaign).await.unwrap();
    let revision = results.history_revision(a).await.unwrap();

    assert_not_found(
        results
            .record(
                b,
                a_campaign,
                vec![measured("2026-11-01", Channel::Email, 9, 9, "9")],
            )
            .await,
        "recording into another organization's campaign",
    );
    assert_not_found(
        results
            .record(
                b,
                CampaignId::new(),
                vec![record("2026-11-01", Channel::Email)],
            )
            .await,
        "recording into an unknown campaign",
    );
    assert_not_found(
        results.list(b, a_campaign).await,
        "listing another's results",
    );
    assert_eq!(results.list(a, a_campaign).await.unwrap(), before);
    assert_eq!(results.history_revision(a).await.unwrap(), revision);

    // Viewers read but do not record; strangers see nothing.
    let viewer = UserId::new();
    db.storage
        .organizations()
        .set_member(a, viewer, MemberRole::Viewer)
        .await
        .unwrap();
    let as_viewer = db.storage.acting_as(viewer).results();
    assert_eq!(as_viewer.list(a, a_campaign).await.unwrap(), before);
    assert!(matches!(
        as_viewer
            .record(a, a_campaign, vec![record("2026-11-02", Channel::Email)])
            .await,
        Err(StorageError::Forbidden(_))
    ));
    assert_eq!(as_viewer.history(a, None).await.unwrap().len(), 1);
    let stranger = db.storage.acting_as(UserId::new()).results();
    assert_not_found(stranger.list(a, a_campaign).await, "stranger list");
    assert_not_found(stranger.history(a, None).await, "stranger history");
    assert_not_found(stranger.history_revision(a).await, "stranger revision");
    assert_not_found(
        results.history(OrgId::new(), None).await,
        "history of an unknown organization",
    );
    assert_not_found(
        results.history_revision(OrgId::new()).await,
        "revision of an unknown organization",
    );
}

async fn history_spans_organizations_without_their_ids(db: TestDb) {
    let a = new_org(&db, "A").await;
    let b = new_org(&db, "B").await;
    let a1 = new_campaign(&db, a, CampaignType::LeadGen).await;
    let a2 = new_campaign(&db, a, CampaignType::Upsell).await;
    let b1 = new_campaign(&db, b, CampaignType::LeadGen).await;
    let results = db.storage.results();
    results
        .record(
            a,
            a1,
            vec![
                measured("2026-11-01", Channel::Email, 100, 10, "5"),
                measured("2026-11-02", Channel::Email, 100, 10, "5"),
                measured("2026-11-01", Channel::X, 300, 3, "1.50"),
            ],
        )
        .await
        .unwrap();
    results
        .record(
            a,
            a2,
            vec![measured("2026-11-01", Channel::Email, 7, 0, "0")],
        )
        .await
        .unwrap();
    let mut b_record = record("2026-11-05", Channel::Sms);
    b_record.conversions = Some(3);
    results.record(b, b1, vec![b_record]).await.unwrap();

    let history = results.history(a, None).await.unwrap();
    assert_eq!(history.len(), 4, "{history:?}");
    let own: Vec<&ChannelOutcome> = history.iter().filter(|o| o.own_org).collect();
    let theirs: Vec<&ChannelOutcome> = history.iter().filter(|o| !o.own_org).collect();
    assert_eq!((own.len(), theirs.len()), (3, 1));
    let a_group = own[0].org_group;
    assert!(own.iter().all(|o| o.org_group == a_group));
    let b_group = theirs[0].org_group;
    assert_ne!(a_group, b_group);
    assert_eq!(
        (a_group, b_group),
        (ame_storage::org_group(a), ame_storage::org_group(b)),
        "the keys the application derives are the ones the history returns"
    );
    // One key per campaign, shared by its channels.
    let campaigns_of = |c: CampaignId| {
        history
            .iter()
            .filter(|o| o.campaign_group == ame_storage::campaign_group(c))
            .count()
    };
    assert_eq!(
        (campaigns_of(a1), campaigns_of(a2), campaigns_of(b1)),
        (2, 1, 1)
    );
    let ids: HashSet<uuid::Uuid> = [a, b]
        .map(|o| o.as_uuid())
        .into_iter()
        .chain([a1, a2, b1].map(|c| c.as_uuid()))
        .collect();
    assert!(
        history
            .iter()
            .all(|o| !ids.contains(&o.org_group) && !ids.contains(&o.campaign_group)),
        "a group key must not be an id"
    );
    let email_a1 = own
        .iter()
        .find(|o| o.channel == Channel::Email && o.campaign_type == CampaignType::LeadGen)
        .unwrap();
    assert_eq!(email_a1.records, 2);
    assert_eq!(email_a1.metrics.reach, Some(200));
    assert_eq!(email_a1.metrics.spend, money("10.00"));
    assert_eq!(email_a1.metrics.leads, None);
    let sms = theirs[0];
    assert_eq!(
        (sms.channel, sms.campaign_type, sms.records),
        (Channel::Sms, CampaignType::LeadGen, 1)
    );
    assert_eq!(sms.metrics.conversions, Some(3));
    assert_eq!(sms.metrics.reach, None);

    // Leaving out the campaign being predicted.
    let without_a1 = results.history(a, Some(a1)).await.unwrap();
    assert_eq!(without_a1.len(), 2);
    assert!(
        without_a1
            .iter()
            .all(|o| o.campaign_type == CampaignType::Upsell || !o.own_org)
    );
    assert_eq!(results.history(a, Some(b1)).await.unwrap().len(), 3);

    // Seen from B: the same outcomes and groups, with ownership flipped.
    let from_b = results.history(b, None).await.unwrap();
    assert_eq!(from_b.len(), 4);
    for outcome in &from_b {
        assert_eq!(outcome.own_org, outcome.org_group == b_group, "{outcome:?}");
        assert!(outcome.org_group == a_group || outcome.org_group == b_group);
    }
}

async fn history_revision_tracks_writes_and_deletes(db: TestDb) {
    let a = new_org(&db, "A").await;
    let b = new_org(&db, "B").await;
    let results = db.storage.results();
    let mut seen = vec![results.history_revision(a).await.unwrap()];
    assert_eq!(seen[0], (0, 0));
    // Every write yields a pair never seen before (with different data behind it); a delete
    // yields a pair different from the one before it.
    let mut expect = |pair: (i64, i64), fresh: bool, what: &str| {
        let last = *seen.last().unwrap();
        assert_ne!(pair, last, "{what}: unchanged");
        if fresh {
            assert!(
                !seen.contains(&pair),
                "{what}: {pair:?} was seen before in {seen:?}"
            );
        }
        seen.push(pair);
        pair
    };

    let a1 = new_campaign(&db, a, CampaignType::LeadGen).await;
    results
        .record(
            a,
            a1,
            vec![
                record("2026-11-01", Channel::Email),
                record("2026-11-01", Channel::X),
            ],
        )
        .await
        .unwrap();
    let (rev, units) = expect(results.history_revision(a).await.unwrap(), true, "first");
    assert!(rev > 0);
    assert_eq!(units, 2);

    // Re-sending the same day changes the data, so the revision moves too.
    results
        .record(
            a,
            a1,
            vec![measured("2026-11-01", Channel::Email, 1, 1, "1")],
        )
        .await
        .unwrap();
    let (rev2, units2) = expect(results.history_revision(a).await.unwrap(), true, "resend");
    assert!(rev2 > rev);
    assert_eq!(units2, 2);

    // Another organization's results move everyone's revision.
    let b1 = new_campaign(&db, b, CampaignType::LeadGen).await;
    results
        .record(b, b1, vec![record("2026-11-01", Channel::Sms)])
        .await
        .unwrap();
    let from_b = expect(
        results.history_revision(a).await.unwrap(),
        true,
        "other org",
    );
    assert_eq!(results.history_revision(b).await.unwrap(), from_b);

    // Deleting a campaign without results changes nothing; with results it does.
    let empty = new_campaign(&db, a, CampaignType::Upsell).await;
    db.storage.campaigns().delete(a, empty).await.unwrap();
    assert_eq!(results.history_revision(a).await.unwrap(), from_b);
    db.storage.campaigns().delete(b, b1).await.unwrap();
    let (_, units3) = expect(results.history_revision(a).await.unwrap(), false, "delete");
    assert_eq!(units3, 2);

    // A write after deleting the latest revision's campaign never reuses that revision, so the
    // pair cannot repeat one seen with other data behind it.
    let b2 = new_campaign(&db, b, CampaignType::Referral).await;
    results
        .record(b, b2, vec![record("2026-11-02", Channel::Radio)])
        .await
        .unwrap();
    expect(
        results.history_revision(a).await.unwrap(),
        true,
        "write after delete",
    );
}

async fn concurrent_submissions_all_count(db: TestDb) {
    let a = new_org(&db, "A").await;
    let b = new_org(&db, "B").await;
    let a1 = new_campaign(&db, a, CampaignType::LeadGen).await;
    let b1 = new_campaign(&db, b, CampaignType::LeadGen).await;
    let mut tasks = Vec::new();
    for day in 1..=8 {
        for (org, campaign) in [(a, a1), (b, b1)] {
            let results = db.storage.results();
            tasks.push(tokio::spawn(async move {
                results
                    .record(
                        org,
                        campaign,
                        vec![measured(
                            &format!("2026-11-{day:02}"),
                            Channel::Email,
                            10,
                            1,
                            "0.10",
                        )],
                    )
                    .await
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let results = db.storage.results();
    for (org, campaign) in [(a, a1), (b, b1)] {
        let (records, totals) = results.list(org, campaign).await.unwrap();
        assert_eq!(records.len(), 8);
        assert_eq!(totals.metrics.reach, Some(80));
        assert_eq!(totals.metrics.spend, money("0.80"));
        let performance = db
            .storage
            .campaigns()
            .get(org, campaign)
            .await
            .unwrap()
            .performance;
        assert_eq!(performance, serde_json::to_value(&totals).unwrap());
    }
    let history = results.history(a, None).await.unwrap();
    assert!(
        history
            .iter()
            .all(|o| o.records == 8 && o.metrics.reach == Some(80))
    );
    assert_eq!(results.history_revision(a).await.unwrap().1, 2);
}

async fn results_are_private_to_their_organization(db: TestDb) {
    let a = new_org(&db, "A").await;
    let b = new_org(&db, "B").await;
    let a1 = new_campaign(&db, a, CampaignType::LeadGen).await;
    let b1 = new_campaign(&db, b, CampaignType::LeadGen).await;
    let results = db.storage.results();
    results
        .record(
            a,
            a1,
            vec![measured("2026-11-01", Channel::Email, 1, 1, "1")],
        )
        .await
        .unwrap();
    results
        .record(
            b,
            b1,
            vec![measured("2026-11-01", Channel::Email, 2, 2, "2")],
        )
        .await
        .unwrap();
    if db.backend() != Backend::Postgres {
        return;
    }
    // Raw SQL as the application role, acting as a member of A.
    let member_of_a = UserId::new();
    db.storage
        .organizations()
        .set_member(a, member_of_a, MemberRole::Member)
        .await
        .unwrap();
    for table in ["campaign_results", "campaign_channel_totals"] {
        let rows = db
            .storage
            .query_json(
                &format!("SELECT org_id::text AS org_id FROM {table}"),
                Some(member_of_a),
            )
            .await
            .unwrap();
        assert_eq!(rows, vec![json!({"org_id": a.to_string()})], "{table}");
        let anonymous = db
            .storage
            .query_json(&format!("SELECT org_id FROM {table}"), None)
            .await
            .unwrap();
        assert!(anonymous.is_empty(), "{table}: {anonymous:?}");
        let changed = db
            .storage
            .query_json(
                &format!("UPDATE {table} SET reach = 0 WHERE org_id = '{b}' RETURNING org_id"),
                Some(member_of_a),
            )
            .await
            .unwrap();
        assert!(changed.is_empty(), "{table}: RLS let a raw UPDATE through");
    }
    let planted = db
        .storage
        .query_json(
            &format!(
                "INSERT INTO campaign_results (id, org_id, campaign_id, date, channel) \
                 VALUES (gen_random_uuid(), '{b}', '{b1}', '2026-11-02', 'email') RETURNING id"
            ),
            Some(member_of_a),
        )
        .await;
    assert!(
        matches!(planted, Err(StorageError::NotFound { .. })),
        "RLS let a raw INSERT into another org: {planted:?}"
    );
    // The history functions answer members of the organization named only.
    let history = db
        .storage
        .query_json(
            &format!("SELECT count(*) AS n FROM ame_prediction_history('{a}', NULL)"),
            Some(member_of_a),
        )
        .await
        .unwrap();
    assert_eq!(history, vec![json!({"n": 2})]);
    for call in [
        format!("SELECT count(*) AS n FROM ame_prediction_history('{b}', NULL)"),
        format!("SELECT revision FROM ame_prediction_history_revision('{b}')"),
    ] {
        let refused = db.storage.query_json(&call, Some(member_of_a)).await;
        assert!(
            matches!(&refused, Err(StorageError::Database(msg)) if msg.contains("not a member")),
            "{call}: {refused:?}"
        );
    }
    let columns = db
        .storage
        .query_json(
            &format!("SELECT * FROM ame_prediction_history('{a}', NULL) LIMIT 1"),
            Some(member_of_a),
        )
        .await
        .unwrap();
    let row = columns[0].as_object().unwrap();
    assert!(
        !row.contains_key("org_id") && !row.contains_key("campaign_id"),
        "{row:?}"
    );
    assert!(
        !row.values()
            .any(|v| *v == json!(b.to_string()) || *v == json!(b1.to_string())),
        "{row:?}"
    );
}

async fn totals_that_break_the_funnel_write_nothing(db: TestDb) {
    let org = new_org(&db, "Funnel").await;
    let id = new_campaign(&db, org, CampaignType::LeadGen).await;
    let results = db.storage.results();
    let clicks_only = ResultRecordInput {
        clicks: Some(500),
        ..record("2026-11-01", Channel::Email)
    };
    results.record(org, id, vec![clicks_only]).await.unwrap();
    let small_reach = ResultRecordInput {
        reach: Some(100),
        ..record("2026-11-02", Channel::Email)
    };
    let refused = results.record(org, id, vec![small_reach]).await;
    let message = match refused {
        Err(StorageError::Validation(e)) => e.errors[0].message.clone(),
        other => panic!("expected a validation error, got {other:?}"),
    };
    assert!(
        message.contains("clicks on email would total 500"),
        "{message}"
    );
    let (records, totals) = results.list(org, id).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(totals.metrics.reach, None);
}
