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
}

/// What a visitor of a page gets.
#[derive(Debug)]
pub enum PageView {
    /// The campaign runs: its landing page.
    Live(OpenedFile),
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
            .page_variant(&found.page, page, visitor, automated.is_none())
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

    /// The page itself, or when its headline or button has variants, the variant the visitor
    /// keeps (a new visitor gets one drawn from the test's weights, and joins the test only
    /// when the visit is `counted`).
    async fn page_variant(
        &self,
        page: &ame_storage::PublishedPage,
        file: OpenedFile,
        visitor: Option<uuid::Uuid>,
        counted: bool,
    ) -> AppResult<PageView> {
        let asset = self
            .service_repos()
            .assets
            .get(page.org, page.asset)
            .await?;
        let fields = ame_generation::html::landing_test_fields(&asset.content);
        if fields.iter().all(|(_, arms)| *arms <= 1) {
            return Ok(PageView::Live(file));
        }
        let visitor = visitor.unwrap_or_else(uuid::Uuid::new_v4);
        let chosen = self
            .visitor_variants(page.org, page.campaign, visitor, &fields, counted)
            .await?;
        let mut bytes = Vec::with_capacity(file.size as usize);
        let mut stream = file.stream;
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            bytes.extend_from_slice(
                &chunk.map_err(|e| AppError::Internal(format!("reading the page: {e}")))?,
            );
        }
        let html = String::from_utf8(bytes)
            .map_err(|_| AppError::Internal("the stored page is not UTF-8".into()))?;
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
        let trapped = form.website.as_deref().is_some_and(|v| !v.is_empty());
        let fields = validate_lead(&form)?;
        let pages = self.service_repos().public_pages;
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
                self.lead_becomes_contact(slug, &lead, visitor).await?;
                Ok(LeadOutcome::Stored)
            }
        }
    }

    /// A lead who ticked the consent box becomes (or updates) a subscribed contact, and the
    /// lead is counted for its campaign's results and its `campaign_leads` audience.
    async fn lead_becomes_contact(
        &self,
        slug: &str,
        lead: &ame_domain::Lead,
        visitor: Option<uuid::Uuid>,
    ) -> AppResult<()> {
        let repos = self.service_repos();
        let Some(found) = repos.public_pages.find(slug).await? else {
            return Ok(());
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
            return Ok(());
        };
        let valid = vec![valid];
        let erased = self.erased_among(&repos.contacts, org, &valid).await?;
        repos
            .contacts
            .upsert(org, valid.clone(), "landing_page", now, erased)
            .await?;
        let valid = &valid[0];
        let contact = repos.contacts.find_by_email(org, &valid.email).await?;
        repos
            .execution
            .record_event(
                org,
                ame_storage::NewTrackingEvent {
                    campaign: lead.campaign_id,
                    asset: Some(found.page.asset),
                    variant: None,
                    contact: contact.map(|c| c.id),
                    kind: ame_domain::TrackingKind::Lead,
                    channel: ame_domain::Channel::Web,
                    value: None,
                    at: now,
                    dedupe_key: None,
                },
            )
            .await?;
        // A campaign nurturing its own leads enrols this one in seconds, not at its next
        // regular sweep: the queued sweep is brought forward (at most one per few seconds).
        repos
            .jobs
            .hurry(
                org,
                lead.campaign_id,
                ame_domain::kinds::AUDIENCE_SWEEP,
                LEAD_SWEEP_SPACING,
                now,
            )
            .await?;
        self.executor()
            .schedule_rollup(org, lead.campaign_id, now)
            .await
    }
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
mod tests {
    use super::*;
    use crate::fakes::{Arc, Mocks, Mutex, Utc};
    use ame_domain::{AssetId, CampaignId, Lead, OrgId};
    use ame_storage::{PublicPage, PublishedPage};

    fn form() -> LeadSubmission {
        LeadSubmission {
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
            company: None,
            consent: Some("yes".into()),
            website: None,
        }
    }

    fn page(slug: &str, campaign_status: CampaignStatus) -> PublicPage {
        PublicPage {
            page: PublishedPage {
                slug: slug.to_owned(),
                org: OrgId::new(),
                campaign: CampaignId::new(),
                asset: AssetId::new(),
                file_key: "org/abc".into(),
            },
            campaign_status,
        }
    }

