//! The job queue, contacts and the delivery ledger, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_domain::{
    CampaignStatus, CampaignType, Consent, ContactFilter, DeliveryState, JobSpec, JobState,
    NewCampaign, NewContact, NewJob, OrgId, PageRequest, kinds, validate_contacts,
};
use ame_storage::{
    CampaignRepository, ContactRepository, ExecutionRepository, JobQueue, OrganizationRepository,
    PlannedSend, SendOutcome, StorageError,
};
use ame_test_support::{TestDb, backend_tests};
use chrono::{TimeDelta, Utc};
use std::collections::HashSet;
use std::time::Duration;

backend_tests!(
    concurrent_workers_claim_each_job_once,
    an_expired_lease_is_rescued_and_the_old_holder_is_fenced_out,
    failures_back_off_then_die_and_can_be_retried,
    a_status_change_and_its_jobs_commit_together,
    jobs_are_invisible_to_other_organizations,
    contacts_upsert_by_address_and_keep_suppression,
    sends_are_planned_once_and_settled_with_their_job,
    a_bounce_suppresses_the_contact,
    failures_in_a_row_pause_one_organizations_sending,
    attribute_filters_page_through_only_matching_contacts,
);

const LEASE: Duration = Duration::from_secs(30);

async fn org(db: &TestDb, name: &str) -> OrgId {
    db.storage.organizations().create(name).await.unwrap().id
}

async fn concurrent_workers_claim_each_job_once(db: TestDb) {
    let org = org(&db, "Acme").await;
    let now = Utc::now();
    let jobs: Vec<NewJob> = (0..200)
        .map(|i| NewJob::new(JobSpec::Rollup {}, format!("job-{i}"), now))
        .collect();
    let queue = db.storage.jobs();
    assert_eq!(queue.enqueue(org, jobs.clone(), now).await.unwrap(), 200);
    // The same keys again create nothing.
    assert_eq!(queue.enqueue(org, jobs, now).await.unwrap(), 0);

    let mut workers = Vec::new();
    for w in 0..4 {
        let queue = db.storage.jobs();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = queue
                    .claim(&format!("w{w}"), 7, LEASE, Utc::now())
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    break;
                }
                for job in claimed {
                    assert_eq!(job.state, JobState::Running);
                    assert!(queue.complete(&job, Utc::now()).await.unwrap());
                    mine.push(job.id);
                }
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 200, "every job claimed");
    assert_eq!(distinct.len(), 200, "no job claimed twice");
    let done = queue
        .list(
            org,
            Some(JobState::Done),
            PageRequest::new(100, None).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(done.items.len(), 100);
    assert!(done.next_cursor.is_some());
}

async fn an_expired_lease_is_rescued_and_the_old_holder_is_fenced_out(db: TestDb) {
    let org = org(&db, "Acme").await;
    let now = Utc::now();
    let queue = db.storage.jobs();
    queue
        .enqueue(org, vec![NewJob::new(JobSpec::Rollup {}, "one", now)], now)
        .await
        .unwrap();
    let first = queue.claim("a", 10, LEASE, now).await.unwrap().remove(0);
    assert_eq!(first.attempts, 1);
    // Within the lease nobody else gets it; a heartbeat extends it.
    assert!(
        queue
            .claim("b", 10, LEASE, now + TimeDelta::seconds(29))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        queue
            .heartbeat(&first, LEASE, now + TimeDelta::seconds(29))
            .await
            .unwrap()
    );
    assert!(
        queue
            .claim("b", 10, LEASE, now + TimeDelta::seconds(45))
            .await
            .unwrap()
            .is_empty()
    );
    // Once the lease runs out, another worker rescues it.
    let later = now + TimeDelta::seconds(60);
    let second = queue.claim("b", 10, LEASE, later).await.unwrap().remove(0);
    assert_eq!((second.id, second.attempts), (first.id, 2));
    assert!(
        !queue.complete(&first, later).await.unwrap(),
        "the old holder is fenced out"
    );
    assert!(!queue.heartbeat(&first, LEASE, later).await.unwrap());
    assert!(queue.complete(&second, later).await.unwrap());
    assert_eq!(
        queue.get(org, first.id).await.unwrap().state,
        JobState::Done
    );
}

