//! Mail over SMTP: each morning, the digest of what waits for the staff
//! who asked for it (`store::digest`), and the messages about their case to
//! residents who gave an address (a `messages::Channel`). Without a mail
//! server configured no mail is sent: residents' messages go by text, and
//! the account page still keeps staff addresses for when there is one.

use chrono::{DateTime, Timelike, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;

/// Why a mail did not go out; `lasting` when trying again cannot help (the
/// server refused the address for good).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub why: String,
    pub lasting: bool,
}

/// An SMTP connection pool and the sender's address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for the server at `url` (`smtps://user:password@host`,
    /// `smtp://host:587?tls=required`, or `smtp://127.0.0.1:25` for a local
    /// relay), sending as `from` (`连心 <noreply@example.cn>`).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("--mail-from {from:?}: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            // The URL may hold a password: its error does not repeat it.
            .map_err(|_| "--smtp-url is not smtp://… or smtps://…".to_string())?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Self { transport, from })
    }

    /// Sends `body` (plain text) to `to`.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), Failure> {
        let to = to.parse::<Mailbox>().map_err(|_| Failure {
            why: "not an address".into(),
            lasting: true,
        })?;
        // Base64 passes Chinese text through every relay unchanged.
        let part = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .header(ContentTransferEncoding::Base64)
            .body(body);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .singlepart(part)
            .map_err(|e| Failure {
                why: e.to_string(),
                lasting: true,
            })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| Failure {
                why: e.to_string().chars().take(120).collect(),
                lasting: e.is_permanent(),
            })
    }
}

/// Messages to residents who gave an address (see `crate::messages`): the
/// same words as the text message, under a subject naming the case.
#[async_trait::async_trait]
impl crate::messages::Channel for Mailer {
    async fn send(&self, text: &crate::messages::Text) -> store::outbox::Outcome {
        let code = text.params.get("code").cloned().unwrap_or_default();
        let subject = app::labels::message_subject(app::i18n::Locale::zh, &code);
        match Mailer::send(self, &text.email, &subject, text.body.clone()).await {
            Ok(()) => store::outbox::Outcome::Sent,
            Err(Failure { why, lasting }) => store::outbox::Outcome::Failed { why, lasting },
        }
    }
}

/// How the digest runs.
#[derive(Clone)]
pub struct Digest {
    pub pool: store::Pool,
    pub mailer: Arc<Mailer>,
    /// The site's public address, for the links.
    pub public_url: String,
    /// The hour of the day (China time) from which the day's digests go out.
    pub hour: u32,
}

/// Digests claimed at a time.
const BATCH: i64 = 50;
/// Cases a digest lists; the link leads to the rest.
const FIRST: i64 = 10;

impl Digest {
    /// Sends the day's digests not yet sent, once the hour has come; how
    /// many went out. Someone with nothing waiting gets no mail that day.
    /// What is claimed and not sent because the mail server failed for a
    /// while, or the database did, is given back for a later round.
    pub async fn round(&self, now: DateTime<Utc>) -> store::Result<usize> {
        let local = now.with_timezone(&domain::deadline::china());
        if local.hour() < self.hour {
            return Ok(0);
        }
        let day = local.date_naive();
        let mut sent = 0;
        loop {
            let due = store::digest::claim(&self.pool, day, BATCH).await?;
            if due.is_empty() {
                return Ok(sent);
            }
            for (i, d) in due.iter().enumerate() {
                let unsent = &due[i..];
                match self.send(d, now).await {
                    Err(e) => {
                        self.give_back(unsent, day).await;
                        return Err(e);
                    }
                    Ok(None) => {}
                    Ok(Some(Ok(()))) => sent += 1,
                    Ok(Some(Err(Failure { why, lasting: true }))) => {
                        tracing::warn!(user = %d.user.username, why, "digest refused; not tried again today");
                    }
                    Ok(Some(Err(Failure { why, .. }))) => {
                        tracing::warn!(
                            why,
                            "mail server unavailable; digests wait for the next round"
                        );
                        self.give_back(unsent, day).await;
                        return Ok(sent);
                    }
                }
            }
        }
    }

