//! Sends the outbox's messages to residents (`store::outbox`): a dispatcher
//! claims due messages, hands each to its channel and records what it came
//! to. Channels sit behind one trait: an SMS gateway spoken to over HTTP,
//! by default a sink that writes each text to a file or the log, with the
//! number masked, for a city that has no gateway yet; and mail over SMTP
//! (`crate::mail`) for residents who gave an address, when the city has a
//! mail server.

use base64::Engine;
use domain::notice::Notice;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use store::outbox::{Message, Outcome};

/// One message ready to go out.
#[derive(Debug, Clone)]
pub struct Text {
    /// The outbox row: the gateway's idempotency key (`OutId`), so a message
    /// re-sent after a crash mid-send is one the gateway has seen.
    pub id: i64,
    /// The resident's number, and their address (empty without one).
    pub to: String,
    pub email: String,
    pub notice: Notice,
    /// The template's parameters (code, PIN, link), by name.
    pub params: BTreeMap<&'static str, String>,
    /// The whole text in the default locale, as the templates approved with
    /// the gateway read.
    pub body: String,
}

impl Text {
    /// The text for `message`, whose links start with `public_url`.
    pub fn of(message: &Message, public_url: &str) -> Self {
        let code = message.display_code();
        let link = format!("{}/track/{code}", public_url.trim_end_matches('/'));
        let mut params = BTreeMap::from([("code", code.clone())]);
        match message.notice {
            Notice::Registered => {
                params.insert("pin", message.pin.clone());
            }
            Notice::Done => {
                params.insert("link", link.clone());
            }
            Notice::TakenUp | Notice::Reopened => {}
        }
        Self {
            id: message.id,
            to: message.phone.clone(),
            email: message.email.clone(),
            notice: message.notice,
            body: app::labels::sms(
                app::i18n::Locale::zh,
                message.notice,
                &code,
                &message.pin,
                &link,
            ),
            params,
        }
    }
}

/// Where messages go.
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    async fn send(&self, text: &Text) -> Outcome;
}

/// Writes each message as a JSON line to a file, or to the log without
/// one: what a city runs before it has a gateway, and what tests read.
/// The number is masked, so the file is no copy of residents' numbers.
pub struct Sink {
    pub file: Option<PathBuf>,
}

#[async_trait::async_trait]
impl Channel for Sink {
    async fn send(&self, text: &Text) -> Outcome {
        let to = domain::mask::phone(&text.to);
        let Some(path) = &self.file else {
            tracing::info!(id = text.id, to = %to, notice = text.notice.as_str(), body = %text.body, "text message");
            return Outcome::Sent;
        };
        let line = serde_json::json!({
            "id": text.id,
            "to": to,
            "notice": text.notice.as_str(),
            "body": text.body,
        });
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{line}"));
        match written {
            Ok(()) => Outcome::Sent,
            Err(e) => Outcome::Failed {
                why: format!("sink: {}", e.kind()),
                lasting: false,
            },
        }
    }
}

/// An SMS gateway in the shape of the Chinese providers' HTTP APIs
/// (Alibaba Cloud's `SendSms`): a form POST naming the number, the
/// approved signature (签名), the approved template's code and its
/// parameters as JSON, signed with HMAC-SHA1 over the sorted parameters;
/// the answer's `Code` is `OK` or why not.
pub struct Gateway {
    pub url: String,
    pub key_id: String,
    pub secret: String,
    /// The approved signature, without 【】.
    pub sign_name: String,
    /// The approved template code for each message.
    pub templates: BTreeMap<Notice, String>,
    agent: ureq::Agent,
}

