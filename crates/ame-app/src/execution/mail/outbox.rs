//! The default mail system: each message as an RFC 5322 `.eml` file in the blob store, signed
//! as the SMTP client would sign it.

use super::{DkimSettings, DkimSigner, MailError, Mailer, OutgoingEmail, signed_message};
use ame_storage::BlobStore;
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;

/// Writes each message as an `.eml` file under `outbox/` in the blob store, named by its
/// Message-ID with every character but letters, digits, `-`, `.` and `_` written as `_` (a
/// retry overwrites the same file).
#[derive(Clone)]
pub struct OutboxMailer {
    blobs: Arc<dyn BlobStore>,
    dkim: Option<Arc<DkimSigner>>,
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer")
            .field("signed", &self.dkim.is_some())
            .finish_non_exhaustive()
    }
}

impl OutboxMailer {
    /// An outbox in `blobs`.
    pub fn new(blobs: Arc<dyn BlobStore>) -> Self {
        Self { blobs, dkim: None }
    }

    /// Signs messages with DKIM as the SMTP client would; a key that cannot be read is refused.
    pub fn with_dkim(mut self, dkim: Option<DkimSettings>) -> Result<Self, MailError> {
        self.dkim = dkim
            .as_ref()
            .map(DkimSigner::new)
            .transpose()?
            .map(Arc::new);
        Ok(self)
    }

    /// The outbox key of a message.
    pub fn key(message_id: &str) -> String {
        let name: String = message_id
            .trim_matches(['<', '>'])
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("outbox/{name}.eml")
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let (_, message) = signed_message(email, email.dkim.as_deref().or(self.dkim.as_deref()))?;
        self.blobs
            .put(&Self::key(&email.message_id), Bytes::from(message))
            .await
            .map_err(|e| MailError::Sender(format!("writing the outbox: {e}")))
    }

    fn delivers(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        "the outbox/ folder of the file store".to_owned()
    }
}
