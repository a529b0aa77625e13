//! Public landing pages: what anyone may see and submit without credentials. A page reveals only
//! itself; a lead is stored only for a page that is published.

use crate::assets::OpenedFile;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::retry::read_twice;
use ame_domain::{CampaignStatus, FieldError};
use ame_storage::LeadRecording;
use serde_json::{Map, Value, json};

/// The fields of a landing page's lead form, as submitted (trimmed; `None` when left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadSubmission {
    /// The visitor's name.
    pub name: Option<String>,
    /// Their email address.
    pub email: Option<String>,
    /// Their company.
    pub company: Option<String>,
    /// `yes` when they agreed to be contacted.
    pub consent: Option<String>,
    /// The hidden trap field people never fill in.
    pub website: Option<String>,
    /// The token the served page put in its form (see [`LinkSigner::form_token`]).
    ///
    /// [`LinkSigner::form_token`]: crate::execution::LinkSigner::form_token
    pub form_token: Option<String>,
    /// The referral token the page was opened with (`?ref=`), naming who sent the visitor.
    pub referral: Option<String>,
}

/// What happened to a submitted lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadOutcome {
    /// The lead was stored.
    Stored,
    /// The same address signed up on this page within a day: nothing new stored.
    Duplicate,
    /// The trap field was filled (a bot): answered like a success, nothing stored.
    Trapped,
    /// The lead was stored, and its address must be confirmed by email before it is
    /// subscribed (the brand asks for double opt-in).
    AwaitingConfirmation,
}

/// What a visitor of a page gets.
#[derive(Debug)]
pub enum PageView {
    /// The campaign runs: its landing page (the same for every visitor this hour).
    Live(String),
    /// The campaign runs and tests the page's headline or button: the variant this visitor
    /// keeps, and the visitor's id (to store in their cookie).
    Tested {
        /// The page as this visitor sees it.
        html: String,
        /// The visitor's id.
        visitor: uuid::Uuid,
    },
    /// The campaign is paused: a notice instead of the page, and no form.
    Paused,
}

