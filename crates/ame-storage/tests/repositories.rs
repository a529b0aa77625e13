//! Repository behaviour on both backends: lifecycle, constraints, tenant isolation, cascades,
//! concurrency, atomic asset sets, pagination and migrations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    AssetType, Campaign, CampaignFilter, CampaignId, CampaignStatus, CampaignType, Cursor,
    MemberRole, NewAsset, NewCampaign, OrgId, PageRequest, PlanPatch, UserId,
};
use ame_storage::{
    AssetRepository, Backend, CampaignRepository, OrganizationRepository, SqlCampaigns,
    StorageError,
};
use ame_test_support::{TestDb, backend_tests};
use serde_json::json;
use std::collections::HashSet;

backend_tests!(
    every_status_pair_follows_the_lifecycle,
    database_rejects_unknown_type_and_status,
    tenants_never_see_or_touch_each_other,
    deletes_cascade,
    concurrent_status_changes_have_one_winner,
    failing_asset_set_leaves_nothing_behind,
    concurrent_set_replacements_do_not_merge,
    keyset_pagination_returns_each_campaign_once,
    plan_edits_apply_to_drafts_only,
    memberships_are_recorded,
    acting_users_are_checked_for_membership,
    pagination_breaks_timestamp_ties_by_id,
    migrations_roll_back_and_reapply,
);

async fn new_org(db: &TestDb, name: &str) -> OrgId {
    db.storage.organizations().create(name).await.unwrap().id
}

