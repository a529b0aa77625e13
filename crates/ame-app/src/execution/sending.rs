//! An organization's sending state: sending-side failures in a row pause its email (a broken
//! relay, a revoked login or a refused sender would otherwise fail every send in turn), and an
//! owner or admin resumes it once the cause is fixed. Sends wait while paused; none is lost.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::execution::mail::{DkimSettings, DkimSigner, dkim_public_key, generate_dkim_key};
use ame_domain::{
    OrgId, SendingDomain, SendingDomainInput, SendingState, SendingStatus, address_domain,
};
use ame_storage::StoredSendingDomain;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Who an organization's messages come from and the key they are signed with.
#[derive(Debug)]
pub(crate) struct OrgSender {
    /// The `From` header.
    pub from: String,
    /// The `Reply-To` header, if any.
    pub reply_to: Option<String>,
    /// The organization's own signer.
    pub signer: Arc<DkimSigner>,
}

/// A sender with its key read, and the version of the sending domain it was read from.
type CachedSender = (DateTime<Utc>, Arc<OrgSender>);

/// Organizations' senders with their keys read, by the version they were read at.
#[derive(Debug, Default)]
pub struct SenderCache {
    entries: Mutex<HashMap<OrgId, CachedSender>>,
}

fn shown(stored: &StoredSendingDomain) -> SendingDomain {
    let domain = address_domain(&stored.from_address);
    SendingDomain {
        from_name: stored.from_name.clone(),
        from_address: stored.from_address.clone(),
        reply_to: stored.reply_to.clone(),
        dns_records: SendingDomain::records(
            &domain,
            &stored.selector,
            stored.algorithm,
            &stored.public_key,
        ),
        domain,
        dkim_selector: stored.selector.clone(),
        dkim_algorithm: stored.algorithm,
        dkim_public_key: stored.public_key.clone(),
        updated_at: stored.updated_at,
    }
}

/// How long a send waits before it looks again while its organization's sending is paused.
pub(crate) const PAUSED_RECHECK: TimeDelta = TimeDelta::minutes(5);

impl Engine {
    /// Whether the organization's email is going out, and the failures that paused it.
    pub async fn sending_status(&self, caller: &Caller) -> AppResult<SendingStatus> {
        Ok(self
            .repos(caller)
            .execution
            .sending_status(caller.org)
            .await?)
    }

    /// Resumes the organization's sending after a pause (owners and admins); waiting sends go
    /// out within [`PAUSED_RECHECK`].
    pub async fn resume_sending(&self, caller: &Caller) -> AppResult<SendingStatus> {
        caller.require_manage()?;
        let before = self.sending_status(caller).await?;
        let status = self
            .repos(caller)
            .execution
            .resume_sending(caller.org, self.now())
            .await?;
        if before.state == SendingState::Paused {
            self.audit(
                caller,
                crate::audit::Happened {
                    action: "sending.resumed",
                    target_kind: "organization",
                    target_id: Some(caller.org.as_uuid()),
                    details: serde_json::json!({
                        "paused_at": before.paused_at,
                        "last_error": before.last_error,
                    }),
                },
            )
            .await;
        }
        Ok(status)
    }

    /// The organization's sending domain and the DNS records to publish for it.
    pub async fn sending_domain(&self, caller: &Caller) -> AppResult<SendingDomain> {
        self.repos(caller)
            .execution
            .sending_domain(caller.org)
            .await?
            .map(|d| shown(&d))
            .ok_or(AppError::NotFound {
                entity: "sending domain",
            })
    }