impl Gateway {
    pub fn new(
        url: String,
        key_id: String,
        secret: String,
        sign_name: String,
        templates: BTreeMap<Notice, String>,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            // The answer's code says what went wrong, whatever the status.
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(20)))
            .build()
            .into();
        Self {
            url,
            key_id,
            secret,
            sign_name,
            templates,
            agent,
        }
    }

    /// The signed form for `text`, at `timestamp` with `nonce`.
    fn form(
        &self,
        text: &Text,
        template: &str,
        timestamp: &str,
        nonce: &str,
    ) -> Vec<(String, String)> {
        let params = serde_json::to_string(&text.params).unwrap_or_else(|_| "{}".into());
        let mut form: BTreeMap<&str, String> = BTreeMap::from([
            ("AccessKeyId", self.key_id.clone()),
            ("Action", "SendSms".into()),
            ("Format", "JSON".into()),
            ("OutId", text.id.to_string()),
            ("PhoneNumbers", text.to.clone()),
            ("SignName", self.sign_name.clone()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", nonce.into()),
            ("SignatureVersion", "1.0".into()),
            ("TemplateCode", template.into()),
            ("TemplateParam", params),
            ("Timestamp", timestamp.into()),
            ("Version", "2017-05-25".into()),
        ]);
        let signature = sign("POST", &self.secret, &form);
        form.insert("Signature", signature);
        form.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// RFC 3986 percent-encoding, as the signature's canonical form wants it.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The signature of a request's parameters (sorted by name) sent with
/// `method`: HMAC-SHA1 with `secret&` over `METHOD&%2F&` and the encoded
/// canonical query, in base64.
pub fn sign(method: &str, secret: &str, form: &BTreeMap<&str, String>) -> String {
    use hmac::{Hmac, Mac};
    let query = form
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("{method}&{}&{}", encode("/"), encode(&query));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The gateway's codes that no retry can change: the number, the
/// signature or the template is refused, or the number has opted out.
const LASTING: [&str; 6] = [
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.INVALID_PARAMETERS",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.BLACK_KEY_CONTROL_LIMIT",
];

#[async_trait::async_trait]
impl Channel for Gateway {
    async fn send(&self, text: &Text) -> Outcome {
        let Some(template) = self.templates.get(&text.notice) else {
            return Outcome::Failed {
                why: format!("no template for {}", text.notice.as_str()),
                lasting: true,
            };
        };
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = format!("{:016x}", rand::random::<u64>());
        let form = self.form(text, template, &timestamp, &nonce);
        let agent = self.agent.clone();
        let url = self.url.clone();
        // ureq blocks; a send must not hold up the runtime's workers.
        let answer = tokio::task::spawn_blocking(move || {
            let mut response = agent.post(&url).send_form(form)?;
            let status = response.status().as_u16();
            let body = response.body_mut().read_to_string()?;
            Ok::<_, ureq::Error>((status, body))
        })
        .await;
        let (status, body) = match answer {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => {
                return Outcome::Failed {
                    why: format!("gateway unreachable: {e}"),
                    lasting: false,
                };
            }
            Err(_) => {
                return Outcome::Failed {
                    why: "gateway call panicked".into(),
                    lasting: false,
                };
            }
        };
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("Code").and_then(|c| c.as_str()).map(String::from));
        match code.as_deref() {
            Some("OK") => Outcome::Sent,
            Some(code) => Outcome::Failed {
                // The code only: the message may repeat the number.
                why: code.chars().take(60).collect(),
                lasting: LASTING.contains(&code),
            },
            None => Outcome::Failed {
                why: format!("gateway answered {status} without a code"),
                lasting: false,
            },
        }
    }
}

/// How the dispatcher runs.
#[derive(Clone)]
pub struct Dispatcher {
    pub pool: store::Pool,
    /// Text messages.
    pub channel: Arc<dyn Channel>,
    /// Mail, when the city has a mail server.
    pub mail: Option<Arc<dyn Channel>>,
    pub public_url: String,
}

/// How long a claimed message stays this dispatcher's: far longer than a
/// send may take (the gateway's timeout is 20 s).
const LEASE_MINUTES: i64 = 5;
/// Messages claimed at a time; the rest wait for the next round.
const BATCH: i64 = 100;

impl Dispatcher {
    /// Sends what is due; how many went out.
    pub async fn round(&self) -> store::Result<usize> {
        let now = chrono::Utc::now();
        let due = store::outbox::claim(
            &self.pool,
            now,
            chrono::Duration::minutes(LEASE_MINUTES),
            BATCH,
        )
        .await?;
        let mut sent = 0;
        for message in &due {
            let text = Text::of(message, &self.public_url);
            let channel = match domain::notice::via(&text.to, &text.email, self.mail.is_some()) {
                Some(domain::notice::Via::Mail) => self.mail.as_ref(),
                Some(domain::notice::Via::Text) => Some(&self.channel),
                None => None,
            };
            let outcome = match channel {
                Some(channel) => channel.send(&text).await,
                None => Outcome::Failed {
                    why: "no number or address".into(),
                    lasting: true,
                },
            };
            if outcome == Outcome::Sent {
                sent += 1;
            } else {
                tracing::warn!(id = message.id, notice = message.notice.as_str(), outcome = ?outcome, "text message not sent");
            }
            store::outbox::finish(&self.pool, message, outcome, chrono::Utc::now()).await?;
        }
        Ok(sent)
    }
}

/// Sends what is due every `every`, for ever; `health` follows it.
pub fn spawn(dispatcher: Dispatcher, every: std::time::Duration, health: crate::jobs::JobsHealth) {
    crate::jobs::every("messages", every, health, move || {
        let dispatcher = dispatcher.clone();
        async move {
            match dispatcher.round().await {
                Ok(0) => Ok(()),
                Ok(n) => {
                    tracing::info!(sent = n, "text messages sent");
                    Ok(())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sending text messages failed");
                    Err(e.to_string())
                }
            }
        }
    });
}

/// Where text messages go, from the command line or the environment.
#[derive(clap::Args, Debug, Clone)]
pub struct Settings {
    /// The SMS gateway's address (an API in the shape of Alibaba Cloud's
    /// SendSms). Without it, messages go to --sms-file or the log.
    #[arg(long, env = "LIANXIN_SMS_GATEWAY")]
    pub sms_gateway: Option<String>,
    #[arg(long, env = "LIANXIN_SMS_KEY_ID", default_value = "")]
    pub sms_key_id: String,
    #[arg(
        long,
        env = "LIANXIN_SMS_SECRET",
        default_value = "",
        hide_env_values = true
    )]
    pub sms_secret: String,
    /// The signature (签名) the gateway approved.
    #[arg(long, env = "LIANXIN_SMS_SIGN_NAME", default_value = "连心")]
    pub sms_sign_name: String,
    /// The gateway's approved template for each message:
    /// `registered=SMS_1,taken_up=SMS_2,done=SMS_3,reopened=SMS_4`.
    #[arg(long, env = "LIANXIN_SMS_TEMPLATES", default_value = "")]
    pub sms_templates: String,
    /// Without a gateway: append each message (number masked) to this
    /// file as a JSON line, instead of the log.
    #[arg(long, env = "LIANXIN_SMS_FILE")]
    pub sms_file: Option<PathBuf>,
    /// Seconds between two looks for messages to send.
    #[arg(long, env = "LIANXIN_MESSAGES_EVERY_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub messages_every_secs: u64,
}

