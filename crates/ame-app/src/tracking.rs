//! Public tracking (clicks through `/t/`, one-click unsubscribes through `/u/`), conversions
//! reported by the organization, webhook connectors and the job list.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::execution::new_webhook_secret;
use ame_domain::{
    CampaignId, Channel, Connector, ConnectorId, Consent, ContactId, EmailEvent, FieldError, Job,
    JobId, JobState, LedgerCursor, LedgerFilter, Page, PageRequest, RequestVerdict, TrackingKind,
};
use ame_storage::{NewConnectorRecord, NewTrackingEvent};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A conversion reported by the organization: for a contact (by id or email) or a click token,
/// with an optional value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConversionInput {
    /// The campaign credited (required unless `click_token` names it).
    #[serde(default)]
    pub campaign_id: Option<CampaignId>,
    /// The contact who converted.
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    /// The contact's email address, instead of `contact_id`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: Option<String>,
    /// The token of the tracked link the person arrived through (the `/t/` path's last part).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
    pub click_token: Option<String>,
    /// The conversion's value as a decimal string, e.g. `"1200.00"`.
    #[serde(default, deserialize_with = "ame_domain::money_text")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"))]
    pub value: Option<Decimal>,
}

/// A connector as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewConnector {
    /// Name (1 to 200 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 200, example = "Buffer bridge")
    )]
    pub name: String,
    /// The `https://` (or, for a receiver on this machine, `http://`) URL posts go to.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2000, example = "https://hooks.example.com/ame")
    )]
    pub url: String,
    /// The channels whose posts and ads it publishes.
    #[cfg_attr(feature = "openapi", schema(max_items = 16))]
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// The email events it is told of (`sent`, `delivered`, `bounced`, `complained`,
    /// `clicked`, `unsubscribed`, `converted`); a connector needs channels, events or both.
    #[cfg_attr(feature = "openapi", schema(max_items = 7))]
    #[serde(default)]
    pub events: Vec<EmailEvent>,
}

/// What an unsubscribe link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeOutcome {
    /// The contact is now unsubscribed.
    Unsubscribed,
    /// The contact had already left (or was erased).
    AlreadyUnsubscribed,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError::new(field, message)])
}

impl Engine {
    /// Records a click on a tracked link and returns where it leads; `NotFound` for a token
    /// that is not genuine (altered, forged, or from another deployment). Software following
    /// links on its own (crawlers, previews, mail scanners, prefetching) is sent on but not
    /// counted, and a person's clicks on one link count once an hour (per contact for email
    /// links, per visitor otherwise).
    pub async fn click(&self, token: &str, visit: &ame_domain::Visit) -> AppResult<String> {
        let claim = self
            .execution()
            .signer
            .verify_click(token)
            .ok_or(AppError::NotFound { entity: "link" })?;
        if let Some(verdict) = visit.uncounted_verdict() {
            tracing::debug!(campaign = %claim.campaign, ?verdict, "a click is not counted");
            self.tally(claim.org, claim.campaign, TrackingKind::Click, verdict)
                .await;
            return Ok(claim.destination);
        }
        let now = self.now();
        let who = claim.contact.map_or_else(
            || format!("visitor {}", visit.visitor),
            |c| format!("contact {c}"),
        );
        let dedupe_key = self.execution().signer.dedupe_key(&format!(
            "click {} {} {} {who} {}",
            claim.asset,
            claim.variant,
            claim.destination,
            now.timestamp() / 3600
        ));
        let recorded = self
            .service_repos()
            .execution
            .record_event(
                claim.org,
                NewTrackingEvent {
                    campaign: claim.campaign,
                    asset: Some(claim.asset),
                    variant: Some(claim.variant),
                    contact: claim.contact,
                    kind: TrackingKind::Click,
                    channel: claim.channel,
                    value: None,
                    at: now,
                    dedupe_key: Some(dedupe_key),
                },
            )
            .await?;
        let verdict = if recorded {
            RequestVerdict::Counted
        } else {
            RequestVerdict::Repeated
        };
        self.tally(claim.org, claim.campaign, TrackingKind::Click, verdict)
            .await;
        if !recorded {
            return Ok(claim.destination);
        }
        if let Some(contact) = claim.contact {
            self.observe_outcome(
                claim.org,
                claim.campaign,
                contact,
                ame_domain::OutcomeEvent::Clicked,
            )
            .await?;
        }
        self.executor()
            .schedule_rollup(claim.org, claim.campaign, now)
            .await?;
        Ok(claim.destination)
    }

    /// Tallies a public click or page view by what became of it; a failure is logged, never
    /// in the visitor's way.
    pub(crate) async fn tally(
        &self,
        org: ame_domain::OrgId,
        campaign: CampaignId,
        kind: TrackingKind,
        verdict: RequestVerdict,
    ) {
        if let Err(e) = self
            .service_repos()
            .execution
            .tally_request(org, campaign, kind, verdict)
            .await
        {
            tracing::warn!(%campaign, error = %e, "tallying a tracking request failed");
        }
    }

