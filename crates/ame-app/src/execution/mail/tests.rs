//! The message as built and signed, the outbox, and the SMTP client against a scripted server.

use super::*;
use ame_storage::{BlobStore, ObjectBlobs};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

fn email() -> OutgoingEmail {
    OutgoingEmail {
        from: "Ledgerly <news@ledgerly.example>".into(),
        reply_to: Some("Ledgerly team <team@ledgerly.example>".into()),
        to: "ada@example.com".into(),
        to_name: Some("Ada".into()),
        subject: "Close the books in 3 days — here's how".into(),
        html: "<p>Hello Ada</p>".into(),
        text: "Hello Ada".into(),
        message_id: "<c.1.k@ledgerly.example>".into(),
        unsubscribe_url: "https://ame.example/u/abc.def".into(),
        date: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        feedback_id: Some("c1:re_engagement:org1:ame".into()),
        dkim: None,
    }
}

#[tokio::test]
async fn the_outbox_holds_a_complete_rfc5322_message() {
    let blobs = Arc::new(ObjectBlobs::in_memory());
    let outbox = OutboxMailer::new(blobs.clone());
    outbox.send(&email()).await.unwrap();
    let (_, stream) = blobs
        .open("outbox/c.1.k_ledgerly.example.eml")
        .await
        .unwrap()
        .unwrap();
    let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
    let bytes = chunks.concat();
    let text = String::from_utf8(bytes).unwrap();
    for needle in [
        "Message-ID: <c.1.k@ledgerly.example>",
        "X-PM-Metadata-ame-message-id: <c.1.k@ledgerly.example>",
        "List-Unsubscribe: <https://ame.example/u/abc.def>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Content-Type: multipart/alternative",
        "Content-Type: text/plain",
        "Content-Type: text/html",
        "To: Ada <ada@example.com>",
        "Reply-To: \"Ledgerly team\" <team@ledgerly.example>",
        "Feedback-ID: c1:re_engagement:org1:ame",
        "Subject: Close the books in 3 days =?utf-8?b?4oCU?= here's how",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

/// A scripted SMTP server on a loopback port. RCPT: 550 5.1.1 for `gone@`, 451 for `slow@`;
/// MAIL FROM: 530 for a sender at `locked.example`; after the message: 552 5.2.2 for `full@`,
/// 554 5.7.1 for `spam@`; accepts the rest. Counts connections and keeps what it accepted.
async fn smtp_server() -> (u16, Arc<std::sync::Mutex<(usize, Vec<String>)>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<std::sync::Mutex<(usize, Vec<String>)>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            log.lock().unwrap().0 += 1;
            let log = log.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ready\r\n").await.unwrap();
                let mut data: Option<String> = None;
                let mut recipient = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let reply: &[u8] = if recipient.contains("full@") {
                                b"552 5.2.2 mailbox full\r\n"
                            } else if recipient.contains("spam@") {
                                b"554 5.7.1 message refused as spam\r\n"
                            } else {
                                log.lock().unwrap().1.push(data.take().unwrap_or_default());
                                b"250 2.0.0 queued\r\n"
                            };
                            data = None;
                            write.write_all(reply).await.unwrap();
                        } else {
                            body.push_str(line.strip_prefix('.').unwrap_or(&line));
                            body.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL") && line.contains("locked.example") {
                        b"530 5.7.0 authentication required\r\n"
                    } else if upper.starts_with("RCPT") && line.contains("gone@") {
                        b"550 5.1.1 no such user\r\n"
                    } else if upper.starts_with("RCPT") && line.contains("slow@") {
                        b"451 4.7.1 try again later\r\n"
                    } else if upper.starts_with("RCPT") {
                        recipient = line.clone();
                        b"250 OK\r\n"
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, seen)
}

fn plain(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        timeout: Duration::from_secs(5),
        dkim: None,
    }
}

fn to(address: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: address.into(),
        ..email()
    }
}

