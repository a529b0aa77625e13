//! An organization's sending state: sending-side failures in a row pause its email (a broken
//! relay, a revoked login or a refused sender would otherwise fail every send in turn), and an
//! owner or admin resumes it once the cause is fixed. Sends wait while paused; none is lost.

use crate::caller::Caller;
use crate::engine::Engine;
use crate::error::AppResult;
use ame_domain::{OrgId, SendingState, SendingStatus};
use chrono::{DateTime, TimeDelta, Utc};

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
