//! What the scheduler's jobs do: start and end campaigns on time, enrol audiences and plan
//! their sends in each contact's time zone and the campaign's send window, send each message
//! once, and keep results current.

use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::execution::mail::{MailError, Mailer, OutgoingEmail};
use crate::execution::render::sequence_steps;
use crate::execution::throttle::{PACE_GRACE, Pace};
use ame_domain::{
    AssetType, AudienceSource, Campaign, CampaignId, CampaignStatus, ContactFilter, ContactId,
    Entry, Job, JobSpec, NewJob, OrgId, PageRequest, SendSpec, SendWindow, local_days_between,
    parked_until, retry_delay,
};
use ame_storage::{PlannedSend, SendOutcome, StorageError};
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

fn zone(name: Option<&str>, fallback: &str) -> Tz {
    name.and_then(|n| n.parse().ok())
        .or_else(|| fallback.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// A stable subject variant for a contact (the same on every retry).
fn variant_of(contact: ContactId, step: u32, variants: u32) -> u32 {
    let bytes = contact.as_uuid().as_u128();
    ((bytes ^ u128::from(step).wrapping_mul(0x9E37_79B9)) % u128::from(variants.max(1))) as u32
}

impl Engine {
    /// Runs one claimed job: its stored kind and payload are read once into a [`JobSpec`]; a
    /// job this version cannot read is dead at once.
    pub(crate) async fn handle(&self, job: &Job) -> Handled {
        let spec = match job.spec() {
            Ok(spec) => spec,
            Err(e) => return Handled::Fatal(e.to_string()),
        };
        let result = match spec {
            JobSpec::CampaignStart {} => self.start_campaign_job(job).await,
            JobSpec::CampaignEnd {} => self.end_campaign_job(job).await,
            JobSpec::CampaignLaunch { activated_at } => {
                self.enrol_job(job, Some(activated_at.unwrap_or(job.created_at)))
                    .await
            }
            JobSpec::AudienceSweep {} => self.enrol_job(job, None).await,
            JobSpec::Send(send) => self.send_email_job(job, send).await,
            JobSpec::Publish(publish) => self.publish_job(job, publish).await,
            JobSpec::Notify(notice) => self.notify_job(job, notice).await,
            JobSpec::Rollup {} => self.rollup_job(job).await,
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

    fn job_campaign(job: &Job) -> AppResult<CampaignId> {
        job.campaign_id
            .ok_or_else(|| AppError::Internal("the job names no campaign".into()))
    }

    async fn start_campaign_job(&self, job: &Job) -> AppResult<Handled> {
        let id = Self::job_campaign(job)?;
        let campaigns = self.service_repos().campaigns;
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

    async fn end_campaign_job(&self, job: &Job) -> AppResult<Handled> {
        let id = Self::job_campaign(job)?;
        let campaigns = self.service_repos().campaigns;
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
        let assets = self
            .service_repos()
            .assets
            .list_for_campaign(org, campaign)
            .await?;
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
        let repos = self.service_repos();
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
        let mut page = PageRequest::new(100, None).map_err(|e| AppError::Validation(vec![e]))?;
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
                    page = PageRequest::new(100, Some(after))
                        .map_err(|e| AppError::Validation(vec![e]))?;
                }
                None => break,
            }
        }
        Ok(found)
    }

    /// Enrols the audience: at a launch (`activated` names when the campaign became active)
    /// everyone in it, day offsets counting from the activation, and in a sweep of a triggered
    /// campaign (`None`) everyone who entered since, counting from now.
    async fn enrol_job(&self, job: &Job, activated: Option<DateTime<Utc>>) -> AppResult<Handled> {
        let id = Self::job_campaign(job)?;
        let org = job.org_id;
        let repos = self.service_repos();
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
        let selected = match self.select_audience(&campaign, contacts).await {
            Ok(selected) => selected,
            Err(AppError::Conflict(why)) => return Ok(Handled::Retry(why)),
            Err(e) => return Err(e),
        };
        // Message-IDs name the domain the mail comes from: the organization's own, once set.
        let domain = match repos.execution.sending_domain(org).await? {
            Some(own) => ame_domain::address_domain(&own.from_address),
            None => self.execution().sender_domain().to_owned(),
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
        let min_gap = self.execution().min_step_gap_days;
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
                        let mut next = now + self.execution().sweep_every;
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

    async fn send_email_job(&self, job: &Job, payload: SendSpec) -> AppResult<Handled> {
        let org = job.org_id;
        let repos = self.service_repos();
        let now = self.now();
        let campaign = repos.campaigns.get(org, payload.campaign).await?;
        let ended = !matches!(
            campaign.status,
            CampaignStatus::Active | CampaignStatus::Paused
        );
        if campaign.status == CampaignStatus::Paused {
            return Ok(Handled::Postpone(parked_until()));
        }
        let contact = repos.contacts.get(org, payload.contact).await?;
        let mut sending = ame_domain::SendingStatus::default();
        if !ended && contact.is_reachable() {
            // Due later (woken early by a resume), or outside the window now: wait, uncounted.
            let tz = zone(contact.time_zone.as_deref(), &campaign.plan.timezone);
            let window: SendWindow = campaign.plan.send_window.clone().unwrap_or_default();
            let open = window.next_open(now.max(payload.due_at.unwrap_or(now)), tz);
            if open > now {
                return Ok(Handled::Postpone(open));
            }
            // Nothing leaves while the organization's sending is paused.
            let (status, paused) = self.sending_gate(org).await?;
            if let Some(wait) = paused {
                return Ok(Handled::Postpone(wait));
            }
            sending = status;
            // A step waits for the one ahead of it to settle, then keeps its gap from it.
            if let Some(wait) = self
                .wait_for_previous_step(org, &payload, &window, tz)
                .await?
            {
                return Ok(Handled::Postpone(wait));
            }
            // The pace: a slot in the recipient's provider's bucket and the organization's,
            // shared by every worker process, reserved once and kept in the job.
            // A slot missed by more than a moment (the workers were down or behind) is
            // reserved again, so a backlog does not leave in one burst when they return.
            match payload.paced_at {
                Some(at) if at > now => return Ok(Handled::Postpone(at)),
                Some(at) if now - at <= PACE_GRACE => {}
                _ => {
                    let address = contact.email.as_deref().unwrap_or_default();
                    match self.pace(org, address, now).await? {
                        Pace::Now => {}
                        Pace::Later(at) => return Ok(Handled::Postpone(at)),
                        Pace::Reserved(at) => {
                            let reserved = JobSpec::Send(SendSpec {
                                paced_at: Some(at),
                                ..payload.clone()
                            });
                            return Ok(Handled::PostponeWith(at, reserved));
                        }
                    }
                }
            }
        }
        let Some(mut delivery) = repos
            .execution
            .start_send(job, payload.campaign, payload.step, payload.contact, now)
            .await?
        else {
            return Ok(Handled::Settled);
        };
        let settle = |delivery: ame_domain::Delivery, outcome: SendOutcome| {
            let execution = repos.execution.clone();
            async move {
                execution
                    .finish_send(job, &delivery, outcome, now)
                    .await
                    .map(|_| Handled::Settled)
                    .map_err(AppError::from)
            }
        };
        if ended {
            return settle(delivery, SendOutcome::Cancelled).await;
        }
        if !contact.is_reachable() {
            return settle(
                delivery,
                SendOutcome::Suppressed(format!("the contact is {}", contact.consent)),
            )
            .await;
        }
        if repos
            .execution
            .has_converted(org, payload.campaign, payload.contact)
            .await?
        {
            return settle(
                delivery,
                SendOutcome::Suppressed("the contact converted".into()),
            )
            .await;
        }
        let template = self
            .email_template(org, delivery.asset_id, delivery.step)
            .await?;
        // The subject comes from the test's current weights; a retry keeps the first choice.
        if delivery.attempts <= 1 {
            let chosen = self
                .choose_variant(
                    org,
                    payload.campaign,
                    &ame_domain::subject_field(delivery.step),
                    template.subjects.len() as u32,
                    contact.id,
                )
                .await?;
            if chosen != delivery.subject_variant {
                repos
                    .execution
                    .set_subject_variant(org, delivery.id, chosen)
                    .await?;
                delivery.subject_variant = chosen;
            }
        }
        let message = self.personalise(
            &template,
            payload.campaign,
            delivery.asset_id,
            delivery.subject_variant,
            &contact,
        );
        let own = self.org_sender(org).await?;
        let email = OutgoingEmail {
            from: own
                .as_ref()
                .map_or_else(|| self.execution().from.clone(), |o| o.from.clone()),
            reply_to: own.as_ref().and_then(|o| o.reply_to.clone()),
            dkim: own.as_ref().map(|o| o.signer.clone()),
            to: contact.email.clone().unwrap_or_default(),
            to_name: contact.first_name.clone(),
            subject: message.subject,
            html: message.html,
            text: message.text,
            message_id: delivery.message_id.clone(),
            unsubscribe_url: message.unsubscribe_url,
            date: std::time::SystemTime::from(now),
            // Gmail's feedback loop reports complaints per campaign, type and customer.
            feedback_id: Some(format!(
                "{}:{}:{}:ame",
                payload.campaign.as_uuid().simple(),
                campaign.campaign_type,
                org.as_uuid().simple()
            )),
        };
        let sent = match self.execution().mailer.clone() {
            Some(mailer) => mailer.send(&email).await,
            None => {
                crate::execution::OutboxMailer::new(self.blobs().clone())
                    .send(&email)
                    .await
            }
        };
        match &sent {
            Ok(()) => self.note_sending_side(org, &sending, None).await?,
            Err(MailError::Sender(e)) => self.note_sending_side(org, &sending, Some(e)).await?,
            Err(_) => {}
        }
        let outcome = match sent {
            Ok(()) => SendOutcome::Sent,
            Err(MailError::Rejected(e)) => SendOutcome::Bounced(e),
            Err(MailError::Transient(e) | MailError::Sender(e)) => SendOutcome::Retry {
                error: e,
                at: now + retry_delay(job.attempts, rand::random::<f64>()),
            },
        };
        let handled = settle(delivery, outcome.clone()).await?;
        if outcome == SendOutcome::Sent {
            self.schedule_rollup(org, payload.campaign, now).await?;
        }
        Ok(handled)
    }

    /// When a send must wait for the step ahead of it to the same contact: while that step is
    /// not settled, and until the gap between them after it was sent (the local days between
    /// their planned times, at least the configured minimum). `None` when it may go now.
    async fn wait_for_previous_step(
        &self,
        org: OrgId,
        send: &SendSpec,
        window: &SendWindow,
        tz: Tz,
    ) -> AppResult<Option<DateTime<Utc>>> {
        if send.step <= 1 {
            return Ok(None);
        }
        let now = self.now();
        let Some(previous) = self
            .service_repos()
            .execution
            .previous_step(org, send.campaign, send.contact, send.step)
            .await?
        else {
            return Ok(None);
        };
        let min_gap = self.execution().min_step_gap_days;
        let gap = send
            .due_at
            .map_or(min_gap, |due| local_days_between(previous.due_at, due, tz))
            .max(min_gap);
        let earliest = match (previous.state.is_settled(), previous.sent_at) {
            (false, _) => window.after_gap(now, gap, tz),
            (true, Some(sent)) => window.after_gap(sent, gap, tz),
            (true, None) => return Ok(None),
        };
        Ok((earliest > now).then_some(earliest))
    }

    /// Makes sure a results rollup of `campaign` runs within a minute.
    pub(crate) async fn schedule_rollup(
        &self,
        org: OrgId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let bucket = now.timestamp() / 60;
        self.service_repos()
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