#[tokio::test]
async fn smtp_failures_are_classified_by_stage_and_connections_reused() {
    let (port, seen) = smtp_server().await;
    let mailer = SmtpMailer::new(plain(port)).unwrap();
    for n in 0..3 {
        let mut e = email();
        e.message_id = format!("<m{n}@ledgerly.example>");
        mailer.send(&e).await.unwrap();
    }
    // The recipient's own answers: refused for good, or later.
    let gone = mailer.send(&to("gone@example.com")).await;
    assert!(
        matches!(&gone, Err(MailError::Rejected(m)) if m.contains("550")),
        "{gone:?}"
    );
    let slow = mailer.send(&to("slow@example.com")).await;
    assert!(
        matches!(&slow, Err(MailError::Transient(m)) if m.contains("451")),
        "{slow:?}"
    );
    // A refused message: the mailbox's status bounces, a content refusal does not.
    let full = mailer.send(&to("full@example.com")).await;
    assert!(
        matches!(&full, Err(MailError::Rejected(m)) if m.contains("5.2.2")),
        "{full:?}"
    );
    let spam = mailer.send(&to("spam@example.com")).await;
    assert!(
        matches!(&spam, Err(MailError::Sender(m)) if m.contains("5.7.1")),
        "{spam:?}"
    );
    // The server refuses the sender: the sending side's failure, whoever the recipient.
    let locked = mailer
        .send(&OutgoingEmail {
            from: "Locked <news@locked.example>".into(),
            ..email()
        })
        .await;
    assert!(
        matches!(&locked, Err(MailError::Sender(m)) if m.contains("530")),
        "{locked:?}"
    );
    // A sender that is no address is the sending side's too; a recipient that is none bounces.
    let bad_sender = OutgoingEmail {
        from: "not an address".into(),
        ..email()
    };
    assert!(matches!(
        mailer.send(&bad_sender).await,
        Err(MailError::Sender(_))
    ));
    assert!(matches!(
        mailer.send(&to("not an address")).await,
        Err(MailError::Rejected(_))
    ));
    // After every kind of refusal the client still sends.
    mailer.send(&email()).await.unwrap();
    let (connections, accepted) = seen.lock().unwrap().clone();
    assert_eq!(accepted.len(), 4);
    assert!(accepted[2].contains("Message-ID: <m2@ledgerly.example>"));
    assert!(connections <= 4, "connections are pooled: {connections}");
    // Nobody listening: the sending side's failure.
    let closed = SmtpMailer::new(SmtpSettings {
        port: 1,
        timeout: Duration::from_secs(2),
        ..plain(port)
    })
    .unwrap();
    assert!(matches!(
        closed.send(&email()).await,
        Err(MailError::Sender(_))
    ));
    // A TLS handshake with a server that speaks none: the sending side's failure.
    let tls = SmtpMailer::new(SmtpSettings {
        security: SmtpSecurity::Tls,
        ..plain(port)
    })
    .unwrap();
    assert!(matches!(
        tls.send(&email()).await,
        Err(MailError::Sender(_))
    ));
}

/// An Ed25519 key (RFC 8463's example seed) for tests that need no independent verifier.
const TEST_ED25519_SEED: [u8; 32] = [7; 32];

#[tokio::test]
async fn messages_are_dkim_signed_relaxed_over_every_header_a_receiver_acts_on() {
    use base64::Engine as _;
    let blobs = Arc::new(ObjectBlobs::in_memory());
    let outbox = OutboxMailer::new(blobs.clone())
        .with_dkim(Some(DkimSettings {
            selector: "ame2027".into(),
            domain: "ledgerly.example".into(),
            private_key: base64::engine::general_purpose::STANDARD.encode(TEST_ED25519_SEED),
            ed25519: true,
        }))
        .unwrap();
    outbox.send(&email()).await.unwrap();
    let (_, stream) = blobs
        .open("outbox/c.1.k_ledgerly.example.eml")
        .await
        .unwrap()
        .unwrap();
    let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
    let text = String::from_utf8(chunks.concat()).unwrap();
    let start = text
        .find("DKIM-Signature:")
        .unwrap_or_else(|| panic!("no signature in\n{text}"));
    let signature: String = text[start..]
        .split("\r\n")
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with([' ', '\t']))
        .map(|(_, l)| l.trim())
        .collect();
    assert!(signature.contains("a=ed25519-sha256"), "{signature}");
    assert!(signature.contains("c=relaxed/relaxed"), "{signature}");
    assert!(signature.contains("d=ledgerly.example"), "{signature}");
    assert!(signature.contains("s=ame2027"), "{signature}");
    let signed = signature
        .split(';')
        .find_map(|tag| tag.trim().strip_prefix("h="))
        .unwrap_or_default()
        .to_owned();
    for name in SIGNED_HEADERS {
        assert!(
            signed.split(':').any(|h| h.eq_ignore_ascii_case(name)),
            "{name} is not signed: {signed}"
        );
    }
    // A key that cannot be read is refused when the outbox is set up, not ignored.
    let broken = OutboxMailer::new(blobs).with_dkim(Some(DkimSettings {
        selector: "x".into(),
        domain: "ledgerly.example".into(),
        private_key: "not a key".into(),
        ed25519: false,
    }));
    assert!(matches!(broken, Err(MailError::Sender(_))));
}