    #[tokio::test]
    async fn a_checked_lead_is_stored_with_its_fields_and_a_bot_only_gets_an_answer() {
        let mut mocks = Mocks::default();
        mocks
            .public_pages
            .expect_record_lead()
            .withf(|slug, fields| {
                slug == "spring"
                    && fields["email"] == "ada@example.com"
                    && fields["consent"] == true
            })
            .times(1)
            .returning(|_, fields| {
                Ok(LeadRecording::Stored(Lead {
                    id: uuid::Uuid::now_v7(),
                    campaign_id: CampaignId::new(),
                    fields,
                    created_at: Utc::now(),
                }))
            });
        mocks
            .public_pages
            .expect_find()
            .times(2)
            .returning(|slug| Ok(Some(page(slug, CampaignStatus::Active))));
        // The lead becomes a subscribed contact and counts for its campaign.
        mocks
            .contacts
            .expect_erased_addresses()
            .returning(|_, _| Ok(Default::default()));
        mocks
            .contacts
            .expect_upsert()
            .withf(|_, rows, source, _, _| {
                source == "landing_page"
                    && rows.len() == 1
                    && rows[0].email_key == "ada@example.com"
                    && rows[0].first_name.as_deref() == Some("Ada")
                    && rows[0].consent == Some(ame_domain::Consent::Subscribed)
            })
            .times(1)
            .returning(|_, _, _, _, _| Ok(ame_domain::UpsertSummary::default()));
        mocks
            .contacts
            .expect_find_by_email()
            .times(1)
            .returning(|_, _| Ok(None));
        mocks
            .execution
            .expect_record_event()
            .withf(|_, e| e.kind == ame_domain::TrackingKind::Lead)
            .times(1)
            .returning(|_, _| Ok(true));
        // Its campaign's next audience sweep is brought forward to enrol it.
        mocks
            .jobs
            .expect_hurry()
            .withf(|_, _, kind, _, _| *kind == *ame_domain::kinds::AUDIENCE_SWEEP)
            .times(1)
            .returning(|_, _, _, _, _| Ok(1));
        mocks
            .jobs
            .expect_enqueue()
            .times(1)
            .returning(|_, _, _| Ok(1));
        let engine = mocks.engine();
        assert_eq!(
            engine.submit_lead("spring", form(), None).await.unwrap(),
            LeadOutcome::Stored
        );
        let bot = LeadSubmission {
            website: Some("https://spam.example".into()),
            ..form()
        };
        assert_eq!(
            engine.submit_lead("spring", bot, None).await.unwrap(),
            LeadOutcome::Trapped
        );
    }

    #[tokio::test]
    async fn leads_for_unknown_or_malformed_pages_are_not_found_and_bad_forms_store_nothing() {
        let mut mocks = Mocks::default();
        mocks
            .public_pages
            .expect_record_lead()
            .times(1)
            .returning(|_, _| Ok(LeadRecording::NoPage));
        let engine = mocks.engine();
        assert_eq!(
            engine.submit_lead("gone", form(), None).await.unwrap_err(),
            AppError::PageNotFound
        );
        assert_eq!(
            engine
                .submit_lead("../etc", form(), None)
                .await
                .unwrap_err(),
            AppError::PageNotFound
        );
        let bad = LeadSubmission {
            consent: None,
            ..form()
        };
        assert!(matches!(
            engine.submit_lead("spring", bad, None).await.unwrap_err(),
            AppError::Validation(_)
        ));
    }

    #[tokio::test]
    async fn pages_of_paused_campaigns_show_a_notice_and_ended_ones_are_gone() {
        let statuses = Arc::new(Mutex::new(vec![
            CampaignStatus::Archived,
            CampaignStatus::Completed,
            CampaignStatus::Paused,
        ]));
        let mut mocks = Mocks::default();
        let next = statuses.clone();
        mocks
            .public_pages
            .expect_find()
            .times(3)
            .returning(move |slug| Ok(Some(page(slug, next.lock().unwrap().pop().unwrap()))));
        let recorded = Arc::new(Mutex::new(vec![
            LeadRecording::Duplicate,
            LeadRecording::Closed(CampaignStatus::Completed),
            LeadRecording::Closed(CampaignStatus::Paused),
        ]));
        mocks
            .public_pages
            .expect_record_lead()
            .times(3)
            .returning(move |_, _| Ok(recorded.lock().unwrap().pop().unwrap()));
        let engine = mocks.engine();
        assert!(matches!(
            engine
                .open_public_page("spring", None, &ame_domain::Visit::browser("a"))
                .await
                .unwrap(),
            PageView::Paused
        ));
        for _ in 0..2 {
            assert_eq!(
                engine
                    .open_public_page("spring", None, &ame_domain::Visit::browser("a"))
                    .await
                    .unwrap_err(),
                AppError::PageGone
            );
        }
        assert_eq!(
            engine
                .submit_lead("spring", form(), None)
                .await
                .unwrap_err(),
            AppError::PagePaused
        );
        assert_eq!(
            engine
                .submit_lead("spring", form(), None)
                .await
                .unwrap_err(),
            AppError::PageGone
        );
        assert_eq!(
            engine.submit_lead("spring", form(), None).await.unwrap(),
            LeadOutcome::Duplicate
        );
    }

    #[test]
    fn emails_and_slugs() {
        assert!(is_email("ada@example.com"));
        for bad in [
            "ada",
            "@example.com",
            "ada@example",
            "ada@.com",
            "a da@example.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_page_slug("book-demos-0a1b2c3d"));
        assert!(!is_page_slug("../etc") && !is_page_slug("UPPER") && !is_page_slug(""));
    }

    #[test]
    fn a_lead_form_reports_every_bad_field() {
        let form = LeadSubmission {
            name: Some(String::new()),
            email: Some("ada".into()),
            company: Some("x".repeat(201)),
            consent: None,
            website: None,
        };
        let Err(AppError::Validation(errors)) = validate_lead(&form) else {
            panic!("accepted a bad form");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "company", "consent"]);
    }
}