async fn failures_back_off_then_die_and_can_be_retried(db: TestDb) {
    let org = org(&db, "Acme").await;
    let now = Utc::now();
    let queue = db.storage.jobs();
    queue
        .enqueue(
            org,
            vec![NewJob::new(JobSpec::Rollup {}, "one", now).with_max_attempts(2)],
            now,
        )
        .await
        .unwrap();
    let job = queue.claim("a", 1, LEASE, now).await.unwrap().remove(0);
    let retry_at = now + TimeDelta::seconds(30);
    assert_eq!(
        queue
            .fail(&job, "451 try later", Some(retry_at), now)
            .await
            .unwrap(),
        Some(JobState::Failed)
    );
    // A job that succeeds on a retry keeps no error from the attempt before.
    queue
        .enqueue(
            org,
            vec![NewJob::new(JobSpec::Rollup {}, "flaky", now).with_max_attempts(3)],
            now,
        )
        .await
        .unwrap();
    let flaky = queue.claim("b", 1, LEASE, now).await.unwrap().remove(0);
    assert_eq!(flaky.dedupe_key, "flaky");
    queue
        .fail(&flaky, "timed out", Some(now), now)
        .await
        .unwrap();
    let flaky = queue.claim("b", 1, LEASE, now).await.unwrap().remove(0);
    assert_eq!(flaky.last_error.as_deref(), Some("timed out"));
    assert!(queue.complete(&flaky, now).await.unwrap());
    let done = queue.get(org, flaky.id).await.unwrap();
    assert_eq!((done.state, done.last_error), (JobState::Done, None));
    assert!(
        queue
            .claim("a", 1, LEASE, now + TimeDelta::seconds(29))
            .await
            .unwrap()
            .is_empty()
    );
    let again = queue
        .claim("a", 1, LEASE, retry_at)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(again.attempts, 2);
    assert_eq!(
        queue
            .fail(&again, "451 still", Some(retry_at), retry_at)
            .await
            .unwrap(),
        Some(JobState::Dead)
    );
    let dead = queue
        .list(org, Some(JobState::Dead), PageRequest::first())
        .await
        .unwrap()
        .items;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("451 still"));
    let retried = queue.retry(org, dead[0].id, retry_at).await.unwrap();
    assert_eq!((retried.state, retried.attempts), (JobState::Queued, 0));
    assert!(matches!(
        queue.retry(org, dead[0].id, retry_at).await,
        Err(StorageError::Conflict(_))
    ));
    // A job whose worker dies during its last attempt becomes dead when its lease runs out.
    let last = queue
        .claim("a", 1, LEASE, retry_at)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(last.attempts, 1);
    let job2 = NewJob::new(JobSpec::Rollup {}, "two", retry_at).with_max_attempts(1);
    queue.enqueue(org, vec![job2], retry_at).await.unwrap();
    let two = queue
        .claim("a", 1, LEASE, retry_at)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(two.dedupe_key, "two");
    let after = retry_at + TimeDelta::seconds(31);
    let rescued = queue.claim("b", 10, LEASE, after).await.unwrap();
    assert_eq!(
        rescued.len(),
        1,
        "only the job with attempts left is rescued"
    );
    assert_eq!(rescued[0].id, last.id);
    let gone = queue.get(org, two.id).await.unwrap();
    assert_eq!(gone.state, JobState::Dead);
    assert!(
        gone.last_error
            .unwrap()
            .contains("stopped during its last attempt")
    );
    let depth = queue.depth().await.unwrap();
    assert_eq!(
        depth.get(&("results_rollup".into(), "dead".into())),
        Some(&1)
    );
}

