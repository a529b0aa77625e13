//! An organization's sending domain: who its email comes from, where replies go, and the DKIM
//! key it is signed with, with the DNS records the organization publishes for receivers to
//! trust it.

use crate::contact::is_email_address;
use crate::validation::{FieldError, ValidationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The DKIM signing algorithm of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DkimAlgorithm {
    /// RSA-2048 with SHA-256 (every receiver verifies it).
    #[default]
    Rsa,
    /// Ed25519 with SHA-256 (RFC 8463; not every receiver verifies it yet).
    Ed25519,
}

impl DkimAlgorithm {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DkimAlgorithm::Rsa => "rsa",
            DkimAlgorithm::Ed25519 => "ed25519",
        }
    }
}

/// What an organization asks for its sending domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendingDomainInput {
    /// The name receivers see, e.g. `Ledgerly`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub from_name: String,
    /// The sender address, on the domain to sign for, e.g. `news@ledgerly.com`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 254,
            pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
        )
    )]
    pub from_address: String,
    /// Where replies go (the brand's sign-off invites them), when not to the sender.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 3, max_length = 254))]
    pub reply_to: Option<String>,
    /// The DKIM selector (`selector._domainkey.domain`), default `ame`.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    )]
    pub dkim_selector: Option<String>,
    /// The key's algorithm, default `rsa`.
    #[serde(default)]
    pub dkim_algorithm: Option<DkimAlgorithm>,
    /// A private key to use (PEM: PKCS#1 or PKCS#8 for RSA, PKCS#8 for Ed25519); without one
    /// AME keeps the current key, or generates one when there is none or the selector or
    /// algorithm changed. Never shown again.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub dkim_private_key: Option<String>,
}

/// A checked sending-domain request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSendingDomain {
    /// The display name.
    pub from_name: String,
    /// The sender address.
    pub from_address: String,
    /// The reply address.
    pub reply_to: Option<String>,
    /// The selector.
    pub selector: String,
    /// The algorithm.
    pub algorithm: DkimAlgorithm,
    /// An uploaded private key.
    pub private_key: Option<String>,
}

