//! Double opt-in: a landing-page sign-up to a brand that asks for it is recorded with when,
//! where and a keyed hash of the address, sent one confirmation email, and subscribed only
//! when its owner presses the button the link opens (a link scanner's visit confirms nothing).

use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use ame_domain::{
    CampaignId, JobSpec, NewJob, NewOptInRequest, OptInConfirmation, OptInRequest, OrgId,
    ValidContact,
};

/// The brand a confirmation page speaks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmationPage {
    /// The brand's name.
    pub company_name: String,
}

impl Engine {
    /// Whether the organization's brand asks landing-page sign-ups to confirm by email.
    pub(crate) async fn confirms_sign_ups(&self, org: OrgId) -> AppResult<bool> {
        Ok(self
            .service_repos()
            .brands
            .get(org)
            .await?
            .is_some_and(|profile| profile.brand.confirms_sign_ups()))
    }

    /// Records a sign-up of `contact` on `campaign`'s page `slug` to confirm, and queues its
    /// confirmation email.
    pub(crate) async fn request_confirmation(
        &self,
        org: OrgId,
        campaign: CampaignId,
        slug: &str,
        contact: &ValidContact,
    ) -> AppResult<()> {
        let repos = self.service_repos();
        let settings = self.execution();
        let now = self.now();
        let id = uuid::Uuid::new_v4();
        repos
            .contacts
            .request_opt_in(
                org,
                NewOptInRequest {
                    id,
                    campaign_id: campaign,
                    page_slug: slug.to_owned(),
                    address_hash: settings.signer.address_hash(&contact.email_key),
                    email: contact.email.clone(),
                    first_name: contact.first_name.clone(),
                    message_id: format!("<confirm.{}@{}>", id.simple(), settings.sender_domain()),
                    requested_at: now,
                },
            )
            .await?;
        repos
            .jobs
            .enqueue(
                org,
                vec![NewJob::new(
                    JobSpec::ConfirmSignUp { request: id },
                    format!("confirm:{id}"),
                    now,
                )],
                now,
            )
            .await?;
        Ok(())
    }

    /// The page and the request a confirmation link of page `slug` names; `NotFound` for a
    /// link that is not genuine or not of this page.
    async fn confirmation_target(
        &self,
        slug: &str,
        token: &str,
    ) -> AppResult<(ame_storage::PublishedPage, OptInRequest)> {
        let not_found = AppError::NotFound {
            entity: "confirmation link",
        };
        if !crate::is_page_slug(slug) {
            return Err(not_found);
        }
        let Some(id) = self.execution().signer.verify_confirmation(token) else {
            return Err(not_found);
        };
        let repos = self.service_repos();
        let Some(page) = repos.public_pages.find(slug).await? else {
            return Err(not_found);
        };
        match repos.contacts.opt_in_request(page.page.org, id).await {
            Ok(request) if request.page_slug == slug => Ok((page.page, request)),
            Ok(_) | Err(ame_storage::StorageError::NotFound { .. }) => Err(not_found),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks a confirmation link before its page is shown (nothing changes).
    pub async fn confirmation_page(&self, slug: &str, token: &str) -> AppResult<ConfirmationPage> {
        let (page, _) = self.confirmation_target(slug, token).await?;
        let company_name = self
            .service_repos()
            .brands
            .get(page.org)
            .await?
            .map_or_else(String::new, |profile| profile.brand.company_name);
        Ok(ConfirmationPage { company_name })
    }

    /// Confirms a sign-up from its link: the address becomes a subscribed contact (whatever it
    /// was before) and counts as a lead of the campaign whose page took it.
    pub async fn confirm_sign_up(&self, slug: &str, token: &str) -> AppResult<OptInConfirmation> {
        let (page, request) = self.confirmation_target(slug, token).await?;
        let outcome = self
            .service_repos()
            .contacts
            .confirm_opt_in(page.org, request.id, self.now())
            .await?;
        if let OptInConfirmation::Confirmed(contact) = outcome {
            self.count_lead(page.org, request.campaign_id, page.asset, Some(contact))
                .await?;
        }
        Ok(outcome)
    }
}
