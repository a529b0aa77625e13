//! An organization's sending, as its people see it: whether email is going out (sending-side
//! failures in a row pause it; an owner or admin resumes it once the cause is fixed), and its
//! own sending domain — the sender, the DKIM key generated or uploaded, and the DNS records to
//! publish.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::execution::{dkim_public_key, generate_dkim_key};
use ame_domain::{SendingDomain, SendingDomainInput, SendingState, SendingStatus, address_domain};
use ame_storage::StoredSendingDomain;

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
    /// out within five minutes.
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
}
