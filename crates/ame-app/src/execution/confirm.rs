//! The job that asks a landing-page sign-up to confirm its address: one transactional email in
//! the brand's colours, from the organization's own sender, with a link that confirms.

use super::outbound::OutboundError;
use super::scheduler::Handled;
use super::{Execution, OutgoingEmail};
use crate::error::{AppError, AppResult};
use ame_domain::{Job, OPT_IN_VALIDITY};

impl Execution {
    /// Sends the confirmation request `request` (nothing once it was confirmed or expired).
    pub(crate) async fn confirm_sign_up_job(
        &self,
        job: &Job,
        request: uuid::Uuid,
    ) -> AppResult<Handled> {
        let org = job.org_id;
        let now = self.clock.now();
        let request = self.repos.contacts.opt_in_request(org, request).await?;
        let Some(to) = request.email.clone() else {
            return Ok(Handled::Done);
        };
        if request.confirmed_at.is_some() || now >= request.expires_at {
            return Ok(Handled::Done);
        }
        let brand = self
            .repos
            .brands
            .get(org)
            .await?
            .ok_or(AppError::NotFound { entity: "brand" })?
            .brand;
        let link = format!(
            "{}/p/{}/confirm/{}",
            self.settings.public_url.trim_end_matches('/'),
            request.page_slug,
            self.settings.signer.confirmation_token(request.id)
        );
        let content = ame_generation::confirmation::confirmation_email(
            &brand,
            request.first_name.as_deref(),
            &link,
            OPT_IN_VALIDITY.num_days(),
        );
        let sender = self.message_sender(org).await?;
        let email = OutgoingEmail {
            from: sender.from,
            reply_to: sender.reply_to,
            dkim: sender.dkim,
            to,
            to_name: request.first_name.clone(),
            subject: content.subject,
            html: content.html,
            text: content.text,
            message_id: request.message_id.clone(),
            unsubscribe_url: String::new(),
            date: std::time::SystemTime::from(now),
            feedback_id: None,
        };
        Ok(match self.outbounds.email.deliver(&email).await {
            Ok(()) => Handled::Done,
            Err(OutboundError::Transient {
                reason,
                retry_at: Some(at),
            }) => Handled::RetryAt(reason, at),
            Err(e @ (OutboundError::Transient { .. } | OutboundError::SendingSide(_))) => {
                Handled::Retry(e.to_string())
            }
            Err(OutboundError::Refused(reason) | OutboundError::Gone(reason)) => {
                Handled::Fatal(reason)
            }
        })
    }
}
