//! The repository traits: one per aggregate, every method scoped by organization.

use crate::StorageResult;
use ame_domain::{
    ApiKey, ApiKeyId, Asset, AssetId, AssetSetVersion, AuditActor, AuditEvent, Brand, BrandProfile,
    Campaign, CampaignFilter, CampaignId, CampaignStatus, ChannelOutcome, Lead, MemberRole,
    NewAsset, OrgId, Organization, Page, PageRequest, PlanPatch, ResultRecord, ResultRecordInput,
    ResultTotals, UserId, ValidCampaign,
};
use async_trait::async_trait;

/// Organizations and their members.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OrganizationRepository: Send + Sync {
    /// Creates an organization (and its service principal, used for row-level security).
    async fn create(&self, name: &str) -> StorageResult<Organization>;
    /// Reads an organization.
    async fn get(&self, org: OrgId) -> StorageResult<Organization>;
    /// Deletes an organization with all its campaigns, assets and memberships.
    async fn delete(&self, org: OrgId) -> StorageResult<()>;
    /// Adds `user` to `org` with `role` (creating the user record if needed) or changes the role.
    async fn set_member(&self, org: OrgId, user: UserId, role: MemberRole) -> StorageResult<()>;
    /// The role of `user` in `org`, if a member.
    async fn member_role(&self, org: OrgId, user: UserId) -> StorageResult<Option<MemberRole>>;
    /// Removes `user` from `org`; owners and admins may (only an owner removes an owner).
    /// `NotFound` when the acting principal may not, or `user` is no member.
    async fn remove_member(&self, org: OrgId, user: UserId) -> StorageResult<()>;
}

/// Marketing campaigns of one organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CampaignRepository: Send + Sync {
    /// Stores a new campaign in `draft`.
    async fn create(&self, org: OrgId, campaign: ValidCampaign) -> StorageResult<Campaign>;
    /// Stores a new campaign in `draft` under a caller-chosen id (for idempotent creation: a
    /// retry reuses the id, so it can never create a second campaign). `Conflict` if the id is
    /// taken.
    async fn create_with_id(
        &self,
        org: OrgId,
        id: CampaignId,
        campaign: ValidCampaign,
    ) -> StorageResult<Campaign>;
    /// Reads one campaign; `NotFound` if it does not exist or belongs to another organization.
    async fn get(&self, org: OrgId, id: CampaignId) -> StorageResult<Campaign>;
    /// Lists campaigns newest first, one keyset page at a time.
    async fn list(
        &self,
        org: OrgId,
        filter: CampaignFilter,
        page: PageRequest,
    ) -> StorageResult<Page<Campaign>>;
    /// Moves a campaign to `target` with an atomic compare-and-set on the status it had when
    /// read. With `expected`, the change applies only if the campaign is in that status now
    /// (a `Conflict` otherwise), so a client acting on what it last saw never overrides a
    /// change it has not seen.
    async fn change_status(
        &self,
        org: OrgId,
        id: CampaignId,
        target: CampaignStatus,
        expected: Option<CampaignStatus>,
    ) -> StorageResult<Campaign>;
    /// [`change_status`](CampaignRepository::change_status) as of `now` (the caller's clock):
    /// the jobs the change starts are timed from it.
    async fn change_status_at(
        &self,
        org: OrgId,
        id: CampaignId,
        target: CampaignStatus,
        expected: Option<CampaignStatus>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StorageResult<Campaign>;
    /// Edits the objective and plan of a draft campaign.
    async fn update_plan(
        &self,
        org: OrgId,
        id: CampaignId,
        patch: PlanPatch,
    ) -> StorageResult<Campaign>;
    /// Deletes a campaign and its assets.
    async fn delete(&self, org: OrgId, id: CampaignId) -> StorageResult<()>;
}

