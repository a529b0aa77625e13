//! The engine's side of the scheduler: each claimed job is read once into a [`JobSpec`] and
//! handed to the [`Execution`](crate::execution) service (retraining a targeting model, the one
//! job that is optimisation's, stays here), with the engine answering execution's questions
//! for optimisation through [`Decisions`].

use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::execution::{Decisions, Handled};
use ame_domain::{Campaign, CampaignId, Contact, ContactId, Group, Job, JobSpec, OrgId};
use async_trait::async_trait;

impl Engine {
    /// Runs one claimed job: its stored kind and payload are read once into a [`JobSpec`]; a
    /// job this version cannot read is dead at once.
    pub(crate) async fn handle(&self, job: &Job) -> Handled {
        let spec = match job.spec() {
            Ok(spec) => spec,
            Err(e) => return Handled::Fatal(e.to_string()),
        };
        let execution = self.executor();
        let result = match spec {
            JobSpec::CampaignStart {} => execution.start_campaign_job(job).await,
            JobSpec::CampaignEnd {} => execution.end_campaign_job(job).await,
            JobSpec::CampaignLaunch { activated_at } => {
                let activated = activated_at.unwrap_or(job.created_at);
                execution.enrol_job(job, Some(activated), self).await
            }
            JobSpec::AudienceSweep {} => execution.enrol_job(job, None, self).await,
            JobSpec::Send(send) => execution.send_job(job, send, self).await,
            JobSpec::Publish(publish) => execution.publish_job(job, publish).await,
            JobSpec::Notify(notice) => execution.notify_job(job, notice).await,
            JobSpec::Rollup {} => execution.rollup_job(job).await,
            JobSpec::ConfirmSignUp { request } => execution.confirm_sign_up_job(job, request).await,
            JobSpec::TargetingTrain { goal } => self
                .retrain_if_changed(job.org_id, goal)
                .await
                .map(|_| Handled::Done),
        };
        match result {
            Ok(handled) => handled,
            Err(AppError::NotFound { entity }) => {
                Handled::Fatal(format!("its {entity} no longer exists"))
            }
            Err(e) => Handled::Retry(e.to_string()),
        }
    }
}

#[async_trait]
impl Decisions for Engine {
    async fn choose_variant(
        &self,
        org: OrgId,
        campaign: CampaignId,
        field: &str,
        arms: u32,
        contact: ContactId,
    ) -> AppResult<u32> {
        Engine::choose_variant(self, org, campaign, field, arms, contact).await
    }

    async fn select_audience(
        &self,
        campaign: &Campaign,
        contacts: Vec<Contact>,
    ) -> AppResult<Vec<(Contact, Group)>> {
        Engine::select_audience(self, campaign, contacts).await
    }
}
