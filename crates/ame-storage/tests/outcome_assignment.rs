//! Enrolment records whether a contact had already converted in the campaign before being
//! assigned to a group, on both backends: the lift leaves such contacts out of both groups.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    CampaignType, Channel, Group, NewCampaign, NewContact, TrackingKind, validate_contacts,
};
use ame_storage::{
    CampaignRepository, ContactRepository, ExecutionRepository, NewTrackingEvent,
    OptimisationRepository, OrganizationRepository,
};
use ame_test_support::{TestDb, backend_tests};
use chrono::{TimeDelta, Utc};

backend_tests!(enrolment_marks_contacts_who_converted_before_it);

async fn enrolment_marks_contacts_who_converted_before_it(db: TestDb) {
    let org = db
        .storage
        .organizations()
        .create("Ledgerly")
        .await
        .unwrap()
        .id;
    let campaign = db
        .storage
        .campaigns()
        .create(
            org,
            NewCampaign::new(CampaignType::LeadGen, "Spring")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let now = Utc::now();
    let contacts = db.storage.contacts();
    let addresses = [
        "early@example.com",
        "later@example.com",
        "never@example.com",
    ];
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
    for a in addresses {
        ids.push(contacts.find_by_email(org, a).await.unwrap().unwrap().id);
    }
    let convert = |contact, at| NewTrackingEvent {
        campaign,
        asset: None,
        variant: None,
        contact: Some(contact),
        kind: TrackingKind::Conversion,
        channel: Channel::Email,
        value: None,
        at,
        dedupe_key: None,
    };
    let execution = db.storage.execution();
    execution
        .record_event(org, convert(ids[0], now - TimeDelta::hours(1)))
        .await
        .unwrap();
    // A conversion recorded for a time after the assignment is the campaign's to count.
    execution
        .record_event(org, convert(ids[1], now + TimeDelta::hours(1)))
        .await
        .unwrap();
    let optimisation = db.storage.optimisation();
    optimisation
        .enrol(
            org,
            campaign,
            vec![
                (ids[0], Group::Treatment),
                (ids[1], Group::Control),
                (ids[2], Group::Treatment),
            ],
            now,
        )
        .await
        .unwrap();
    let outcomes = optimisation.outcomes(org, campaign).await.unwrap();
    let before = |id| {
        outcomes
            .iter()
            .find(|o| o.contact_id == id)
            .unwrap()
            .converted_before
    };
    assert!(before(ids[0]), "converted an hour before the assignment");
    assert!(!before(ids[1]), "converted after it");
    assert!(!before(ids[2]), "never converted");
}