/// Whether `slug` could name a page: lower-case letters, digits and hyphens, 1 to 80.
pub fn is_page_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 80
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Engine {
    /// Opens the landing page published under `slug`: the page while its campaign runs, a
    /// paused notice while it is paused, [`AppError::PageGone`] once it has ended.
    /// A returning visitor (by the id in their cookie) keeps the variant they were given.
    ///
    /// A view counts once an hour per visitor (the cookie's id, else the address and user
    /// agent of `visit`); software opening the page on its own is not counted.
    pub async fn open_public_page(
        &self,
        slug: &str,
        visitor: Option<uuid::Uuid>,
        visit: &ame_domain::Visit,
        referral: Option<&str>,
    ) -> AppResult<PageView> {
        if !is_page_slug(slug) {
            return Err(AppError::PageNotFound);
        }
        let pages = self.service_repos().public_pages;
        let found = read_twice(|| pages.find(slug))
            .await?
            .ok_or(AppError::PageNotFound)?;
        if found.campaign_status.has_ended() {
            return Err(AppError::PageGone);
        }
        if !found.campaign_status.takes_leads() {
            return Ok(PageView::Paused);
        }
        let page = self
            .open_blob(&found.page.file_key, "text/html; charset=utf-8")
            .await?;
        let automated = visit.automated();
        let page = self
            .page_variant(&found.page, page, visitor, automated.is_none(), referral)
            .await?;
        if let Some(verdict) = visit.uncounted_verdict() {
            tracing::debug!(slug, ?verdict, "a page view is not counted");
            self.tally(
                found.page.org,
                found.page.campaign,
                ame_domain::TrackingKind::View,
                verdict,
            )
            .await;
            return Ok(page);
        }
        let now = self.now();
        let who = visitor.map_or_else(|| visit.visitor.clone(), |v| v.to_string());
        let dedupe_key = self.execution().signer.dedupe_key(&format!(
            "view {} {who} {}",
            found.page.asset,
            now.timestamp() / 3600
        ));
        let counted = self
            .service_repos()
            .execution
            .record_event(
                found.page.org,
                ame_storage::NewTrackingEvent {
                    campaign: found.page.campaign,
                    asset: Some(found.page.asset),
                    variant: None,
                    contact: None,
                    kind: ame_domain::TrackingKind::View,
                    channel: ame_domain::Channel::Web,
                    value: None,
                    at: now,
                    dedupe_key: Some(dedupe_key),
                },
            )
            .await;
        if let Ok(recorded) = &counted {
            let verdict = if *recorded {
                ame_domain::RequestVerdict::Counted
            } else {
                ame_domain::RequestVerdict::Repeated
            };
            self.tally(
                found.page.org,
                found.page.campaign,
                ame_domain::TrackingKind::View,
                verdict,
            )
            .await;
        }
        if let Err(e) = &counted {
            // A view that cannot be counted still shows the page.
            tracing::warn!(slug, error = %e, "counting a page view failed");
        } else if counted.is_ok_and(|recorded| recorded)
            && let Err(e) = self
                .executor()
                .schedule_rollup(found.page.org, found.page.campaign, now)
                .await
        {
            tracing::warn!(slug, error = %e, "scheduling a rollup failed");
        }
        Ok(page)
    }

    /// The page itself with its form's token (and the referral token it was opened with, when
    /// that names a contact of this page's campaign), or when its headline or button has
    /// variants, the variant the visitor keeps (a new visitor gets one drawn from the test's
    /// weights, and joins the test only when the visit is `counted`).
    async fn page_variant(
        &self,
        page: &ame_storage::PublishedPage,
        file: OpenedFile,
        visitor: Option<uuid::Uuid>,
        counted: bool,
        referral: Option<&str>,
    ) -> AppResult<PageView> {
        let asset = self
            .service_repos()
            .assets
            .get(page.org, page.asset)
            .await?;
        let html = page_html(file).await?;
        let signer = &self.execution().signer;
        let token = signer.form_token(&page.slug, self.now());
        let mut html = ame_generation::html::with_form_token(&html, &page.slug, &token);
        if let Some(referral) = referral.filter(|r| self.referrer_of(page, r).is_some()) {
            html = ame_generation::html::with_hidden_field(&html, &page.slug, "ref", referral);
        }
        let fields = ame_generation::html::landing_test_fields(&asset.content);
        if fields.iter().all(|(_, arms)| *arms <= 1) {
            return Ok(PageView::Live(html));
        }
        let visitor = visitor.unwrap_or_else(uuid::Uuid::new_v4);
        let chosen = self
            .visitor_variants(page.org, page.campaign, visitor, &fields, counted)
            .await?;
        let pick = |field: &str| chosen.get(field).copied().unwrap_or(0) as usize;
        Ok(PageView::Tested {
            html: ame_generation::html::landing_variant(
                &html,
                &asset.content,
                pick("landing_headline"),
                pick("landing_cta"),
            ),
            visitor,
        })
    }

    /// Checks and stores a lead submitted through the page under `slug`.
    /// A visitor known by their cookie counts as a lead for the variants they saw.
    pub async fn submit_lead(
        &self,
        slug: &str,
        form: LeadSubmission,
        visitor: Option<uuid::Uuid>,
    ) -> AppResult<LeadOutcome> {
        if !is_page_slug(slug) {
            return Err(AppError::PageNotFound);
        }
        let pages = self.service_repos().public_pages;
        let genuine = form.form_token.as_deref().is_some_and(|t| {
            self.execution()
                .signer
                .verify_form_token(slug, t, self.now())
        });
        if !genuine {
            // A form for a page that does not exist is still not found.
            pages.find(slug).await?.ok_or(AppError::PageNotFound)?;
            return Err(AppError::StaleForm);
        }
        let trapped = form.website.as_deref().is_some_and(|v| !v.is_empty());
        let mut fields = validate_lead(&form)?;
        if let Some(token) = form.referral.as_deref().filter(|t| !t.is_empty()) {
            // A referral that does not verify for this page is ignored: the friend still signs up.
            let found = pages.find(slug).await?.ok_or(AppError::PageNotFound)?;
            if let Some(referrer) = self.referrer_of(&found.page, token) {
                fields.insert("referred_by".into(), Value::String(referrer.to_string()));
            }
        }
        if trapped {
            // Answer a bot like a person, but only for a page that takes leads; store nothing.
            let found = pages.find(slug).await?.ok_or(AppError::PageNotFound)?;
            closed(found.campaign_status)?;
            return Ok(LeadOutcome::Trapped);
        }
        match pages.record_lead(slug, Value::Object(fields)).await? {
            LeadRecording::NoPage => Err(AppError::PageNotFound),
            LeadRecording::Closed(status) => {
                closed(status)?;
                Err(AppError::PagePaused)
            }
            LeadRecording::Duplicate => Ok(LeadOutcome::Duplicate),
            LeadRecording::Stored(lead) => {
                if self.lead_becomes_contact(slug, &lead, visitor).await? {
                    Ok(LeadOutcome::AwaitingConfirmation)
                } else {
                    Ok(LeadOutcome::Stored)
                }
            }
        }
    }

    /// The contact a referral token names, when it is genuine and for `page`'s campaign.
    fn referrer_of(
        &self,
        page: &ame_storage::PublishedPage,
        token: &str,
    ) -> Option<ame_domain::ContactId> {
        self.execution()
            .signer
            .verify_referral(token)
            .filter(|c| c.org == page.org && c.campaign == page.campaign)
            .map(|c| c.referrer)
    }

    /// A lead who ticked the consent box becomes (or updates) a subscribed contact, and the
    /// lead is counted for its campaign's results and its `campaign_leads` audience. When the
    /// brand asks for double opt-in and the address is not subscribed already, it is asked to
    /// confirm by email instead, and counts from its confirmation (returns `true`).
    async fn lead_becomes_contact(
        &self,
        slug: &str,
        lead: &ame_domain::Lead,
        visitor: Option<uuid::Uuid>,
    ) -> AppResult<bool> {
        let repos = self.service_repos();
        let Some(found) = repos.public_pages.find(slug).await? else {
            return Ok(false);
        };
        let org = found.page.org;
        if let Some(visitor) = visitor {
            repos
                .optimisation
                .visitor_converted(org, lead.campaign_id, visitor)
                .await?;
        }
        let email = lead.fields["email"].as_str().unwrap_or_default().to_owned();
        let first_name = lead.fields["name"]
            .as_str()
            .and_then(|n| n.split_whitespace().next())
            .map(|n| n.chars().take(100).collect::<String>());
        let now = self.now();
        let contact = ame_domain::NewContact {
            email,
            first_name,
            consent: Some(ame_domain::Consent::Subscribed),
            ..ame_domain::NewContact::default()
        };
        let Ok(valid) = contact.validate_as("") else {
            return Ok(false);
        };
        if self.confirms_sign_ups(org).await? {
            let current = repos.contacts.find_by_email(org, &valid.email).await?;
            if !current.is_some_and(|c| c.is_reachable()) {
                self.request_confirmation(org, lead.campaign_id, slug, &valid)
                    .await?;
                return Ok(true);
            }
        }
        let valid = vec![valid];
        let erased = self.erased_among(&repos.contacts, org, &valid).await?;
        repos
            .contacts
            .upsert(org, valid.clone(), "landing_page", now, erased)
            .await?;
        let contact = repos.contacts.find_by_email(org, &valid[0].email).await?;
        self.count_lead(
            org,
            lead.campaign_id,
            found.page.asset,
            contact.map(|c| c.id),
        )
        .await?;
        Ok(false)
    }

    /// Counts a lead of `campaign`'s page `asset` (by `contact`, when known) for its results,
    /// and brings its next audience sweep forward so a campaign nurturing its own leads
    /// enrols this one in seconds (at most one sweep per few seconds).
    pub(crate) async fn count_lead(
        &self,
        org: ame_domain::OrgId,
        campaign: ame_domain::CampaignId,
        asset: ame_domain::AssetId,
        contact: Option<ame_domain::ContactId>,
    ) -> AppResult<()> {
        let repos = self.service_repos();
        let now = self.now();
        repos
            .execution
            .record_event(
                org,
                ame_storage::NewTrackingEvent {
                    campaign,
                    asset: Some(asset),
                    variant: None,
                    contact,
                    kind: ame_domain::TrackingKind::Lead,
                    channel: ame_domain::Channel::Web,
                    value: None,
                    at: now,
                    dedupe_key: None,
                },
            )
            .await?;
        repos
            .jobs
            .hurry(
                org,
                campaign,
                ame_domain::kinds::AUDIENCE_SWEEP,
                LEAD_SWEEP_SPACING,
                now,
            )
            .await?;
        self.executor().schedule_rollup(org, campaign, now).await
    }
}