/// Writes signed messages, by the outbox and through SMTP, with the RSA and Ed25519 keys in
/// `AME_DKIM_SAMPLES` (`rsa.pem`, `ed25519.key`) into that folder, for `cargo xtask e2e` to
/// verify with an independent verifier (dkimpy). Without the variable there is nothing to write.
#[tokio::test]
async fn signed_samples_for_an_independent_verifier() {
    let Some(dir) = std::env::var_os("AME_DKIM_SAMPLES").map(std::path::PathBuf::from) else {
        return;
    };
    let (port, seen) = smtp_server().await;
    let keys = [("rsa", "rsa.pem", false), ("ed25519", "ed25519.key", true)];
    for (name, file, ed25519) in keys {
        let dkim = DkimSettings {
            selector: name.into(),
            domain: "ledgerly.example".into(),
            private_key: std::fs::read_to_string(dir.join(file)).unwrap(),
            ed25519,
        };
        let blobs = Arc::new(ObjectBlobs::in_memory());
        let outbox = OutboxMailer::new(blobs.clone())
            .with_dkim(Some(dkim.clone()))
            .unwrap();
        let mut message = email();
        message.message_id = format!("<{name}.outbox@ledgerly.example>");
        outbox.send(&message).await.unwrap();
        let (_, stream) = blobs
            .open(&OutboxMailer::key(&message.message_id))
            .await
            .unwrap()
            .unwrap();
        let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
        std::fs::write(dir.join(format!("{name}-outbox.eml")), chunks.concat()).unwrap();
        let smtp = SmtpMailer::new(SmtpSettings {
            dkim: Some(dkim),
            ..plain(port)
        })
        .unwrap();
        message.message_id = format!("<{name}.smtp@ledgerly.example>");
        smtp.send(&message).await.unwrap();
        let received = seen.lock().unwrap().1.last().cloned().unwrap();
        // The sink keeps lines joined by `\n`, without the dot-stuffing.
        let crlf = received.replace('\n', "\r\n");
        std::fs::write(dir.join(format!("{name}-smtp.eml")), crlf).unwrap();
    }
    // Keys AME generates itself, published as the records it tells the organization to add.
    for (algorithm, name) in [
        (ame_domain::DkimAlgorithm::Rsa, "generated-rsa"),
        (ame_domain::DkimAlgorithm::Ed25519, "generated-ed25519"),
    ] {
        let (private_key, public_key) = generate_dkim_key(algorithm).unwrap();
        let record =
            ame_domain::SendingDomain::records("ledgerly.example", name, algorithm, &public_key);
        std::fs::write(dir.join(format!("{name}.txt")), &record[0].value).unwrap();
        let signer = DkimSigner::new(&DkimSettings {
            selector: name.into(),
            domain: "ledgerly.example".into(),
            private_key,
            ed25519: algorithm == ame_domain::DkimAlgorithm::Ed25519,
        })
        .unwrap();
        let message = OutgoingEmail {
            message_id: format!("<{name}@ledgerly.example>"),
            dkim: Some(Arc::new(signer)),
            ..email()
        };
        let blobs = Arc::new(ObjectBlobs::in_memory());
        OutboxMailer::new(blobs.clone())
            .send(&message)
            .await
            .unwrap();
        let (_, stream) = blobs
            .open(&OutboxMailer::key(&message.message_id))
            .await
            .unwrap()
            .unwrap();
        let chunks: Vec<Bytes> = futures::TryStreamExt::try_collect(stream).await.unwrap();
        std::fs::write(dir.join(format!("{name}.eml")), chunks.concat()).unwrap();
    }
}

#[test]
fn generated_keys_sign_and_publish_their_public_half() {
    for algorithm in [
        ame_domain::DkimAlgorithm::Ed25519,
        ame_domain::DkimAlgorithm::Rsa,
    ] {
        let (private_key, public_key) = generate_dkim_key(algorithm).unwrap();
        assert!(
            private_key.starts_with("-----BEGIN PRIVATE KEY-----"),
            "{private_key}"
        );
        assert_eq!(
            dkim_public_key(algorithm, &private_key).unwrap(),
            public_key
        );
        let signer = DkimSigner::new(&DkimSettings {
            selector: "ame".into(),
            domain: "ledgerly.example".into(),
            private_key,
            ed25519: algorithm == ame_domain::DkimAlgorithm::Ed25519,
        })
        .unwrap();
        let signed = signer
            .sign(b"From: a@ledgerly.example\r\n\r\nHi\r\n")
            .unwrap();
        assert!(String::from_utf8_lossy(&signed).starts_with("DKIM-Signature:"));
    }
    let ed = ame_domain::DkimAlgorithm::Ed25519;
    let (_, public) = generate_dkim_key(ed).unwrap();
    assert_eq!(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, public)
            .unwrap()
            .len(),
        32
    );
    assert!(
        dkim_public_key(
            ame_domain::DkimAlgorithm::Rsa,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
        )
        .is_err()
    );
}

#[test]
fn bad_addresses_are_told_apart_by_side() {
    assert!(matches!(
        build_message(&to("not an address")),
        Err(MailError::Rejected(_))
    ));
    let bad_reply_to = OutgoingEmail {
        reply_to: Some("nobody".into()),
        ..email()
    };
    assert!(matches!(
        build_message(&bad_reply_to),
        Err(MailError::Sender(_))
    ));
}

#[test]
fn senders_are_checked_before_anything_is_sent() {
    assert!(check_sender("Ledgerly <news@ledgerly.com>").is_ok());
    assert!(check_sender("news@ledgerly.com").is_ok());
    for bad in [
        "Ledgerly",
        "news@",
        "Ledgerly <news@ledgerly>",
        "a b c@d.com",
    ] {
        let why = check_sender(bad).unwrap_err();
        assert!(why.contains(bad), "{why}");
    }
}
