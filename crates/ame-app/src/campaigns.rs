//! Campaigns: create, read, list, edit, delete and move through the lifecycle.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppResult;
use ame_domain::{
    Campaign, CampaignFilter, CampaignId, CampaignStatus, NewCampaign, Page, PageRequest,
    PlanPatch, ValidCampaign,
};
use ame_storage::StorageError;

impl Engine {
    /// Checks that `caller` may create campaigns and that `campaign` is valid, before anything
    /// is written (or an idempotency key is claimed).
    pub fn check_new_campaign(
        &self,
        caller: &Caller,
        campaign: NewCampaign,
    ) -> AppResult<ValidCampaign> {
        caller.require_write()?;
        Ok(campaign.validate()?)
    }

    /// Stores a checked campaign in `draft`. With `reserved` (the id an idempotency key reserved)
    /// it is created under that id, and a retry that finds it already stored returns it, so a
    /// campaign is never created twice.
    pub async fn create_campaign(
        &self,
        caller: &Caller,
        campaign: ValidCampaign,
        reserved: Option<CampaignId>,
    ) -> AppResult<Campaign> {
        caller.require_write()?;
        let campaigns = self.repos(caller).campaigns;
        match reserved {
            None => Ok(campaigns.create(caller.org, campaign).await?),
            Some(id) => match campaigns.create_with_id(caller.org, id, campaign).await {
                Ok(created) => Ok(created),
                // An earlier attempt stored the campaign, then died before recording its reply.
                Err(StorageError::Conflict(_)) => Ok(campaigns.get(caller.org, id).await?),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// One page of the organization's campaigns, newest first.
    pub async fn list_campaigns(
        &self,
        caller: &Caller,
        filter: CampaignFilter,
        page: PageRequest,
    ) -> AppResult<Page<Campaign>> {
        Ok(self
            .repos(caller)
            .campaigns
            .list(caller.org, filter, page)
            .await?)
    }

    /// One campaign.
    pub async fn campaign(&self, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
        Ok(self.repos(caller).campaigns.get(caller.org, id).await?)
    }

    /// Edits the objective and plan of a draft campaign.
    pub async fn edit_campaign(
        &self,
        caller: &Caller,
        id: CampaignId,
        patch: PlanPatch,
    ) -> AppResult<Campaign> {
        caller.require_write()?;
        Ok(self
            .repos(caller)
            .campaigns
            .update_plan(caller.org, id, patch)
            .await?)
    }

    /// Deletes a campaign with its assets and results.
    pub async fn delete_campaign(&self, caller: &Caller, id: CampaignId) -> AppResult<()> {
        caller.require_write()?;
        Ok(self.repos(caller).campaigns.delete(caller.org, id).await?)
    }

    /// Moves a campaign to `target` (only if it is in `expected` now, when given).
    pub async fn change_status(
        &self,
        caller: &Caller,
        id: CampaignId,
        target: CampaignStatus,
        expected: Option<CampaignStatus>,
    ) -> AppResult<Campaign> {
        caller.require_write()?;
        Ok(self
            .repos(caller)
            .campaigns
            .change_status(caller.org, id, target, expected)
            .await?)
    }
}
