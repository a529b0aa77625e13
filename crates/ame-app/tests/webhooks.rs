//! Posts published, and email events told, through webhook connectors to a local receiver that
//! checks Standard Webhooks signatures: a 500 is retried under the same `webhook-id`, a 410
//! disables the connector and leaves a dead job to see.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ame_app::egress::EgressPolicy;
use ame_app::execution::ExecutionSettings;
use ame_app::tracking::NewConnector;
use ame_app::{Actor, Caller, Clock, Engine, ManualClock};
use ame_app::{Worker, WorkerSettings};
use ame_domain::{
    ApiKeyId, CampaignStatus, CampaignType, Channel, JobState, MemberRole, NewCampaign, PageRequest,
};
use ame_test_support::TestDb;

mod support;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

/// A webhook receiver on a loopback port: answers each path from its script (200 when empty).
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<HashMap<String, VecDeque<u16>>>>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Arc<Mutex<HashMap<String, VecDeque<u16>>>> = Arc::default();
        let (log, answers) = (received.clone(), script.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (log, answers) = (log.clone(), answers.clone());
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, body_start) = loop {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buffer.extend_from_slice(&chunk[..n]);
                        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            break (String::from_utf8_lossy(&buffer[..end]).to_string(), end + 4);
                        }
                    };
                    let mut lines = head.lines();
                    let path = lines
                        .next()
                        .unwrap_or_default()
                        .split(' ')
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    let headers: HashMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let length: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buffer.len() < body_start + length {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buffer.extend_from_slice(&chunk[..n]);
                    }
                    let body = String::from_utf8_lossy(&buffer[body_start..]).to_string();
                    let status = answers
                        .lock()
                        .unwrap()
                        .get_mut(&path)
                        .and_then(VecDeque::pop_front)
                        .unwrap_or(200);
                    log.lock().unwrap().push(Received {
                        path,
                        headers,
                        body,
                    });
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        Self {
            url,
            received,
            script,
        }
    }

    fn answer(&self, path: &str, statuses: &[u16]) {
        self.script
            .lock()
            .unwrap()
            .insert(path.to_owned(), statuses.iter().copied().collect());
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

/// Verifies a Standard Webhooks signature as a receiver would.
fn genuine(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.{}",
        r.headers["webhook-id"], r.headers["webhook-timestamp"], r.body
    );
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.headers["webhook-signature"]
        .split(' ')
        .any(|candidate| candidate == expected)
}

#[tokio::test]
async fn posts_reach_signed_webhooks_retry_on_500_and_410_disables() {
    let db = TestDb::sqlite().await;
    let receiver = Receiver::start().await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap(),
    ));
    let engine = Engine::new(db.storage.clone())
        .with_clock(clock.clone())
        .with_execution(ExecutionSettings {
            public_url: "https://ame.example".into(),
            // The receiver listens on loopback, which connectors may reach only when allowed.
            egress: Arc::new(EgressPolicy::parse("127.0.0.1").unwrap()),
            ..ExecutionSettings::default()
        });
    let org = engine.create_organization("Ledgerly").await.unwrap();
    let caller = Caller {
        org: org.id,
        role: MemberRole::Owner,
        actor: Actor::ApiKey(ApiKeyId::new()),
    };
    engine.save_brand(&caller, support::brand()).await.unwrap();
    let linkedin = engine
        .create_connector(
            &caller,
            NewConnector {
                name: "LinkedIn bridge".into(),
                url: format!("{}/linkedin", receiver.url),
                channels: vec![Channel::Linkedin],
                events: vec![],
            },
        )
        .await
        .unwrap();
    let x = engine
        .create_connector(
            &caller,
            NewConnector {
                name: "X bridge".into(),
                url: format!("{}/x", receiver.url),
                channels: vec![Channel::X],
                events: vec![],
            },
        )
        .await
        .unwrap();
    let audit = engine.audit_log(&caller, None).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "connector.created" && e.target_id == Some(linkedin.id.as_uuid())),
        "creating a connector is audited: {audit:?}"
    );
    // Remote receivers must use HTTPS.
    assert!(
        engine
            .create_connector(
                &caller,
                NewConnector {
                    name: "Plain".into(),
                    url: "http://hooks.example.com/a".into(),
                    channels: vec![Channel::X],
                    events: vec![],
                },
            )
            .await
            .is_err()
    );
    receiver.answer("/linkedin", &[500]);
    receiver.answer("/x", &[410]);

    // A campaign that sends no email: it needs no audience to launch.
    let mut new = NewCampaign::new(CampaignType::BrandAwareness, "Make finance teams know us");
    new.start_at = Some(Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap());
    let valid = engine.check_new_campaign(&caller, new).unwrap();
    let campaign = engine.create_campaign(&caller, valid, None).await.unwrap();
    engine
        .generate_assets(&caller, campaign.id, Some(5), None)
        .await
        .unwrap();
    engine
        .change_status(&caller, campaign.id, CampaignStatus::Scheduled, None)
        .await
        .unwrap();
    let worker = Worker::new(engine.clone(), WorkerSettings::named("webhooks"));
    let until = Utc.with_ymd_and_hms(2027, 3, 10, 0, 0, 0).unwrap();
    while clock.now() < until {
        worker.drain().await.unwrap();
        clock.advance(std::time::Duration::from_secs(600));
    }

    let to_linkedin = receiver.at("/linkedin");
    assert_eq!(
        to_linkedin.len(),
        2,
        "the 500 was retried once, then accepted"
    );
    let secret = linkedin.secret.clone().unwrap();
    assert!(to_linkedin.iter().all(|r| genuine(&secret, r)));
    assert_eq!(
        to_linkedin[0].headers["webhook-id"], to_linkedin[1].headers["webhook-id"],
        "a retry keeps its webhook-id"
    );
    let body: serde_json::Value = serde_json::from_str(&to_linkedin[1].body).unwrap();
    assert_eq!(body["data"]["channel"], "linkedin");
    assert!(
        body["data"]["content"]["variants"][0]
            .as_str()
            .unwrap()
            .len()
            > 20
    );
    // A receiver must not accept a body it did not get signed.
    let mut forged = to_linkedin[1].clone();
    forged.body = forged.body.replace("linkedin", "evil");
    assert!(!genuine(&secret, &forged));

    assert_eq!(receiver.at("/x").len(), 1, "a 410 is not retried");
    let connectors = engine.connectors(&caller).await.unwrap();
    let x_now = connectors.iter().find(|c| c.id == x.id).unwrap();
    assert!(x_now.disabled_at.is_some());
    assert!(x_now.secret.is_none(), "listings never show secrets");
    let dead = engine
        .jobs(&caller, Some(JobState::Dead), PageRequest::first())
        .await
        .unwrap();
    assert_eq!(dead.items.len(), 1);
    assert!(dead.items[0].last_error.as_deref().unwrap().contains("410"));
}