/// Generated assets of one organization's campaigns.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AssetRepository: Send + Sync {
    /// Stores `assets` as the campaign's new current set in one transaction: all stored or none.
    /// The previous set stays readable as history under its own version number.
    async fn replace_set(
        &self,
        org: OrgId,
        campaign: CampaignId,
        assets: Vec<NewAsset>,
    ) -> StorageResult<Vec<Asset>> {
        self.replace_set_publishing(org, campaign, None, assets, None)
            .await
    }
    /// Like [`AssetRepository::replace_set`], and in the same transaction points the campaign's
    /// public landing page at the new set's asset number `page.asset_index`. With `reserved`,
    /// the set's first asset takes that id, and when an asset with it already exists (an
    /// earlier attempt committed) its set is returned unchanged instead of a new version.
    async fn replace_set_publishing(
        &self,
        org: OrgId,
        campaign: CampaignId,
        reserved: Option<AssetId>,
        assets: Vec<NewAsset>,
        page: Option<PageToPublish>,
    ) -> StorageResult<Vec<Asset>>;
    /// The campaign's current assets in generation order.
    async fn list_for_campaign(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<Asset>>;
    /// The assets of one version of the campaign's set; `NotFound` for an unknown version.
    async fn list_version(
        &self,
        org: OrgId,
        campaign: CampaignId,
        version: i32,
    ) -> StorageResult<Vec<Asset>>;
    /// Every version of the campaign's set, newest first.
    async fn versions(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<AssetSetVersion>>;
    /// The campaign's published landing page, if any.
    async fn published_page(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Option<PublishedPage>>;
    /// Reads one asset; `NotFound` if it does not exist or belongs to another organization.
    async fn get(&self, org: OrgId, id: AssetId) -> StorageResult<Asset>;
    /// Every blob key the organization's assets (every version), published pages and brand
    /// logo refer to.
    async fn referenced_files(
        &self,
        org: OrgId,
    ) -> StorageResult<std::collections::HashSet<String>>;
}

/// A landing page to publish with a new asset set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToPublish {
    /// Index (in the new set) of the landing-page asset.
    pub asset_index: usize,
    /// The public slug (`/p/{slug}`), lower-case letters, digits and single hyphens.
    pub slug: String,
    /// Blob key of the page's HTML.
    pub file_key: String,
}

/// A published landing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPage {
    /// The public slug.
    pub slug: String,
    /// The organization that owns it.
    pub org: OrgId,
    /// Its campaign.
    pub campaign: CampaignId,
    /// The landing-page asset it shows.
    pub asset: AssetId,
    /// Blob key of the page's HTML.
    pub file_key: String,
}

/// An organization's brand profile.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait BrandRepository: Send + Sync {
    /// The organization's profile, if it has saved one.
    async fn get(&self, org: OrgId) -> StorageResult<Option<BrandProfile>>;
    /// Saves (creates or replaces) the organization's profile; its logo stays.
    async fn put(&self, org: OrgId, brand: Brand) -> StorageResult<BrandProfile>;
    /// Sets (or, with `None`, removes) the profile's logo; `None` when no profile is saved.
    async fn set_logo(
        &self,
        org: OrgId,
        logo: Option<ame_domain::BrandLogo>,
    ) -> StorageResult<Option<BrandProfile>>;
}

/// Public landing pages and the leads their forms submit. Visitors belong to no organization, so
/// these calls are not scoped by one: they reveal only what the page itself shows.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PublicPageRepository: Send + Sync {
    /// The page published under `slug`, with its campaign's status, if any.
    async fn find(&self, slug: &str) -> StorageResult<Option<PublicPage>>;
    /// Stores a lead submitted through the page under `slug`, only while its campaign runs
    /// (draft, scheduled or active) and only once per email address (case-insensitive) and page
    /// within a day.
    async fn record_lead(
        &self,
        slug: &str,
        fields: serde_json::Value,
    ) -> StorageResult<LeadRecording>;
}

/// A published page as the public sees it: the page and its campaign's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPage {
    /// The page.
    pub page: PublishedPage,
    /// Its campaign's status now.
    pub campaign_status: ame_domain::CampaignStatus,
}

/// What became of a submitted lead.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadRecording {
    /// No page is published under the slug; nothing stored.
    NoPage,
    /// The page's campaign no longer runs (paused, completed or archived); nothing stored.
    Closed(ame_domain::CampaignStatus),
    /// The same address signed up on this page within a day; nothing stored.
    Duplicate,
    /// The lead was stored.
    Stored(Lead),
}

