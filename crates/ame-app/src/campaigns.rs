//! Campaigns: create, read, list, edit, delete and move through the lifecycle.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppResult;
use crate::retry::read_twice;
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
        self.check_targeting(caller.org, campaign.plan().targeting.as_ref())
            .await?;
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
        let campaigns = self.repos(caller).campaigns;
        Ok(read_twice(|| campaigns.list(caller.org, filter.clone(), page)).await?)
    }

    /// One campaign.
    pub async fn campaign(&self, caller: &Caller, id: CampaignId) -> AppResult<Campaign> {
        let campaigns = self.repos(caller).campaigns;
        Ok(read_twice(|| campaigns.get(caller.org, id)).await?)
    }

    /// Edits the objective and plan of a draft campaign.
    pub async fn edit_campaign(
        &self,
        caller: &Caller,
        id: CampaignId,
        patch: PlanPatch,
    ) -> AppResult<Campaign> {
        caller.require_write()?;
        if let Some(Some(targeting)) = &patch.targeting {
            self.check_targeting(caller.org, Some(targeting)).await?;
        }
        Ok(self
            .repos(caller)
            .campaigns
            .update_plan(caller.org, id, patch)
            .await?)
    }

    /// Deletes a campaign with its assets and results.
    pub async fn delete_campaign(&self, caller: &Caller, id: CampaignId) -> AppResult<()> {
        caller.require_write()?;
        self.repos(caller).campaigns.delete(caller.org, id).await?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "campaign.deleted",
                target_kind: "campaign",
                target_id: Some(id.as_uuid()),
                details: serde_json::json!({}),
            },
        )
        .await;
        Ok(())
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
        self.require_ready(caller, id, target).await?;
        let changed = self
            .repos(caller)
            .campaigns
            .change_status_at(caller.org, id, target, expected, self.now())
            .await?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "campaign.status_changed",
                target_kind: "campaign",
                target_id: Some(id.as_uuid()),
                details: serde_json::json!({"status": target}),
            },
        )
        .await;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use crate::fakes::*;
    use ame_storage::StorageError;

    #[tokio::test]
    async fn a_viewer_changes_nothing_and_no_repository_is_asked() {
        let engine = Mocks::default().engine();
        let viewer = caller(MemberRole::Viewer);
        let id = ame_domain::CampaignId::new();
        let refused = [
            engine
                .generate_assets(&viewer, id, None, None)
                .await
                .unwrap_err(),
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
                    audience: None,
                    send_window: None,
                    holdout_fraction: None,
                    targeting: None,
                },
            )
            .unwrap();
        let created = engine
            .create_campaign(&caller, valid, Some(existing.id))
            .await
            .unwrap();
        assert_eq!(created, existing);
    }
}
