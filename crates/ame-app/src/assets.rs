//! Asset sets: generating a campaign's set (words, rendered files, the published landing page)
//! and reading sets, versions, files and the leads their pages collect.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult, within};
use crate::retry::read_twice;
use ame_domain::{
    Asset, AssetFile, AssetId, AssetSetVersion, AssetType, CampaignId, CampaignStatus, Lead,
    NewAsset,
};
use ame_generation::{Brief, GeneratedAsset};
use ame_storage::{BlobStore, BlobStream, PageToPublish, blob_key};
use bytes::Bytes;

/// The longest a generation may take from writing its first file to storing its set; past it,
/// the generation fails and its files are left unreferenced for the sweep (`ame gc`), which never
/// removes a file younger than this.
pub const GENERATION_STORE_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// Largest accepted generation seed: the largest integer JSON numbers carry exactly.
pub const MAX_SEED: u64 = 9_007_199_254_740_991;

/// The seed used when a request names none: derived from the campaign id, so regenerating a
/// campaign without a seed gives the same words (and predicting it the same draws).
pub fn default_seed(id: CampaignId) -> u64 {
    let uuid = id.as_uuid();
    let bytes = uuid.as_bytes();
    let mut last = [0u8; 8];
    last.copy_from_slice(&bytes[8..]);
    u64::from_le_bytes(last) & MAX_SEED
}

/// The fewest and most leads one read may ask for.
pub const LEADS_LIMIT_RANGE: (u64, u64) = (1, 500);
/// How many leads a read returns when it names no limit.
pub const DEFAULT_LEADS_LIMIT: u64 = 100;

/// A stored file opened for reading.
pub struct OpenedFile {
    /// Media type to serve it as.
    pub media_type: String,
    /// Hex SHA-256 of its bytes (it is stored under that content address).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Its bytes.
    pub stream: BlobStream,
}

