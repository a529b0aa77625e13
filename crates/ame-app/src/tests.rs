//! The orchestration rules of the use cases, against mockall mocks of the repositories and fakes
//! of blob storage, the text model and speech: no database, no subprocess, no network.

use crate::*;
use ame_domain::{
    ApiKeyId, Asset, AssetId, AssetType, Brand, BrandProfile, Campaign, CampaignType, MemberRole,
    NewAsset, OrgId,
};
use ame_generation::copy::CopySpec;
use ame_generation::speech::{Speech, SpeechError, SpeechSynthesizer};
use ame_generation::text_model::{TextModelError, Written};
use ame_generation::{Brief, BuiltInModel, Generator, TextModel};
use ame_storage::{
    BlobError, BlobStore, BlobStream, IdempotencyClaim, KeyPrincipal, MockApiKeyRepository,
    MockAssetRepository, MockBrandRepository, MockCampaignRepository, MockIdempotencyRepository,
    MockLeadRepository, MockOrganizationRepository, MockPublicPageRepository, MockResultRepository,
    PageToPublish, StorageError, StorageResult,
};
use async_trait::async_trait;
use bytes::Bytes;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One mock per repository; a mock without expectations fails the test when called.
#[derive(Default)]
struct Mocks {
    organizations: MockOrganizationRepository,
    campaigns: MockCampaignRepository,
    assets: MockAssetRepository,
    brands: MockBrandRepository,
    results: MockResultRepository,
    leads: MockLeadRepository,
    public_pages: MockPublicPageRepository,
    api_keys: MockApiKeyRepository,
    idempotency: MockIdempotencyRepository,
}

/// Serves the same mocks to every caller.
#[derive(Debug)]
struct MockSource(Repositories);

#[async_trait]
impl RepositorySource for MockSource {
    async fn ping(&self) -> StorageResult<()> {
        Ok(())
    }

    fn service(&self) -> Repositories {
        self.0.clone()
    }

    fn acting_as(&self, _: ame_domain::UserId) -> Repositories {
        self.0.clone()
    }
}

impl Mocks {
    fn engine(self) -> Engine {
        Engine::with_repositories(Arc::new(MockSource(Repositories {
            organizations: Arc::new(self.organizations),
            campaigns: Arc::new(self.campaigns),
            assets: Arc::new(self.assets),
            brands: Arc::new(self.brands),
            results: Arc::new(self.results),
            leads: Arc::new(self.leads),
            public_pages: Arc::new(self.public_pages),
            api_keys: Arc::new(self.api_keys),
            idempotency: Arc::new(self.idempotency),
        })))
        .with_generator(Generator::new(
            Arc::new(FakeModel::default()),
            Arc::new(SilentSpeech),
        ))
    }
}

/// Blob storage in a map, readable without awaiting (so a mock can check it mid-call).
#[derive(Debug, Default)]
struct FakeBlobs(Mutex<HashMap<String, Bytes>>);

impl FakeBlobs {
    fn contains(&self, key: &str) -> bool {
        self.0.lock().unwrap().contains_key(key)
    }
}

#[async_trait]
impl BlobStore for FakeBlobs {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.0.lock().unwrap().insert(key.to_owned(), bytes);
        Ok(())
    }

    async fn open(&self, key: &str) -> Result<Option<(u64, BlobStream)>, BlobError> {
        let Some(bytes) = self.0.lock().unwrap().get(key).cloned() else {
            return Ok(None);
        };
        let size = bytes.len() as u64;
        let stream: BlobStream = Box::pin(futures::stream::once(async move { Ok(bytes) }));
        Ok(Some((size, stream)))
    }

    fn uri(&self, key: &str) -> String {
        format!("memory:///{key}")
    }
}

/// The built-in copywriter, claiming to be a remote model that may take `longest` per set.
#[derive(Debug, Default)]
struct FakeModel {
    longest: Duration,
    writes: AtomicUsize,
}

#[async_trait]
impl TextModel for FakeModel {
    fn provider(&self) -> &str {
        "fake"
    }

    fn model(&self) -> &str {
        "fake-1"
    }

