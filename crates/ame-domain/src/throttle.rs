//! Smooth sending: token buckets instead of per-minute quotas. A bucket refills at its rate
//! (messages per minute, spread evenly over the minute) and holds at most a second's worth,
//! so a rate of 600 a minute sends 10 a second rather than 600 in the first instant of each
//! minute. Every organization has one bucket for all its email, and one per big mailbox
//! provider its recipients are at, since those providers throttle senders who arrive in bursts.

use std::collections::BTreeMap;

/// How fast a bucket refills and how much it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketRate {
    /// Messages a minute.
    pub per_minute: u32,
    /// The most it holds: a second's worth, at least one message.
    pub burst: u32,
}

impl BucketRate {
    /// A bucket refilling at `per_minute` and holding a second's worth (at least one).
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            per_minute,
            burst: per_minute.div_ceil(60).max(1),
        }
    }

    /// Tokens added per second.
    pub fn per_second(self) -> f64 {
        f64::from(self.per_minute) / 60.0
    }
}

/// The big mailbox providers and the domains each receives mail for.
pub const MAILBOX_PROVIDERS: [(&str, &[&str]); 4] = [
    ("google", &["gmail.com", "googlemail.com"]),
    (
        "microsoft",
        &[
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "outlook.de",
        ],
    ),
    (
        "yahoo",
        &[
            "yahoo.com",
            "ymail.com",
            "rocketmail.com",
            "aol.com",
            "yahoo.co.uk",
            "yahoo.fr",
        ],
    ),
    ("apple", &["icloud.com", "me.com", "mac.com"]),
];

/// The rate each big provider gets by default: messages a minute per organization.
pub const DEFAULT_PROVIDER_RATE: u32 = 300;

/// Per-receiving-domain rates: a rate for each mailbox provider (by name) and for any other
/// domain named on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainRates {
    rates: BTreeMap<String, u32>,
}

impl Default for DomainRates {
    /// [`DEFAULT_PROVIDER_RATE`] for each of the [`MAILBOX_PROVIDERS`].
    fn default() -> Self {
        Self {
            rates: MAILBOX_PROVIDERS
                .iter()
                .map(|(name, _)| ((*name).to_owned(), DEFAULT_PROVIDER_RATE))
                .collect(),
        }
    }
}

/// Why a list of domain rates was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{entry}`: {reason} (write `google=300,microsoft=300,example.org=60`; 0 lifts a limit)")]
pub struct DomainRatesError {
    /// The entry at fault.
    pub entry: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl DomainRates {
    /// The defaults with `spec`'s entries over them: `name=per_minute` separated by commas,
    /// where a name is a provider (`google`, `microsoft`, `yahoo`, `apple`) or a domain; 0
    /// removes that limit.
    pub fn parse(spec: &str) -> Result<Self, DomainRatesError> {
        let mut rates = Self::default();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let error = |reason| DomainRatesError {
                entry: entry.to_owned(),
                reason,
            };
            let (name, rate) = entry.split_once('=').ok_or(error("no `=`"))?;
            let name = name.trim().to_ascii_lowercase();
            let valid_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !valid_name {
                return Err(error("not a provider name or a domain"));
            }
            let rate: u32 = rate
                .trim()
                .parse()
                .map_err(|_| error("the rate is not a whole number of messages a minute"))?;
            if rate == 0 {
                rates.rates.remove(&name);
            } else {
                rates.rates.insert(name, rate);
            }
        }
        Ok(rates)
    }

    /// The bucket a recipient address's domain falls in and its rate: its provider's when it
    /// is one of a big provider's domains, else its own when named; `None` when unlimited.
    pub fn bucket_for(&self, address: &str) -> Option<(String, BucketRate)> {
        let domain = address.rsplit_once('@')?.1.trim().to_ascii_lowercase();
        let name = MAILBOX_PROVIDERS
            .iter()
            .find(|(_, domains)| domains.contains(&domain.as_str()))
            .map_or(domain.as_str(), |(name, _)| name);
        let rate = *self.rates.get(name)?;
        Some((format!("domain:{name}"), BucketRate::per_minute(rate)))
    }
}

/// The bucket every message of an organization draws from.
pub const ORGANIZATION_BUCKET: &str = "organization";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_holds_a_seconds_worth() {
        assert_eq!(BucketRate::per_minute(600).burst, 10);
        assert_eq!(BucketRate::per_minute(90).burst, 2);
        assert_eq!(BucketRate::per_minute(1).burst, 1);
        assert!((BucketRate::per_minute(600).per_second() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn big_providers_share_a_bucket_across_their_domains() {
        let rates = DomainRates::default();
        let (gmail, rate) = rates.bucket_for("ada@Gmail.com").unwrap();
        assert_eq!(gmail, "domain:google");
        assert_eq!(rate.per_minute, DEFAULT_PROVIDER_RATE);
        assert_eq!(
            rates.bucket_for("bob@googlemail.com").unwrap().0,
            "domain:google"
        );
        assert_eq!(
            rates.bucket_for("cy@hotmail.com").unwrap().0,
            "domain:microsoft"
        );
        assert_eq!(rates.bucket_for("dee@example.org"), None);
        assert_eq!(rates.bucket_for("not-an-address"), None);
    }

    #[test]
    fn rates_are_overridden_added_and_lifted() {
        let rates = DomainRates::parse("google=120, example.org=30, yahoo=0").unwrap();
        assert_eq!(rates.bucket_for("a@gmail.com").unwrap().1.per_minute, 120);
        assert_eq!(
            rates.bucket_for("a@example.org").unwrap(),
            ("domain:example.org".into(), BucketRate::per_minute(30))
        );
        assert_eq!(rates.bucket_for("a@yahoo.com"), None);
        assert_eq!(
            rates.bucket_for("a@outlook.com").unwrap().1.per_minute,
            DEFAULT_PROVIDER_RATE
        );
        for bad in ["google", "google=fast", "bad name=3", "=4"] {
            assert!(DomainRates::parse(bad).is_err(), "{bad}");
        }
    }
}