    /// A campaign's public clicks and landing page views, raw beside counted.
    pub async fn tracked_requests(
        &self,
        caller: &Caller,
        campaign: CampaignId,
    ) -> AppResult<ame_domain::TrackedRequests> {
        let repos = self.repos(caller);
        repos.campaigns.get(caller.org, campaign).await?;
        Ok(repos
            .execution
            .tracked_requests(caller.org, campaign)
            .await?)
    }

    /// Checks an unsubscribe token without acting on it (the page a link opens).
    pub fn check_unsubscribe(&self, token: &str) -> AppResult<()> {
        self.execution()
            .signer
            .verify_unsubscribe(token)
            .map(|_| ())
            .ok_or(AppError::NotFound { entity: "link" })
    }

    /// Unsubscribes the contact an unsubscribe token names (RFC 8058 one-click).
    pub async fn unsubscribe(&self, token: &str) -> AppResult<UnsubscribeOutcome> {
        let claim = self
            .execution()
            .signer
            .verify_unsubscribe(token)
            .ok_or(AppError::NotFound { entity: "link" })?;
        let repos = self.service_repos();
        // The campaign is credited with the unsubscribe only when this link ends a
        // subscription; recorded first, so a crash before the consent change leaves a count
        // that the retried link does not add to (unsubscribes count distinct contacts).
        let subscribed = match repos.contacts.get(claim.org, claim.contact).await {
            Ok(contact) => contact.is_reachable(),
            Err(ame_storage::StorageError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        if subscribed {
            let recorded = repos
                .execution
                .record_event(
                    claim.org,
                    NewTrackingEvent {
                        campaign: claim.campaign,
                        asset: None,
                        variant: None,
                        contact: Some(claim.contact),
                        kind: TrackingKind::Unsubscribe,
                        channel: Channel::Email,
                        value: None,
                        at: self.now(),
                        dedupe_key: None,
                    },
                )
                .await;
            // A deleted campaign no longer counts anything; the unsubscribe still holds.
            match recorded {
                Ok(_) | Err(ame_storage::StorageError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let changed = repos
            .contacts
            .set_consent(
                claim.org,
                claim.contact,
                Consent::Unsubscribed,
                "unsubscribe_link",
                self.now(),
            )
            .await;
        match changed {
            Ok(true) => Ok(UnsubscribeOutcome::Unsubscribed),
            Ok(false) | Err(ame_storage::StorageError::NotFound { .. }) => {
                Ok(UnsubscribeOutcome::AlreadyUnsubscribed)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records a conversion the organization reports.
    pub async fn record_conversion(
        &self,
        caller: &Caller,
        input: ConversionInput,
    ) -> AppResult<()> {
        caller.require_write()?;
        let repos = self.repos(caller);
        let claim = match &input.click_token {
            Some(token) => Some(
                self.execution()
                    .signer
                    .verify_click(token)
                    .filter(|c| c.org == caller.org)
                    .ok_or_else(|| {
                        invalid(
                            "click_token",
                            "is not a tracked-link token of this organization",
                        )
                    })?,
            ),
            None => None,
        };
        let campaign = match (input.campaign_id, &claim) {
            (Some(c), Some(claim)) if c != claim.campaign => {
                return Err(invalid(
                    "campaign_id",
                    "names another campaign than the click token",
                ));
            }
            (Some(c), _) => c,
            (None, Some(claim)) => claim.campaign,
            (None, None) => {
                return Err(invalid(
                    "campaign_id",
                    "is required unless a click_token names the campaign",
                ));
            }
        };
        if let Some(email) = &input.email
            && !ame_domain::is_email_address(email.trim())
        {
            return Err(invalid(
                "email",
                "must be an email address such as ada@example.com (at most 254 characters)",
            ));
        }
        let contact = match (input.contact_id, input.email.as_deref(), &claim) {
            (Some(id), _, _) => Some(repos.contacts.get(caller.org, id).await?.id),
            (None, Some(email), _) => Some(
                repos
                    .contacts
                    .find_by_email(caller.org, email)
                    .await?
                    .ok_or_else(|| invalid("email", "names no contact of this organization"))?
                    .id,
            ),
            (None, None, Some(claim)) => claim.contact,
            (None, None, None) => None,
        };
        if let Some(v) = input.value
            && (v.is_sign_negative()
                || v.normalize().scale() > 2
                || v > ame_storage::MAX_TOTAL_AMOUNT)
        {
            return Err(invalid(
                "value",
                "must be 0 or more with at most two decimals",
            ));
        }
        repos.campaigns.get(caller.org, campaign).await?;
        let now = self.now();
        repos
            .execution
            .record_event(
                caller.org,
                NewTrackingEvent {
                    campaign,
                    asset: claim.as_ref().map(|c| c.asset),
                    variant: claim.as_ref().map(|c| c.variant),
                    contact,
                    kind: TrackingKind::Conversion,
                    channel: claim.as_ref().map_or(Channel::Email, |c| c.channel),
                    value: input.value,
                    at: now,
                    dedupe_key: None,
                },
            )
            .await?;
        if let Some(contact) = contact {
            self.observe_outcome(
                caller.org,
                campaign,
                contact,
                ame_domain::OutcomeEvent::Converted(input.value),
            )
            .await?;
        }
        self.executor()
            .schedule_rollup(caller.org, campaign, now)
            .await
    }

    /// Creates a webhook connector; the answer carries its secret, shown only now.
    pub async fn create_connector(
        &self,
        caller: &Caller,
        input: NewConnector,
    ) -> AppResult<Connector> {
        caller.require_manage()?;
        let mut errors = Vec::new();
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "name",
                "must be 1 to 200 characters without control characters",
            ));
        }
        if let Err(why) = self.execution().egress.check_url(&input.url) {
            errors.push(FieldError::new(
                "url",
                format!("{why}; {}", crate::egress::URL_RULE),
            ));
        }
        if input.channels.len() > 16 {
            errors.push(FieldError::with_allowed(
                "channels",
                "must list at most 16 channels",
                Channel::NAMES,
            ));
        }
        if input.events.len() > EmailEvent::ALL.len() {
            errors.push(FieldError::with_allowed(
                "events",
                "must list each event at most once",
                EmailEvent::NAMES,
            ));
        }
        if input.channels.is_empty() && input.events.is_empty() {
            errors.push(FieldError::with_allowed(
                "channels",
                "a connector publishes at least one channel or is told of at least one event (`events`)",
                Channel::NAMES,
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut channels = input.channels;
        channels.sort();
        channels.dedup();
        let mut events = input.events;
        events.sort();
        events.dedup();
        let created = self
            .repos(caller)
            .execution
            .create_connector(
                caller.org,
                NewConnectorRecord {
                    name,
                    url: input.url,
                    secret: new_webhook_secret(),
                    channels,
                    events,
                },
                self.now(),
            )
            .await?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "connector.created",
                target_kind: "connector",
                target_id: Some(created.id.as_uuid()),
                details: serde_json::json!({
                    "name": created.name,
                    "url": created.url,
                    "channels": created.channels,
                    "events": created.events,
                }),
            },
        )
        .await;
        Ok(created)
    }

    /// The organization's connectors (secrets left out).
    pub async fn connectors(&self, caller: &Caller) -> AppResult<Vec<Connector>> {
        Ok(self
            .repos(caller)
            .execution
            .list_connectors(caller.org)
            .await?)
    }

    /// Deletes a connector.
    pub async fn delete_connector(&self, caller: &Caller, id: ConnectorId) -> AppResult<()> {
        caller.require_manage()?;
        self.repos(caller)
            .execution
            .delete_connector(caller.org, id)
            .await?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "connector.deleted",
                target_kind: "connector",
                target_id: Some(id.as_uuid()),
                details: serde_json::json!({}),
            },
        )
        .await;
        Ok(())
    }

    /// The organization's jobs, most recently changed first.
    pub async fn jobs(
        &self,
        caller: &Caller,
        state: Option<JobState>,
        page: PageRequest,
    ) -> AppResult<Page<Job>> {
        Ok(self
            .repos(caller)
            .jobs
            .list(caller.org, state, page)
            .await?)
    }

    /// Queues a dead or failed job again with fresh attempts.
    pub async fn retry_job(&self, caller: &Caller, id: JobId) -> AppResult<Job> {
        caller.require_write()?;
        Ok(self
            .repos(caller)
            .jobs
            .retry(caller.org, id, self.now())
            .await?)
    }

    /// Reads the queue's depth by kind and state (every organization) into the job metrics.
    pub async fn refresh_queue_depth(&self) -> AppResult<()> {
        let depth = self.service_repos().jobs.depth().await?;
        self.job_metrics().set_depth(depth);
        Ok(())
    }

    /// A campaign's delivery ledger (the outbox timeline), by step and due time.
    pub async fn deliveries(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        limit: u64,
    ) -> AppResult<Vec<ame_domain::Delivery>> {
        let repos = self.repos(caller);
        repos.campaigns.get(caller.org, campaign).await?;
        Ok(repos
            .execution
            .deliveries(caller.org, campaign, limit)
            .await?)
    }

    /// One page of a campaign's delivery ledger matching `filter`, by step then contact, after
    /// the row `cursor` (a `next_cursor` of an earlier page) names.
    pub async fn ledger(
        &self,
        caller: &Caller,
        campaign: CampaignId,
        filter: LedgerFilter,
        cursor: Option<LedgerCursor>,
        limit: u64,
    ) -> AppResult<Page<ame_domain::Delivery>> {
        let repos = self.repos(caller);
        repos.campaigns.get(caller.org, campaign).await?;
        // One row more than asked shows whether another page follows.
        let mut items = repos
            .execution
            .ledger_page(caller.org, campaign, filter, cursor, limit + 1)
            .await?;
        let more = items.len() as u64 > limit;
        items.truncate(limit as usize);
        let next_cursor = more.then(|| items.last()).flatten().map(|last| {
            LedgerCursor {
                step: last.step,
                contact: last.contact_id,
            }
            .encode()
        });
        Ok(Page { items, next_cursor })
    }
}