async fn a_status_change_and_its_jobs_commit_together(db: TestDb) {
    let org = org(&db, "Acme").await;
    let campaigns = db.storage.campaigns();
    let start = Utc::now() + TimeDelta::days(3);
    let mut new = NewCampaign::new(CampaignType::LeadGen, "Book 40 demos");
    new.start_at = Some(start);
    let campaign = campaigns
        .create(org, new.validate().unwrap())
        .await
        .unwrap();
    let queue = db.storage.jobs();
    let jobs = || async {
        queue
            .list(org, None, PageRequest::first())
            .await
            .unwrap()
            .items
    };
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Scheduled, None)
        .await
        .unwrap();
    let listed = jobs().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind, kinds::CAMPAIGN_START);
    assert_eq!(listed[0].run_at, start.trunc_subsecs_micros());
    assert_eq!(listed[0].campaign_id, Some(campaign.id));

    // A refused change writes no job: the status stays and so do the jobs.
    let refused = campaigns
        .change_status(org, campaign.id, CampaignStatus::Completed, None)
        .await;
    assert!(refused.is_err());
    assert_eq!(jobs().await.len(), 1);

    campaigns
        .change_status(org, campaign.id, CampaignStatus::Draft, None)
        .await
        .unwrap();
    assert_eq!(jobs().await[0].state, JobState::Cancelled);
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Scheduled, None)
        .await
        .unwrap();
    let requeued = jobs().await;
    assert_eq!(requeued.len(), 1, "the same job, queued again");
    assert_eq!(requeued[0].state, JobState::Queued);
}

trait Micros {
    fn trunc_subsecs_micros(self) -> Self;
}

impl Micros for chrono::DateTime<Utc> {
    fn trunc_subsecs_micros(self) -> Self {
        chrono::SubsecRound::trunc_subsecs(self, 6)
    }
}