    /// Sets the organization's sender and DKIM key (owners and admins): an uploaded key is
    /// checked and kept, else the current key stays while its selector and algorithm do, else
    /// a new key is generated. Its messages are signed with it from then on.
    pub async fn put_sending_domain(
        &self,
        caller: &Caller,
        input: SendingDomainInput,
    ) -> AppResult<SendingDomain> {
        caller.require_manage()?;
        let valid = input
            .validate()
            .map_err(|e| AppError::Validation(e.errors))?;
        let repos = self.repos(caller);
        let current = repos.execution.sending_domain(caller.org).await?;
        let (private_key, public_key) = match (&valid.private_key, &current) {
            (Some(uploaded), _) => {
                let public = dkim_public_key(valid.algorithm, uploaded).map_err(|e| {
                    AppError::Validation(vec![ame_domain::FieldError::new(
                        "dkim_private_key",
                        format!("cannot be read as a {} key: {e}", valid.algorithm.as_str()),
                    )])
                })?;
                (format!("{}\n", uploaded.trim()), public)
            }
            (None, Some(kept))
                if kept.selector == valid.selector && kept.algorithm == valid.algorithm =>
            {
                (kept.private_key.clone(), kept.public_key.clone())
            }
            (None, _) => {
                let algorithm = valid.algorithm;
                tokio::task::spawn_blocking(move || generate_dkim_key(algorithm))
                    .await
                    .map_err(|e| AppError::Internal(format!("generating a DKIM key: {e}")))?
                    .map_err(|e| AppError::Internal(e.to_string()))?
            }
        };
        let saved = repos
            .execution
            .put_sending_domain(
                caller.org,
                StoredSendingDomain {
                    from_name: valid.from_name,
                    from_address: valid.from_address,
                    reply_to: valid.reply_to,
                    selector: valid.selector,
                    algorithm: valid.algorithm,
                    private_key,
                    public_key,
                    updated_at: self.now(),
                },
            )
            .await?;
        self.audit(
            caller,
            crate::audit::Happened {
                action: "sending_domain.saved",
                target_kind: "organization",
                target_id: Some(caller.org.as_uuid()),
                details: serde_json::json!({
                    "from_address": saved.from_address,
                    "dkim_selector": saved.selector,
                    "dkim_algorithm": saved.algorithm.as_str(),
                }),
            },
        )
        .await;
        Ok(shown(&saved))
    }

    /// The organization's own sender, when it set a sending domain (its key read once per
    /// version).
    pub(crate) async fn org_sender(&self, org: OrgId) -> AppResult<Option<Arc<OrgSender>>> {
        let Some(stored) = self.service_repos().execution.sending_domain(org).await? else {
            return Ok(None);
        };
        if let Some((at, sender)) = self
            .senders()
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&org)
            && *at == stored.updated_at
        {
            return Ok(Some(sender.clone()));
        }
        let signer = DkimSigner::new(&DkimSettings {
            selector: stored.selector.clone(),
            domain: address_domain(&stored.from_address),
            private_key: stored.private_key.clone(),
            ed25519: stored.algorithm == ame_domain::DkimAlgorithm::Ed25519,
        })
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let sender = Arc::new(OrgSender {
            from: format!("{} <{}>", stored.from_name, stored.from_address),
            reply_to: stored.reply_to.clone(),
            signer: Arc::new(signer),
        });
        self.senders()
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org, (stored.updated_at, sender.clone()));
        Ok(Some(sender))
    }

    /// The organization's sending state as a send finds it, and when the send must look
    /// again if its sending is paused.
    pub(crate) async fn sending_gate(
        &self,
        org: OrgId,
    ) -> AppResult<(SendingStatus, Option<DateTime<Utc>>)> {
        let status = self.service_repos().execution.sending_status(org).await?;
        let wait = (status.state == SendingState::Paused).then(|| self.now() + PAUSED_RECHECK);
        Ok((status, wait))
    }

    /// Records how a send went for the organization's count of sending-side failures in a row:
    /// `Some(error)` for such a failure, `None` for a message that went through (written only
    /// when the count the send found was not zero).
    pub(crate) async fn note_sending_side(
        &self,
        org: OrgId,
        found: &SendingStatus,
        failure: Option<&str>,
    ) -> AppResult<()> {
        let repos = self.service_repos();
        let now = self.now();
        match failure {
            Some(error) => {
                let limit = self.execution().pause_after_failures;
                if limit == 0 {
                    return Ok(());
                }
                let status = repos
                    .execution
                    .record_sender_failure(org, error, limit, now)
                    .await?;
                if status.state == SendingState::Paused && status.consecutive_failures == limit {
                    tracing::error!(
                        org = %org,
                        failures = limit,
                        error,
                        "sending paused after failures on the sending side; resume it once fixed"
                    );
                }
            }
            None if found.consecutive_failures > 0 => {
                repos.execution.record_sender_success(org, now).await?;
            }
            None => {}
        }
        Ok(())
    }
}
