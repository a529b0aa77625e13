//! A campaign's email health: how many of its messages mail servers accepted, how many bounced,
//! how many recipients reported one as spam or unsubscribed through it, as counts and rates,
//! held against the limits mailbox providers set for bulk senders.

use serde::{Deserialize, Serialize};

/// Gmail's and Yahoo's bulk-sender rule: the spam-complaint rate must stay below 0.3%.
pub const COMPLAINT_RATE_LIMIT: f64 = 0.003;
/// Google's recommendation for bulk senders: a spam-complaint rate below 0.1%.
pub const COMPLAINT_RATE_TARGET: f64 = 0.001;
/// Above 2% of attempted messages bouncing, a list is stale and providers start to throttle.
pub const BOUNCE_RATE_LIMIT: f64 = 0.02;

/// What crossed a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthWarningCode {
    /// Spam complaints at or above 0.3% of delivered messages (Gmail and Yahoo's limit).
    ComplaintRateOverLimit,
    /// Spam complaints at or above 0.1% of delivered messages (Google's recommendation).
    ComplaintRateOverTarget,
    /// Bounces above 2% of attempted messages.
    BounceRateOverLimit,
}

impl HealthWarningCode {
    /// The code as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ComplaintRateOverLimit => "complaint_rate_over_limit",
            Self::ComplaintRateOverTarget => "complaint_rate_over_target",
            Self::BounceRateOverLimit => "bounce_rate_over_limit",
        }
    }
}

/// One limit crossed, with a sentence saying so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthWarning {
    /// Which limit.
    pub code: HealthWarningCode,
    /// What it means, for people.
    pub message: String,
}

/// A campaign's email health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailHealth {
    /// Messages a recipient's mail server accepted.
    pub delivered: u64,
    /// Messages refused for good (a hard bounce).
    pub bounced: u64,
    /// Recipients who reported a message as spam.
    pub complained: u64,
    /// Recipients who unsubscribed through a message's link.
    pub unsubscribed: u64,
    /// `bounced / (delivered + bounced)`; `null` before any message was attempted.
    pub bounce_rate: Option<f64>,
    /// `complained / delivered`; `null` before any message was delivered.
    pub complaint_rate: Option<f64>,
    /// `unsubscribed / delivered`; `null` before any message was delivered.
    pub unsubscribe_rate: Option<f64>,
    /// The limits crossed, most serious first; empty when all is well.
    pub warnings: Vec<HealthWarning>,
}

impl EmailHealth {
    /// Rates and warnings from the four counts.
    pub fn from_counts(delivered: u64, bounced: u64, complained: u64, unsubscribed: u64) -> Self {
        let ratio = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        let bounce_rate = ratio(bounced, delivered + bounced);
        let complaint_rate = ratio(complained, delivered);
        let mut warnings = Vec::new();
        let percent = |rate: f64| format!("{:.2}%", rate * 100.0);
        match complaint_rate {
            Some(rate) if rate >= COMPLAINT_RATE_LIMIT => warnings.push(HealthWarning {
                code: HealthWarningCode::ComplaintRateOverLimit,
                message: format!(
                    "Spam complaints are {} of delivered email; Gmail and Yahoo require bulk \
                     senders to stay below 0.3%. Stop sending to contacts who have not engaged.",
                    percent(rate)
                ),
            }),
            Some(rate) if rate >= COMPLAINT_RATE_TARGET => warnings.push(HealthWarning {
                code: HealthWarningCode::ComplaintRateOverTarget,
                message: format!(
                    "Spam complaints are {} of delivered email; Google recommends staying \
                     below 0.1%.",
                    percent(rate)
                ),
            }),
            _ => {}
        }
        if let Some(rate) = bounce_rate.filter(|rate| *rate > BOUNCE_RATE_LIMIT) {
            warnings.push(HealthWarning {
                code: HealthWarningCode::BounceRateOverLimit,
                message: format!(
                    "{} of messages bounced; above 2% the list needs cleaning before mailbox \
                     providers start to throttle it.",
                    percent(rate)
                ),
            });
        }
        Self {
            delivered,
            bounced,
            complained,
            unsubscribed,
            bounce_rate,
            complaint_rate,
            unsubscribe_rate: ratio(unsubscribed, delivered),
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(health: &EmailHealth) -> Vec<HealthWarningCode> {
        health.warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn rates_are_over_what_each_one_can_happen_to() {
        let health = EmailHealth::from_counts(1980, 20, 1, 7);
        assert_eq!(health.bounce_rate, Some(0.01));
        assert_eq!(health.complaint_rate, Some(1.0 / 1980.0));
        assert_eq!(health.unsubscribe_rate, Some(7.0 / 1980.0));
        assert!(codes(&health).is_empty(), "{:?}", health.warnings);
        let nothing = EmailHealth::from_counts(0, 0, 0, 0);
        assert_eq!((nothing.bounce_rate, nothing.complaint_rate), (None, None));
    }

    #[test]
    fn the_providers_limits_raise_warnings() {
        assert_eq!(
            codes(&EmailHealth::from_counts(1000, 0, 3, 0)),
            [HealthWarningCode::ComplaintRateOverLimit]
        );
        assert_eq!(
            codes(&EmailHealth::from_counts(1000, 0, 1, 0)),
            [HealthWarningCode::ComplaintRateOverTarget]
        );
        let both = EmailHealth::from_counts(900, 100, 5, 0);
        assert_eq!(
            codes(&both),
            [
                HealthWarningCode::ComplaintRateOverLimit,
                HealthWarningCode::BounceRateOverLimit
            ]
        );
        assert!(
            both.warnings[0].message.contains("0.56%"),
            "{}",
            both.warnings[0].message
        );
        for warning in &both.warnings {
            let json = serde_json::to_value(warning.code).unwrap();
            assert_eq!(json, warning.code.as_str());
        }
    }
}