/// A stored page's text.
async fn page_html(file: OpenedFile) -> AppResult<String> {
    let mut bytes = Vec::with_capacity(file.size as usize);
    let mut stream = file.stream;
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        bytes.extend_from_slice(
            &chunk.map_err(|e| AppError::Internal(format!("reading the page: {e}")))?,
        );
    }
    String::from_utf8(bytes).map_err(|_| AppError::Internal("the stored page is not UTF-8".into()))
}

/// The shortest time between two lead-triggered sweeps of one campaign.
const LEAD_SWEEP_SPACING: chrono::TimeDelta = chrono::TimeDelta::seconds(3);

/// Refuses a lead for a campaign that no longer takes them: gone once ended, paused otherwise.
fn closed(status: CampaignStatus) -> AppResult<()> {
    if status.has_ended() {
        Err(AppError::PageGone)
    } else if !status.takes_leads() {
        Err(AppError::PagePaused)
    } else {
        Ok(())
    }
}

fn validate_lead(form: &LeadSubmission) -> AppResult<Map<String, Value>> {
    let mut errors = Vec::new();
    let mut fields = Map::new();
    match form.name.as_deref() {
        Some(n) if (1..=200).contains(&n.chars().count()) && !n.chars().any(char::is_control) => {
            fields.insert("name".into(), json!(n));
        }
        _ => errors.push(FieldError::new(
            "name",
            "is required: 1 to 200 characters without control characters",
        )),
    }
    match form.email.as_deref() {
        Some(e) if is_email(e) => {
            fields.insert("email".into(), json!(e));
        }
        _ => errors.push(FieldError::new(
            "email",
            "is required: an email address such as ada@example.com, at most 254 characters",
        )),
    }
    match form.company.as_deref() {
        None | Some("") => {}
        Some(c) if c.chars().count() <= 200 && !c.chars().any(char::is_control) => {
            fields.insert("company".into(), json!(c));
        }
        Some(_) => errors.push(FieldError::new(
            "company",
            "must be at most 200 characters without control characters",
        )),
    }
    if form.consent.as_deref() == Some("yes") {
        fields.insert("consent".into(), json!(true));
    } else {
        errors.push(FieldError::with_allowed(
            "consent",
            "must be given to be contacted",
            &["yes"],
        ));
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(AppError::Validation(errors))
    }
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && text.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests;
