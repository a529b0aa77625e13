//! The public pages' and lead form's rules, against mocks of the repositories.

use super::*;
use crate::fakes::{Arc, Mocks, Mutex, Utc};
use ame_domain::{AssetId, CampaignId, Lead, OrgId};
use ame_storage::{PublicPage, PublishedPage};

/// A filled-in form of page `slug`, with the token the page serves now.
fn form(engine: &Engine, slug: &str) -> LeadSubmission {
    LeadSubmission {
        name: Some("Ada Lovelace".into()),
        email: Some("ada@example.com".into()),
        company: None,
        consent: Some("yes".into()),
        website: None,
        form_token: Some(engine.execution().signer.form_token(slug, engine.now())),
        referral: None,
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
            slug == "spring" && fields["email"] == "ada@example.com" && fields["consent"] == true
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
    // The lead becomes a subscribed contact and counts for its campaign (a business
    // brand's sign-ups need no confirmation).
    mocks.brands.expect_get().returning(|_| Ok(None));
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
        engine
            .submit_lead("spring", form(&engine, "spring"), None)
            .await
            .unwrap(),
        LeadOutcome::Stored
    );
    let bot = LeadSubmission {
        website: Some("https://spam.example".into()),
        ..form(&engine, "spring")
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
        engine
            .submit_lead("gone", form(&engine, "gone"), None)
            .await
            .unwrap_err(),
        AppError::PageNotFound
    );
    assert_eq!(
        engine
            .submit_lead("../etc", form(&engine, "../etc"), None)
            .await
            .unwrap_err(),
        AppError::PageNotFound
    );
    let bad = LeadSubmission {
        consent: None,
        ..form(&engine, "spring")
    };
    assert!(matches!(
        engine.submit_lead("spring", bad, None).await.unwrap_err(),
        AppError::Validation(_)
    ));
}

#[tokio::test]
async fn a_form_without_its_pages_genuine_token_is_refused_before_anything_is_stored() {
    let mut mocks = Mocks::default();
    mocks
        .public_pages
        .expect_find()
        .returning(|slug| Ok((slug == "spring").then(|| page(slug, CampaignStatus::Active))));
    mocks.public_pages.expect_record_lead().never();
    let engine = mocks.engine();
    let without = LeadSubmission {
        form_token: None,
        ..form(&engine, "spring")
    };
    let stale = LeadSubmission {
        form_token: Some(
            engine
                .execution()
                .signer
                .form_token("spring", engine.now() - chrono::TimeDelta::days(2)),
        ),
        ..form(&engine, "spring")
    };
    for refused in [without.clone(), stale, form(&engine, "summer")] {
        assert_eq!(
            engine
                .submit_lead("spring", refused, None)
                .await
                .unwrap_err(),
            AppError::StaleForm
        );
    }
    assert_eq!(
        engine
            .submit_lead("autumn", without, None)
            .await
            .unwrap_err(),
        AppError::PageNotFound,
        "an unknown page is still not found"
    );
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
            .open_public_page("spring", None, &ame_domain::Visit::browser("a"), None)
            .await
            .unwrap(),
        PageView::Paused
    ));
    for _ in 0..2 {
        assert_eq!(
            engine
                .open_public_page("spring", None, &ame_domain::Visit::browser("a"), None)
                .await
                .unwrap_err(),
            AppError::PageGone
        );
    }
    assert_eq!(
        engine
            .submit_lead("spring", form(&engine, "spring"), None)
            .await
            .unwrap_err(),
        AppError::PagePaused
    );
    assert_eq!(
        engine
            .submit_lead("spring", form(&engine, "spring"), None)
            .await
            .unwrap_err(),
        AppError::PageGone
    );
    assert_eq!(
        engine
            .submit_lead("spring", form(&engine, "spring"), None)
            .await
            .unwrap(),
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
        form_token: None,
        referral: None,
    };
    let Err(AppError::Validation(errors)) = validate_lead(&form) else {
        panic!("accepted a bad form");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["name", "email", "company", "consent"]);
}
