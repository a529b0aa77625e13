//! The repository traits: one per aggregate, every method scoped by organization.

use crate::StorageResult;
use ame_domain::{
    Asset, AssetId, Campaign, CampaignFilter, CampaignId, CampaignStatus, MemberRole, NewAsset,
    OrgId, Organization, Page, PageRequest, PlanPatch, UserId, ValidCampaign,
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
}

/// Marketing campaigns of one organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CampaignRepository: Send + Sync {
    /// Stores a new campaign in `draft`.
    async fn create(&self, org: OrgId, campaign: ValidCampaign) -> StorageResult<Campaign>;
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
    /// Replaces the campaign's asset set with `assets` in one transaction: all stored or none.
    async fn replace_set(
        &self,
        org: OrgId,
        campaign: CampaignId,
        assets: Vec<NewAsset>,
    ) -> StorageResult<Vec<Asset>>;
    /// The campaign's assets in generation order.
    async fn list_for_campaign(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> StorageResult<Vec<Asset>>;
    /// Reads one asset; `NotFound` if it does not exist or belongs to another organization.
    async fn get(&self, org: OrgId, id: AssetId) -> StorageResult<Asset>;
}