async fn jobs_are_invisible_to_other_organizations(db: TestDb) {
    let a = org(&db, "A").await;
    let b = org(&db, "B").await;
    let now = Utc::now();
    let queue = db.storage.jobs();
    queue
        .enqueue(a, vec![NewJob::new(JobSpec::Rollup {}, "x", now)], now)
        .await
        .unwrap();
    let job = queue.claim("w", 1, LEASE, now).await.unwrap().remove(0);
    queue.fail(&job, "boom", None, now).await.unwrap();
    assert!(matches!(
        queue.get(b, job.id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        queue.retry(b, job.id, now).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(
        queue
            .list(b, None, PageRequest::first())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // The same dedupe key in another organization is another job.
    assert_eq!(
        queue
            .enqueue(b, vec![NewJob::new(JobSpec::Rollup {}, "x", now)], now)
            .await
            .unwrap(),
        1
    );
}

async fn contacts_upsert_by_address_and_keep_suppression(db: TestDb) {
    let org = org(&db, "Acme").await;
    let other = org_other(&db).await;
    let contacts = db.storage.contacts();
    let now = Utc::now();
    let rows = validate_contacts(&[
        NewContact {
            first_name: Some("Ada".into()),
            time_zone: Some("Europe/London".into()),
            ..NewContact::email("Ada@Example.com")
        },
        NewContact::email("grace@example.com"),
    ])
    .unwrap();
    let first = contacts
        .upsert(org, rows, "api", now, Default::default())
        .await
        .unwrap();
    assert_eq!((first.created, first.updated), (2, 0));
    let ada = contacts
        .find_by_email(org, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada.first_name.as_deref(), Some("Ada"));
    assert!(
        contacts
            .find_by_email(other, "ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        contacts.get(other, ada.id).await,
        Err(StorageError::NotFound { .. })
    ));

    contacts
        .set_consent(org, ada.id, Consent::Unsubscribed, "unsubscribe_link", now)
        .await
        .unwrap();
    let again = contacts
        .upsert(
            org,
            validate_contacts(&[NewContact {
                consent: Some(Consent::Subscribed),
                locale: Some("en-GB".into()),
                ..NewContact::email("ADA@example.com")
            }])
            .unwrap(),
            "import",
            now,
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.updated, again.kept_suppressed),
        (0, 1, 1)
    );
    let ada = contacts.get(org, ada.id).await.unwrap();
    assert_eq!(ada.consent, Consent::Unsubscribed);
    assert_eq!(ada.locale.as_deref(), Some("en-GB"));
    assert_eq!(
        ada.first_name.as_deref(),
        Some("Ada"),
        "fields left out stay"
    );

    let subscribed = contacts
        .list(
            org,
            ContactFilter {
                consent: Some(Consent::Subscribed),
                ..ContactFilter::default()
            },
            PageRequest::first(),
        )
        .await
        .unwrap();
    assert_eq!(subscribed.items.len(), 1);

    contacts
        .erase(org, ada.id, now, Some("hash-of-ada".into()))
        .await
        .unwrap();
    let erased = contacts.get(org, ada.id).await.unwrap();
    assert!(erased.email.is_none() && erased.first_name.is_none() && erased.erased_at.is_some());
    // Only the keyed hash is kept, and it is found again.
    let found = contacts
        .erased_addresses(org, vec!["hash-of-ada".into(), "hash-of-bo".into()])
        .await
        .unwrap();
    assert_eq!(
        found,
        std::collections::HashSet::from(["hash-of-ada".to_owned()])
    );
    let other = org_other(&db).await;
    assert!(
        contacts
            .erased_addresses(other, vec!["hash-of-ada".into()])
            .await
            .unwrap()
            .is_empty(),
        "another organization's erasures are its own"
    );
    // The address may become a contact again, but one an erasure suppressed starts
    // unsubscribed.
    let back = contacts
        .upsert(
            org,
            validate_contacts(&[NewContact::email("ada@example.com")]).unwrap(),
            "api",
            now,
            std::collections::HashSet::from(["ada@example.com".to_owned()]),
        )
        .await
        .unwrap();
    assert_eq!((back.created, back.kept_suppressed), (1, 1));
    let ada_again = contacts
        .find_by_email(org, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ada_again.consent, Consent::Unsubscribed);
}

async fn org_other(db: &TestDb) -> OrgId {
    org(db, "Other").await
}

async fn active_campaign(db: &TestDb, org: OrgId) -> ame_domain::Campaign {
    let campaigns = db.storage.campaigns();
    let c = campaigns
        .create(
            org,
            NewCampaign::new(CampaignType::LeadGen, "Book 40 demos")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    campaigns
        .change_status(org, c.id, CampaignStatus::Active, None)
        .await
        .unwrap()
}

async fn sends_are_planned_once_and_settled_with_their_job(db: TestDb) {
    let org = org(&db, "Acme").await;
    let campaign = active_campaign(&db, org).await;
    let contacts = db.storage.contacts();
    let now = Utc::now();
    contacts
        .upsert(
            org,
            validate_contacts(&[NewContact::email("ada@example.com")]).unwrap(),
            "api",
            now,
            Default::default(),
        )
        .await
        .unwrap();
    let ada = contacts
        .find_by_email(org, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let execution = db.storage.execution();
    let send = |step| PlannedSend {
        contact: ada.id,
        step,
        asset: ame_domain::AssetId::new(),
        due_at: now,
        message_id: format!("<{}.{step}.{}@example.com>", campaign.id, ada.id),
        subject_variant: 0,
    };
    assert_eq!(
        execution
            .plan_sends(org, campaign.id, vec![send(1), send(2)], now)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        execution
            .plan_sends(org, campaign.id, vec![send(1)], now)
            .await
            .unwrap(),
        0,
        "planned once"
    );
    assert_eq!(
        execution.enrolled(org, campaign.id).await.unwrap(),
        vec![ada.id]
    );
    let queue = db.storage.jobs();
    let claimed = queue.claim("w", 10, LEASE, now).await.unwrap();
    let (sends, others): (Vec<_>, Vec<_>) =
        claimed.iter().partition(|j| j.kind == kinds::SEND_EMAIL);
    assert_eq!(sends.len(), 2);
    for job in others {
        assert_eq!(job.kind, kinds::CAMPAIGN_LAUNCH);
        queue.complete(job, now).await.unwrap();
    }
    let job = sends[0];
    let step = job.payload["step"].as_u64().unwrap() as u32;
    let delivery = execution
        .start_send(job, campaign.id, step, ada.id, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (delivery.state, delivery.attempts),
        (DeliveryState::Sending, 1)
    );
    assert!(
        execution
            .finish_send(job, &delivery, SendOutcome::Sent, now)
            .await
            .unwrap()
    );
    assert_eq!(queue.get(org, job.id).await.unwrap().state, JobState::Done);
    assert_eq!(
        execution
            .sent_since(org, now - TimeDelta::minutes(1))
            .await
            .unwrap(),
        1
    );
    // Settling again (a worker that lost its lease) writes nothing.
    assert!(
        !execution
            .finish_send(job, &delivery, SendOutcome::Sent, now)
            .await
            .unwrap()
    );

    // Pausing parks the other send; resuming wakes it.
    let campaigns = db.storage.campaigns();
    let other = sends[1];
    queue.postpone(other, now, now).await.unwrap();
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Paused, None)
        .await
        .unwrap();
    assert!(
        queue
            .claim("w", 10, LEASE, now + TimeDelta::days(30))
            .await
            .unwrap()
            .is_empty()
    );
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Active, None)
        .await
        .unwrap();
    let woken: Vec<_> = queue
        .claim("w", 10, LEASE, Utc::now() + TimeDelta::seconds(1))
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == kinds::SEND_EMAIL)
        .collect();
    assert_eq!(woken.len(), 1);
    assert_eq!(woken[0].id, other.id);
    queue.release(&woken[0], now).await.unwrap();
    // Completing the campaign cancels what is left.
    campaigns
        .change_status(org, campaign.id, CampaignStatus::Completed, None)
        .await
        .unwrap();
    let ledger = execution.deliveries(org, campaign.id, 10).await.unwrap();
    let states: Vec<_> = ledger.iter().map(|d| d.state).collect();
    assert_eq!(states, [DeliveryState::Sent, DeliveryState::Cancelled]);
    assert_eq!(
        queue.get(org, other.id).await.unwrap().state,
        JobState::Cancelled
    );
}

async fn a_bounce_suppresses_the_contact(db: TestDb) {
    let org = org(&db, "Acme").await;
    let campaign = active_campaign(&db, org).await;
    let contacts = db.storage.contacts();
    let now = Utc::now();
    contacts
        .upsert(
            org,
            validate_contacts(&[NewContact::email("gone@example.com")]).unwrap(),
            "api",
            now,
            Default::default(),
        )
        .await
        .unwrap();
    let gone = contacts
        .find_by_email(org, "gone@example.com")
        .await
        .unwrap()
        .unwrap();
    let execution = db.storage.execution();
    execution
        .plan_sends(
            org,
            campaign.id,
            vec![PlannedSend {
                contact: gone.id,
                step: 1,
                asset: ame_domain::AssetId::new(),
                due_at: now,
                message_id: "<x@example.com>".into(),
                subject_variant: 0,
            }],
            now,
        )
        .await
        .unwrap();
    let queue = db.storage.jobs();
    let job = queue
        .claim("w", 10, LEASE, now)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.kind == kinds::SEND_EMAIL)
        .unwrap();
    let delivery = execution
        .start_send(&job, campaign.id, 1, gone.id, now)
        .await
        .unwrap()
        .unwrap();
    execution
        .finish_send(
            &job,
            &delivery,
            SendOutcome::Bounced("550 no such user".into()),
            now,
        )
        .await
        .unwrap();
    let gone = contacts.get(org, gone.id).await.unwrap();
    assert_eq!(
        (gone.consent, gone.consent_source.as_str()),
        (Consent::Bounced, "smtp_bounce")
    );
    let row = &execution.deliveries(org, campaign.id, 10).await.unwrap()[0];
    assert_eq!(row.state, DeliveryState::Failed);
    assert_eq!(row.last_error.as_deref(), Some("550 no such user"));
}

async fn failures_in_a_row_pause_one_organizations_sending(db: TestDb) {
    use ame_domain::SendingState;
    let a = org(&db, "Acme").await;
    let b = org(&db, "Bravo").await;
    let ledger = db.storage.execution();
    let now = Utc::now();
    let fresh = ledger.sending_status(a).await.unwrap();
    assert_eq!(fresh.state, SendingState::Active);
    assert_eq!(fresh.consecutive_failures, 0);
    for n in 1..=2 {
        let s = ledger
            .record_sender_failure(a, "530 auth required", 3, now)
            .await
            .unwrap();
        assert_eq!((s.state, s.consecutive_failures), (SendingState::Active, n));
    }
    // A success starts the count again.
    let reset = ledger.record_sender_success(a, now).await.unwrap();
    assert_eq!(reset.consecutive_failures, 0);
    for _ in 0..3 {
        ledger
            .record_sender_failure(a, "connection refused", 3, now)
            .await
            .unwrap();
    }
    let paused = ledger.sending_status(a).await.unwrap();
    assert_eq!(paused.state, SendingState::Paused);
    assert_eq!(paused.paused_at, Some(queue_micros(now)));
    assert_eq!(paused.last_error.as_deref(), Some("connection refused"));
    // A success does not end a pause; more failures do not move it.
    ledger.record_sender_success(a, now).await.unwrap();
    let later = now + TimeDelta::minutes(5);
    let still = ledger
        .record_sender_failure(a, "connection refused", 3, later)
        .await
        .unwrap();
    assert_eq!(still.state, SendingState::Paused);
    assert_eq!(still.paused_at, Some(queue_micros(now)));
    // The other organization sends on, and sees none of it.
    let other = ledger.sending_status(b).await.unwrap();
    assert_eq!(other, ame_domain::SendingStatus::default());
    let resumed = ledger.resume_sending(a, later).await.unwrap();
    assert_eq!(resumed.state, SendingState::Active);
    assert_eq!(resumed.consecutive_failures, 0);
    assert_eq!(
        ledger.resume_sending(b, later).await.unwrap().state,
        SendingState::Active
    );
}

fn queue_micros(t: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

async fn attribute_filters_page_through_only_matching_contacts(db: TestDb) {
    let org = org(&db, "Acme").await;
    let other = org_other(&db).await;
    let contacts = db.storage.contacts();
    let now = Utc::now();
    // 1,200 contacts (more than one scan batch): every third on the pro plan, with a seat
    // count and a flag; the other organization has pro contacts too.
    let rows: Vec<NewContact> = (0..1200)
        .map(|i| NewContact {
            attributes: Some(
                serde_json::json!({
                    "plan": if i % 3 == 0 { "pro" } else { "free" },
                    "seats": i % 5,
                    "beta": i % 2 == 0,
                })
                .as_object()
                .unwrap()
                .clone(),
            ),
            ..NewContact::email(format!("c{i}@example.com"))
        })
        .collect();
    for chunk in rows.chunks(500) {
        contacts
            .upsert(
                org,
                validate_contacts(chunk).unwrap(),
                "api",
                now,
                Default::default(),
            )
            .await
            .unwrap();
    }
    let theirs = NewContact {
        attributes: Some(
            serde_json::json!({"plan": "pro"})
                .as_object()
                .unwrap()
                .clone(),
        ),
        ..NewContact::email("theirs@example.com")
    };
    contacts
        .upsert(
            other,
            validate_contacts(&[theirs]).unwrap(),
            "api",
            now,
            Default::default(),
        )
        .await
        .unwrap();
    let count = |name: &'static str, value: serde_json::Value| {
        let contacts = &contacts;
        async move {
            let filter = ContactFilter {
                attribute: Some((name.to_owned(), value.clone())),
                ..ContactFilter::default()
            };
            let mut seen = HashSet::new();
            let mut page = PageRequest::new(100, None).unwrap();
            loop {
                let got = contacts.list(org, filter.clone(), page).await.unwrap();
                for c in &got.items {
                    assert_eq!(c.attributes.get(name), Some(&value), "{c:?}");
                    assert!(seen.insert(c.id), "listed twice");
                }
                match got.next_cursor {
                    Some(cursor) => {
                        let after = ame_domain::Cursor::decode(&cursor).unwrap();
                        page = PageRequest::new(100, Some(after)).unwrap();
                    }
                    None => return seen.len(),
                }
            }
        }
    };
    assert_eq!(count("plan", serde_json::json!("pro")).await, 400);
    assert_eq!(count("seats", serde_json::json!(3)).await, 240);
    assert_eq!(count("beta", serde_json::json!(true)).await, 600);
    assert_eq!(count("plan", serde_json::json!("enterprise")).await, 0);
    assert_eq!(count("missing", serde_json::json!("x")).await, 0);
}
