//! Reading a campaign's delivery ledger a page at a time, with filters, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    CampaignStatus, CampaignType, Channel, ContactId, Delivery, DeliveryState, LedgerCursor,
    LedgerFilter, NewCampaign, NewContact, OrgId, validate_contacts,
};
use ame_storage::{
    CampaignRepository, ContactRepository, ExecutionRepository, OrganizationRepository, PlannedSend,
};
use ame_test_support::{TestDb, backend_tests};
use chrono::Utc;

backend_tests!(the_ledger_pages_by_step_then_contact_and_filters);

/// Every page of `filter`, `limit` rows at a time, following each page's last row.
async fn all_pages(
    execution: &impl ExecutionRepository,
    org: OrgId,
    campaign: ame_domain::CampaignId,
    filter: LedgerFilter,
    limit: u64,
) -> Vec<Vec<Delivery>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = execution
            .ledger_page(org, campaign, filter, after, limit)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(LedgerCursor {
            step: last.step,
            contact: last.contact_id,
        });
        pages.push(page);
    }
    pages
}

async fn the_ledger_pages_by_step_then_contact_and_filters(db: TestDb) {
    let org = db.storage.organizations().create("Acme").await.unwrap().id;
    let other = db.storage.organizations().create("Other").await.unwrap().id;
    let campaigns = db.storage.campaigns();
    let campaign = campaigns
        .create(
            org,
            NewCampaign::new(CampaignType::LeadGen, "Book 40 demos")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Active, None)
        .await
        .unwrap();
    let now = Utc::now();
    let addresses: Vec<NewContact> = (0..7)
        .map(|i| NewContact::email(format!("reader{i}@example.com")))
        .collect();
    let contacts = db.storage.contacts();
    contacts
        .upsert(
            org,
            validate_contacts(&addresses).unwrap(),
            "api",
            now,
            Default::default(),
        )
        .await
        .unwrap();
    let mut ids: Vec<ContactId> = Vec::new();
    for address in &addresses {
        let email = address.email.clone();
        ids.push(
            contacts
                .find_by_email(org, &email)
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
                message_id: format!("<{}.{step}.{contact}@example.com>", campaign.id),
                subject_variant: 0,
            })
        })
        .collect();
    let execution = db.storage.execution();
    execution
        .plan_sends(org, campaign.id, sends, now)
        .await
        .unwrap();

    // Pages of three: every row once, by step then contact id, the last page short.
    let pages = all_pages(&execution, org, campaign.id, LedgerFilter::default(), 3).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 3, 3, 2]);
    let read: Vec<(u32, uuid::Uuid)> = pages
        .iter()
        .flatten()
        .map(|d| (d.step, d.contact_id.as_uuid()))
        .collect();
    let mut expected: Vec<(u32, uuid::Uuid)> = [1, 2]
        .into_iter()
        .flat_map(|step| ids.iter().map(move |c| (step, c.as_uuid())))
        .collect();
    expected.sort();
    assert_eq!(read, expected);

    // Filters: one step, one contact, one state; each pages the same way.
    let step_two = LedgerFilter {
        step: Some(2),
        ..LedgerFilter::default()
    };
    let rows: Vec<Delivery> = all_pages(&execution, org, campaign.id, step_two, 4)
        .await
        .concat();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|d| d.step == 2));
    let one_contact = LedgerFilter {
        contact: Some(ids[3]),
        ..LedgerFilter::default()
    };
    let rows: Vec<Delivery> = all_pages(&execution, org, campaign.id, one_contact, 1)
        .await
        .concat();
    assert_eq!(
        rows.iter()
            .map(|d| (d.step, d.contact_id))
            .collect::<Vec<_>>(),
        [(1, ids[3]), (2, ids[3])]
    );
    let state = |state| LedgerFilter {
        state: Some(state),
        ..LedgerFilter::default()
    };
    let pending = all_pages(
        &execution,
        org,
        campaign.id,
        state(DeliveryState::Pending),
        100,
    );
    assert_eq!(pending.await.concat().len(), 14);
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Completed, None)
        .await
        .unwrap();
    let pending = all_pages(
        &execution,
        org,
        campaign.id,
        state(DeliveryState::Pending),
        100,
    );
    assert!(pending.await.is_empty());
    let cancelled = all_pages(
        &execution,
        org,
        campaign.id,
        state(DeliveryState::Cancelled),
        5,
    );
    assert_eq!(cancelled.await.concat().len(), 14);

    // Every row so far is an email row.
    let channel = |channel| LedgerFilter {
        channel: Some(channel),
        ..LedgerFilter::default()
    };
    let email = all_pages(&execution, org, campaign.id, channel(Channel::Email), 100);
    let email = email.await.concat();
    assert_eq!(email.len(), 14);
    assert!(email.iter().all(|d| d.channel == Channel::Email));
    let sms = all_pages(&execution, org, campaign.id, channel(Channel::Sms), 100);
    assert!(sms.await.is_empty());

    // Another organization reads nothing of it.
    let foreign = all_pages(&execution, other, campaign.id, LedgerFilter::default(), 100);
    assert!(foreign.await.is_empty());
}