/// Leads collected by a campaign's landing page.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LeadRepository: Send + Sync {
    /// The campaign's newest leads, at most `limit`.
    async fn list(&self, org: OrgId, campaign: CampaignId, limit: u64) -> StorageResult<Vec<Lead>>;
    /// Whether some lead of the campaign was referred by `contact` (its `referred_by`).
    async fn has_referred(
        &self,
        org: OrgId,
        campaign: CampaignId,
        contact: ame_domain::ContactId,
    ) -> StorageResult<bool>;
}

/// Recorded campaign results, their totals, and every organization's per-channel outcomes (the
/// history the predictor learns from).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ResultRepository: Send + Sync {
    /// Records results of the organization's campaign and returns the campaign's new totals.
    ///
    /// The records are validated first (`Validation`, with each problem's record index); every
    /// `asset_id` must name an asset of this campaign, of any version (`Validation` on
    /// `[i].asset_id` otherwise). A record whose day, channel and asset were recorded before
    /// replaces that record entirely, so a measurement sent as `null` becomes "not measured"
    /// again. In the same transaction the campaign's per-channel totals of the touched channels
    /// are recomputed under a new history revision, and the campaign's overall totals are stored
    /// as its `performance` (its `updated_at` stays as it was). All or nothing: on any error
    /// nothing is written. `NotFound` when the campaign is not the organization's.
    async fn record(
        &self,
        org: OrgId,
        campaign: CampaignId,
        records: Vec<ResultRecordInput>,
    ) -> StorageResult<ResultTotals>;
    /// The campaign's records, ordered by date, channel and asset (records without an asset
    /// first), with their totals; `NotFound` when the campaign is not the organization's.
    async fn list(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<(Vec<ResultRecord>, ResultTotals)>;
    /// Every organization's per-campaign, per-channel totals, as seen by `org`: its own marked
    /// `own_org`, everyone's grouped under an opaque key per organization (never its id), and
    /// the campaign `exclude` (if any) left out. `NotFound` when the acting principal is not a
    /// member of `org`.
    async fn history(
        &self,
        org: OrgId,
        exclude: Option<CampaignId>,
    ) -> StorageResult<Vec<ChannelOutcome>>;
    /// `(revision, units)` of the whole history: the latest revision written (0 before any) and
    /// the number of per-channel totals. The pair changes whenever any organization records
    /// results or deletes a campaign that had some, so a cache of [`ResultRepository::history`]
    /// stays valid while it does not. `NotFound` when the acting principal is not a member of
    /// `org`.
    async fn history_revision(&self, org: OrgId) -> StorageResult<(i64, i64)>;
}

/// What a presented API key secret resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPrincipal {
    /// The key's id.
    pub key_id: ApiKeyId,
    /// The organization it acts for.
    pub org: OrgId,
    /// What it may do at most.
    pub role: MemberRole,
    /// The person who issued it (or whose key issued it); `None` for command-line keys.
    pub issued_by_user: Option<UserId>,
    /// When it stops working, if ever.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A key to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// What it is for.
    pub name: String,
    /// What it may do.
    pub role: MemberRole,
    /// When it stops working, if ever.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The person issuing it (directly or through their key); `None` from the command line.
    pub issued_by_user: Option<UserId>,
    /// The key issuing it, when a key does.
    pub issued_by_key: Option<ApiKeyId>,
}

impl NewApiKey {
    /// A key named `name` with `role` that never expires, issued by nobody in particular (an
    /// administrator).
    pub fn named(name: &str, role: MemberRole) -> Self {
        NewApiKey {
            name: name.to_owned(),
            role,
            expires_at: None,
            issued_by_user: None,
            issued_by_key: None,
        }
    }
}

/// A newly issued API key: the stored record and the secret, which exists only here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedApiKey {
    /// The stored key (without the secret).
    pub key: ApiKey,
    /// The secret to hand to the client once (`ame_` + 43 base64url characters).
    pub secret: String,
}