    /// One user's digest: nothing when nothing waits for them, else what
    /// sending it came to.
    async fn send(
        &self,
        d: &store::digest::Due,
        now: DateTime<Utc>,
    ) -> store::Result<Option<Result<(), Failure>>> {
        let Some(to_do) = store::cases::to_do(&self.pool, &d.user, now).await? else {
            return Ok(None);
        };
        if to_do.total == 0 {
            return Ok(None);
        }
        let first = store::cases::first_waiting(&self.pool, &d.user, FIRST, now).await?;
        let (subject, body) = app::labels::digest(
            app::i18n::Locale::zh,
            &d.user.display_name,
            to_do,
            &first,
            &self.public_url,
        );
        Ok(Some(self.mailer.send(&d.email, &subject, body).await))
    }

    /// Gives claimed digests back; one that cannot be (the database is
    /// gone) is that user's only lost day, and the log says so.
    async fn give_back(&self, unsent: &[store::digest::Due], day: chrono::NaiveDate) {
        for d in unsent {
            if let Err(e) = store::digest::give_back(&self.pool, d, day).await {
                tracing::warn!(user = %d.user.username, error = %e, "a digest could not be given back");
            }
        }
    }
}

/// Sends the digests every `every`, for ever; `health` follows it.
pub fn spawn(digest: Digest, every: std::time::Duration, health: crate::jobs::JobsHealth) {
    crate::jobs::every("digest", every, health, move || {
        let digest = digest.clone();
        async move {
            match digest.round(Utc::now()).await {
                Ok(0) => Ok(()),
                Ok(n) => {
                    tracing::info!(sent = n, "daily digests sent");
                    Ok(())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sending daily digests failed");
                    Err(e.to_string())
                }
            }
        }
    });
}

/// Where staff mail goes, from the command line or the environment.
#[derive(clap::Args, Debug, Clone)]
#[group(id = "mail")]
pub struct Settings {
    /// The mail server: `smtps://user:password@mail.example.cn` (TLS),
    /// `smtp://user:password@mail.example.cn:587?tls=required` (STARTTLS)
    /// or `smtp://127.0.0.1:25` (a relay on this machine). Without it no
    /// mail goes out.
    #[arg(long, env = "LIANXIN_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of staff mail.
    #[arg(
        long,
        env = "LIANXIN_MAIL_FROM",
        default_value = "连心 <noreply@localhost>"
    )]
    pub mail_from: String,
    /// The hour of the day (China time, 0–23) from which the day's
    /// digests go out.
    #[arg(long, env = "LIANXIN_DIGEST_HOUR", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(0..24))]
    pub digest_hour: u32,
}

