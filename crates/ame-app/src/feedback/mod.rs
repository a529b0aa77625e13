//! What happens to a message after a mail server accepted it: later bounces and spam
//! complaints, read from a bounce mailbox over IMAP ([`mailbox`]) and from email service
//! providers' event webhooks ([`providers`]), applied to the delivery their Message-ID names.

pub mod mailbox;
pub mod providers;
mod reports;

pub use reports::{ReportError, parse_report};

use crate::{AppResult, Engine};
use ame_domain::{FeedbackOutcome, FeedbackReport};
use serde::Serialize;

/// What a batch of reports did, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackSummary {
    /// Bounces and complaints recorded, with the contact's consent changed.
    pub applied: u32,
    /// Reports recorded before (a provider retrying, the same report twice).
    pub already_recorded: u32,
    /// Reports about no message AME sent, or naming none.
    pub unknown: u32,
    /// Deliveries and temporary failures: nothing to change.
    pub ignored: u32,
}

impl FeedbackSummary {
    fn count(&mut self, outcome: FeedbackOutcome) {
        let slot = match outcome {
            FeedbackOutcome::Applied => &mut self.applied,
            FeedbackOutcome::AlreadyRecorded => &mut self.already_recorded,
            FeedbackOutcome::UnknownMessage => &mut self.unknown,
            FeedbackOutcome::Ignored => &mut self.ignored,
        };
        *slot += 1;
    }
}

impl std::ops::AddAssign for FeedbackSummary {
    fn add_assign(&mut self, other: Self) {
        self.applied += other.applied;
        self.already_recorded += other.already_recorded;
        self.unknown += other.unknown;
        self.ignored += other.ignored;
    }
}

impl Engine {
    /// Applies reports of later bounces and complaints, each to the delivery its Message-ID
    /// names in whichever organization sent it. Applying the same report again changes
    /// nothing, so a provider's retries and a mailbox read twice are harmless.
    pub async fn apply_feedback(&self, reports: &[FeedbackReport]) -> AppResult<FeedbackSummary> {
        let execution = self.service_repos().execution;
        let mut summary = FeedbackSummary::default();
        for report in reports {
            let outcome = execution.apply_feedback(report, self.now()).await?;
            summary.count(outcome);
        }
        if summary.applied > 0 {
            tracing::info!(?summary, "bounce and complaint reports applied");
        }
        Ok(summary)
    }
}
