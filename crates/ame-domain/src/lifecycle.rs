//! The campaign status lifecycle as an explicit transition table.

use crate::enums::{ParseEnumError, string_enum};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// Where a campaign is in its life.
    CampaignStatus, "status" {
        /// Being planned; plan fields may be edited.
        Draft => "draft",
        /// Planned and waiting for its start time.
        Scheduled => "scheduled",
        /// Running.
        Active => "active",
        /// Temporarily stopped.
        Paused => "paused",
        /// Finished; results are final.
        Completed => "completed",
        /// Put away; kept for history only.
        Archived => "archived",
    }
}

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from} campaign cannot become {to}; allowed next states: {}", allowed_list(.allowed))]
pub struct TransitionError {
    /// The current status.
    pub from: CampaignStatus,
    /// The requested status.
    pub to: CampaignStatus,
    /// Every status reachable from `from` in one step.
    pub allowed: &'static [CampaignStatus],
}

fn allowed_list(allowed: &[CampaignStatus]) -> String {
    if allowed.is_empty() {
        return "none (final state)".to_owned();
    }
    allowed
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl CampaignStatus {
    /// The statuses reachable from this one in a single step (the transition table).
    pub const fn allowed_next(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Draft => &[Scheduled, Active, Archived],
            Scheduled => &[Active, Paused, Draft, Archived],
            Active => &[Paused, Completed],
            Paused => &[Active, Completed, Archived],
            Completed => &[Archived],
            Archived => &[],
        }
    }

    /// Whether the lifecycle allows moving from `self` to `target`.
    pub fn can_become(self, target: CampaignStatus) -> bool {
        self.allowed_next().contains(&target)
    }

    /// Checks the move from `self` to `target`, naming the allowed targets when it is refused.
    pub fn transition_to(self, target: CampaignStatus) -> Result<CampaignStatus, TransitionError> {
        if self.can_become(target) {
            Ok(target)
        } else {
            Err(TransitionError {
                from: self,
                to: target,
                allowed: self.allowed_next(),
            })
        }
    }

    /// Every status from which `target` can be reached in one step (the table read backwards).
    pub fn sources_of(target: CampaignStatus) -> Vec<CampaignStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|s| s.can_become(target))
            .collect()
    }

    /// Whether the campaign's landing page takes leads in this status: while it is prepared or
    /// runs (draft, scheduled, active); not while paused or after it ended.
    pub const fn takes_leads(self) -> bool {
        matches!(
            self,
            CampaignStatus::Draft | CampaignStatus::Scheduled | CampaignStatus::Active
        )
    }

    /// Whether the campaign has ended (completed or archived): its page is gone for good.
    pub const fn has_ended(self) -> bool {
        matches!(self, CampaignStatus::Completed | CampaignStatus::Archived)
    }

    /// Whether campaign plan fields may still be edited in this status.
    pub const fn plan_is_editable(self) -> bool {
        matches!(self, CampaignStatus::Draft)
    }
}

#[cfg(test)]
mod tests {
    use super::CampaignStatus::*;
    use super::*;

    #[test]
    fn pages_take_leads_until_paused_and_are_gone_once_ended() {
        let taking: Vec<_> = CampaignStatus::ALL
            .iter()
            .filter(|s| s.takes_leads())
            .collect();
        assert_eq!(taking, [&Draft, &Scheduled, &Active]);
        let ended: Vec<_> = CampaignStatus::ALL
            .iter()
            .filter(|s| s.has_ended())
            .collect();
        assert_eq!(ended, [&Completed, &Archived]);
    }

    const ALLOWED: &[(CampaignStatus, CampaignStatus)] = &[
        (Draft, Scheduled),
        (Draft, Active),
        (Draft, Archived),
        (Scheduled, Active),
        (Scheduled, Paused),
        (Scheduled, Draft),
        (Scheduled, Archived),
        (Active, Paused),
        (Active, Completed),
        (Paused, Active),
        (Paused, Completed),
        (Paused, Archived),
        (Completed, Archived),
    ];

    #[test]
    fn every_pair_follows_the_table() {
        for from in CampaignStatus::ALL {
            for to in CampaignStatus::ALL {
                let expected = ALLOWED.contains(&(*from, *to));
                match from.transition_to(*to) {
                    Ok(next) => {
                        assert!(expected, "{from} -> {to} must be refused");
                        assert_eq!(next, *to);
                    }
                    Err(err) => {
                        assert!(!expected, "{from} -> {to} must be allowed");
                        assert_eq!(err.allowed, from.allowed_next());
                        let msg = err.to_string();
                        for allowed in from.allowed_next() {
                            assert!(msg.contains(allowed.as_str()), "{msg}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn archived_is_final_and_says_so() {
        let err = Archived.transition_to(Draft).unwrap_err();
        assert!(err.allowed.is_empty());
        assert!(err.to_string().contains("final"));
    }

    #[test]
    fn sources_are_the_inverse_of_the_table() {
        assert_eq!(
            CampaignStatus::sources_of(Archived),
            vec![Draft, Scheduled, Paused, Completed]
        );
        assert_eq!(
            CampaignStatus::sources_of(Active),
            vec![Draft, Scheduled, Paused]
        );
        assert_eq!(CampaignStatus::sources_of(Draft), vec![Scheduled]);
    }

    #[test]
    fn only_drafts_are_editable() {
        for s in CampaignStatus::ALL {
            assert_eq!(s.plan_is_editable(), *s == Draft);
        }
    }
}
