//! Reports of later bounces and spam complaints, applied by Message-ID on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    CampaignStatus, CampaignType, Consent, ContactId, DeliveryState, FeedbackKind, FeedbackOutcome,
    FeedbackReport, FeedbackSource, JobSpec, MessageId, NewCampaign, NewContact, OrgId,
    validate_contacts,
};
use ame_storage::{
    CampaignRepository, ContactRepository, ExecutionRepository, JobQueue, OrganizationRepository,
    PlannedSend, SendOutcome,
};
use ame_test_support::{TestDb, backend_tests};
use chrono::Utc;
use std::time::Duration;

backend_tests!(later_bounces_and_complaints_are_applied_once_by_message_id);

/// An active campaign of a new organization with one contact per address, each planned a
/// two-step sequence; returns the organization, campaign and contacts.
async fn running_campaign(
    db: &TestDb,
    name: &str,
    addresses: &[&str],
) -> (OrgId, ame_domain::CampaignId, Vec<ContactId>) {
    let org = db.storage.organizations().create(name).await.unwrap().id;
    let campaigns = db.storage.campaigns();
    let campaign = campaigns
        .create(
            org,
            NewCampaign::new(CampaignType::LeadGen, "Winter nurture")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Active, None)
        .await
        .unwrap();
    let contacts = db.storage.contacts();
    let now = Utc::now();
    let new: Vec<NewContact> = addresses.iter().map(|a| NewContact::email(*a)).collect();
    contacts
        .upsert(
            org,
            validate_contacts(&new).unwrap(),
            "api",
            now,
            Default::default(),
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for address in addresses {
        ids.push(
            contacts
                .find_by_email(org, address)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    let asset = ame_domain::AssetId::new();
    let sends = ids
        .iter()
        .flat_map(|&contact| {
            [1, 2].map(|step| PlannedSend {
                contact,
                step,
                asset,
                due_at: now,
                message_id: message_id(campaign.id, step, contact),
                subject_variant: 0,
            })
        })
        .collect();
    db.storage
        .execution()
        .plan_sends(org, campaign.id, sends, now)
        .await
        .unwrap();
    (org, campaign.id, ids)
}

fn message_id(campaign: ame_domain::CampaignId, step: u32, contact: ContactId) -> String {
    format!("<{campaign}.{step}.{contact}@mail.example>")
}

fn report(message_id: &str, kind: FeedbackKind) -> FeedbackReport {
    FeedbackReport {
        message_id: MessageId::parse(message_id),
        recipient: None,
        kind,
        reason: "5.1.1 user unknown".into(),
        source: FeedbackSource::Dsn,
    }
}

async fn later_bounces_and_complaints_are_applied_once_by_message_id(db: TestDb) {
    let (org, campaign, ids) =
        running_campaign(&db, "Acme", &["ada@example.com", "bob@example.com"]).await;
    let (other_org, other_campaign, other_ids) =
        running_campaign(&db, "Other", &["cy@example.com"]).await;
    let execution = db.storage.execution();
    let queue = db.storage.jobs();
    let now = Utc::now();

    // Step 1 reaches every contact of the first organization.
    let claimed = queue
        .claim("w", 20, Duration::from_secs(30), now)
        .await
        .unwrap();
    for job in &claimed {
        let Ok(JobSpec::Send(send)) = job.spec() else {
            continue;
        };
        if job.org_id != org || send.step != 1 {
            continue;
        }
        let (step, contact) = (send.step, send.contact);
        let delivery = execution
            .start_send(job, campaign, step, contact, now)
            .await
            .unwrap()
            .unwrap();
        assert!(
            execution
                .finish_send(job, &delivery, SendOutcome::Sent, now)
                .await
                .unwrap()
        );
    }
    assert_eq!(
        execution
            .email_health(org, campaign)
            .await
            .unwrap()
            .delivered,
        2
    );

    // A later hard bounce of Ada's first message, its Message-ID written without brackets.
    let ada_step_one = message_id(campaign, 1, ids[0]);
    let bare = ada_step_one.trim_matches(|c| c == '<' || c == '>');
    let bounce = report(bare, FeedbackKind::HardBounce);
    assert_eq!(
        execution.apply_feedback(&bounce, now).await.unwrap(),
        FeedbackOutcome::Applied
    );
    assert_eq!(
        execution.apply_feedback(&bounce, now).await.unwrap(),
        FeedbackOutcome::AlreadyRecorded,
        "a report delivered twice counts once"
    );
    let ada = db.storage.contacts().get(org, ids[0]).await.unwrap();
    assert_eq!(
        (ada.consent, ada.consent_source.as_str()),
        (Consent::Bounced, "dsn")
    );
    let rows = execution.deliveries(org, campaign, 10).await.unwrap();
    let row = |contact, step| {
        rows.iter()
            .find(|d| d.contact_id == contact && d.step == step)
            .unwrap()
    };
    assert_eq!(row(ids[0], 1).state, DeliveryState::Failed);
    assert_eq!(
        row(ids[0], 1).last_error.as_deref(),
        Some("bounced after it was accepted: 5.1.1 user unknown")
    );
    assert_eq!(
        row(ids[0], 2).state,
        DeliveryState::Suppressed,
        "a bounced address gets no further steps"
    );
    assert_eq!(row(ids[1], 2).state, DeliveryState::Pending);

    // A complaint about Bob's message: consent `complained`, the message stays delivered.
    let complaint = FeedbackReport {
        source: FeedbackSource::Arf,
        ..report(&message_id(campaign, 1, ids[1]), FeedbackKind::Complaint)
    };
    assert_eq!(
        execution.apply_feedback(&complaint, now).await.unwrap(),
        FeedbackOutcome::Applied
    );
    let bob = db.storage.contacts().get(org, ids[1]).await.unwrap();
    assert_eq!(
        (bob.consent, bob.consent_source.as_str()),
        (Consent::Complained, "arf")
    );
    let health = execution.email_health(org, campaign).await.unwrap();
    assert_eq!(
        (health.delivered, health.bounced, health.complained),
        (1, 1, 1)
    );

    // Reports that change nothing.
    for (message, kind, expected) in [
        (
            "<nobody@mail.example>".to_owned(),
            FeedbackKind::HardBounce,
            FeedbackOutcome::UnknownMessage,
        ),
        (
            message_id(campaign, 2, ids[1]),
            FeedbackKind::SoftBounce,
            FeedbackOutcome::Ignored,
        ),
        (
            message_id(campaign, 2, ids[1]),
            FeedbackKind::Delivered,
            FeedbackOutcome::Ignored,
        ),
    ] {
        assert_eq!(
            execution
                .apply_feedback(&report(&message, kind), now)
                .await
                .unwrap(),
            expected,
            "{message} {kind:?}"
        );
    }
    let unnamed = FeedbackReport {
        message_id: None,
        ..report("", FeedbackKind::Complaint)
    };
    assert_eq!(
        execution.apply_feedback(&unnamed, now).await.unwrap(),
        FeedbackOutcome::UnknownMessage
    );

    // The other organization's message is found in the other organization, and only there.
    let cy_message = message_id(other_campaign, 1, other_ids[0]);
    assert_eq!(
        execution
            .apply_feedback(&report(&cy_message, FeedbackKind::Complaint), now)
            .await
            .unwrap(),
        FeedbackOutcome::Applied
    );
    let cy = db
        .storage
        .contacts()
        .get(other_org, other_ids[0])
        .await
        .unwrap();
    assert_eq!(cy.consent, Consent::Complained);
    assert_eq!(
        execution
            .email_health(other_org, other_campaign)
            .await
            .unwrap()
            .complained,
        1
    );
    assert_eq!(
        execution
            .email_health(org, campaign)
            .await
            .unwrap()
            .complained,
        1
    );
}
