//! Turning an email sequence asset into one contact's message: the step's subject variant,
//! `{{first_name}}`, the unsubscribe link and tracked links in place of the call to action.

use crate::error::{AppError, AppResult};
use crate::execution::Execution;
use crate::execution::links::{ClickClaim, ReferralClaim, UnsubscribeClaim};
use ame_domain::{Asset, AssetId, CampaignId, Channel, Contact, EmailSequenceView, OrgId};
use ame_generation::html::REFERRAL_TAG;
use futures::TryStreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most templates kept in memory.
const CACHE_ENTRIES: usize = 256;

/// One step of an email sequence, as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EmailTemplate {
    /// Subject variants.
    pub subjects: Vec<String>,
    /// The call to action's destination, as it appears in the text part.
    pub cta_url: Option<String>,
    /// The HTML part, with merge tags.
    pub html: String,
    /// The text part, with merge tags.
    pub text: String,
    /// A referral sequence's friend-facing page (`/p/{slug}`), where each contact's
    /// `{{referral_url}}` leads.
    pub referral_page: Option<String>,
    /// Whether the step thanks referrers, so it goes only to contacts who referred someone.
    pub thanks_referrers: bool,
}

/// Recently used templates, so sending thousands of messages reads each file once.
#[derive(Debug, Default)]
pub struct TemplateCache {
    entries: Mutex<HashMap<(AssetId, u32), Arc<EmailTemplate>>>,
}

/// A step of a sequence: its number (1-based), day offset and how many subjects it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SequenceStep {
    pub step: u32,
    pub day: u32,
    pub subjects: u32,
}

/// The steps of an email sequence asset, in order.
pub(crate) fn sequence_steps(asset: &Asset) -> Vec<SequenceStep> {
    EmailSequenceView::read(&asset.content)
        .numbered()
        .map(|(step, e)| SequenceStep {
            step,
            day: e.day,
            subjects: (e.subject.len() as u32).max(1),
        })
        .collect()
}

