//! Recorded campaign results.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppResult;
use crate::retry::read_twice;
use ame_domain::{CampaignId, EmailHealth, ResultRecord, ResultRecordInput, ResultTotals};

impl Engine {
    /// Records results of a campaign (upserted by day, channel and asset) and returns the
    /// campaign's new totals. All or nothing.
    pub async fn record_results(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        records: Vec<ResultRecordInput>,
    ) -> AppResult<ResultTotals> {
        caller.require_write()?;
        Ok(self
            .repos(caller)
            .results
            .record(caller.org, campaign, records)
            .await?)
    }

    /// The campaign's records, by date, channel and asset, with their totals.
    pub async fn results(
        &self,
        caller: &Caller,
        campaign: CampaignId,
    ) -> AppResult<(Vec<ResultRecord>, ResultTotals)> {
        let results = self.repos(caller).results;
        Ok(read_twice(|| results.list(caller.org, campaign)).await?)
    }

    /// The campaign's email health: messages delivered, bounced, reported as spam and
    /// unsubscribed from, with their rates and the bulk-sender limits they cross.
    pub async fn email_health(
        &self,
        caller: &Caller,
        campaign: CampaignId,
    ) -> AppResult<EmailHealth> {
        let repos = self.repos(caller);
        repos.campaigns.get(caller.org, campaign).await?;
        Ok(repos.execution.email_health(caller.org, campaign).await?)
    }
}