impl Settings {
    /// The mailer these settings name: none without a server.
    pub fn mailer(&self) -> Result<Option<Mailer>, String> {
        self.smtp_url
            .as_deref()
            .map(|url| Mailer::new(url, &self.mail_from))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// A real SMTP server on a local port; what it receives arrives on the
    /// returned channel.
    fn smtp_server() -> (String, std::sync::mpsc::Receiver<mogimail::Email>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = mogimail::SmtpServer::new("mail.test").start_with_listener(listener, tx);
        });
        (url, rx)
    }

    /// A received mail's subject (RFC 2047 encoded words decoded, the
    /// spaces dropped) and body (base64 decoded). The server hands over the
    /// message with its lines trimmed and blank lines dropped, so the body
    /// is what follows the last header, its transfer encoding.
    fn read(mail: &mogimail::Email) -> (String, String) {
        let lines: Vec<&str> = mail.data.lines().map(str::trim).collect();
        let encoding = lines
            .iter()
            .position(|l| l.starts_with("Content-Transfer-Encoding: base64"))
            .expect("a base64 body");
        let b64 = base64::engine::general_purpose::STANDARD;
        let body = b64.decode(lines[encoding + 1..].concat()).unwrap();
        let header = |l: &&str| l.split_once(": ").is_some_and(|(n, _)| !n.contains(' '));
        let from = lines
            .iter()
            .position(|l| l.starts_with("Subject: "))
            .unwrap();
        let mut words: Vec<&str> = lines[from]["Subject: ".len()..].split(' ').collect();
        for l in lines[from + 1..].iter().take_while(|l| !header(l)) {
            words.extend(l.split(' '));
        }
        let subject = words
            .into_iter()
            .map(|w| {
                match w
                    .strip_prefix("=?utf-8?b?")
                    .and_then(|w| w.strip_suffix("?="))
                {
                    Some(encoded) => String::from_utf8(b64.decode(encoded).unwrap()).unwrap(),
                    None => w.to_string(),
                }
            })
            .collect::<String>()
            .replace(' ', "");
        (subject, String::from_utf8(body).unwrap())
    }

    #[tokio::test]
    async fn the_daily_digest_arrives_once_with_what_waits_and_none_before_its_hour() {
        let db = store::testing::TestDb::demo().await;
        let pool = &db.pool;
        let director = store::testing::user(pool, "director").await;
        let now = Utc::now();
        for (name, email) in [
            ("director", "director@lvliang.gov.cn"),
            // Nothing waits for an administrator: no mail.
            ("admin", "admin@lvliang.gov.cn"),
        ] {
            let user = store::testing::user(pool, name).await;
            store::digest::save_settings(
                pool,
                &user,
                domain::account::MailSettings {
                    email: email.into(),
                    digest: true,
                },
                now,
            )
            .await
            .unwrap();
        }
        let (url, inbox) = smtp_server();
        let digest = |hour| Digest {
            pool: pool.clone(),
            mailer: Arc::new(Mailer::new(&url, "连心 <noreply@lvliang.gov.cn>").unwrap()),
            public_url: "https://lx.example.cn/".into(),
            hour,
        };
        let morning = now
            .with_timezone(&domain::deadline::china())
            .with_hour(9)
            .unwrap()
            .to_utc();
        assert_eq!(digest(10).round(morning).await.unwrap(), 0, "too early");
        // Two instances at once: one mail.
        let (one, two) = (digest(7), digest(7));
        let (a, b) = tokio::join!(one.round(morning), two.round(morning));
        assert_eq!(a.unwrap() + b.unwrap(), 1);
        assert_eq!(digest(7).round(morning).await.unwrap(), 0, "sent once");

        let mail = inbox
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the digest arrived");
        assert!(inbox.try_recv().is_err(), "one mail only");
        assert_eq!(mail.from, "noreply@lvliang.gov.cn");
        assert_eq!(mail.to, ["director@lvliang.gov.cn"]);
        let (subject, body) = read(&mail);
        let to_do = store::cases::to_do(pool, &director, morning)
            .await
            .unwrap()
            .unwrap();
        let first = store::cases::first_waiting(pool, &director, 1, morning)
            .await
            .unwrap();
        assert!(
            subject.contains(&format!("今日待办{}件", to_do.total)),
            "{subject}"
        );
        assert!(body.contains(&director.display_name), "{body}");
        assert!(
            body.contains(&format!("https://lx.example.cn/cases/{}", first[0].code)),
            "{body}"
        );
        assert!(body.contains("https://lx.example.cn/account"), "{body}");
    }

    #[tokio::test]
    async fn a_resident_who_gave_an_address_gets_their_messages_by_mail_else_by_text() {
        use crate::messages::{Dispatcher, Sink};
        let db = store::testing::TestDb::demo().await;
        let pool = &db.pool;
        let now = Utc::now();
        let (_, walk_in) = store::testing::walk_in_request(pool, true).await;
        let new = domain::NewCase {
            source: domain::Source::Online,
            resident_email: "li.xiulan@example.cn".into(),
            ..walk_in
        };
        let receipt = store::cases::create(pool, &new, None, now).await.unwrap();
        let (url, inbox) = smtp_server();
        let texts = tempfile::NamedTempFile::new().unwrap();
        let mailer: Arc<dyn crate::messages::Channel> =
            Arc::new(Mailer::new(&url, "连心 <noreply@lvliang.gov.cn>").unwrap());
        let dispatcher = Dispatcher {
            pool: pool.clone(),
            channel: Arc::new(Sink {
                file: Some(texts.path().to_path_buf()),
            }),
            mail: Some(mailer),
            public_url: "https://lx.example.cn".into(),
        };
        assert_eq!(dispatcher.round().await.unwrap(), 1);
        let mail = inbox
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the message arrived by mail");
        assert_eq!(mail.to, ["li.xiulan@example.cn"]);
        let (subject, body) = read(&mail);
        assert!(subject.contains(&receipt.code), "{subject}");
        assert!(
            body.contains(&receipt.code) && body.contains(&receipt.pin),
            "{body}"
        );
        assert!(std::fs::read_to_string(texts.path()).unwrap().is_empty());

        // A city without a mail server texts the same resident.
        store::cases::create(pool, &new, None, now).await.unwrap();
        let texting = Dispatcher {
            mail: None,
            ..dispatcher
        };
        assert_eq!(texting.round().await.unwrap(), 1);
        let written = std::fs::read_to_string(texts.path()).unwrap();
        assert!(written.contains("139****5678"), "{written}");
        assert!(inbox.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_digest_waits_while_the_mail_server_is_down() {
        let db = store::testing::TestDb::demo().await;
        let pool = &db.pool;
        let director = store::testing::user(pool, "director").await;
        let now = Utc::now();
        store::digest::save_settings(
            pool,
            &director,
            domain::account::MailSettings {
                email: "director@lvliang.gov.cn".into(),
                digest: true,
            },
            now,
        )
        .await
        .unwrap();
        // Nothing listens here.
        let down = Digest {
            pool: pool.clone(),
            mailer: Arc::new(Mailer::new("smtp://127.0.0.1:9", "noreply@lvliang.gov.cn").unwrap()),
            public_url: "https://lx.example.cn".into(),
            hour: 0,
        };
        assert_eq!(down.round(now).await.unwrap(), 0);
        let (url, inbox) = smtp_server();
        let up = Digest {
            mailer: Arc::new(Mailer::new(&url, "noreply@lvliang.gov.cn").unwrap()),
            ..down
        };
        assert_eq!(
            up.round(now).await.unwrap(),
            1,
            "sent when the server is back"
        );
        assert!(
            inbox
                .recv_timeout(std::time::Duration::from_secs(5))
                .is_ok()
        );
    }

    // A mailer's connection pool lives on the runtime, as in `serve`.
    #[tokio::test]
    async fn settings_name_a_mailer_or_none() {
        let settings = |url: Option<&str>, from: &str| Settings {
            smtp_url: url.map(String::from),
            mail_from: from.into(),
            digest_hour: 7,
        };
        assert!(
            settings(None, "连心 <noreply@localhost>")
                .mailer()
                .unwrap()
                .is_none()
        );
        assert!(
            settings(
                Some("smtps://u:secret@mail.example.cn"),
                "连心 <noreply@example.cn>"
            )
            .mailer()
            .unwrap()
            .is_some()
        );
        let refused = settings(
            Some("http://u:secret@mail.example.cn"),
            "noreply@example.cn",
        )
        .mailer()
        .err()
        .unwrap();
        assert!(!refused.contains("secret"), "{refused}");
        assert!(
            settings(Some("smtp://127.0.0.1"), "not an address")
                .mailer()
                .is_err()
        );
    }
}
