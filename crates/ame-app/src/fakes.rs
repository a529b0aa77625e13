//! What the unit tests of the use cases run against: mockall mocks of the repositories and fakes
//! of blob storage, the text model and speech (no database, no subprocess, no network).

pub(crate) use crate::*;
pub(crate) use ame_domain::{
    ApiKeyId, Asset, AssetId, Brand, BrandProfile, Campaign, CampaignType, MemberRole, NewAsset,
    OrgId,
};
pub(crate) use ame_generation::copy::CopySpec;
pub(crate) use ame_generation::speech::{Speech, SpeechError, SpeechSynthesizer};
pub(crate) use ame_generation::text_model::{TextModelError, Written};
pub(crate) use ame_generation::{Brief, BuiltInModel, Generator, TextModel};
pub(crate) use ame_storage::{
    BlobError, BlobStore, BlobStream, KeyPrincipal, MockApiKeyRepository, MockAssetRepository,
    MockAuditRepository, MockBrandRepository, MockCampaignRepository, MockIdempotencyRepository,
    MockLeadRepository, MockOrganizationRepository, MockPublicPageRepository, MockResultRepository,
    StorageResult,
};
pub(crate) use async_trait::async_trait;
pub(crate) use bytes::Bytes;
pub(crate) use chrono::Utc;
pub(crate) use std::collections::HashMap;
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
pub(crate) use std::sync::{Arc, Mutex};
pub(crate) use std::time::Duration;

/// One mock per repository; a mock without expectations fails the test when called.
#[derive(Default)]
pub(crate) struct Mocks {
    pub(crate) organizations: MockOrganizationRepository,
    pub(crate) campaigns: MockCampaignRepository,
    pub(crate) assets: MockAssetRepository,
    pub(crate) brands: MockBrandRepository,
    pub(crate) results: MockResultRepository,
    pub(crate) leads: MockLeadRepository,
    pub(crate) public_pages: MockPublicPageRepository,
    pub(crate) api_keys: MockApiKeyRepository,
    pub(crate) idempotency: MockIdempotencyRepository,
    pub(crate) audit: MockAuditRepository,
    pub(crate) contacts: ame_storage::MockContactRepository,
    pub(crate) jobs: ame_storage::MockJobQueue,
    pub(crate) execution: ame_storage::MockExecutionRepository,
    pub(crate) optimisation: ame_storage::MockOptimisationRepository,
    pub(crate) scores: ame_storage::MockAudienceScoreRepository,
    pub(crate) accounts: ame_storage::MockAccountRepository,
}

/// Serves the same mocks to every caller.
#[derive(Debug)]
pub(crate) struct MockSource(Repositories);

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
    pub(crate) fn engine(self) -> Engine {
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
            audit: Arc::new(self.audit),
            contacts: Arc::new(self.contacts),
            jobs: Arc::new(self.jobs),
            execution: Arc::new(self.execution),
            optimisation: Arc::new(self.optimisation),
            scores: Arc::new(self.scores),
            accounts: Arc::new(self.accounts),
        })))
        .with_generator(Generator::new(
            Arc::new(FakeModel::default()),
            Arc::new(SilentSpeech),
        ))
    }
}

/// Blob storage in a map, readable without awaiting (so a mock can check it mid-call).
#[derive(Debug, Default)]
pub(crate) struct FakeBlobs(Mutex<HashMap<String, (Bytes, chrono::DateTime<Utc>)>>);

impl FakeBlobs {
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.0.lock().unwrap().contains_key(key)
    }

    /// Stores `bytes` as if written at `at`.
    pub(crate) fn put_at(&self, key: &str, bytes: &'static [u8], at: chrono::DateTime<Utc>) {
        self.0
            .lock()
            .unwrap()
            .insert(key.to_owned(), (Bytes::from_static(bytes), at));
    }
}

#[async_trait]
impl BlobStore for FakeBlobs {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.0
            .lock()
            .unwrap()
            .insert(key.to_owned(), (bytes, Utc::now()));
        Ok(())
    }

    async fn list(&self) -> Result<Vec<ame_storage::StoredBlob>, BlobError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(key, (bytes, at))| ame_storage::StoredBlob {
                key: key.clone(),
                modified: *at,
                size: bytes.len() as u64,
            })
            .collect())
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.0.lock().unwrap().remove(key);
        Ok(())
    }

    async fn open(&self, key: &str) -> Result<Option<(u64, BlobStream)>, BlobError> {
        let Some((bytes, _)) = self.0.lock().unwrap().get(key).cloned() else {
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
pub(crate) struct FakeModel {
    pub(crate) longest: Duration,
    pub(crate) writes: AtomicUsize,
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
pub(crate) struct SilentSpeech;

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

pub(crate) fn caller(role: MemberRole) -> Caller {
    Caller {
        org: OrgId::new(),
        role,
        actor: Actor::ApiKey(ApiKeyId::new()),
    }
}

pub(crate) fn campaign(campaign_type: CampaignType, org: OrgId) -> Campaign {
    let mut c = ame_generation::samples::campaign(campaign_type);
    c.org_id = org;
    c
}

pub(crate) fn stored(org: OrgId, campaign: &Campaign, assets: Vec<NewAsset>) -> Vec<Asset> {
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
