//! An organization's sending state: sending-side failures in a row pause its email (a broken
//! relay, a revoked login or a refused sender would otherwise fail every send in turn), and an
//! owner or admin resumes it once the cause is fixed. Sends wait while paused; none is lost.

use crate::error::{AppError, AppResult};
use crate::execution::Execution;
use crate::execution::mail::{DkimSettings, DkimSigner};
use ame_domain::{OrgId, SendingState, SendingStatus, address_domain};
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

/// The sender fields of an organization's message.
pub(crate) struct MessageSender {
    /// The `From` header.
    pub from: String,
    /// The `Reply-To` header, when set.
    pub reply_to: Option<String>,
    /// The organization's own DKIM key, when it has one.
    pub dkim: Option<Arc<DkimSigner>>,
}

/// How long a send waits before it looks again while its organization's sending is paused.
pub(crate) const PAUSED_RECHECK: TimeDelta = TimeDelta::minutes(5);

impl Execution {
    /// The organization's own sender, when it set a sending domain (its key read once per
    /// version).
    pub(crate) async fn org_sender(&self, org: OrgId) -> AppResult<Option<Arc<OrgSender>>> {
        let Some(stored) = self.repos.execution.sending_domain(org).await? else {
            return Ok(None);
        };
        if let Some((at, sender)) = self
            .senders
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
        self.senders
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org, (stored.updated_at, sender.clone()));
        Ok(Some(sender))
    }

    /// Who a message of the organization comes from: its own sender and key when it set a
    /// sending domain, else the configured sender (signed by the mailer's key, if any).
    pub(crate) async fn message_sender(&self, org: OrgId) -> AppResult<MessageSender> {
        let own = self.org_sender(org).await?;
        Ok(MessageSender {
            from: own
                .as_ref()
                .map_or_else(|| self.settings.from.clone(), |o| o.from.clone()),
            reply_to: own.as_ref().and_then(|o| o.reply_to.clone()),
            dkim: own.as_ref().map(|o| o.signer.clone()),
        })
    }

    /// The organization's sending state as a send finds it, and when the send must look
    /// again if its sending is paused.
    pub(crate) async fn sending_gate(
        &self,
        org: OrgId,
    ) -> AppResult<(SendingStatus, Option<DateTime<Utc>>)> {
        let status = self.repos.execution.sending_status(org).await?;
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
        let repos = &self.repos;
        let now = self.now();
        match failure {
            Some(error) => {
                let limit = self.settings.pause_after_failures;
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
