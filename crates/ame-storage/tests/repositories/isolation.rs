//! Tenant isolation: organizations never see or touch each other, acting users are checked
//! for membership and memberships are recorded.

use ame_domain::{
    AssetType, CampaignFilter, CampaignId, CampaignStatus, CampaignType, MemberRole, NewCampaign,
    OrgId, PageRequest, PlanPatch, UserId,
};
use ame_storage::{
    AssetRepository, Backend, CampaignRepository, OrganizationRepository, StorageError,
};
use ame_test_support::{TestDb, backend_tests};
use serde_json::json;

use crate::support::*;

backend_tests!(
    tenants_never_see_or_touch_each_other,
    acting_users_are_checked_for_membership,
    memberships_are_recorded,
);

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
                 'campaign_channel_totals', 'audience_score_sets', 'audience_scores', \
                 'tracking_requests', 'erased_addresses', 'opt_in_requests', 'consent_events') \
                 AND relkind = 'r' ORDER BY relname",
                None,
            )
            .await
            .unwrap();
        for row in &forced {
            assert_eq!(row["relrowsecurity"], json!(true), "{row}");
            assert_eq!(row["relforcerowsecurity"], json!(true), "{row}");
        }
        assert_eq!(forced.len(), 18);
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