    async fn write(&self, brief: &Brief, spec: &CopySpec) -> Result<Written, TextModelError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(BuiltInModel.write_now(brief, spec))
    }

    fn longest(&self, writes: usize) -> Duration {
        self.longest * u32::try_from(writes).unwrap()
    }
}

/// Speech that returns a fixed WAV without running a program.
#[derive(Debug)]
struct SilentSpeech;

#[async_trait]
impl SpeechSynthesizer for SilentSpeech {
    fn provider(&self) -> &str {
        "silent"
    }

    fn voice(&self) -> &str {
        "none"
    }

    async fn synthesize(&self, _: &str) -> Result<Speech, SpeechError> {
        Ok(Speech {
            wav: b"RIFF\x24\0\0\0WAVEfmt ".to_vec(),
            duration_ms: 1000,
            sample_rate: 22050,
            channels: 1,
            voice: "none".to_owned(),
        })
    }
}

fn caller(role: MemberRole) -> Caller {
    Caller {
        org: OrgId::new(),
        role,
        actor: Actor::ApiKey(ApiKeyId::new()),
    }
}

fn campaign(campaign_type: CampaignType, org: OrgId) -> Campaign {
    let mut c = ame_generation::samples::campaign(campaign_type);
    c.org_id = org;
    c
}

fn stored(org: OrgId, campaign: &Campaign, assets: Vec<NewAsset>) -> Vec<Asset> {
    assets
        .into_iter()
        .map(|a| Asset {
            id: AssetId::new(),
            org_id: org,
            campaign_id: campaign.id,
            asset_type: a.asset_type,
            version: 1,
            current: true,
            content: a.content,
            metadata: a.metadata,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        })
        .collect()
}

/// Mocks for generating `campaign`'s assets with `brand`; `check` sees what is stored.
fn generation_mocks(
    caller: &Caller,
    campaign: &Campaign,
    brand: Option<Brand>,
    check: impl Fn(&[NewAsset], &Option<PageToPublish>) + Send + 'static,
) -> Mocks {
    let mut mocks = Mocks::default();
    let found = campaign.clone();
    mocks
        .campaigns
        .expect_get()
        .returning(move |_, _| Ok(found.clone()));
    let org = caller.org;
    mocks.brands.expect_get().returning(move |_| {
        Ok(brand.clone().map(|brand| BrandProfile {
            org_id: org,
            brand,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }))
    });
    let target = campaign.clone();
    mocks
        .assets
        .expect_replace_set_publishing()
        .times(1)
        .returning(move |org, _, assets, page| {
            check(&assets, &page);
            Ok(stored(org, &target, assets))
        });
    mocks
}