impl std::fmt::Debug for OpenedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedFile")
            .field("media_type", &self.media_type)
            .field("sha256", &self.sha256)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Generates every asset the campaign's type calls for as its new current set: words from
    /// the text model, files rendered and written to blob storage first, then the set stored
    /// (and, once the organization has a real brand, its landing page published) in one
    /// transaction. `seed` defaults to [`default_seed`]. An archived campaign gets no new set
    /// (`CampaignArchived`), so nothing republishes its page.
    ///
    /// With `reserved` (the id an idempotent request reserved), the set's first asset takes that
    /// id: when an earlier attempt already committed it, that set is returned as it is, so a
    /// retry after a crash never makes a second version.
    pub async fn generate_assets(
        &self,
        caller: &Caller,
        id: CampaignId,
        seed: Option<u64>,
        reserved: Option<AssetId>,
    ) -> AppResult<Vec<Asset>> {
        caller.require_write()?;
        let repos = self.repos(caller);
        if let Some(reserved) = reserved {
            match repos.assets.get(caller.org, reserved).await {
                Ok(asset) if asset.campaign_id == id => {
                    return Ok(repos
                        .assets
                        .list_version(caller.org, id, asset.version)
                        .await?);
                }
                Ok(_) | Err(ame_storage::StorageError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let campaign = repos.campaigns.get(caller.org, id).await?;
        if campaign.status == CampaignStatus::Archived {
            return Err(AppError::CampaignArchived);
        }
        let profile = repos.brands.get(caller.org).await?;
        let logo = self
            .logo_for_generation(profile.as_ref().and_then(|p| p.logo.as_ref()))
            .await;
        let brand = profile.map(|p| p.brand);
        // A published page keeps its address across renames: links already sent keep working.
        let published = repos.assets.published_page(caller.org, id).await?;
        let brief = Brief::new(campaign, brand, seed.unwrap_or_else(|| default_seed(id)))
            .with_published_slug(published.map(|p| p.slug))
            .with_logo(logo);
        let generated = self.generator().generate(&brief).await;
        // From the first file written to the set stored: bounded, so the blob sweep knows how
        // young an unreferenced file may still be about to be named by a set.
        let store = async {
            let mut assets = Vec::with_capacity(generated.len());
            let mut page = None;
            for (index, asset) in generated.into_iter().enumerate() {
                let (asset, files) = store_files(self.blobs().as_ref(), caller, asset).await?;
                if asset.asset_type == AssetType::LandingPage && !brief.brand_is_placeholder {
                    page = files
                        .iter()
                        .find(|f| f.name == "index.html")
                        .map(|f| PageToPublish {
                            asset_index: index,
                            slug: brief.page_slug(),
                            file_key: f.key.clone(),
                        });
                }
                assets.push(asset);
            }
            Ok::<_, AppError>(
                repos
                    .assets
                    .replace_set_publishing(caller.org, id, reserved, assets, page)
                    .await?,
            )
        };
        tokio::time::timeout(GENERATION_STORE_WINDOW, store)
            .await
            .map_err(|_| {
                AppError::Internal(format!(
                    "storing a generated set took longer than {} s; nothing was stored",
                    GENERATION_STORE_WINDOW.as_secs()
                ))
            })?
    }

    /// The campaign's current asset set, or version `version` of it.
    pub async fn campaign_assets(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        version: Option<i32>,
    ) -> AppResult<Vec<Asset>> {
        let assets = self.repos(caller).assets;
        Ok(match version {
            Some(v) => read_twice(|| assets.list_version(caller.org, campaign, v)).await?,
            None => read_twice(|| assets.list_for_campaign(caller.org, campaign)).await?,
        })
    }

    /// One asset.
    pub async fn asset(&self, caller: &Caller, id: AssetId) -> AppResult<Asset> {
        let assets = self.repos(caller).assets;
        Ok(read_twice(|| assets.get(caller.org, id)).await?)
    }

    /// Every version of the campaign's asset set, newest first.
    pub async fn asset_versions(
        &self,
        caller: &Caller,
        campaign: CampaignId,
    ) -> AppResult<Vec<AssetSetVersion>> {
        Ok(self
            .repos(caller)
            .assets
            .versions(caller.org, campaign)
            .await?)
    }

    /// Opens the rendered file `name` of an asset.
    pub async fn open_asset_file(
        &self,
        caller: &Caller,
        id: AssetId,
        name: &str,
    ) -> AppResult<OpenedFile> {
        let asset = self.asset(caller, id).await?;
        let files = asset.files();
        let Some(file) = files.iter().find(|f| f.name == name) else {
            return Err(AppError::NoSuchFile {
                name: name.to_owned(),
                allowed: files.into_iter().map(|f| f.name).collect(),
            });
        };
        self.open_blob(&file.key, &file.media_type).await
    }

    /// The campaign's newest leads, at most `limit` (default [`DEFAULT_LEADS_LIMIT`], within
    /// [`LEADS_LIMIT_RANGE`]).
    pub async fn leads(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        limit: Option<u64>,
    ) -> AppResult<Vec<Lead>> {
        let limit = within("limit", limit, LEADS_LIMIT_RANGE)?.unwrap_or(DEFAULT_LEADS_LIMIT);
        Ok(self
            .repos(caller)
            .leads
            .list(caller.org, campaign, limit)
            .await?)
    }

    /// Opens the blob under `key` (content-addressed: the last path segment is its SHA-256).
    pub(crate) async fn open_blob(&self, key: &str, media_type: &str) -> AppResult<OpenedFile> {
        let (size, stream) = self.blobs().open(key).await?.ok_or(AppError::FileMissing)?;
        Ok(OpenedFile {
            media_type: media_type.to_owned(),
            sha256: key.rsplit('/').next().unwrap_or_default().to_owned(),
            size,
            stream,
        })
    }
}

/// Writes a generated asset's rendered files to blob storage (before any row refers to them)
/// and lists them in its metadata.
async fn store_files(
    blobs: &dyn BlobStore,
    caller: &Caller,
    mut generated: GeneratedAsset,
) -> AppResult<(NewAsset, Vec<AssetFile>)> {
    let mut files = Vec::with_capacity(generated.files.len());
    for rendition in std::mem::take(&mut generated.files) {
        let key = blob_key(&caller.org.to_string(), &rendition.sha256);
        let file = AssetFile {
            name: rendition.name,
            media_type: rendition.media_type.to_owned(),
            size: rendition.size as u64,
            sha256: rendition.sha256,
            width: rendition.width,
            height: rendition.height,
            duration_ms: rendition.duration_ms,
            uri: blobs.uri(&key),
            key,
        };
        blobs.put(&file.key, Bytes::from(rendition.bytes)).await?;
        files.push(file);
    }
    generated.metadata["files"] = serde_json::to_value(&files).map_err(AppError::internal)?;
    let asset = NewAsset {
        asset_type: generated.asset_type,
        content: generated.content,
        metadata: generated.metadata,
    };
    Ok((asset, files))
}

#[cfg(test)]
mod tests {
    use crate::fakes::*;
    use ame_domain::AssetType;
    use ame_storage::PageToPublish;

    /// Mocks for generating `campaign`'s assets with `brand`; `check` sees what is stored.
    fn generation_mocks(
        caller: &Caller,
        campaign: &Campaign,
        brand: Option<Brand>,
        published_slug: Option<&'static str>,
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
                logo: None,
            }))
        });
        let (org, campaign_id) = (caller.org, campaign.id);
        mocks.assets.expect_published_page().returning(move |_, _| {
            Ok(published_slug.map(|slug| ame_storage::PublishedPage {
                slug: slug.into(),
                org,
                campaign: campaign_id,
                asset: AssetId::new(),
                file_key: format!("{org}/old"),
            }))
        });
        let target = campaign.clone();
        mocks
            .assets
            .expect_replace_set_publishing()
            .times(1)
            .returning(move |org, _, _, assets, page| {
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
        let mocks = generation_mocks(&caller, &campaign, None, None, move |assets, _| {
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
            .generate_assets(&caller, campaign.id, Some(7), None)
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
        let mocks = generation_mocks(&caller, &campaign, None, None, |_, page| {
            assert_eq!(*page, None, "a page with placeholder details was published");
        });
        mocks
            .engine()
            .generate_assets(&caller, campaign.id, None, None)
            .await
            .unwrap();

        let org = caller.org;
        let mocks = generation_mocks(
            &caller,
            &campaign,
            Some(ame_generation::samples::brand()),
            None,
            move |assets, page| {
                let page = page.as_ref().expect("the landing page was not published");
                assert_eq!(assets[page.asset_index].asset_type, AssetType::LandingPage);
                assert!(page.file_key.starts_with(&format!("{org}/")));
                assert!(!page.slug.is_empty());
            },
        );
        mocks
            .engine()
            .generate_assets(&caller, campaign.id, None, None)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_published_page_keeps_its_slug_when_the_campaign_is_renamed_and_regenerated() {
        let caller = caller(MemberRole::Member);
        let mut renamed = campaign(CampaignType::LeadGen, caller.org);
        renamed.plan.name = Some("A brand new name".into());
        let mocks = generation_mocks(
            &caller,
            &renamed,
            Some(ame_generation::samples::brand()),
            Some("spring-launch-0a1b2c3d"),
            |assets, page| {
                let page = page.as_ref().expect("the landing page was not published");
                assert_eq!(page.slug, "spring-launch-0a1b2c3d");
                let html = assets[page.asset_index].content.to_string();
                assert!(html.contains("spring-launch-0a1b2c3d"), "{html}");
            },
        );
        mocks
            .engine()
            .generate_assets(&caller, renamed.id, None, None)
            .await
            .unwrap();
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

    #[tokio::test]
    async fn leads_are_read_in_the_callers_organization_up_to_the_limit() {
        let caller = caller(MemberRole::Viewer);
        let org = caller.org;
        let campaign = ame_domain::CampaignId::new();
        let mut mocks = Mocks::default();
        mocks
            .leads
            .expect_list()
            .withf(move |o, c, limit| *o == org && *c == campaign && *limit == 25)
            .times(1)
            .returning(|_, _, _| Ok(Vec::new()));
        let engine = mocks.engine();
        let leads = engine.leads(&caller, campaign, Some(25)).await.unwrap();
        assert!(leads.is_empty());
        let too_many = engine
            .leads(&caller, campaign, Some(501))
            .await
            .unwrap_err();
        assert!(matches!(too_many, AppError::Validation(ref e) if e[0].field == "limit"));
    }

    #[tokio::test]
    async fn an_archived_campaign_gets_no_new_assets() {
        let caller = caller(MemberRole::Member);
        let mut archived = campaign(CampaignType::Upsell, caller.org);
        archived.status = ame_domain::CampaignStatus::Archived;
        let mut mocks = Mocks::default();
        let found = archived.clone();
        mocks
            .campaigns
            .expect_get()
            .returning(move |_, _| Ok(found.clone()));
        let model = Arc::new(FakeModel::default());
        let engine = mocks
            .engine()
            .with_generator(Generator::new(model.clone(), Arc::new(SilentSpeech)));
        let refused = engine
            .generate_assets(&caller, archived.id, None, None)
            .await
            .unwrap_err();
        assert_eq!(refused, AppError::CampaignArchived);
        assert_eq!(model.writes.load(Ordering::SeqCst), 0, "words were written");
    }
}