impl Settings {
    /// The channel these settings name, or why they name none.
    pub fn channel(&self) -> Result<Arc<dyn Channel>, String> {
        let Some(url) = &self.sms_gateway else {
            return Ok(Arc::new(Sink {
                file: self.sms_file.clone(),
            }));
        };
        if self.sms_key_id.is_empty() || self.sms_secret.is_empty() {
            return Err("--sms-gateway needs --sms-key-id and --sms-secret".into());
        }
        Ok(Arc::new(Gateway::new(
            url.clone(),
            self.sms_key_id.clone(),
            self.sms_secret.clone(),
            self.sms_sign_name.clone(),
            parse_templates(&self.sms_templates)?,
        )))
    }
}

/// The templates setting: `registered=SMS_1,taken_up=SMS_2,…`.
pub fn parse_templates(raw: &str) -> Result<BTreeMap<Notice, String>, String> {
    let mut templates = BTreeMap::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, code) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not notice=TEMPLATE_CODE"))?;
        let notice = Notice::parse(name.trim()).ok_or_else(|| {
            format!(
                "unknown notice {name:?}; the notices are {}",
                Notice::ALL.map(Notice::as_str).join(", ")
            )
        })?;
        templates.insert(notice, code.trim().to_string());
    }
    if let Some(missing) = Notice::ALL.into_iter().find(|n| !templates.contains_key(n)) {
        return Err(format!("no template for {}", missing.as_str()));
    }
    Ok(templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_providers_documented_one() {
        // Alibaba Cloud's worked example for SendSms (signature v1), which
        // is a GET; the gateway is sent the same signature over POST.
        let form = BTreeMap::from([
            ("AccessKeyId", "testId".to_string()),
            ("Action", "SendSms".into()),
            ("Format", "XML".into()),
            ("OutId", "123".into()),
            ("PhoneNumbers", "15300000001".into()),
            ("RegionId", "cn-hangzhou".into()),
            ("SignName", "阿里云短信测试专用".into()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            (
                "SignatureNonce",
                "45e25e9b-0a6f-4070-8c85-2956eda1b466".into(),
            ),
            ("SignatureVersion", "1.0".into()),
            ("TemplateCode", "SMS_71390007".into()),
            ("TemplateParam", "{\"customer\":\"test\"}".into()),
            ("Timestamp", "2017-07-12T02:42:19Z".into()),
            ("Version", "2017-05-25".into()),
        ]);
        assert_eq!(
            sign("GET", "testSecret", &form),
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="
        );
    }

    /// A gateway on a local port that keeps each form it receives and
    /// answers by the number: `…0` OK, `…1` a refused number, `…2` a
    /// server error without a code.
    async fn fake_gateway() -> (String, Arc<std::sync::Mutex<Vec<BTreeMap<String, String>>>>) {
        use axum::{Form, Router, http::StatusCode, routing::post};
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = seen.clone();
        let app = Router::new().route(
            "/",
            post(move |Form(form): Form<BTreeMap<String, String>>| {
                let kept = kept.clone();
                async move {
                    let phone = form["PhoneNumbers"].clone();
                    kept.lock().unwrap().push(form);
                    match phone.chars().last() {
                        Some('0') => (StatusCode::OK, r#"{"Code":"OK","BizId":"1"}"#),
                        Some('1') => (
                            StatusCode::OK,
                            r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"bad number"}"#,
                        ),
                        _ => (StatusCode::BAD_GATEWAY, "upstream down"),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, seen)
    }

    fn text(to: &str, notice: Notice) -> Text {
        Text {
            id: 42,
            to: to.into(),
            email: String::new(),
            notice,
            params: BTreeMap::from([("code", "K7QM-3XPA".into()), ("pin", "123456".into())]),
            body: String::new(),
        }
    }

    #[tokio::test]
    async fn the_gateway_gets_a_signed_form_and_its_answer_decides_what_follows() {
        let (url, seen) = fake_gateway().await;
        let templates =
            parse_templates("registered=SMS_1,taken_up=SMS_2,done=SMS_3,reopened=SMS_4").unwrap();
        let gateway = Gateway::new(url, "key".into(), "secret".into(), "连心".into(), templates);
        assert_eq!(
            gateway.send(&text("13900000000", Notice::Registered)).await,
            Outcome::Sent
        );
        let form = seen.lock().unwrap()[0].clone();
        assert_eq!(form["TemplateCode"], "SMS_1");
        assert_eq!(form["SignName"], "连心");
        assert_eq!(form["OutId"], "42");
        assert_eq!(
            form["TemplateParam"],
            r#"{"code":"K7QM-3XPA","pin":"123456"}"#
        );
        let mut unsigned: BTreeMap<&str, String> =
            form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let signature = unsigned.remove("Signature").unwrap();
        assert_eq!(signature, sign("POST", "secret", &unsigned));

        assert_eq!(
            gateway.send(&text("13900000001", Notice::Done)).await,
            Outcome::Failed {
                why: "isv.MOBILE_NUMBER_ILLEGAL".into(),
                lasting: true
            }
        );
        let Outcome::Failed { why, lasting } =
            gateway.send(&text("13900000002", Notice::Done)).await
        else {
            panic!("a server error is no success");
        };
        assert!(!lasting && why.contains("502"), "{why}");
        // Nothing listens here: tried again later.
        let gone = Gateway::new(
            "http://127.0.0.1:9/".into(),
            "key".into(),
            "secret".into(),
            "连心".into(),
            BTreeMap::from([(Notice::Done, "SMS_3".to_string())]),
        );
        assert!(matches!(
            gone.send(&text("13900000000", Notice::Done)).await,
            Outcome::Failed { lasting: false, .. }
        ));
        // A message without an approved template cannot go out at all.
        assert!(matches!(
            gone.send(&text("13900000000", Notice::Registered)).await,
            Outcome::Failed { lasting: true, .. }
        ));
    }

    #[tokio::test]
    async fn the_dispatcher_sends_a_registration_text_with_the_number_masked_and_notes_it() {
        let db = store::testing::TestDb::new().await;
        let pool = &db.pool;
        store::demo::load(pool, false, chrono::Utc::now())
            .await
            .unwrap();
        let director = store::testing::user(pool, "director").await;
        let receipt = store::testing::walk_in(pool, true, chrono::Utc::now()).await;
        let file = tempfile::NamedTempFile::new().unwrap();
        let dispatcher = Dispatcher {
            pool: pool.clone(),
            channel: Arc::new(Sink {
                file: Some(file.path().to_path_buf()),
            }),
            mail: None,
            public_url: "https://lx.example.cn".into(),
        };
        assert_eq!(dispatcher.round().await.unwrap(), 1);
        assert_eq!(dispatcher.round().await.unwrap(), 0, "sent once");
        let written = std::fs::read_to_string(file.path()).unwrap();
        let line: serde_json::Value = serde_json::from_str(written.trim()).unwrap();
        assert_eq!(line["to"], "139****5678");
        assert_eq!(line["notice"], "registered");
        let body = line["body"].as_str().unwrap();
        assert!(
            body.contains(&receipt.code) && body.contains(&receipt.pin),
            "{body}"
        );
        assert!(!written.contains("13912345678"));
        let code = domain::TrackingCode::parse(&receipt.code).unwrap();
        let detail = store::casefile::detail(pool, &director, &code, chrono::Utc::now())
            .await
            .unwrap();
        let note = detail
            .timeline
            .iter()
            .find_map(|e| e.message)
            .expect("the timeline notes the text");
        assert_eq!(
            (note.notice, note.delivery),
            (Notice::Registered, domain::notice::Delivery::Sent)
        );
    }

    #[test]
    fn every_notice_needs_a_template() {
        let all = "registered=SMS_1, taken_up=SMS_2,done=SMS_3,reopened=SMS_4";
        assert_eq!(parse_templates(all).unwrap()[&Notice::Done], "SMS_3");
        assert!(
            parse_templates("registered=SMS_1")
                .unwrap_err()
                .contains("taken_up")
        );
        assert!(
            parse_templates("sent=SMS_1")
                .unwrap_err()
                .contains("unknown notice")
        );
    }
}
