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
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
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

/// Who shared a referral link: the contact a referral campaign's email carried it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralClaim {
    /// The organization.
    #[serde(rename = "o")]
    pub org: OrgId,
    /// The referral campaign.
    #[serde(rename = "c")]
    pub campaign: CampaignId,
    /// The contact who refers.
    #[serde(rename = "k")]
    pub referrer: ContactId,
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
const CONFIRM_SIGN_UP: &[u8] = b"ame-confirm-sign-up-v1";
const LEAD_FORM: &[u8] = b"ame-lead-form-v1";
const REFERRAL: &[u8] = b"ame-referral-v1";

/// How long a landing page's form may be sent after the page was served.
pub const FORM_TOKEN_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(24);

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

    /// An opaque token for `claim`: the claim encrypted and authenticated (ChaCha20-Poly1305,
    /// with `purpose` as associated data) under a key derived from the secret, its nonce a MAC
    /// of the claim (a synthetic IV: the same claim gives the same token, and nonces repeat only
    /// for the same claim). Nobody without the secret can read which organization, campaign,
    /// contact or asset a link names.
    fn sign<T: Serialize>(&self, purpose: &[u8], claim: &T) -> String {
        let payload = serde_json::to_vec(claim).unwrap_or_default();
        let mut nonce = [0u8; NONCE_LEN];
        nonce
            .copy_from_slice(&self.mac(b"token-nonce", &[purpose, &payload].concat())[..NONCE_LEN]);
        let mut sealed = payload;
        if self
            .token_key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose),
                &mut sealed,
            )
            .is_err()
        {
            return String::new();
        }
        URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// The key tokens are sealed with, derived from the secret.
    fn token_key(&self) -> LessSafeKey {
        let derived = self.mac(b"token-encryption", b"chacha20-poly1305-v1");
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &derived)
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 gives the 32 bytes the cipher takes"));
        LessSafeKey::new(unbound)
    }

    /// The claim of a genuine token for `purpose`: an opaque one, or one of the readable signed
    /// tokens (`payload.mac`) links carried before, which stay honoured.
    fn verify<T: for<'de> Deserialize<'de>>(&self, purpose: &[u8], token: &str) -> Option<T> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let Some((payload, signature)) = token.split_once('.') else {
            let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
            if bytes.len() < NONCE_LEN {
                return None;
            }
            let (nonce, sealed) = bytes.split_at(NONCE_LEN);
            let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
            let mut sealed = sealed.to_vec();
            let payload = self
                .token_key()
                .open_in_place(nonce, Aad::from(purpose), &mut sealed)
                .ok()?;
            return serde_json::from_slice(payload).ok();
        };
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

    /// The token of a referrer's personal link (the `ref` of their friend-facing page).
    pub fn referral_token(&self, claim: &ReferralClaim) -> String {
        self.sign(REFERRAL, claim)
    }

    /// The claim of a genuine referral token; `None` for anything else.
    pub fn verify_referral(&self, token: &str) -> Option<ReferralClaim> {
        self.verify(REFERRAL, token)
    }

    /// The token of a sign-up's confirmation link: the request's random id and a MAC of it
    /// (opaque: it names no organization, campaign or address).
    pub fn confirmation_token(&self, request: uuid::Uuid) -> String {
        let id = request.as_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(id),
            URL_SAFE_NO_PAD.encode(&self.mac(CONFIRM_SIGN_UP, id)[..16])
        )
    }

    /// The token a landing page `slug` served at `issued` puts in its form: the hour it was
    /// served and a MAC binding it to the page (the same for every visitor that hour, so the
    /// page may still be cached).
    pub fn form_token(&self, slug: &str, issued: chrono::DateTime<chrono::Utc>) -> String {
        let hour = (issued.timestamp().div_euclid(3600)).to_be_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(hour),
            URL_SAFE_NO_PAD.encode(&self.mac(LEAD_FORM, &form_payload(&hour, slug))[..16])
        )
    }

    /// Whether `token` was put in page `slug`'s form by this server within
    /// [`FORM_TOKEN_LIFETIME`] of `now`.
    pub fn verify_form_token(
        &self,
        slug: &str,
        token: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        let Some((hour, signature)) = token.split_once('.') else {
            return false;
        };
        let (Ok(hour), Ok(signature)) = (
            URL_SAFE_NO_PAD.decode(hour),
            URL_SAFE_NO_PAD.decode(signature),
        ) else {
            return false;
        };
        let (Ok(hour), 16) = (<[u8; 8]>::try_from(hour.as_slice()), signature.len()) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return false;
        };
        mac.update(LEAD_FORM);
        mac.update(b".");
        mac.update(&form_payload(&hour, slug));
        if mac.verify_truncated_left(&signature).is_err() {
            return false;
        }
        let served = i64::from_be_bytes(hour).saturating_mul(3600);
        let age = now.timestamp().saturating_sub(served);
        (0..FORM_TOKEN_LIFETIME.num_seconds() + 3600).contains(&age)
    }

    /// The request a genuine confirmation token names; `None` for anything else.
    pub fn verify_confirmation(&self, token: &str) -> Option<uuid::Uuid> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (id, signature) = token.split_once('.')?;
        let id = URL_SAFE_NO_PAD.decode(id).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        if signature.len() != 16 {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(CONFIRM_SIGN_UP);
        mac.update(b".");
        mac.update(&id);
        // Constant-time comparison of the truncated MAC.
        mac.verify_truncated_left(&signature).ok()?;
        uuid::Uuid::from_slice(&id).ok()
    }
}

