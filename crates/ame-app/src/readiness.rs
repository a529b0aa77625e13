//! Launch readiness: the checklist a campaign must pass before it is scheduled or activated.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{
    Campaign, CampaignId, CampaignStatus, Entry, LaunchFacts, Readiness, check_readiness,
};

impl Engine {
    /// What `id` still needs before it may launch (any member may read it).
    pub async fn campaign_readiness(
        &self,
        caller: &Caller,
        id: CampaignId,
    ) -> AppResult<Readiness> {
        let campaign = self.repos(caller).campaigns.get(caller.org, id).await?;
        self.readiness_of(caller, &campaign).await
    }

    pub(crate) async fn readiness_of(
        &self,
        caller: &Caller,
        campaign: &Campaign,
    ) -> AppResult<Readiness> {
        let repos = self.repos(caller);
        let has_brand = repos.brands.get(caller.org).await?.is_some();
        let asset_types = repos
            .assets
            .list_for_campaign(caller.org, campaign.id)
            .await?
            .into_iter()
            .filter(|a| a.current)
            .map(|a| a.asset_type)
            .collect();
        let audience_size = match campaign.plan.audience {
            Some(audience) if audience.entry() == Entry::Broadcast => {
                Some(self.executor().audience_contacts(campaign).await?.len())
            }
            _ => None,
        };
        let execution = self.execution();
        let sender = match repos.execution.sending_domain(caller.org).await? {
            Some(own) => format!("{} <{}>", own.from_name, own.from_address),
            None => execution.from.clone(),
        };
        Ok(check_readiness(
            campaign,
            &LaunchFacts {
                has_brand,
                asset_types,
                audience_size,
                sender,
                delivers: execution.mailer.as_ref().is_some_and(|m| m.delivers()),
                now: self.now(),
            },
        ))
    }

    /// Refuses a move that would launch `id` (to scheduled, or to active from draft or
    /// scheduled) while its checklist has a blocking item.
    pub(crate) async fn require_ready(
        &self,
        caller: &Caller,
        id: CampaignId,
        target: CampaignStatus,
    ) -> AppResult<()> {
        if !matches!(target, CampaignStatus::Scheduled | CampaignStatus::Active) {
            return Ok(());
        }
        let campaign = self.repos(caller).campaigns.get(caller.org, id).await?;
        if !matches!(
            campaign.status,
            CampaignStatus::Draft | CampaignStatus::Scheduled
        ) {
            return Ok(());
        }
        let readiness = self.readiness_of(caller, &campaign).await?;
        if readiness.ready {
            Ok(())
        } else {
            Err(AppError::NotReady(readiness))
        }
    }
}
