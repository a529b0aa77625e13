//! What the scheduler's jobs do: start and end campaigns on time, enrol audiences and plan
//! their sends in each contact's time zone and the campaign's send window, send each message
//! once, and keep results current.

use crate::error::{AppError, AppResult};
use crate::execution::render::sequence_steps;
use crate::execution::{Decisions, Execution};
use ame_domain::{
    AssetType, AudienceSource, Campaign, CampaignId, CampaignStatus, ContactFilter, ContactId,
    Entry, Job, JobSpec, NewJob, OrgId, PageRequest, parked_until,
};
use ame_storage::{PlannedSend, StorageError};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::HashSet;

/// What a handler asks the worker to do with its job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Handled {
    /// Finished: complete the job.
    Done,
    /// The handler already settled the job itself (in the same transaction as its effect).
    Settled,
    /// Not yet: wait until then without counting the attempt.
    Postpone(DateTime<Utc>),
    /// Not yet, with new arguments kept in the job: wait until then (a send that reserved
    /// its slot).
    PostponeWith(DateTime<Utc>, JobSpec),
    /// Failed this time: retry with backoff.
    Retry(String),
    /// Failed this time: retry at the given time (the receiver said when).
    RetryAt(String, DateTime<Utc>),
    /// Cannot succeed: dead now.
    Fatal(String),
}

/// Contacts enrolled per planning transaction.
const ENROL_BATCH: usize = 500;