#[tokio::test]
async fn email_events_reach_subscribed_connectors_signed_and_retried() {
    use ame_domain::{EmailEvent, FeedbackKind, FeedbackReport, FeedbackSource, MessageId};
    use support::{Harness, at};
    let db = TestDb::sqlite().await;
    let receiver = Receiver::start().await;
    let start = at(2027, 3, 2, 15, 0);
    let h = Harness::new(db, start - chrono::TimeDelta::hours(1)).await;
    let events = h
        .engine
        .create_connector(
            &h.caller,
            NewConnector {
                name: "CRM".into(),
                url: format!("{}/events", receiver.url),
                channels: vec![],
                events: vec![
                    EmailEvent::Sent,
                    EmailEvent::Bounced,
                    EmailEvent::Clicked,
                    EmailEvent::Unsubscribed,
                ],
            },
        )
        .await
        .unwrap();
    let posts_only = h
        .engine
        .create_connector(
            &h.caller,
            NewConnector {
                name: "Posts".into(),
                url: format!("{}/posts", receiver.url),
                channels: vec![Channel::Linkedin],
                events: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(events.events.len(), 4);
    assert!(posts_only.events.is_empty());
    // Neither channels nor events: refused, naming both ways.
    let empty = h
        .engine
        .create_connector(
            &h.caller,
            NewConnector {
                name: "Nothing".into(),
                url: format!("{}/nothing", receiver.url),
                channels: vec![],
                events: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(empty.to_string().contains("events"), "{empty}");

    receiver.answer("/events", &[503]);
    h.contacts(&[
        ("ada@example.com", Some("America/Chicago")),
        ("bob@example.com", Some("America/Chicago")),
    ])
    .await;
    let campaign = h.campaign(start).await;
    h.run_until(
        start + chrono::TimeDelta::hours(2),
        chrono::TimeDelta::minutes(5),
    )
    .await;
    let (ada, _) = h.mailer.to("ada@example.com")[0].clone();
    let (bob, _) = h.mailer.to("bob@example.com")[0].clone();

    // Ada's message bounces later, Bob unsubscribes and clicks.
    h.engine
        .apply_feedback(&[FeedbackReport {
            message_id: MessageId::parse(&ada.message_id),
            recipient: Some("ada@example.com".into()),
            kind: FeedbackKind::HardBounce,
            reason: "5.1.1".into(),
            source: FeedbackSource::Dsn,
        }])
        .await
        .unwrap();
    let unsubscribe_token = bob.unsubscribe_url.rsplit('/').next().unwrap().to_owned();
    h.engine.unsubscribe(&unsubscribe_token).await.unwrap();
    let click = bob
        .html
        .split("/t/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    h.engine
        .click(&click, &ame_domain::Visit::browser("reader"))
        .await
        .unwrap();
    // Ending the campaign cancels its sends, not the notices of what already happened.
    h.engine
        .change_status(&h.caller, campaign, CampaignStatus::Completed, None)
        .await
        .unwrap();
    h.run_until(
        start + chrono::TimeDelta::hours(4),
        chrono::TimeDelta::minutes(5),
    )
    .await;

    let told = receiver.at("/events");
    let secret = events.secret.clone().unwrap();
    assert!(
        told.iter().all(|r| genuine(&secret, r)),
        "every notice is signed"
    );
    let bodies: Vec<serde_json::Value> = told
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let of_type = |t: &str| bodies.iter().filter(|b| b["type"] == t).count();
    // The first notice met a 503 and was retried under the same webhook-id.
    let first_id = &told[0].headers["webhook-id"];
    assert_eq!(
        told.iter()
            .filter(|r| &r.headers["webhook-id"] == first_id)
            .count(),
        2
    );
    assert_eq!(
        of_type("email.sent"),
        3,
        "two sends, one of them told twice: {bodies:?}"
    );
    assert_eq!(of_type("email.bounced"), 1);
    assert_eq!(of_type("email.unsubscribed"), 1);
    assert_eq!(of_type("email.clicked"), 1);
    let bounced = bodies
        .iter()
        .find(|b| b["type"] == "email.bounced")
        .unwrap();
    assert_eq!(bounced["data"]["message_id"], ada.message_id.as_str());
    assert_eq!(bounced["data"]["channel"], "email");
    assert!(
        receiver.at("/posts").iter().all(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["type"]
                == "campaign.publish"
        }),
        "a connector without events hears none"
    );
}
