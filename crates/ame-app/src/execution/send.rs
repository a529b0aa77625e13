//! One planned message to one contact: a channel-neutral gate (the campaign's state, the send
//! window, a paused organization, the order of steps, the pace, suppression and conversion),
//! then the channel's own render and hand-off through its [`Outbound`](super::outbound), and
//! one settlement of the ledger whatever happened.

use crate::error::AppResult;
use crate::execution::mail::OutgoingEmail;
use crate::execution::outbound::OutboundError;
use crate::execution::scheduler::{Handled, zone};
use crate::execution::throttle::{PACE_GRACE, Pace};
use crate::execution::{Decisions, Execution};
use ame_domain::{
    Campaign, CampaignStatus, Channel, Contact, Delivery, Job, JobSpec, OrgId, SendSpec,
    SendWindow, local_days_between, parked_until, retry_delay,
};
use ame_storage::SendOutcome;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

impl Execution {
    /// Sends one step of a sequence to one contact, once: waits (uncounted) while the gate is
    /// closed, settles the ledger as cancelled or suppressed when it will never open, and
    /// otherwise renders and hands the message to its channel.
    pub(crate) async fn send_job(
        &self,
        job: &Job,
        payload: SendSpec,
        decisions: &dyn Decisions,
    ) -> AppResult<Handled> {
        let org = job.org_id;
        let repos = &self.repos;
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
            match self.gate(org, &campaign, &contact, &payload, now).await? {
                Gate::Open(status) => sending = status,
                Gate::Wait(handled) => return Ok(handled),
            }
        }
        let Some(mut delivery) = repos
            .execution
            .start_send(job, payload.campaign, payload.step, payload.contact, now)
            .await?
        else {
            return Ok(Handled::Settled);
        };
        let suppressed = if ended {
            Some(SendOutcome::Cancelled)
        } else if !contact.is_reachable() {
            Some(SendOutcome::Suppressed(format!(
                "the contact is {}",
                contact.consent
            )))
        } else if repos
            .execution
            .has_converted(org, payload.campaign, payload.contact)
            .await?
        {
            Some(SendOutcome::Suppressed("the contact converted".into()))
        } else if delivery.channel == Channel::Email
            && self
                .email_template(org, delivery.asset_id, delivery.step)
                .await?
                .thanks_referrers
            && !repos
                .leads
                .has_referred(org, payload.campaign, payload.contact)
                .await?
        {
            Some(SendOutcome::Suppressed(
                "the contact has referred nobody, and this email thanks referrers".into(),
            ))
        } else {
            None
        };
        let outcome = match suppressed {
            Some(outcome) => outcome,
            None => {
                let delivered = match delivery.channel {
                    Channel::Email => {
                        self.send_email(&campaign, &contact, &mut delivery, now, decisions)
                            .await?
                    }
                    other => Err(OutboundError::Refused(format!(
                        "{other} has no direct-to-contact sender"
                    ))),
                };
                match &delivered {
                    Ok(()) => self.note_sending_side(org, &sending, None).await?,
                    Err(OutboundError::SendingSide(e)) => {
                        self.note_sending_side(org, &sending, Some(e)).await?
                    }
                    Err(_) => {}
                }
                match delivered {
                    Ok(()) => SendOutcome::Sent,
                    Err(OutboundError::Refused(e) | OutboundError::Gone(e)) => {
                        SendOutcome::Bounced(e)
                    }
                    Err(OutboundError::Transient { reason, retry_at }) => SendOutcome::Retry {
                        error: reason,
                        at: retry_at.unwrap_or_else(|| {
                            now + retry_delay(job.attempts, rand::random::<f64>())
                        }),
                    },
                    Err(OutboundError::SendingSide(error)) => SendOutcome::Retry {
                        error,
                        at: now + retry_delay(job.attempts, rand::random::<f64>()),
                    },
                }
            }
        };
        repos
            .execution
            .finish_send(job, &delivery, outcome.clone(), now)
            .await?;
        if outcome == SendOutcome::Sent {
            self.schedule_rollup(org, payload.campaign, now).await?;
        }
        Ok(Handled::Settled)
    }

    /// Whether a send to a reachable contact of a running campaign may go now: inside the
    /// contact's send window, the organization's sending not paused, the step ahead settled and
    /// its gap kept, and a slot in the pace (reserved once and kept in the job).
    async fn gate(
        &self,
        org: OrgId,
        campaign: &Campaign,
        contact: &Contact,
        payload: &SendSpec,
        now: DateTime<Utc>,
    ) -> AppResult<Gate> {
        // Due later (woken early by a resume), or outside the window now: wait, uncounted.
        let tz = zone(contact.time_zone.as_deref(), &campaign.plan.timezone);
        let window: SendWindow = campaign.plan.send_window.clone().unwrap_or_default();
        let open = window.next_open(now.max(payload.due_at.unwrap_or(now)), tz);
        if open > now {
            return Ok(Gate::Wait(Handled::Postpone(open)));
        }
        // Nothing leaves while the organization's sending is paused.
        let (status, paused) = self.sending_gate(org).await?;
        if let Some(wait) = paused {
            return Ok(Gate::Wait(Handled::Postpone(wait)));
        }
        // A step waits for the one ahead of it to settle, then keeps its gap from it.
        if let Some(wait) = self
            .wait_for_previous_step(org, payload, &window, tz)
            .await?
        {
            return Ok(Gate::Wait(Handled::Postpone(wait)));
        }
        // The pace: a slot in the recipient's provider's bucket and the organization's,
        // shared by every worker process. A slot missed by more than a moment (the workers
        // were down or behind) is reserved again, so a backlog does not leave in one burst.
        match payload.paced_at {
            Some(at) if at > now => return Ok(Gate::Wait(Handled::Postpone(at))),
            Some(at) if now - at <= PACE_GRACE => {}
            _ => {
                let address = contact.email.as_deref().unwrap_or_default();
                match self.pace(org, address, now).await? {
                    Pace::Now => {}
                    Pace::Later(at) => return Ok(Gate::Wait(Handled::Postpone(at))),
                    Pace::Reserved(at) => {
                        let reserved = JobSpec::Send(SendSpec {
                            paced_at: Some(at),
                            ..payload.clone()
                        });
                        return Ok(Gate::Wait(Handled::PostponeWith(at, reserved)));
                    }
                }
            }
        }
        Ok(Gate::Open(status))
    }

    /// The email channel: the step's template, the subject variant the test's weights choose
    /// (a retry keeps the first choice), the contact's personalised message under the
    /// organization's sender and key, handed to the mailer.
    async fn send_email(
        &self,
        campaign: &Campaign,
        contact: &Contact,
        delivery: &mut Delivery,
        now: DateTime<Utc>,
        decisions: &dyn Decisions,
    ) -> AppResult<Result<(), OutboundError>> {
        let org = campaign.org_id;
        let template = self
            .email_template(org, delivery.asset_id, delivery.step)
            .await?;
        self.keep_variant(
            decisions,
            campaign,
            contact,
            delivery,
            &ame_domain::subject_field(delivery.step),
            template.subjects.len() as u32,
        )
        .await?;
        let message = self.personalise(
            &template,
            campaign.id,
            delivery.asset_id,
            delivery.subject_variant,
            contact,
        );
        let sender = self.message_sender(org).await?;
        let email = OutgoingEmail {
            from: sender.from,
            reply_to: sender.reply_to,
            dkim: sender.dkim,
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
                campaign.id.as_uuid().simple(),
                campaign.campaign_type,
                org.as_uuid().simple()
            )),
        };
        Ok(self.outbounds.email.deliver(&email).await)
    }

    /// Chooses the variant of `field` (out of `arms`) a first attempt sends, from the test's
    /// current weights, and records it on the delivery; a retry keeps what was chosen first.
    async fn keep_variant(
        &self,
        decisions: &dyn Decisions,
        campaign: &Campaign,
        contact: &Contact,
        delivery: &mut Delivery,
        field: &str,
        arms: u32,
    ) -> AppResult<()> {
        if delivery.attempts > 1 {
            return Ok(());
        }
        let chosen = decisions
            .choose_variant(campaign.org_id, campaign.id, field, arms, contact.id)
            .await?;
        if chosen != delivery.subject_variant {
            self.repos
                .execution
                .set_subject_variant(campaign.org_id, delivery.id, chosen)
                .await?;
            delivery.subject_variant = chosen;
        }
        Ok(())
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
            .repos
            .execution
            .previous_step(org, send.campaign, send.contact, send.step)
            .await?
        else {
            return Ok(None);
        };
        let min_gap = self.settings.min_step_gap_days;
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
}

/// Whether the gate lets a send through.
enum Gate {
    /// It may go now; the organization's sending status as the gate read it.
    Open(ame_domain::SendingStatus),
    /// Not yet: how the job waits.
    Wait(Handled),
}