async fn new_campaign(
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
fn path_to(status: CampaignStatus) -> &'static [CampaignStatus] {
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

fn asset(asset_type: AssetType, content: serde_json::Value) -> NewAsset {
    NewAsset {
        asset_type,
        content,
        metadata: json!({"generated": true}),
    }
}

/// A literal of `id` for raw SQL on the backend (UUIDs are BLOBs on SQLite).
fn uuid_literal(db: &TestDb, id: uuid::Uuid) -> String {
    match db.backend() {
        Backend::Sqlite => format!("X'{}'", id.simple()),
        Backend::Postgres => format!("'{id}'::uuid"),
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let rows = db.admin.query_json(sql, None).await.unwrap();
    rows[0]["n"].as_i64().unwrap()
}

/// Reads every page of a listing with `size` items per page.
async fn read_all(
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
fn assert_newest_first(campaigns: &[Campaign]) {
    for pair in campaigns.windows(2) {
        assert!(
            (pair[0].created_at, pair[0].id.as_uuid()) > (pair[1].created_at, pair[1].id.as_uuid()),
            "not newest first: {} then {}",
            pair[0].id,
            pair[1].id
        );
    }
}

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

async fn tenants_never_see_or_touch_each_other(db: TestDb) {
    let a = new_org(&db, "Org A").await;
    let b = new_org(&db, "Org B").await;
    let campaigns = db.storage.campaigns();
    let assets = db.storage.assets();
    let a_campaign = new_campaign(
        &db,
        a,
        CampaignType::Referral,
        "Get 50 referrals from happy clients",
    )
    .await;
    let b_campaign = new_campaign(
        &db,
        b,
        CampaignType::Upsell,
        "Move 20 clients to the annual plan",
    )
    .await;
    let b_assets = assets
        .replace_set(
            b,
            b_campaign,
            vec![asset(AssetType::EmailSequence, json!({"emails": []}))],
        )
        .await
        .unwrap();
    let b_asset = b_assets[0].id;
    let b_before = campaigns.get(b, b_campaign).await.unwrap();

    let not_found = |r: Result<_, StorageError>, what: &str| match r {
        Err(StorageError::NotFound { .. }) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    };
    not_found(campaigns.get(a, b_campaign).await.map(|_| ()), "get");
    not_found(
        campaigns
            .change_status(a, b_campaign, CampaignStatus::Active, None)
            .await
            .map(|_| ()),
        "status",
    );
    not_found(
        campaigns
            .update_plan(
                a,
                b_campaign,
                PlanPatch {
                    objective: Some("Hijacked objective".into()),
                    ..PlanPatch::default()
                },
            )
            .await
            .map(|_| ()),
        "update",
    );
    not_found(campaigns.delete(a, b_campaign).await, "delete");
    not_found(
        assets
            .replace_set(a, b_campaign, vec![asset(AssetType::SocialPost, json!({}))])
            .await
            .map(|_| ()),
        "replace assets",
    );
    not_found(
        assets.list_for_campaign(a, b_campaign).await.map(|_| ()),
        "list assets",
    );
    not_found(assets.get(a, b_asset).await.map(|_| ()), "get asset");
    // Guessing ids that exist nowhere behaves the same.
    not_found(
        campaigns.get(a, CampaignId::new()).await.map(|_| ()),
        "random id",
    );

    let listed = campaigns
        .list(a, CampaignFilter::default(), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![a_campaign]
    );

    // Org B's data is exactly as before.
    assert_eq!(campaigns.get(b, b_campaign).await.unwrap(), b_before);
    assert_eq!(
        assets.list_for_campaign(b, b_campaign).await.unwrap(),
        b_assets
    );

    if db.backend() == Backend::Postgres {
        // Row-level security, checked with raw SQL as the application role.
        let member_of_a = UserId::new();
        db.storage
            .organizations()
            .set_member(a, member_of_a, MemberRole::Member)
            .await
            .unwrap();
        let rows = db
            .storage
            .query_json(
                "SELECT id::text AS id, org_id::text AS org_id FROM marketing_campaigns",
                Some(member_of_a),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0]["org_id"], json!(a.to_string()));
        let asset_rows = db
            .storage
            .query_json("SELECT id FROM marketing_assets", Some(member_of_a))
            .await
            .unwrap();
        assert!(
            asset_rows.is_empty(),
            "org A's member sees org B's assets: {asset_rows:?}"
        );
        let anonymous = db
            .storage
            .query_json("SELECT id FROM marketing_campaigns", None)
            .await
            .unwrap();
        assert!(
            anonymous.is_empty(),
            "no acting user must see nothing: {anonymous:?}"
        );
        let hijack = db
            .storage
            .query_json(
                &format!("UPDATE marketing_campaigns SET objective = 'hijacked' WHERE id = '{b_campaign}' RETURNING id"),
                Some(member_of_a),
            )
            .await
            .unwrap();
        assert!(hijack.is_empty(), "RLS let a raw UPDATE through");
        let forced = db
            .admin
            .query_json(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class \
                 WHERE relname IN ('marketing_campaigns', 'marketing_assets', 'organizations', \
                 'users', 'user_organizations', 'api_keys', 'idempotency_keys', 'brand_profiles', \
                 'published_pages', 'landing_page_leads', 'campaign_results', \
                 'campaign_channel_totals') AND relkind = 'r' ORDER BY relname",
                None,
            )
            .await
            .unwrap();
        for row in &forced {
            assert_eq!(row["relrowsecurity"], json!(true), "{row}");
            assert_eq!(row["relforcerowsecurity"], json!(true), "{row}");
        }
        assert_eq!(forced.len(), 12);
        let role = db
            .storage
            .query_json(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            role,
            vec![json!({"rolsuper": false, "rolbypassrls": false})]
        );
        // Raw writes into org B as a member of org A: refused or touching nothing.
        let raw_insert = format!(
            "INSERT INTO marketing_campaigns (id, org_id, campaign_type, objective) \
             VALUES (gen_random_uuid(), '{b}', 'upsell', 'Planted by A') RETURNING id"
        );
        let planted = db.storage.query_json(&raw_insert, Some(member_of_a)).await;
        assert!(
            matches!(&planted, Err(StorageError::NotFound { .. })),
            "RLS let a raw INSERT into another org: {planted:?}"
        );
        // The one-statement create runs under the same policies: acting as A, nothing lands
        // in B, and the principal it set does not outlive its statement.
        let through_function = format!(
            "SELECT id FROM ame_insert_campaign('{a}', gen_random_uuid(), '{b}', 'upsell', \
             'Planted by A', 'draft', '{{}}', now(), now(), NULL, NULL, NULL, '[]', NULL, NULL, \
             'UTC', NULL, NULL, NULL)"
        );
        let planted = db.storage.query_json(&through_function, None).await;
        assert!(
            matches!(&planted, Err(StorageError::NotFound { .. })),
            "the one-statement create let A insert into another org: {planted:?}"
        );
        let own = format!(
            "SELECT id FROM ame_insert_campaign('{a}', gen_random_uuid(), '{a}', 'upsell', \
             'Created by A', 'draft', '{{}}', now(), now(), NULL, NULL, NULL, '[]', NULL, NULL, \
             'UTC', NULL, NULL, NULL)"
        );
        assert_eq!(db.storage.query_json(&own, None).await.unwrap().len(), 1);
        let afterwards = db
            .storage
            .query_json("SELECT id FROM marketing_campaigns", None)
            .await
            .unwrap();
        assert!(
            afterwards.is_empty(),
            "the principal outlived its statement: {afterwards:?}"
        );
        let raw_delete =
            format!("DELETE FROM marketing_campaigns WHERE org_id = '{b}' RETURNING id");
        let removed = db
            .storage
            .query_json(&raw_delete, Some(member_of_a))
            .await
            .unwrap();
        assert!(removed.is_empty(), "RLS let a raw DELETE through");
        // Granting oneself a membership of org B, or deleting org B, is impossible too.
        let self_grant = format!(
            "INSERT INTO user_organizations (user_id, org_id, role) \
             VALUES ('{member_of_a}', '{b}', 'owner') RETURNING user_id"
        );
        let granted = db.storage.query_json(&self_grant, Some(member_of_a)).await;
        assert!(
            matches!(&granted, Err(StorageError::Database(msg)) if msg.contains("permission denied")),
            "self-granted membership: {granted:?}"
        );
        let via_function =
            format!("SELECT ame_set_member('{b}', '{member_of_a}', 'owner', now()) AS allowed");
        let allowed = db
            .storage
            .query_json(&via_function, Some(member_of_a))
            .await
            .unwrap();
        assert_eq!(allowed, vec![json!({"allowed": false})]);
        let drop_b = format!("SELECT ame_delete_organization('{b}') AS deleted");
        let dropped = db
            .storage
            .query_json(&drop_b, Some(member_of_a))
            .await
            .unwrap();
        assert_eq!(dropped, vec![json!({"deleted": false})]);
        let raw_org_delete = format!("DELETE FROM organizations WHERE id = '{b}' RETURNING id");
        let org_deleted = db
            .storage
            .query_json(&raw_org_delete, Some(member_of_a))
            .await;
        assert!(
            matches!(&org_deleted, Err(StorageError::Database(msg)) if msg.contains("permission denied")),
            "raw organization delete: {org_deleted:?}"
        );
        // Creating an organization directly yields a fresh id the caller is not a member of.
        let created = db
            .storage
            .query_json(
                "SELECT ame_create_organization('Squatter', now())::text AS id",
                Some(member_of_a),
            )
            .await
            .unwrap();
        let squatted = created[0]["id"].as_str().unwrap().to_owned();
        assert_ne!(squatted, a.to_string());
        assert_ne!(squatted, member_of_a.to_string());
        let orgs_seen = db
            .storage
            .query_json(
                "SELECT id::text AS id FROM organizations",
                Some(member_of_a),
            )
            .await
            .unwrap();
        assert_eq!(orgs_seen, vec![json!({"id": a.to_string()})]);
        assert_eq!(
            campaigns.get(b, b_campaign).await.unwrap().objective,
            b_before.objective
        );
    }
    // Org B's service principal cannot be made a member of org A (it would carry A's rows
    // into B's transactions).
    let b_principal = UserId::from_uuid(b.as_uuid());
    let joined = db
        .storage
        .organizations()
        .set_member(a, b_principal, MemberRole::Owner)
        .await;
    assert!(
        matches!(joined, Err(StorageError::Invalid(_))),
        "{joined:?}"
    );
    assert_eq!(
        campaigns
            .list(b, CampaignFilter::default(), PageRequest::first())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

async fn acting_users_are_checked_for_membership(db: TestDb) {
    let a = new_org(&db, "Acting A").await;
    let b = new_org(&db, "Acting B").await;
    let a_campaign = new_campaign(&db, a, CampaignType::LeadGen, "Book demos with A's leads").await;
    let b_campaign = new_campaign(&db, b, CampaignType::LeadGen, "Book demos with B's leads").await;
    let (viewer, admin, outsider) = (UserId::new(), UserId::new(), UserId::new());
    let orgs = db.storage.organizations();
    orgs.set_member(a, viewer, MemberRole::Viewer)
        .await
        .unwrap();
    orgs.set_member(a, admin, MemberRole::Admin).await.unwrap();
    orgs.set_member(b, outsider, MemberRole::Owner)
        .await
        .unwrap();

    let as_viewer = db.storage.acting_as(viewer);
    assert_eq!(
        as_viewer.campaigns().get(a, a_campaign).await.unwrap().id,
        a_campaign
    );
    for (who, storage) in [
        ("viewer of A", &as_viewer),
        ("owner of B", &db.storage.acting_as(outsider)),
    ] {
        let org_for_test = if who == "owner of B" { a } else { b };
        let campaign = if who == "owner of B" {
            a_campaign
        } else {
            b_campaign
        };
        let read = storage.campaigns().get(org_for_test, campaign).await;
        assert!(
            matches!(read, Err(StorageError::NotFound { .. })),
            "{who}: {read:?}"
        );
        let listed = storage
            .campaigns()
            .list(
                org_for_test,
                CampaignFilter::default(),
                PageRequest::first(),
            )
            .await;
        assert!(
            matches!(listed, Err(StorageError::NotFound { .. })),
            "{who}: {listed:?}"
        );
    }
    // Managing members needs owner or admin of that organization.
    let denied = as_viewer
        .organizations()
        .set_member(a, UserId::new(), MemberRole::Member)
        .await;
    assert!(
        matches!(denied, Err(StorageError::NotFound { .. })),
        "{denied:?}"
    );
    let newcomer = UserId::new();
    db.storage
        .acting_as(admin)
        .organizations()
        .set_member(a, newcomer, MemberRole::Member)
        .await
        .unwrap();
    assert_eq!(
        orgs.member_role(a, newcomer).await.unwrap(),
        Some(MemberRole::Member)
    );
    // Viewers read but never write.
    let viewer_campaigns = as_viewer.campaigns();
    let valid = NewCampaign::new(CampaignType::Upsell, "Viewer tries to write")
        .validate()
        .unwrap();
    for (what, outcome) in [
        (
            "create",
            viewer_campaigns.create(a, valid).await.map(|_| ()),
        ),
        (
            "status",
            viewer_campaigns
                .change_status(a, a_campaign, CampaignStatus::Active, None)
                .await
                .map(|_| ()),
        ),
        (
            "edit",
            viewer_campaigns
                .update_plan(
                    a,
                    a_campaign,
                    PlanPatch {
                        name: Some(Some("x".into())),
                        ..PlanPatch::default()
                    },
                )
                .await
                .map(|_| ()),
        ),
        ("delete", viewer_campaigns.delete(a, a_campaign).await),
        (
            "assets",
            as_viewer
                .assets()
                .replace_set(
                    a,
                    a_campaign,
                    vec![asset(AssetType::LandingPage, json!({}))],
                )
                .await
                .map(|_| ()),
        ),
    ] {
        assert!(
            matches!(outcome, Err(StorageError::Forbidden(_))),
            "viewer {what}: {outcome:?}"
        );
    }
    assert_eq!(
        as_viewer
            .assets()
            .list_for_campaign(a, a_campaign)
            .await
            .unwrap(),
        vec![]
    );
    let untouched = db.storage.campaigns().get(a, a_campaign).await.unwrap();
    assert_eq!(
        (untouched.status, untouched.plan.name),
        (CampaignStatus::Draft, None)
    );
    // Admins manage members but not ownership; owners may.
    let as_admin = db.storage.acting_as(admin);
    let promote_self = as_admin
        .organizations()
        .set_member(a, admin, MemberRole::Owner)
        .await;
    assert!(
        matches!(promote_self, Err(StorageError::NotFound { .. })),
        "{promote_self:?}"
    );
    let owner = UserId::new();
    orgs.set_member(a, owner, MemberRole::Owner).await.unwrap();
    let demote = as_admin
        .organizations()
        .set_member(a, owner, MemberRole::Viewer)
        .await;
    assert!(
        matches!(demote, Err(StorageError::NotFound { .. })),
        "{demote:?}"
    );
    assert_eq!(
        orgs.member_role(a, owner).await.unwrap(),
        Some(MemberRole::Owner)
    );
    assert_eq!(
        orgs.member_role(a, admin).await.unwrap(),
        Some(MemberRole::Admin)
    );
    db.storage
        .acting_as(owner)
        .organizations()
        .set_member(a, admin, MemberRole::Owner)
        .await
        .unwrap();
    assert_eq!(
        orgs.member_role(a, admin).await.unwrap(),
        Some(MemberRole::Owner)
    );
    orgs.set_member(a, admin, MemberRole::Admin).await.unwrap();
    // The organization's service principal cannot be used as an acting user.
    let as_principal = db.storage.acting_as(UserId::from_uuid(a.as_uuid()));
    let principal_read = as_principal.campaigns().get(a, a_campaign).await;
    assert!(
        matches!(principal_read, Err(StorageError::NotFound { .. })),
        "{principal_read:?}"
    );
    // Deleting an organization needs its owner.

    let not_owner = db.storage.acting_as(admin).organizations().delete(a).await;
    assert!(
        matches!(not_owner, Err(StorageError::NotFound { .. })),
        "{not_owner:?}"
    );
    db.storage
        .acting_as(outsider)
        .organizations()
        .delete(b)
        .await
        .unwrap();
    assert!(matches!(
        orgs.get(b).await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(orgs.get(a).await.unwrap().name, "Acting A");
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

async fn memberships_are_recorded(db: TestDb) {
    let org = new_org(&db, "Members Ltd").await;
    let orgs = db.storage.organizations();
    let user = UserId::new();
    assert_eq!(orgs.member_role(org, user).await.unwrap(), None);
    orgs.set_member(org, user, MemberRole::Viewer)
        .await
        .unwrap();
    assert_eq!(
        orgs.member_role(org, user).await.unwrap(),
        Some(MemberRole::Viewer)
    );
    orgs.set_member(org, user, MemberRole::Admin).await.unwrap();
    assert_eq!(
        orgs.member_role(org, user).await.unwrap(),
        Some(MemberRole::Admin)
    );
    let other = new_org(&db, "Elsewhere Ltd").await;
    assert_eq!(orgs.member_role(other, user).await.unwrap(), None);
    assert!(matches!(
        orgs.set_member(OrgId::new(), user, MemberRole::Member)
            .await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(orgs.create("   ").await.is_err());
    // The service principal (id = org id) is not a member anyone can authenticate as.
    assert_eq!(
        orgs.member_role(org, UserId::from_uuid(org.as_uuid()))
            .await
            .unwrap(),
        None
    );
    // Campaigns cannot be created for an organization that does not exist.
    let valid = NewCampaign::new(CampaignType::LeadGen, "Nobody owns this")
        .validate()
        .unwrap();
    let orphan = db.storage.campaigns().create(OrgId::new(), valid).await;
    assert!(
        matches!(
            orphan,
            Err(StorageError::NotFound {
                entity: "organization"
            })
        ),
        "{orphan:?}"
    );
}

async fn migrations_roll_back_and_reapply(db: TestDb) {
    let applied = db.admin.applied_migrations().await.unwrap();
    assert_eq!(applied.len(), 14, "{applied:?}");
    assert!(
        applied.windows(2).all(|w| w[0] < w[1]),
        "migrations not in order: {applied:?}"
    );
    new_org(&db, "Before rollback").await;
    db.admin.rollback_all().await.unwrap();
    assert!(db.admin.applied_migrations().await.unwrap().is_empty());
    let leftovers = match db.backend() {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'seaql%' AND name NOT LIKE 'sqlite%'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'seaql%'"
        }
    };
    assert_eq!(count(&db, leftovers).await, 0);
    if db.backend() == Backend::Postgres {
        let shim = "SELECT COUNT(*) AS n FROM pg_proc p JOIN pg_namespace s ON s.oid = p.pronamespace \
                    WHERE s.nspname = 'auth' AND p.proname = 'uid'";
        assert_eq!(
            count(&db, shim).await,
            0,
            "the auth.uid() shim survived the rollback"
        );
        let functions = "SELECT COUNT(*) AS n FROM pg_proc WHERE proname LIKE 'ame\\_%'";
        assert_eq!(
            count(&db, functions).await,
            0,
            "ame_* functions survived the rollback"
        );
    }
    db.admin.migrate().await.unwrap();
    if db.backend() == Backend::Postgres {
        db.admin
            .provision_app_role(ame_test_support::APP_ROLE, None)
            .await
            .unwrap();
    }
    let org = new_org(&db, "After reapply").await;
    new_campaign(
        &db,
        org,
        CampaignType::Referral,
        "Works again after reapply",
    )
    .await;
}