/// `html` with its `<title>` saying `subject` (the subject actually sent, whichever variant).
fn with_title(html: &str, subject: &str) -> String {
    match (html.find("<title>"), html.find("</title>")) {
        (Some(start), Some(end)) if start < end => format!(
            "{}<title>{}{}",
            &html[..start],
            html_escape(subject),
            &html[end..]
        ),
        _ => html.to_owned(),
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A contact's message, ready for the mailer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Personalised {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub unsubscribe_url: String,
}

impl Execution {
    /// The template of `step` of the email sequence `asset`.
    pub(crate) async fn email_template(
        &self,
        org: OrgId,
        asset: AssetId,
        step: u32,
    ) -> AppResult<Arc<EmailTemplate>> {
        if let Some(found) = self
            .templates
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(asset, step))
        {
            return Ok(found.clone());
        }
        let stored = self.repos.assets.get(org, asset).await?;
        let sequence = EmailSequenceView::read(&stored.content);
        let email = sequence
            .step(step)
            .ok_or_else(|| AppError::Internal(format!("the sequence has no step {step}")))?;
        let subjects = email.subject.clone();
        if subjects.is_empty() {
            return Err(AppError::Internal(format!("step {step} has no subject")));
        }
        let files = stored.files();
        let read = |name: String| {
            let file = files.iter().find(|f| f.name == name).cloned();
            async move {
                let file = file.ok_or_else(|| {
                    AppError::Internal(format!("the sequence has no rendered {name}"))
                })?;
                let (_, stream) = self
                    .blobs
                    .open(&file.key)
                    .await?
                    .ok_or(AppError::FileMissing)?;
                let chunks: Vec<bytes::Bytes> = stream.try_collect().await?;
                String::from_utf8(chunks.concat())
                    .map_err(|_| AppError::Internal(format!("{name} is not UTF-8")))
            }
        };
        let template = Arc::new(EmailTemplate {
            subjects,
            cta_url: email.cta_url.clone(),
            html: read(format!("email-{step}.html")).await?,
            text: read(format!("email-{step}.txt")).await?,
            referral_page: sequence.referral_page.clone(),
            thanks_referrers: sequence.referral_page.is_some()
                && email.purpose.as_deref() == Some("thank_you"),
        });
        let mut entries = self
            .templates
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert((asset, step), template.clone());
        Ok(template)
    }

    /// `template` for `contact`: its subject variant, first name, unsubscribe link and the
    /// call to action through a tracked link.
    pub(crate) fn personalise(
        &self,
        template: &EmailTemplate,
        campaign: CampaignId,
        asset: AssetId,
        variant: u32,
        contact: &Contact,
    ) -> Personalised {
        let settings = &self.settings;
        let subject = template.subjects[variant as usize % template.subjects.len()].clone();
        let unsubscribe = settings.signer.unsubscribe_token(&UnsubscribeClaim {
            org: contact.org_id,
            contact: contact.id,
            campaign,
        });
        let unsubscribe_url = format!("{}/u/{unsubscribe}", settings.public_url);
        let name = contact
            .first_name
            .clone()
            .unwrap_or_else(|| "there".to_owned());
        let mut html = with_title(&template.html, &subject)
            .replace("{{first_name}}", &html_escape(&name))
            .replace("{{unsubscribe_url}}", &html_escape(&unsubscribe_url));
        let mut text = template
            .text
            .replace("{{first_name}}", &name)
            .replace("{{unsubscribe_url}}", &unsubscribe_url);
        // The contact's own link to the friend-facing page, which names them as the referrer.
        let referral_url = match &template.referral_page {
            Some(page) => {
                let token = settings.signer.referral_token(&ReferralClaim {
                    org: contact.org_id,
                    campaign,
                    referrer: contact.id,
                });
                format!("{}{page}?ref={token}", settings.public_url)
            }
            None => format!("{}/", settings.public_url),
        };
        if let Some(cta) = &template.cta_url {
            let is_referral = cta == REFERRAL_TAG;
            let token = settings.signer.click_token(&ClickClaim {
                org: contact.org_id,
                campaign,
                asset,
                variant,
                contact: Some(contact.id),
                channel: Channel::Email,
                destination: if is_referral {
                    referral_url.clone()
                } else {
                    cta.clone()
                },
            });
            let tracked = format!("{}/t/{token}", settings.public_url);
            html = html.replace(
                &format!("href=\"{}\"", html_escape(cta)),
                &format!("href=\"{}\"", html_escape(&tracked)),
            );
            if is_referral {
                // The button's line is the text part's last link; the body's copies of the
                // link stay untracked, so a friend's visit is not counted as the contact's click.
                if let Some(at) = text.rfind(REFERRAL_TAG) {
                    text.replace_range(at..at + REFERRAL_TAG.len(), &tracked);
                }
            } else {
                text = text.replace(cta.as_str(), &tracked);
            }
        }
        html = html.replace(REFERRAL_TAG, &html_escape(&referral_url));
        text = text.replace(REFERRAL_TAG, &referral_url);
        Personalised {
            subject,
            html,
            text,
            unsubscribe_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::ExecutionSettings;
    use crate::fakes::Mocks;
    use ame_domain::{Consent, ContactId};
    use chrono::Utc;

    #[test]
    fn a_message_names_the_contact_and_tracks_its_link() {
        let engine = engine();
        let template = EmailTemplate {
            subjects: vec!["A".into(), "B".into()],
            cta_url: Some("https://ledgerly.example/demo?utm_source=ame&utm_medium=email".into()),
            html: "<p>Hello {{first_name}},</p><a href=\"https://ledgerly.example/demo?utm_source=ame&amp;utm_medium=email\">Book</a><a href=\"{{unsubscribe_url}}\">Unsubscribe</a>".into(),
            text: "Hello {{first_name}},\nBook: https://ledgerly.example/demo?utm_source=ame&utm_medium=email\nUnsubscribe: {{unsubscribe_url}}".into(),
            referral_page: None,
            thanks_referrers: false,
        };
        let contact = contact();
        let campaign = CampaignId::new();
        let message =
            engine
                .executor()
                .personalise(&template, campaign, AssetId::new(), 3, &contact);
        assert_eq!(message.subject, "B");
        assert!(message.html.contains("Hello Ada &lt;b&gt;,"));
        assert!(message.text.contains("Hello Ada <b>,"));
        assert!(
            !message.html.contains("ledgerly.example"),
            "{}",
            message.html
        );
        assert!(!message.text.contains("ledgerly.example"));
        assert!(message.html.contains("href=\"https://ame.example/t/"));
        assert!(
            message
                .unsubscribe_url
                .starts_with("https://ame.example/u/")
        );
        let token = message.unsubscribe_url.rsplit('/').next().unwrap();
        let claim = engine.execution().signer.verify_unsubscribe(token).unwrap();
        assert_eq!((claim.contact, claim.campaign), (contact.id, campaign));
        let click = message
            .text
            .split("/t/")
            .nth(1)
            .unwrap()
            .split('\n')
            .next()
            .unwrap();
        let claim = engine.execution().signer.verify_click(click).unwrap();
        assert_eq!(claim.destination, template.cta_url.unwrap());
        assert_eq!(claim.variant, 3);
    }

    #[test]
    fn a_referral_message_carries_the_contacts_own_link_and_tracks_only_its_button() {
        let engine = engine();
        let template = EmailTemplate {
            subjects: vec!["Share".into()],
            cta_url: Some(REFERRAL_TAG.into()),
            html:
                "<p>Your link: {{referral_url}}</p><a href=\"{{referral_url}}\">Share your link</a>"
                    .into(),
            text: "Your link: {{referral_url}}\n\nShare your link: {{referral_url}}\n".into(),
            referral_page: Some("/p/spring-referral-1a2b3c4d".into()),
            thanks_referrers: false,
        };
        let contact = contact();
        let campaign = CampaignId::new();
        let message =
            engine
                .executor()
                .personalise(&template, campaign, AssetId::new(), 0, &contact);
        assert!(!message.html.contains("{{"), "{}", message.html);
        assert!(!message.text.contains("{{"), "{}", message.text);
        let signer = &engine.execution().signer;
        let body_link = message
            .text
            .split("Your link: ")
            .nth(1)
            .unwrap()
            .split('\n')
            .next()
            .unwrap();
        let (page, token) = body_link.split_once("?ref=").unwrap();
        assert_eq!(page, "https://ame.example/p/spring-referral-1a2b3c4d");
        let referral = signer.verify_referral(token).unwrap();
        assert_eq!(
            (referral.org, referral.campaign, referral.referrer),
            (contact.org_id, campaign, contact.id)
        );
        let button = message
            .text
            .split("Share your link: https://ame.example/t/")
            .nth(1)
            .unwrap()
            .trim_end();
        let click = signer.verify_click(button).unwrap();
        assert_eq!(
            click.destination, body_link,
            "the button leads to the same page"
        );
        assert!(message.html.contains("href=\"https://ame.example/t/"));
        assert!(
            message
                .html
                .contains(&format!("Your link: {}", body_link.replace('&', "&amp;")))
        );
    }

    /// An engine on mocks whose links start at `https://ame.example`.
    fn engine() -> crate::Engine {
        Mocks::default().engine().with_execution(ExecutionSettings {
            public_url: "https://ame.example".into(),
            ..ExecutionSettings::default()
        })
    }

    fn contact() -> Contact {
        Contact {
            id: ContactId::new(),
            org_id: OrgId::new(),
            email: Some("ada@example.com".into()),
            first_name: Some("Ada <b>".into()),
            time_zone: None,
            locale: None,
            attributes: Default::default(),
            consent: Consent::Subscribed,
            consent_source: "api".into(),
            consent_at: Utc::now(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            erased_at: None,
        }
    }

    #[test]
    fn the_title_is_the_subject_sent() {
        let html = "<html><head><title>Subject A</title></head><body>Hi</body></html>";
        assert_eq!(
            super::with_title(html, "Books & balances"),
            "<html><head><title>Books &amp; balances</title></head><body>Hi</body></html>"
        );
        assert_eq!(super::with_title("<p>no title</p>", "X"), "<p>no title</p>");
    }
}