/// Organization API keys, stored only as SHA-256 hashes of their secrets.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Issues a key for `org`; only owners and admins may (owners alone issue owner keys).
    /// `acting` is the caller's role: every key action acts with the weaker of it and the
    /// scope's, so the service principal is an owner only for an owner.
    async fn create(
        &self,
        org: OrgId,
        key: NewApiKey,
        acting: MemberRole,
    ) -> StorageResult<IssuedApiKey>;
    /// Replaces a key with a new secret in one transaction: the old key is revoked and a new one
    /// with its name, role and expiry is issued by `issuer` (as [`ApiKeyRepository::create`]).
    async fn rotate(
        &self,
        org: OrgId,
        id: ApiKeyId,
        issued_by_user: Option<UserId>,
        issued_by_key: Option<ApiKeyId>,
        acting: MemberRole,
    ) -> StorageResult<IssuedApiKey>;
    /// The organization's keys, newest first, revoked ones included.
    async fn list(&self, org: OrgId) -> StorageResult<Vec<ApiKey>>;
    /// Revokes a key; revoking twice is not an error.
    async fn revoke(&self, org: OrgId, id: ApiKeyId, acting: MemberRole) -> StorageResult<ApiKey>;
    /// Resolves a presented secret (stamping its `last_used_at`, at most once a minute); `None`
    /// for an unknown, malformed or revoked key. Expiry and the issuer's role are the caller's
    /// to check.
    async fn authenticate(&self, secret: &str) -> StorageResult<Option<KeyPrincipal>>;
}

/// An audit event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEvent {
    /// Who acted.
    pub actor: AuditActor,
    /// What happened, e.g. `api_key.issued`.
    pub action: String,
    /// The kind of record acted on, e.g. `api_key`.
    pub target_kind: String,
    /// The record acted on.
    pub target_id: Option<uuid::Uuid>,
    /// The request it happened in.
    pub request_id: Option<String>,
    /// Anything else worth keeping (a JSON object).
    pub details: serde_json::Value,
}

/// The organization's audit log: appended to by every member, read by owners and admins.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AuditRepository: Send + Sync {
    /// Appends an event to `org`'s log.
    async fn record(&self, org: OrgId, event: NewAuditEvent) -> StorageResult<()>;
    /// The newest `limit` events, newest first; only owners and admins may read them
    /// (`Forbidden` otherwise).
    async fn list(&self, org: OrgId, limit: u64) -> StorageResult<Vec<AuditEvent>>;
}

/// The outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use (or a retry after an abandoned attempt): go ahead, using `resource_id` as the id
    /// of whatever the request creates.
    Acquired {
        /// The id reserved for the created resource, the same on every retry.
        resource_id: uuid::Uuid,
    },
    /// The request already completed: replay this response.
    Completed {
        /// The HTTP status of the first response.
        status: u16,
        /// The body of the first response.
        body: String,
    },
    /// The key was used with a different request.
    Mismatch,
    /// Another attempt with this key is running right now; its claim lapses in `retry_after`
    /// unless that attempt renews it.
    InProgress {
        /// Until the running attempt's claim lapses (at least a second).
        retry_after: std::time::Duration,
    },
}

/// Records of `Idempotency-Key` use, per organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait IdempotencyRepository: Send + Sync {
    /// Claims `key` for a request whose fingerprint is `request_hash`, holding it for `lease`
    /// (after which a crashed attempt's claim may be taken over).
    async fn claim(
        &self,
        org: OrgId,
        key: &str,
        request_hash: &str,
        lease: std::time::Duration,
    ) -> StorageResult<IdempotencyClaim>;
    /// Stores the response to replay for `key`.
    async fn complete(&self, org: OrgId, key: &str, status: u16, body: &str) -> StorageResult<()>;
    /// Gives up a claim without a response (the request failed in a way worth retrying).
    async fn release(&self, org: OrgId, key: &str) -> StorageResult<()>;
    /// Extends a running attempt's claim to `lease` from now (its heartbeat); `false` when it
    /// is no longer a running claim.
    async fn renew(&self, org: OrgId, key: &str, lease: std::time::Duration)
    -> StorageResult<bool>;
}
