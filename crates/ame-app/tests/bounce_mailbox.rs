//! The bounce mailbox, read over IMAP from a real dovecot: a delivery status notification and
//! an abuse report about a campaign's messages change the contacts' consent and the
//! campaign's rates, once, and stop the sequence for them. On both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::feedback::mailbox::{MailboxSettings, read_mailbox};
use ame_domain::Consent;
use ame_storage::ContactRepository;
use ame_test_support::dovecot::Dovecot;
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;

mod support;

use support::{Harness, at};

backend_tests!(reports_in_the_bounce_mailbox_reach_contacts_and_rates);

fn dsn(recipient: &str, message_id: &str) -> String {
    format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n\
         To: bounces@ledgerly.example\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"\r\n\
         \r\n\
         --dsn\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Your message could not be delivered to one or more recipients.\r\n\
         --dsn\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.example.net\r\n\
         \r\n\
         Final-Recipient: rfc822; {recipient}\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\
         \r\n\
         --dsn\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         From: Ledgerly <news@ledgerly.example>\r\n\
         To: {recipient}\r\n\
         Message-ID: {message_id}\r\n\
         \r\n\
         --dsn--\r\n"
    )
}

fn arf(recipient: &str, message_id: &str) -> String {
    format!(
        "From: <fbl@isp.example>\r\n\
         To: bounces@ledgerly.example\r\n\
         Subject: Abuse report\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=feedback-report; boundary=\"arf\"\r\n\
         \r\n\
         --arf\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         A recipient reported this message as spam.\r\n\
         --arf\r\n\
         Content-Type: message/feedback-report\r\n\
         \r\n\
         Feedback-Type: abuse\r\n\
         User-Agent: ISP-FBL/2.1\r\n\
         Version: 1\r\n\
         Original-Rcpt-To: {recipient}\r\n\
         \r\n\
         --arf\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         From: Ledgerly <news@ledgerly.example>\r\n\
         To: {recipient}\r\n\
         Message-ID: {message_id}\r\n\
         Subject: Still closing the books by hand?\r\n\
         \r\n\
         Hello.\r\n\
         --arf--\r\n"
    )
}

async fn reports_in_the_bounce_mailbox_reach_contacts_and_rates(db: TestDb) {
    let start = at(2027, 3, 2, 15, 0);
    let h = Harness::new(db, start - TimeDelta::hours(1)).await;
    let chicago = Some("America/Chicago");
    h.contacts(&[
        ("ada@example.com", chicago),
        ("bob@example.com", chicago),
        ("cy@example.com", chicago),
    ])
    .await;
    let campaign = h.campaign(start).await;
    h.run_until(start + TimeDelta::days(1), TimeDelta::minutes(30))
        .await;
    let first_step = |to: &str| h.mailer.to(to)[0].0.message_id.clone();
    let (ada_message, bob_message) = (first_step("ada@example.com"), first_step("bob@example.com"));

    let mut server = Dovecot::start();
    server.deliver(dsn("ada@example.com", &ada_message).as_bytes());
    server.deliver(arf("bob@example.com", &bob_message).as_bytes());
    server.deliver(b"From: cy@example.com\r\nTo: bounces@ledgerly.example\r\nSubject: Out of office\r\n\r\nBack Monday.\r\n");
    let settings = MailboxSettings::parse(&server.url()).unwrap();
    let read = read_mailbox(&h.engine, &settings).await.unwrap();
    assert_eq!((read.messages, read.not_reports), (3, 1), "{read:?}");
    assert_eq!(read.reports.applied, 2, "{read:?}");
    assert_eq!(server.messages_left(), 0, "read messages are deleted");

    // The same bounce delivered again is read, deleted and counted once.
    server.deliver(dsn("ada@example.com", &ada_message).as_bytes());
    let again = read_mailbox(&h.engine, &settings).await.unwrap();
    assert_eq!((again.messages, again.reports.already_recorded), (1, 1));

    let contacts = h._db.storage.contacts();
    let consent = |email: &'static str| {
        let contacts = contacts.clone();
        let org = h.caller.org;
        async move {
            let c = contacts.find_by_email(org, email).await.unwrap().unwrap();
            (c.consent, c.consent_source)
        }
    };
    assert_eq!(
        consent("ada@example.com").await,
        (Consent::Bounced, "dsn".into())
    );
    assert_eq!(
        consent("bob@example.com").await,
        (Consent::Complained, "arf".into())
    );
    assert_eq!(consent("cy@example.com").await.0, Consent::Subscribed);
    let health = h.engine.email_health(&h.caller, campaign).await.unwrap();
    assert_eq!(
        (health.delivered, health.bounced, health.complained),
        (2, 1, 1),
        "{health:?}"
    );
    assert!(
        !health.warnings.is_empty(),
        "a third complaining is over every limit"
    );

    // The rest of the sequence goes to Cy only.
    h.run_until(start + TimeDelta::days(14), TimeDelta::hours(2))
        .await;
    assert_eq!(h.mailer.to("ada@example.com").len(), 1);
    assert_eq!(h.mailer.to("bob@example.com").len(), 1);
    assert!(h.mailer.to("cy@example.com").len() > 1);

    // A wrong password is a clear error, not a panic.
    let wrong = MailboxSettings::parse(&server.url().replace("bounce-secret", "nope")).unwrap();
    let error = read_mailbox(&h.engine, &wrong)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("logging in failed"), "{error}");
}
