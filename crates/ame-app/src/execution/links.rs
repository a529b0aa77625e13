//! Signed links: click-tracking tokens (`/t/{token}`) and unsubscribe tokens (`/u/{token}`).
//!
//! A token is the URL-safe base64 of a small JSON claim, a dot, and the URL-safe base64 of its
//! HMAC-SHA256 under the deployment's link secret. The claim names the organization, so a
//! public request acts for exactly that organization; a token altered in any byte fails
//! verification, and a click redirects only to the destination inside its own signed claim.

use ame_domain::{AssetId, CampaignId, Channel, ContactId, OrgId};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

/// Longest accepted token, in bytes.
pub const MAX_TOKEN_LEN: usize = 2048;

/// What a click-tracking link records and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickClaim {
    /// The organization.
    #[serde(rename = "o")]
    pub org: OrgId,
    /// The campaign.
    #[serde(rename = "c")]
    pub campaign: CampaignId,
    /// The asset the link is in.
    #[serde(rename = "a")]
    pub asset: AssetId,
    /// The variant shown.
    #[serde(rename = "v")]
    pub variant: u32,
    /// The contact it was sent to (absent in posts).
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactId>,
    /// The channel.
    #[serde(rename = "h")]
    pub channel: Channel,
    /// The destination.
    #[serde(rename = "u")]
    pub destination: String,
}

/// Who an unsubscribe link unsubscribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeClaim {
    /// The organization.
    #[serde(rename = "o")]
    pub org: OrgId,
    /// The contact.
    #[serde(rename = "k")]
    pub contact: ContactId,
    /// The campaign whose email carried the link.
    #[serde(rename = "c")]
    pub campaign: CampaignId,
}

/// Signs and verifies link tokens with one secret.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkSigner").finish_non_exhaustive()
    }
}

/// Domain separation: a click token can never pass as an unsubscribe token or the reverse.
const CLICK: &[u8] = b"ame-click-v1";
const UNSUBSCRIBE: &[u8] = b"ame-unsubscribe-v1";

impl LinkSigner {
    /// A signer over `key` (at least 32 bytes of secret).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// A signer over a fresh random key (links die with the process: for tests and tools).
    pub fn random() -> Self {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).unwrap_or_default();
        Self { key }
    }

    /// A keyed hash of an address key (its lower-cased address), kept when a contact is erased
    /// so the address can be recognised without being stored.
    pub fn address_hash(&self, email_key: &str) -> String {
        self.mac(b"erased-address", email_key.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A keyed hash of `text` (a visitor, a link and an hour) to de-duplicate events by,
    /// which names nobody: 32 hexadecimal characters.
    pub fn dedupe_key(&self, text: &str) -> String {
        self.mac(b"dedupe", text.as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn mac(&self, purpose: &[u8], payload: &[u8]) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(purpose);
        mac.update(b".");
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    fn sign<T: Serialize>(&self, purpose: &[u8], claim: &T) -> String {
        let payload = serde_json::to_vec(claim).unwrap_or_default();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(self.mac(purpose, &payload))
        )
    }

    fn verify<T: for<'de> Deserialize<'de>>(&self, purpose: &[u8], token: &str) -> Option<T> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (payload, signature) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return None;
        };
        mac.update(purpose);
        mac.update(b".");
        mac.update(&payload);
        // Constant-time comparison.
        mac.verify_slice(&signature).ok()?;
        serde_json::from_slice(&payload).ok()
    }

    /// The token of a tracked link.
    pub fn click_token(&self, claim: &ClickClaim) -> String {
        self.sign(CLICK, claim)
    }

    /// The claim of a genuine click token; `None` for anything else.
    pub fn verify_click(&self, token: &str) -> Option<ClickClaim> {
        self.verify(CLICK, token)
    }

    /// The token of an unsubscribe link.
    pub fn unsubscribe_token(&self, claim: &UnsubscribeClaim) -> String {
        self.sign(UNSUBSCRIBE, claim)
    }

    /// The claim of a genuine unsubscribe token; `None` for anything else.
    pub fn verify_unsubscribe(&self, token: &str) -> Option<UnsubscribeClaim> {
        self.verify(UNSUBSCRIBE, token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> ClickClaim {
        ClickClaim {
            org: OrgId::new(),
            campaign: CampaignId::new(),
            asset: AssetId::new(),
            variant: 1,
            contact: Some(ContactId::new()),
            channel: Channel::Email,
            destination: "https://ledgerly.example/demo?utm_source=ame".into(),
        }
    }

    #[test]
    fn tokens_round_trip_and_any_change_breaks_them() {
        let signer = LinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let claim = claim();
        let token = signer.click_token(&claim);
        assert_eq!(signer.verify_click(&token), Some(claim.clone()));
        // Flip every position in turn: nothing altered verifies.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            if altered != token {
                assert_eq!(signer.verify_click(&altered), None, "position {i}");
            }
        }
        // Another destination needs another signature.
        let (payload, signature) = token.split_once('.').unwrap();
        let mut forged: ClickClaim =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        forged.destination = "https://evil.example/".into();
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap())
        );
        assert_eq!(signer.verify_click(&forged), None);
        // Another key, or the other purpose, does not verify.
        assert_eq!(LinkSigner::random().verify_click(&token), None);
        assert_eq!(signer.verify_unsubscribe(&token), None);
        assert_eq!(signer.verify_click(""), None);
        assert_eq!(signer.verify_click(&"a.".repeat(2000)), None);
    }
}
