//! The audit log: every change to keys, memberships, the brand, a campaign's status and every
//! deletion is recorded with who did it, when and in which request; owners and admins read it.

use crate::caller::{Actor, Caller};
use crate::engine::Engine;
use crate::error::{AppResult, within};
use crate::retry::read_twice;
use ame_domain::{AuditActor, AuditEvent, OrgId};
use ame_storage::NewAuditEvent;
use std::future::Future;

/// The fewest and most audit events one read may ask for.
pub const AUDIT_LIMIT_RANGE: (u64, u64) = (1, 500);
/// How many audit events a read returns when it names no limit.
pub const DEFAULT_AUDIT_LIMIT: u64 = 100;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `work` as part of the request `id`: audit events recorded meanwhile carry it.
pub async fn in_request<F: Future>(id: String, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}

fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The audit actor a caller is.
fn actor_of(caller: &Caller) -> AuditActor {
    match caller.actor {
        Actor::ApiKey(id) => AuditActor::ApiKey(id),
        Actor::User(id) => AuditActor::User(id),
    }
}

/// What happened, to record.
pub(crate) struct Happened<'a> {
    pub(crate) action: &'a str,
    pub(crate) target_kind: &'a str,
    pub(crate) target_id: Option<uuid::Uuid>,
    pub(crate) details: serde_json::Value,
}

impl Engine {
    /// Records what `caller` did. The change itself is already committed, so a failure to
    /// record is logged rather than turned into a failed request.
    pub(crate) async fn audit(&self, caller: &Caller, happened: Happened<'_>) {
        self.record_audit(caller.org, actor_of(caller), happened, &self.repos(caller))
            .await;
    }

    /// Records what an administrator did on the command line.
    pub(crate) async fn audit_command_line(&self, org: OrgId, happened: Happened<'_>) {
        self.record_audit(
            org,
            AuditActor::CommandLine,
            happened,
            &self.service_repos(),
        )
        .await;
    }

    async fn record_audit(
        &self,
        org: OrgId,
        actor: AuditActor,
        happened: Happened<'_>,
        repos: &crate::repos::Repositories,
    ) {
        let event = NewAuditEvent {
            actor,
            action: happened.action.to_owned(),
            target_kind: happened.target_kind.to_owned(),
            target_id: happened.target_id,
            request_id: current_request_id(),
            details: happened.details,
        };
        if let Err(e) = repos.audit.record(org, event).await {
            tracing::error!(error = %e, action = happened.action, "could not record an audit event");
        }
    }

    /// The organization's newest audit events, newest first (owners and admins); `limit`
    /// defaults to [`DEFAULT_AUDIT_LIMIT`] within [`AUDIT_LIMIT_RANGE`].
    pub async fn audit_log(
        &self,
        caller: &Caller,
        limit: Option<u64>,
    ) -> AppResult<Vec<AuditEvent>> {
        caller.require_manage()?;
        let limit = within("limit", limit, AUDIT_LIMIT_RANGE)?.unwrap_or(DEFAULT_AUDIT_LIMIT);
        let audit = self.repos(caller).audit;
        Ok(read_twice(|| audit.list(caller.org, limit)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::Happened;
    use crate::fakes::*;

    #[tokio::test]
    async fn events_carry_the_actor_and_the_request_they_happened_in() {
        let caller = caller(MemberRole::Owner);
        let mut mocks = Mocks::default();
        let org = caller.org;
        mocks
            .audit
            .expect_record()
            .withf(move |o, e| {
                *o == org
                    && e.action == "brand.saved"
                    && e.request_id.as_deref() == Some("req-7")
                    && matches!(e.actor, ame_domain::AuditActor::ApiKey(_))
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let engine = mocks.engine();
        in_request(
            "req-7".to_owned(),
            engine.audit(
                &caller,
                Happened {
                    action: "brand.saved",
                    target_kind: "brand",
                    target_id: None,
                    details: serde_json::json!({}),
                },
            ),
        )
        .await;
    }

    #[tokio::test]
    async fn only_owners_and_admins_read_the_log() {
        let engine = Mocks::default().engine();
        assert!(matches!(
            engine.audit_log(&caller(MemberRole::Member), None).await,
            Err(AppError::Forbidden(_))
        ));
    }
}