/// What a form token's MAC covers: the hour the page was served and the page.
fn form_payload(hour: &[u8; 8], slug: &str) -> Vec<u8> {
    let mut payload = hour.to_vec();
    payload.extend_from_slice(slug.as_bytes());
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_hold_for_their_page_for_a_day() {
        use chrono::TimeZone;
        let signer = LinkSigner::new(vec![7u8; 32]);
        let served = chrono::Utc.with_ymd_and_hms(2027, 3, 1, 9, 30, 0).unwrap();
        let token = signer.form_token("spring", served);
        assert_eq!(
            token,
            signer.form_token("spring", served + chrono::TimeDelta::minutes(20))
        );
        for later in [0, 60, 60 * 24] {
            let now = served + chrono::TimeDelta::minutes(later);
            assert!(
                signer.verify_form_token("spring", &token, now),
                "{later} minutes on"
            );
        }
        let day_and_more = served + chrono::TimeDelta::hours(25);
        assert!(
            !signer.verify_form_token("spring", &token, day_and_more),
            "expired"
        );
        let before = served - chrono::TimeDelta::hours(1);
        assert!(
            !signer.verify_form_token("spring", &token, before),
            "from the future"
        );
        assert!(
            !signer.verify_form_token("summer", &token, served),
            "another page"
        );
        let other = LinkSigner::new(vec![8u8; 32]);
        assert!(
            !other.verify_form_token("spring", &token, served),
            "another key"
        );
        let (hour, mac) = token.split_once('.').unwrap();
        let moved = URL_SAFE_NO_PAD.encode((served.timestamp() / 3600 + 5).to_be_bytes());
        assert!(!signer.verify_form_token("spring", &format!("{moved}.{mac}"), served));
        assert!(!signer.verify_form_token("spring", &format!("{hour}.AA"), served));
        assert!(!signer.verify_form_token("spring", "", served));
    }

    #[test]
    fn a_referral_token_names_its_referrer_and_passes_for_nothing_else() {
        let signer = LinkSigner::new(vec![7u8; 32]);
        let claim = ReferralClaim {
            org: OrgId::new(),
            campaign: CampaignId::new(),
            referrer: ContactId::new(),
        };
        let token = signer.referral_token(&claim);
        assert_eq!(signer.verify_referral(&token), Some(claim));
        assert!(!token.contains(&claim.referrer.to_string()), "opaque");
        assert_eq!(LinkSigner::new(vec![8u8; 32]).verify_referral(&token), None);
        let unsubscribe = signer.unsubscribe_token(&UnsubscribeClaim {
            org: claim.org,
            contact: claim.referrer,
            campaign: claim.campaign,
        });
        assert_eq!(
            signer.verify_referral(&unsubscribe),
            None,
            "another purpose"
        );
        assert_eq!(signer.verify_unsubscribe(&token), None, "another purpose");
    }

    #[test]
    fn confirmation_tokens_name_their_request_and_nothing_else_passes() {
        let signer = LinkSigner::new(vec![7u8; 32]);
        let request = uuid::Uuid::new_v4();
        let token = signer.confirmation_token(request);
        assert_eq!(signer.verify_confirmation(&token), Some(request));
        assert!(!token.contains(&request.to_string()), "opaque: {token}");
        let other = LinkSigner::new(vec![8u8; 32]);
        assert_eq!(other.verify_confirmation(&token), None, "another key");
        let (id, mac) = token.split_once('.').unwrap();
        let forged = format!(
            "{}.{mac}",
            URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
        );
        assert_eq!(signer.verify_confirmation(&forged), None, "another id");
        assert_eq!(
            signer.verify_confirmation(&format!("{id}.")),
            None,
            "no MAC"
        );
        assert_eq!(
            signer.verify_confirmation(&format!("{id}.AA")),
            None,
            "short MAC"
        );
        assert_eq!(signer.verify_confirmation("nonsense"), None);
        let unsubscribe = signer.unsubscribe_token(&UnsubscribeClaim {
            org: OrgId::new(),
            contact: ContactId::new(),
            campaign: CampaignId::new(),
        });
        assert_eq!(
            signer.verify_confirmation(&unsubscribe),
            None,
            "another purpose"
        );
    }

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
    fn tokens_are_opaque_round_trip_and_any_change_breaks_them() {
        let signer = LinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let claim = claim();
        let token = signer.click_token(&claim);
        assert_eq!(signer.verify_click(&token), Some(claim.clone()));
        assert_eq!(
            token,
            signer.click_token(&claim),
            "the same claim, the same token"
        );
        let raw = String::from_utf8_lossy(&URL_SAFE_NO_PAD.decode(&token).unwrap()).into_owned();
        for hidden in [
            claim.org.as_uuid().to_string(),
            claim.org.as_uuid().simple().to_string(),
            claim.destination.clone(),
            "ledgerly".to_owned(),
        ] {
            assert!(
                !token.contains(&hidden) && !raw.contains(&hidden),
                "{hidden} shows"
            );
        }
        // Flip every position in turn: nothing altered verifies.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            if altered != token {
                assert_eq!(signer.verify_click(&altered), None, "position {i}");
            }
        }
        // Another key, or the other purpose, does not open it.
        assert_eq!(LinkSigner::random().verify_click(&token), None);
        assert_eq!(signer.verify_unsubscribe(&token), None);
        assert_eq!(signer.verify_click(""), None);
        assert_eq!(signer.verify_click("AAAA"), None);
        assert_eq!(signer.verify_click(&"a.".repeat(2000)), None);
    }

    #[test]
    fn readable_tokens_that_links_carried_before_stay_honoured() {
        let signer = LinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let claim = claim();
        let payload = serde_json::to_vec(&claim).unwrap();
        let signature = URL_SAFE_NO_PAD.encode(signer.mac(CLICK, &payload));
        let old = format!("{}.{signature}", URL_SAFE_NO_PAD.encode(&payload));
        assert_eq!(signer.verify_click(&old), Some(claim.clone()));
        assert_eq!(signer.verify_unsubscribe(&old), None);
        // Another destination needs another signature.
        let mut forged = claim;
        forged.destination = "https://evil.example/".into();
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap())
        );
        assert_eq!(signer.verify_click(&forged), None);
    }
}