pub(crate) fn zone(name: Option<&str>, fallback: &str) -> Tz {
    name.and_then(|n| n.parse().ok())
        .or_else(|| fallback.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// A stable subject variant for a contact (the same on every retry).
fn variant_of(contact: ContactId, step: u32, variants: u32) -> u32 {
    let bytes = contact.as_uuid().as_u128();
    ((bytes ^ u128::from(step).wrapping_mul(0x9E37_79B9)) % u128::from(variants.max(1))) as u32
}

impl Execution {
    fn job_campaign(job: &Job) -> AppResult<CampaignId> {
        job.campaign_id
            .ok_or_else(|| AppError::Internal("the job names no campaign".into()))
    }

    pub(crate) async fn start_campaign_job(&self, job: &Job) -> AppResult<Handled> {
        let id = Self::job_campaign(job)?;
        let campaigns = &self.repos.campaigns;
        let campaign = campaigns.get(job.org_id, id).await?;
        if campaign.status != CampaignStatus::Scheduled {
            return Ok(Handled::Done);
        }
        if let Some(start) = campaign.plan.start_at
            && start > self.now()
        {
            return Ok(Handled::Postpone(start));
        }
        match campaigns
            .change_status_at(
                job.org_id,
                id,
                CampaignStatus::Active,
                Some(CampaignStatus::Scheduled),
                self.now(),
            )
            .await
        {
            Ok(_) => Ok(Handled::Done),
            // Someone moved it first (paused, back to draft): nothing to start.
            Err(e) if e.is_conflict() => Ok(Handled::Done),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn end_campaign_job(&self, job: &Job) -> AppResult<Handled> {
        let id = Self::job_campaign(job)?;
        let campaigns = &self.repos.campaigns;
        let campaign = campaigns.get(job.org_id, id).await?;
        if !matches!(
            campaign.status,
            CampaignStatus::Active | CampaignStatus::Paused
        ) {
            return Ok(Handled::Done);
        }
        if let Some(end) = campaign.plan.end_at
            && end > self.now()
        {
            return Ok(Handled::Postpone(end));
        }
        match campaigns
            .change_status_at(
                job.org_id,
                id,
                CampaignStatus::Completed,
                Some(campaign.status),
                self.now(),
            )
            .await
        {
            Ok(_) => Ok(Handled::Done),
            Err(e) if e.is_conflict() => Ok(Handled::Retry(e.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// The current email sequence of a campaign, if it has one.
    async fn current_sequence(
        &self,
        org: OrgId,
        campaign: CampaignId,
    ) -> AppResult<Option<ame_domain::Asset>> {
        let assets = self.repos.assets.list_for_campaign(org, campaign).await?;
        Ok(assets
            .into_iter()
            .find(|a| a.asset_type == AssetType::EmailSequence && a.current))
    }

    /// The contacts of `campaign`'s audience who may be written to.
    pub(crate) async fn audience_contacts(
        &self,
        campaign: &Campaign,
    ) -> AppResult<Vec<ame_domain::Contact>> {
        let Some(audience) = campaign.plan.audience else {
            return Ok(Vec::new());
        };
        let repos = &self.repos;
        let org = campaign.org_id;
        let segment = match audience.source() {
            Some(AudienceSource::Segment(id)) => Some(repos.contacts.get_segment(org, id).await?),
            Some(AudienceSource::CampaignLeads) => {
                let ids = repos.execution.lead_contacts(org, campaign.id).await?;
                let contacts = repos.contacts.get_many(org, ids).await?;
                return Ok(contacts.into_iter().filter(|c| c.is_reachable()).collect());
            }
            Some(AudienceSource::AllSubscribed) => None,
            None => return Ok(Vec::new()),
        };
        let mut found = Vec::new();
        let mut page = PageRequest::batch(None);
        loop {
            let listed = repos
                .contacts
                .list(
                    org,
                    ContactFilter {
                        consent: Some(ame_domain::Consent::Subscribed),
                        ..ContactFilter::default()
                    },
                    page,
                )
                .await?;
            found.extend(listed.items.into_iter().filter(|c| {
                c.is_reachable() && segment.as_ref().is_none_or(|s| s.filter.matches(c))
            }));
            match listed.next_cursor {
                Some(cursor) => {
                    let after = ame_domain::Cursor::decode(&cursor)
                        .map_err(|_| AppError::Internal("a bad contact cursor".into()))?;
                    page = PageRequest::batch(Some(after));
                }
                None => break,
            }
        }
        Ok(found)
    }

    /// Enrols the audience: at a launch (`activated` names when the campaign became active)
    /// everyone in it, day offsets counting from the activation, and in a sweep of a triggered
    /// campaign (`None`) everyone who entered since, counting from now.
    pub(crate) async fn enrol_job(
        &self,
        job: &Job,
        activated: Option<DateTime<Utc>>,
        decisions: &dyn Decisions,
    ) -> AppResult<Handled> {
        let id = Self::job_campaign(job)?;
        let org = job.org_id;
        let repos = &self.repos;
        let campaign = repos.campaigns.get(org, id).await?;
        match campaign.status {
            CampaignStatus::Active => {}
            CampaignStatus::Paused => return Ok(Handled::Postpone(parked_until())),
            _ => return Ok(Handled::Done),
        }
        let now = self.now();
        if activated.is_some() {
            // Posts and ads go out through connectors whatever the email audience is.
            self.enqueue_publishing(&campaign, now).await?;
        }
        let Some(audience) = campaign.plan.audience else {
            return Ok(Handled::Done);
        };
        let Some(sequence) = self.current_sequence(org, id).await? else {
            return Ok(Handled::Retry(
                "the campaign has no email sequence yet; generate its assets".into(),
            ));
        };
        let steps = sequence_steps(&sequence);
        // A broadcast counts day offsets from the planned start, or from the activation when
        // it came first or the plan names no start; steps a late activation finds overdue are
        // due at once (inside the window). A triggered entry counts from now.
        let start = match activated {
            Some(activated) => campaign
                .plan
                .start_at
                .filter(|s| *s <= activated)
                .unwrap_or(activated),
            None => now,
        };
        let window = campaign.plan.send_window.clone().unwrap_or_default();
        let enrolled: HashSet<ContactId> = repos
            .execution
            .enrolled(org, id)
            .await?
            .into_iter()
            .collect();
        let contacts: Vec<_> = self
            .audience_contacts(&campaign)
            .await?
            .into_iter()
            .filter(|c| !enrolled.contains(&c.id))
            .collect();
        // The holdout is drawn, then targeting picks; held-out contacts get a record, no mail.
        let selected = match decisions.select_audience(&campaign, contacts).await {
            Ok(selected) => selected,
            Err(AppError::Conflict(why)) => return Ok(Handled::Retry(why)),
            Err(e) => return Err(e),
        };
        // Message-IDs name the domain the mail comes from: the organization's own, once set.
        let domain = match repos.execution.sending_domain(org).await? {
            Some(own) => ame_domain::address_domain(&own.from_address),
            None => self.settings.sender_domain().to_owned(),
        };
        repos
            .optimisation
            .enrol(
                org,
                id,
                selected.iter().map(|(c, g)| (c.id, *g)).collect(),
                now,
            )
            .await?;
        let fresh: Vec<_> = selected
            .into_iter()
            .filter(|(_, g)| *g == ame_domain::Group::Treatment)
            .map(|(c, _)| c)
            .collect();
        let days: Vec<u32> = steps.iter().map(|s| s.day).collect();
        let min_gap = self.settings.min_step_gap_days;
        for batch in fresh.chunks(ENROL_BATCH) {
            let mut sends = Vec::with_capacity(batch.len() * steps.len());
            for contact in batch {
                let tz = zone(contact.time_zone.as_deref(), &campaign.plan.timezone);
                let planned = window.plan_steps(start, &days, tz, now, min_gap);
                for (s, due_at) in steps.iter().zip(planned) {
                    sends.push(PlannedSend {
                        contact: contact.id,
                        step: s.step,
                        asset: sequence.id,
                        due_at,
                        message_id: format!("<{id}.{}.{}@{domain}>", s.step, contact.id),
                        subject_variant: variant_of(contact.id, s.step, s.subjects),
                    });
                }
            }
            repos.execution.plan_sends(org, id, sends, now).await?;
        }
        if audience.entry() == Entry::Triggered {
            repos
                .jobs
                .enqueue(
                    org,
                    // One job per sweep, keyed by its minute, so a retried launch or sweep
                    // plans the same next one. A sweep a lead brought forward runs minutes
                    // before the time its key names; its successor then goes a minute later,
                    // since a running job's own key cannot be queued again.
                    vec![{
                        let mut next = now + self.settings.sweep_every;
                        let key = |at: DateTime<Utc>| format!("{id}:{}", at.timestamp() / 60);
                        if key(next) == job.dedupe_key {
                            next += TimeDelta::minutes(1);
                        }
                        NewJob::new(JobSpec::AudienceSweep {}, key(next), next).for_campaign(id)
                    }],
                    now,
                )
                .await?;
        }
        Ok(Handled::Done)
    }

    /// Makes sure a results rollup of `campaign` runs within a minute.
    pub(crate) async fn schedule_rollup(
        &self,
        org: OrgId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let bucket = now.timestamp() / 60;
        self.repos
            .jobs
            .enqueue(
                org,
                vec![
                    NewJob::new(
                        JobSpec::Rollup {},
                        format!("{campaign}:{bucket}"),
                        now + TimeDelta::seconds(60),
                    )
                    .for_campaign(campaign),
                ],
                now,
            )
            .await
            .map(|_| ())
            .map_err(|e: StorageError| e.into())
    }
}