/// The domain of an address (after the last `@`), lower-cased.
pub fn address_domain(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

impl SendingDomainInput {
    /// Checks every field, reporting each invalid one.
    pub fn validate(self) -> Result<ValidSendingDomain, ValidationError> {
        let mut errors = Vec::new();
        let from_name = self.from_name.trim().to_owned();
        if from_name.is_empty()
            || from_name.chars().count() > 100
            || from_name
                .chars()
                .any(|c| c.is_control() || "<>\"@".contains(c))
        {
            errors.push(FieldError::new(
                "from_name",
                "must be 1 to 100 characters, without control characters, quotes, < > or @",
            ));
        }
        let from_address = self.from_address.trim().to_ascii_lowercase();
        let domain = address_domain(&from_address);
        if !is_email_address(&from_address)
            || !domain.contains('.')
            || domain == "invalid"
            || domain.ends_with(".invalid")
        {
            errors.push(FieldError::new(
                "from_address",
                "must be an email address on a domain you own, e.g. `news@ledgerly.com`",
            ));
        }
        let reply_to = self.reply_to.map(|r| r.trim().to_ascii_lowercase());
        if let Some(reply) = &reply_to
            && !is_email_address(reply)
        {
            errors.push(FieldError::new(
                "reply_to",
                "must be an email address, e.g. `team@ledgerly.com`",
            ));
        }
        let selector = self.dkim_selector.unwrap_or_else(|| "ame".to_owned());
        let selector_ok = (1..=63).contains(&selector.len())
            && selector
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !selector.starts_with('-')
            && !selector.ends_with('-');
        if !selector_ok {
            errors.push(FieldError::new(
                "dkim_selector",
                "must be 1 to 63 lower-case letters, digits and inner hyphens, e.g. `ame2027`",
            ));
        }
        let private_key = self.dkim_private_key.filter(|k| !k.trim().is_empty());
        if let Some(key) = &private_key
            && (!key.trim_start().starts_with("-----BEGIN") || key.len() > 10_000)
        {
            errors.push(FieldError::new(
                "dkim_private_key",
                "must be a PEM private key (PKCS#1 or PKCS#8 for RSA, PKCS#8 for Ed25519)",
            ));
        }
        if !errors.is_empty() {
            return Err(ValidationError { errors });
        }
        Ok(ValidSendingDomain {
            from_name,
            from_address,
            reply_to,
            selector,
            algorithm: self.dkim_algorithm.unwrap_or_default(),
            private_key,
        })
    }
}

/// A DNS record to publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DnsRecord {
    /// What it is for: `dkim`, `spf` or `dmarc`.
    pub purpose: String,
    /// The record type (`TXT`).
    #[serde(rename = "type")]
    pub record_type: String,
    /// The name to publish it under.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// An organization's sending domain as shown (the private key never is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendingDomain {
    /// The display name.
    pub from_name: String,
    /// The sender address.
    pub from_address: String,
    /// Where replies go, when not to the sender.
    pub reply_to: Option<String>,
    /// The signing domain (the sender address's).
    pub domain: String,
    /// The DKIM selector.
    pub dkim_selector: String,
    /// The key's algorithm.
    pub dkim_algorithm: DkimAlgorithm,
    /// The public key, base64 (SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519).
    pub dkim_public_key: String,
    /// The records to publish: the DKIM key, an SPF policy and a DMARC policy to start from.
    pub dns_records: Vec<DnsRecord>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl SendingDomain {
    /// The `From` header value, e.g. `Ledgerly <news@ledgerly.com>`.
    pub fn from_header(&self) -> String {
        format!("{} <{}>", self.from_name, self.from_address)
    }

    /// The DNS records for a sender on `domain` signing with `selector`.
    pub fn records(
        domain: &str,
        selector: &str,
        algorithm: DkimAlgorithm,
        public_key: &str,
    ) -> Vec<DnsRecord> {
        let txt = |purpose: &str, name: String, value: String| DnsRecord {
            purpose: purpose.to_owned(),
            record_type: "TXT".to_owned(),
            name,
            value,
        };
        vec![
            txt(
                "dkim",
                format!("{selector}._domainkey.{domain}"),
                format!("v=DKIM1; k={}; p={public_key}", algorithm.as_str()),
            ),
            txt(
                "spf",
                domain.to_owned(),
                "v=spf1 a mx ~all (add `include:` for the relay AME sends through)".to_owned(),
            ),
            txt(
                "dmarc",
                format!("_dmarc.{domain}"),
                format!("v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}; adkim=r; aspf=r"),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SendingDomainInput {
        SendingDomainInput {
            from_name: "Ledgerly".into(),
            from_address: "News@Ledgerly.com".into(),
            reply_to: Some("team@ledgerly.com".into()),
            dkim_selector: None,
            dkim_algorithm: None,
            dkim_private_key: None,
        }
    }

    #[test]
    fn a_sending_domain_is_checked_field_by_field() {
        let ok = input().validate().unwrap();
        assert_eq!(ok.from_address, "news@ledgerly.com");
        assert_eq!(
            (ok.selector.as_str(), ok.algorithm),
            ("ame", DkimAlgorithm::Rsa)
        );
        let bad = SendingDomainInput {
            from_name: "Bad <name>".into(),
            from_address: "campaigns@ame.invalid".into(),
            reply_to: Some("nobody".into()),
            dkim_selector: Some("Not_OK".into()),
            dkim_algorithm: None,
            dkim_private_key: Some("not pem".into()),
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = bad.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "from_name",
                "from_address",
                "reply_to",
                "dkim_selector",
                "dkim_private_key"
            ]
        );
    }

    #[test]
    fn the_records_name_the_selector_domain_and_key() {
        let records = SendingDomain::records("ledgerly.com", "ame", DkimAlgorithm::Ed25519, "AAA");
        assert_eq!(records[0].name, "ame._domainkey.ledgerly.com");
        assert_eq!(records[0].value, "v=DKIM1; k=ed25519; p=AAA");
        assert_eq!(records[2].name, "_dmarc.ledgerly.com");
        assert!(records.iter().all(|r| r.record_type == "TXT"));
    }
}