#[tokio::test]
async fn rendered_files_are_in_blob_storage_before_the_rows_that_list_them() {
    let caller = caller(MemberRole::Member);
    let campaign = campaign(CampaignType::Upsell, caller.org);
    let blobs = Arc::new(FakeBlobs::default());
    let seen = blobs.clone();
    let checked = Arc::new(AtomicUsize::new(0));
    let count = checked.clone();
    let mocks = generation_mocks(&caller, &campaign, None, move |assets, _| {
        for asset in assets {
            for file in asset.metadata["files"].as_array().unwrap() {
                let key = file["key"].as_str().unwrap();
                assert!(seen.contains(key), "{key} was not stored before its row");
                count.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let engine = mocks.engine().with_blobs(blobs);
    let assets = engine
        .generate_assets(&caller, campaign.id, Some(7))
        .await
        .unwrap();
    assert!(checked.load(Ordering::SeqCst) >= 2, "no files were listed");
    let files = assets[1].files();
    assert_eq!(assets[1].asset_type, AssetType::LandingPage);
    let page = files.iter().find(|f| f.name == "index.html").unwrap();
    assert_eq!(page.key, format!("{}/{}", caller.org, page.sha256));
    assert_eq!(page.uri, format!("memory:///{}", page.key));
}

#[tokio::test]
async fn a_placeholder_brand_page_is_not_published_and_a_real_one_is() {
    let caller = caller(MemberRole::Member);
    let campaign = campaign(CampaignType::Upsell, caller.org);
    let mocks = generation_mocks(&caller, &campaign, None, |_, page| {
        assert_eq!(*page, None, "a page with placeholder details was published");
    });
    mocks
        .engine()
        .generate_assets(&caller, campaign.id, None)
        .await
        .unwrap();

    let org = caller.org;
    let mocks = generation_mocks(
        &caller,
        &campaign,
        Some(ame_generation::samples::brand()),
        move |assets, page| {
            let page = page.as_ref().expect("the landing page was not published");
            assert_eq!(assets[page.asset_index].asset_type, AssetType::LandingPage);
            assert!(page.file_key.starts_with(&format!("{org}/")));
            assert!(!page.slug.is_empty());
        },
    );
    mocks
        .engine()
        .generate_assets(&caller, campaign.id, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_viewer_changes_nothing_and_no_repository_is_asked() {
    let engine = Mocks::default().engine();
    let viewer = caller(MemberRole::Viewer);
    let id = ame_domain::CampaignId::new();
    let refused = [
        engine.generate_assets(&viewer, id, None).await.unwrap_err(),
        engine.delete_campaign(&viewer, id).await.unwrap_err(),
        engine
            .record_results(&viewer, id, Vec::new())
            .await
            .unwrap_err(),
        engine.api_keys(&viewer).await.unwrap_err(),
    ];
    for error in refused {
        assert!(matches!(error, AppError::Forbidden(_)), "{error:?}");
    }
}

#[tokio::test]
async fn the_idempotency_lease_covers_every_retry_of_the_slowest_generation() {
    let engine = Mocks::default().engine();
    assert_eq!(engine.idempotency_lease(), DEFAULT_IDEMPOTENCY_LEASE);

    let slow = FakeModel {
        longest: Duration::from_secs(300),
        ..FakeModel::default()
    };
    let mut mocks = Mocks::default();
    let lease = Arc::new(Mutex::new(None));
    let claimed = lease.clone();
    mocks
        .idempotency
        .expect_claim()
        .times(1)
        .returning(move |_, _, _, lease| {
            *claimed.lock().unwrap() = Some(lease);
            Ok(IdempotencyClaim::InProgress)
        });
    let engine = mocks
        .engine()
        .with_generator(Generator::new(Arc::new(slow), Arc::new(SilentSpeech)));
    // The largest asset set has three assets: 3 × 300 s of writing, plus time to render.
    assert!(engine.idempotency_lease() >= Duration::from_secs(900));
    let request = IdempotentRequest {
        key: "k".into(),
        fingerprint: "f".into(),
    };
    let outcome = engine
        .run_idempotent(&caller(MemberRole::Member), Some(&request), |_| async {
            Ok::<_, AppError>(StoredReply {
                status: 201,
                body: "{}".into(),
            })
        })
        .await;
    assert_eq!(outcome, Err(AppError::IdempotencyInProgress));
    assert_eq!(*lease.lock().unwrap(), Some(engine.idempotency_lease()));
}

#[tokio::test]
async fn an_idempotent_failure_of_ours_frees_the_key_and_a_reply_is_stored() {
    let request = IdempotentRequest {
        key: "k".into(),
        fingerprint: "f".into(),
    };
    let reserved = uuid::Uuid::now_v7();
    let mut mocks = Mocks::default();
    mocks
        .idempotency
        .expect_claim()
        .times(2)
        .returning(move |_, _, _, _| {
            Ok(IdempotencyClaim::Acquired {
                resource_id: reserved,
            })
        });
    mocks
        .idempotency
        .expect_release()
        .times(1)
        .returning(|_, _| Ok(()));
    mocks
        .idempotency
        .expect_complete()
        .withf(|_, key, status, body| key == "k" && *status == 422 && body == "refused")
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let engine = mocks.engine();
    let caller = caller(MemberRole::Member);
    let failed = engine
        .run_idempotent(&caller, Some(&request), |id| async move {
            assert_eq!(id, Some(reserved));
            Err::<StoredReply, _>(AppError::internal("disk full"))
        })
        .await;
    assert!(matches!(failed, Err(AppError::Internal(_))));
    let refused = engine
        .run_idempotent(&caller, Some(&request), |_| async {
            Ok::<_, AppError>(StoredReply {
                status: 422,
                body: "refused".into(),
            })
        })
        .await
        .unwrap();
    assert!(matches!(refused, Idempotent::Fresh(r) if r.status == 422));
}

#[tokio::test]
async fn a_replayed_creation_whose_campaign_was_deleted_is_refused() {
    let gone = ame_domain::CampaignId::new();
    let mut mocks = Mocks::default();
    mocks
        .idempotency
        .expect_claim()
        .returning(move |_, _, _, _| {
            Ok(IdempotencyClaim::Completed {
                status: 201,
                body: format!(r#"{{"id":"{gone}"}}"#),
            })
        });
    mocks
        .campaigns
        .expect_get()
        .withf(move |_, id| *id == gone)
        .returning(|_, _| Err(StorageError::NotFound { entity: "campaign" }));
    let request = IdempotentRequest {
        key: "k".into(),
        fingerprint: "f".into(),
    };
    let outcome = mocks
        .engine()
        .run_idempotent(&caller(MemberRole::Member), Some(&request), |_| async {
            panic!("a completed request ran again")
        })
        .await;
    assert_eq!(
        outcome,
        Err::<Idempotent, _>(AppError::IdempotencyResourceDeleted)
    );
}

#[tokio::test]
async fn a_retried_creation_returns_the_campaign_its_first_attempt_stored() {
    let caller = caller(MemberRole::Member);
    let existing = campaign(CampaignType::LeadGen, caller.org);
    let mut mocks = Mocks::default();
    mocks
        .campaigns
        .expect_create_with_id()
        .times(1)
        .returning(|_, _, _| Err(StorageError::Conflict("id taken".into())));
    let found = existing.clone();
    mocks
        .campaigns
        .expect_get()
        .times(1)
        .returning(move |_, _| Ok(found.clone()));
    let engine = mocks.engine();
    let valid = engine
        .check_new_campaign(
            &caller,
            ame_domain::NewCampaign {
                campaign_type: CampaignType::LeadGen,
                objective: "Book 40 demos with finance teams".into(),
                name: None,
                planned_reach: None,
                budget: None,
                channels: Vec::new(),
                start_at: None,
                end_at: None,
                timezone: None,
            },
        )
        .unwrap();
    let created = engine
        .create_campaign(&caller, valid, Some(existing.id))
        .await
        .unwrap();
    assert_eq!(created, existing);
}

#[tokio::test]
async fn the_prediction_history_is_refitted_only_when_its_revision_changes() {
    let caller = caller(MemberRole::Viewer);
    let mut target = campaign(CampaignType::LeadGen, caller.org);
    target.plan.planned_reach = Some(10_000);
    let mut mocks = Mocks::default();
    mocks
        .campaigns
        .expect_get()
        .returning(move |_, _| Ok(target.clone()));
    let revisions = Arc::new(Mutex::new(vec![(2, 1), (1, 0), (1, 0)]));
    mocks
        .results
        .expect_history_revision()
        .times(3)
        .returning(move |_| Ok(revisions.lock().unwrap().pop().unwrap()));
    mocks
        .results
        .expect_history()
        .times(2)
        .returning(|_, _| Ok(Vec::new()));
    let engine = mocks.engine();
    let id = ame_domain::CampaignId::new();
    let first = engine
        .predict(&caller, id, Some(1), Some(200))
        .await
        .unwrap();
    let again = engine
        .predict(&caller, id, Some(1), Some(200))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert!(first.cold_start);
    engine
        .predict(&caller, id, Some(1), Some(200))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_prediction_without_reach_says_what_is_missing() {
    let caller = caller(MemberRole::Viewer);
    let mut target = campaign(CampaignType::LeadGen, caller.org);
    target.plan.planned_reach = None;
    target.plan.budget = None;
    let mut mocks = Mocks::default();
    mocks
        .campaigns
        .expect_get()
        .returning(move |_, _| Ok(target.clone()));
    mocks
        .results
        .expect_history_revision()
        .returning(|_| Ok((0, 0)));
    mocks
        .results
        .expect_history()
        .returning(|_, _| Ok(Vec::new()));
    let error = mocks
        .engine()
        .predict(&caller, ame_domain::CampaignId::new(), None, None)
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::ReachUnknown(ref d) if d.contains("planned_reach")));
}

#[tokio::test]
async fn a_resolved_key_is_trusted_until_its_time_to_live_passes_on_the_clock() {
    let principal = KeyPrincipal {
        key_id: ApiKeyId::new(),
        org: OrgId::new(),
        role: MemberRole::Admin,
    };
    let mut mocks = Mocks::default();
    mocks
        .api_keys
        .expect_authenticate()
        .times(2)
        .returning(move |_| Ok(Some(principal)));
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let engine = mocks.engine().with_clock(clock.clone());
    for _ in 0..3 {
        let caller = engine
            .authenticate_key("ame_secret")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((caller.org, caller.role), (principal.org, principal.role));
    }
    clock.advance(DEFAULT_KEY_CACHE_TTL);
    engine
        .authenticate_key("ame_secret")
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn keys_cannot_revoke_themselves_and_admins_cannot_revoke_owner_keys() {
    let admin = caller(MemberRole::Admin);
    let Actor::ApiKey(own) = admin.actor else {
        unreachable!()
    };
    let owner_key = ApiKeyId::new();
    let mut mocks = Mocks::default();
    let org = admin.org;
    mocks.api_keys.expect_list().returning(move |_| {
        Ok(vec![ame_domain::ApiKey {
            id: owner_key,
            org_id: org,
            name: "root".into(),
            role: MemberRole::Owner,
            display_prefix: "ame_abc".into(),
            created_at: Utc::now(),
            revoked_at: None,
        }])
    });
    let engine = mocks.engine();
    assert_eq!(
        engine.revoke_key(&admin, own).await.unwrap_err(),
        AppError::CannotRevokeOwnKey
    );
    assert!(matches!(
        engine.revoke_key(&admin, owner_key).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
    assert!(matches!(
        engine
            .issue_key(&admin, "new", MemberRole::Owner)
            .await
            .unwrap_err(),
        AppError::Forbidden(_)
    ));
}

#[tokio::test]
async fn a_missing_brand_is_reported_as_not_set() {
    let mut mocks = Mocks::default();
    mocks.brands.expect_get().returning(|_| Ok(None));
    let error = mocks
        .engine()
        .brand(&caller(MemberRole::Viewer))
        .await
        .unwrap_err();
    assert_eq!(error, AppError::BrandNotSet);
}

#[tokio::test]
async fn a_file_the_asset_does_not_list_names_the_ones_it_does() {
    let caller = caller(MemberRole::Viewer);
    let campaign = campaign(CampaignType::Upsell, caller.org);
    let mut asset = stored(
        caller.org,
        &campaign,
        vec![NewAsset {
            asset_type: AssetType::LandingPage,
            content: serde_json::json!({}),
            metadata: serde_json::json!({"files": [{
                "name": "index.html", "media_type": "text/html; charset=utf-8", "size": 3,
                "sha256": "abc", "key": "org/abc", "uri": "memory:///org/abc"
            }]}),
        }],
    );
    let asset = asset.remove(0);
    let mut mocks = Mocks::default();
    mocks
        .assets
        .expect_get()
        .returning(move |_, _| Ok(asset.clone()));
    let engine = mocks.engine().with_blobs(Arc::new(FakeBlobs::default()));
    let missing = engine
        .open_asset_file(&caller, AssetId::new(), "other.html")
        .await
        .unwrap_err();
    assert_eq!(
        missing,
        AppError::NoSuchFile {
            name: "other.html".into(),
            allowed: vec!["index.html".into()],
        }
    );
    let gone = engine
        .open_asset_file(&caller, AssetId::new(), "index.html")
        .await
        .unwrap_err();
    assert_eq!(gone, AppError::FileMissing);
}
