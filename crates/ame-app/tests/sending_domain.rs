//! An organization's own sending domain: its messages leave from its sender with its Reply-To
//! and its own DKIM key, the checklist accepts it in place of the operator's placeholder, and
//! only owners and admins set it, with every invalid field named. On both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::AppError;
use ame_domain::{DkimAlgorithm, SendingDomainInput};
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;

mod support;

use support::{Harness, at};

backend_tests!(an_organizations_mail_leaves_from_its_own_domain);

fn input() -> SendingDomainInput {
    SendingDomainInput {
        from_name: "Ledgerly".into(),
        from_address: "news@ledgerly.com".into(),
        reply_to: Some("team@ledgerly.com".into()),
        dkim_selector: Some("ame2027".into()),
        dkim_algorithm: Some(DkimAlgorithm::Ed25519),
        dkim_private_key: None,
    }
}

async fn an_organizations_mail_leaves_from_its_own_domain(db: TestDb) {
    let start = at(2027, 3, 1, 10, 0);
    let h = Harness::new(db, start - TimeDelta::minutes(5)).await;
    assert!(matches!(
        h.engine.sending_domain(&h.caller).await,
        Err(AppError::NotFound { .. })
    ));
    let member = ame_app::Caller {
        role: ame_domain::MemberRole::Member,
        ..h.caller
    };
    assert!(matches!(
        h.engine.put_sending_domain(&member, input()).await,
        Err(AppError::Forbidden(_))
    ));
    let invalid = h
        .engine
        .put_sending_domain(
            &h.caller,
            SendingDomainInput {
                from_address: "campaigns@ame.invalid".into(),
                ..input()
            },
        )
        .await;
    assert!(
        matches!(&invalid, Err(AppError::Validation(e)) if e[0].field == "from_address"),
        "{invalid:?}"
    );
    let broken_key = h
        .engine
        .put_sending_domain(
            &h.caller,
            SendingDomainInput {
                dkim_private_key: Some(
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".into(),
                ),
                ..input()
            },
        )
        .await;
    assert!(
        matches!(&broken_key, Err(AppError::Validation(e)) if e[0].field == "dkim_private_key"),
        "{broken_key:?}"
    );

    let set = h
        .engine
        .put_sending_domain(&h.caller, input())
        .await
        .unwrap();
    assert_eq!(set.domain, "ledgerly.com");
    assert_eq!(set.dns_records[0].name, "ame2027._domainkey.ledgerly.com");
    assert!(
        set.dns_records[0]
            .value
            .starts_with("v=DKIM1; k=ed25519; p=")
    );
    // Saving again with the same selector and algorithm keeps the key the DNS already has.
    let again = h
        .engine
        .put_sending_domain(
            &h.caller,
            SendingDomainInput {
                from_name: "Ledgerly News".into(),
                ..input()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.dkim_public_key, set.dkim_public_key);
    assert_eq!(h.engine.sending_domain(&h.caller).await.unwrap(), again);

    h.contacts(&[("ada@example.com", Some("Europe/London"))])
        .await;
    h.campaign(start).await;
    h.run_until(start + TimeDelta::hours(1), TimeDelta::minutes(10))
        .await;
    let sent = h.mailer.accepted();
    assert_eq!(sent.len(), 1);
    let (message, _) = &sent[0];
    assert_eq!(message.from, "Ledgerly News <news@ledgerly.com>");
    assert_eq!(message.reply_to.as_deref(), Some("team@ledgerly.com"));
    assert!(message.dkim.is_some(), "signed with the organization's key");
    assert!(
        message.message_id.ends_with("@ledgerly.com>"),
        "the Message-ID names the organization's domain: {}",
        message.message_id
    );
    assert!(
        message
            .feedback_id
            .as_deref()
            .is_some_and(|f| f.ends_with(":ame"))
    );
}
