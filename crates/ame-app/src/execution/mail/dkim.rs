//! DKIM signing (RFC 6376, with RFC 8463's Ed25519) by mail-auth over the finished message:
//! relaxed/relaxed canonicalization, the headers in [`SIGNED_HEADERS`] that the message has.

use super::MailError;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner as Signer, Done};
use std::fmt::Debug;

/// The headers a DKIM signature covers when the message has them: the ones a receiver shows or
/// acts on, including both one-click unsubscribe headers (RFC 8058 §4 requires them signed).
pub const SIGNED_HEADERS: [&str; 11] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Feedback-ID",
];

/// DKIM signing settings.
#[derive(Clone)]
pub struct DkimSettings {
    /// The selector published in DNS (`selector._domainkey.domain`).
    pub selector: String,
    /// The signing domain.
    pub domain: String,
    /// The private key: PEM (PKCS#1 or PKCS#8) for RSA; for Ed25519 a PKCS#8 PEM or the
    /// base64 of the 32-byte seed.
    pub private_key: String,
    /// Whether the key is Ed25519 (else RSA).
    pub ed25519: bool,
}

impl Debug for DkimSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSettings")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

enum Key {
    Rsa(Box<Signer<RsaKey<Sha256>, Done>>),
    Ed25519(Box<Signer<Ed25519Key, Done>>),
}

/// A DKIM key read and ready to sign.
pub struct DkimSigner {
    key: Key,
    domain: String,
}

impl Debug for DkimSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSigner")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

fn unreadable(e: impl std::fmt::Display) -> MailError {
    MailError::Sender(format!("the DKIM key cannot be read: {e}"))
}

fn ed25519_key(text: &str) -> Result<Ed25519Key, MailError> {
    use base64::Engine as _;
    let text = text.trim();
    if text.starts_with("-----BEGIN") {
        use rustls_pki_types::pem::PemObject;
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(text.as_bytes())
            .map_err(unreadable)?;
        return Ed25519Key::from_pkcs8_maybe_unchecked_der(der.secret_pkcs8_der())
            .map_err(unreadable);
    }
    let seed = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(unreadable)?;
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).map_err(unreadable)?;
    let public = ring::signature::KeyPair::public_key(&pair);
    Ed25519Key::from_seed_and_public_key(&seed, public.as_ref()).map_err(unreadable)
}

impl DkimSigner {
    /// Reads the key of `settings`; one that cannot be read is the sender's failure.
    pub fn new(settings: &DkimSettings) -> Result<Self, MailError> {
        let key = if settings.ed25519 {
            Key::Ed25519(Box::new(
                Signer::from_key(ed25519_key(&settings.private_key)?)
                    .domain(settings.domain.clone())
                    .selector(settings.selector.clone())
                    .headers(SIGNED_HEADERS)
                    .header_canonicalization(Canonicalization::Relaxed)
                    .body_canonicalization(Canonicalization::Relaxed),
            ))
        } else {
            use rustls_pki_types::pem::PemObject;
            let der = rustls_pki_types::PrivateKeyDer::from_pem_slice(
                settings.private_key.trim().as_bytes(),
            )
            .map_err(unreadable)?;
            let rsa = RsaKey::<Sha256>::from_key_der(der).map_err(unreadable)?;
            Key::Rsa(Box::new(
                Signer::from_key(rsa)
                    .domain(settings.domain.clone())
                    .selector(settings.selector.clone())
                    .headers(SIGNED_HEADERS)
                    .header_canonicalization(Canonicalization::Relaxed)
                    .body_canonicalization(Canonicalization::Relaxed),
            ))
        };
        Ok(Self {
            key,
            domain: settings.domain.clone(),
        })
    }

    /// `message` with its `DKIM-Signature` header in front.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, MailError> {
        let signature = match &self.key {
            Key::Rsa(signer) => signer.sign(message),
            Key::Ed25519(signer) => signer.sign(message),
        }
        .map_err(|e| MailError::Sender(format!("DKIM signing: {e}")))?;
        let mut signed = signature.to_header().into_bytes();
        signed.extend_from_slice(message);
        Ok(signed)
    }
}

fn key_error(e: impl std::fmt::Display) -> MailError {
    MailError::Sender(format!("the DKIM key: {e}"))
}

/// PEM text of DER bytes under `label`.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// A new DKIM key: the private key as PKCS#8 PEM and the public key as published in DNS
/// (base64 of the SubjectPublicKeyInfo for RSA-2048, of the raw 32 bytes for Ed25519).
pub fn generate_dkim_key(
    algorithm: ame_domain::DkimAlgorithm,
) -> Result<(String, String), MailError> {
    use mail_auth::dkim::generate::DkimKeyPair;
    match algorithm {
        ame_domain::DkimAlgorithm::Rsa => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            use rsa::pkcs8::EncodePrivateKey;
            let pair = DkimKeyPair::generate_rsa(2048).map_err(key_error)?;
            let private =
                rsa::RsaPrivateKey::from_pkcs1_der(pair.private_key()).map_err(key_error)?;
            let pem = private
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(key_error)?
                .to_string();
            let public = dkim_public_key(ame_domain::DkimAlgorithm::Rsa, &pem)?;
            Ok((pem, public))
        }
        ame_domain::DkimAlgorithm::Ed25519 => {
            let pair = DkimKeyPair::generate_ed25519().map_err(key_error)?;
            let pem = pem("PRIVATE KEY", pair.private_key());
            let public = dkim_public_key(ame_domain::DkimAlgorithm::Ed25519, &pem)?;
            Ok((pem, public))
        }
    }
}

/// The public key of a PEM private key, as published in DNS; a key that cannot be read for
/// `algorithm` is refused.
pub fn dkim_public_key(
    algorithm: ame_domain::DkimAlgorithm,
    private_pem: &str,
) -> Result<String, MailError> {
    use base64::Engine as _;
    let text = private_pem.trim();
    let public = match algorithm {
        ame_domain::DkimAlgorithm::Rsa => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
            let private = rsa::RsaPrivateKey::from_pkcs8_pem(text)
                .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(text))
                .map_err(key_error)?;
            private
                .to_public_key()
                .to_public_key_der()
                .map_err(key_error)?
                .as_bytes()
                .to_vec()
        }
        ame_domain::DkimAlgorithm::Ed25519 => {
            use rustls_pki_types::pem::PemObject;
            let der = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(text.as_bytes())
                .map_err(key_error)?;
            let pair =
                ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der.secret_pkcs8_der())
                    .map_err(key_error)?;
            ring::signature::KeyPair::public_key(&pair)
                .as_ref()
                .to_vec()
        }
    };
    Ok(base64::engine::general_purpose::STANDARD.encode(public))
}
