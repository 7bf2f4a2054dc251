//! The outbox of text messages to residents (短信通知). A message is written
//! in the same transaction as the step that calls for it, so there is one
//! exactly when the step happened; the server's dispatcher claims due
//! messages, sends them and records each delivery in the case's timeline.
//!
//! Several instances share the work through leases: a claim marks rows as
//! taken until a time, and a row is claimable again only when its lease has
//! run out (its dispatcher died mid-send). PostgreSQL claims with `FOR UPDATE
//! SKIP LOCKED`, so two dispatchers never take the same row; SQLite runs one
//! writer at a time, so its claiming statement is atomic as it is.

use crate::db::{Backend, Stored};
use crate::events::{By, insert_event};
use crate::{Pool, Result};
use chrono::{DateTime, Duration, Utc};
use domain::notice::{Delivery, Notice};
use domain::{Status, TrackingCode};

/// Who the timeline says sent a message.
const SENDER: &str = "短信通知";

/// Writes the message `notice` of case `case_id`, if its resident takes texts.
pub(crate) async fn enqueue(
    tx: &mut crate::db::Tx<'_>,
    case_id: i64,
    notice: Notice,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (case_id, notice, due_at, created_at) \
         SELECT id, $2, $3, $3 FROM cases WHERE id = $1 AND notify = 1 \
         AND (resident_phone <> '' OR resident_email <> '')",
    )
    .bind(case_id)
    .bind(notice.as_str())
    .bind(now.stored())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A claimed message with what sending it needs. Holds the resident's
/// number, address and PIN: never serialised, never logged.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub case_id: i64,
    pub code: String,
    pub pin: String,
    pub phone: String,
    /// Empty when the resident gave no address.
    pub email: String,
    #[sqlx(try_from = "crate::db::Code<Notice>")]
    pub notice: Notice,
    /// Including this one.
    pub attempts: i64,
}

impl Message {
    /// The code as residents read it (`K7QM-3XPA`).
    pub fn display_code(&self) -> String {
        domain::TrackingCode::readable(&self.code)
    }
}

/// Claims up to `limit` due messages for `lease`: no other dispatcher gets
/// them until the lease runs out. Messages whose resident has stopped them
/// (or whose number and address are gone) since they were written are
/// dropped here.
pub async fn claim(
    pool: &Pool,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Message>> {
    let lock = match Backend::of(pool) {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let claimed: Vec<(i64,)> = sqlx::query_as(&format!(
        "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 \
         WHERE state = 'pending' AND id IN (SELECT id FROM outbox \
         WHERE state = 'pending' AND due_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) \
         ORDER BY due_at, id LIMIT $3{lock}) RETURNING id"
    ))
    .bind((now + lease).stored())
    .bind(now.stored())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = crate::db::Builder::new(
        "SELECT o.id, o.case_id, c.code, c.pin, c.resident_phone AS phone, \
         c.resident_email AS email, o.notice, o.attempts, \
         c.notify FROM outbox o JOIN cases c ON c.id = o.case_id WHERE o.id IN (",
    );
    for (i, (id,)) in claimed.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        qb.push_bind(*id);
    }
    qb.push(") ORDER BY o.due_at, o.id");
    let rows: Vec<Claimed> = qb.build_query_as()?.fetch_all(pool).await?;
    let mut messages = Vec::with_capacity(rows.len());
    for row in rows {
        if row.notify && !(row.message.phone.is_empty() && row.message.email.is_empty()) {
            messages.push(row.message);
        } else {
            sqlx::query(
                "UPDATE outbox SET state = 'dropped', lease_until = NULL, done_at = $1 WHERE id = $2",
            )
            .bind(now.stored())
            .bind(row.message.id)
            .execute(pool)
            .await?;
        }
    }
    Ok(messages)
}

#[derive(sqlx::FromRow)]
struct Claimed {
    #[sqlx(flatten)]
    message: Message,
    #[sqlx(try_from = "crate::db::Flag")]
    notify: bool,
}

/// What a send came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// `why` is the provider's code or the transport's error, without the
    /// number; `lasting` when trying again cannot help (a bad number, a
    /// template the provider refuses).
    Failed {
        why: String,
        lasting: bool,
    },
}

/// Records what sending `message` came to, and notes it in the case's
/// timeline. A failure that may pass is tried again later (see
/// `domain::notice::retry_after`) until the attempts run out.
pub async fn finish(
    pool: &Pool,
    message: &Message,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<Delivery> {
    let attempts = u32::try_from(message.attempts).unwrap_or(u32::MAX);
    let (delivery, why) = match &outcome {
        Outcome::Sent => (Delivery::Sent, None),
        Outcome::Failed { why, lasting } => {
            match (lasting, domain::notice::retry_after(attempts)) {
                (false, Some(_)) => (Delivery::Failed, Some(why.as_str())),
                _ => (Delivery::GaveUp, Some(why.as_str())),
            }
        }
    };
    let mut tx = pool.begin().await?;
    let update = match delivery {
        Delivery::Sent => sqlx::query(
            "UPDATE outbox SET state = 'sent', lease_until = NULL, last_error = $3, done_at = $1 \
             WHERE id = $2 AND state = 'pending'",
        )
        .bind(now.stored()),
        Delivery::Failed => sqlx::query(
            "UPDATE outbox SET lease_until = NULL, last_error = $3, due_at = $1 \
             WHERE id = $2 AND state = 'pending'",
        )
        .bind(
            (now + domain::notice::retry_after(attempts).unwrap_or_default()).stored(),
        ),
        Delivery::GaveUp => sqlx::query(
            "UPDATE outbox SET state = 'gave_up', lease_until = NULL, last_error = $3, done_at = $1 \
             WHERE id = $2 AND state = 'pending'",
        )
        .bind(now.stored()),
    };
    let done = update.bind(message.id).bind(why).execute(&mut *tx).await?;
    // A message dropped meanwhile (the resident stopped texts) stays so.
    if done.rows_affected() > 0 {
        let status: crate::db::Code<Status> =
            sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
                .bind(message.case_id)
                .fetch_one(&mut *tx)
                .await?;
        let status = status.0;
        let payload = serde_json::json!({
            "notice": message.notice.as_str(),
            "delivery": delivery.as_str(),
            "note": why,
        });
        insert_event(
            &mut tx,
            message.case_id,
            "notified",
            Some(status),
            status,
            &By::named(SENDER),
            &payload.to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(delivery)
}

/// The resident stops texts about their case: nothing more is written for
/// it, and what waits to be sent is dropped. Stopping twice changes nothing.
pub async fn stop(pool: &Pool, code: &TrackingCode, now: DateTime<Utc>) -> Result<()> {
    let (id, status): (i64, crate::db::Code<Status>) =
        sqlx::query_as("SELECT id, status FROM cases WHERE code = $1")
            .bind(code.as_str())
            .fetch_optional(pool)
            .await?
            .ok_or(crate::StoreError::NotFound)?;
    let status = status.0;
    let mut tx = pool.begin().await?;
    let changed = sqlx::query("UPDATE cases SET notify = 0 WHERE id = $1 AND notify = 1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() > 0 {
        sqlx::query(
            "UPDATE outbox SET state = 'dropped', lease_until = NULL, done_at = $1 \
             WHERE case_id = $2 AND state = 'pending'",
        )
        .bind(now.stored())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        insert_event(
            &mut tx,
            id,
            "notify_stopped",
            Some(status),
            status,
            &By::resident(),
            "{}",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// How many messages are waiting to go out, due or not (for `/healthz`).
pub async fn waiting(pool: &Pool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            .fetch_one(pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestDb, user};
    use domain::Action;

    async fn register(pool: &Pool, notify: bool, at: DateTime<Utc>) -> TrackingCode {
        let receipt = crate::testing::walk_in(pool, notify, at).await;
        TrackingCode::parse(&receipt.code).expect("a code")
    }

    async fn states(pool: &Pool) -> Vec<(String, String, i64)> {
        sqlx::query_as("SELECT notice, state, attempts FROM outbox ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("outbox readable")
    }

    async fn deliveries(pool: &Pool, code: &TrackingCode) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT e.payload FROM case_events e JOIN cases c ON c.id = e.case_id \
             WHERE c.code = $1 AND e.kind = 'notified' ORDER BY e.id",
        )
        .bind(code.as_str())
        .fetch_all(pool)
        .await
        .expect("events readable")
    }

    async fn demo() -> TestDb {
        let db = TestDb::demo().await;
        // Some demo residents take texts, but their history sent none.
        assert!(states(&db.pool).await.is_empty());
        db
    }

    #[tokio::test]
    async fn a_step_writes_its_message_only_for_residents_who_opted_in() {
        let db = demo().await;
        let pool = &db.pool;
        let now = Utc::now();
        let silent = register(pool, false, now).await;
        let texted = register(pool, true, now).await;
        let director = user(pool, "director").await;
        for code in [&silent, &texted] {
            for action in [
                Action::StartConsolidation,
                Action::HandleLocally {
                    tier: domain::Tier::Community,
                    note: String::new(),
                },
                Action::CompleteLocally {
                    result: "已修好".into(),
                },
                Action::RecordFeedback {
                    note: String::new(),
                },
            ] {
                crate::cases::act(pool, &director, code, &action, now)
                    .await
                    .expect("the station's steps");
            }
        }
        let notices: Vec<String> = states(pool).await.into_iter().map(|s| s.0).collect();
        assert_eq!(notices, ["registered", "taken_up", "done"]);
        let case_ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT c.code FROM outbox o JOIN cases c ON c.id = o.case_id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(case_ids, [texted.as_str()]);
    }

    #[tokio::test]
    async fn a_resident_with_only_an_address_gets_messages_there() {
        let db = demo().await;
        let pool = &db.pool;
        let now = Utc::now();
        let director = user(pool, "director").await;
        let (region_id, category_id) = crate::testing::compound_and_category(pool, &director).await;
        // Where a number is optional (Open311), an address is enough.
        let new = domain::NewCase {
            title: "井盖缺失".into(),
            description: "路口井盖缺失".into(),
            category_id,
            region_id,
            station_id: None,
            source: domain::Source::Open311,
            resident_name: String::new(),
            resident_phone: String::new(),
            resident_email: "wang.resident@example.cn".into(),
            notify: true,
        };
        crate::cases::create(pool, &new, None, now).await.unwrap();
        let due = claim(pool, now, Duration::minutes(5), 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].phone.as_str(), due[0].email.as_str()),
            ("", "wang.resident@example.cn")
        );
    }

    #[tokio::test]
    async fn two_dispatchers_claim_each_message_once_and_a_dead_ones_lease_runs_out() {
        let db = demo().await;
        let pool = &db.pool;
        let now = Utc::now();
        for _ in 0..12 {
            register(pool, true, now).await;
        }
        // A second pool stands for a second instance.
        let other = crate::db::connect(&db.url).await.expect("second pool");
        let lease = Duration::minutes(5);
        let (a, b) = tokio::join!(claim(pool, now, lease, 8), claim(&other, now, lease, 8));
        let (a, b) = (a.expect("claims"), b.expect("claims"));
        let mut ids: Vec<i64> = a.iter().chain(&b).map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.len() + b.len(), "a message claimed twice");
        assert_eq!(ids.len(), 12);
        assert!(claim(pool, now, lease, 50).await.unwrap().is_empty());
        // The dispatcher holding `a` died: its messages come back after the
        // lease, once, and count the attempt.
        for m in &b {
            finish(pool, m, Outcome::Sent, now).await.unwrap();
        }
        let later = now + lease;
        let again = claim(&other, later, lease, 50).await.unwrap();
        let mut back: Vec<i64> = again.iter().map(|m| m.id).collect();
        back.sort();
        let mut lost: Vec<i64> = a.iter().map(|m| m.id).collect();
        lost.sort();
        assert_eq!(back, lost);
        assert!(again.iter().all(|m| m.attempts == 2));
        assert!(claim(pool, later, lease, 50).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failing_message_is_retried_later_and_given_up_after_the_last_attempt() {
        let db = demo().await;
        let pool = &db.pool;
        let mut now = Utc::now();
        let code = register(pool, true, now).await;
        let lease = Duration::minutes(5);
        let failed = Outcome::Failed {
            why: "isp.SYSTEM_ERROR".into(),
            lasting: false,
        };
        for attempt in 1..domain::notice::ATTEMPTS {
            let got = claim(pool, now, lease, 10).await.unwrap();
            assert_eq!(got.len(), 1, "attempt {attempt}");
            let delivery = finish(pool, &got[0], failed.clone(), now).await.unwrap();
            assert_eq!(delivery, Delivery::Failed);
            // Not due again before the wait.
            let wait = domain::notice::retry_after(attempt).unwrap();
            assert!(
                claim(pool, now + wait - Duration::seconds(1), lease, 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            now += wait;
        }
        let last = claim(pool, now, lease, 10).await.unwrap();
        let delivery = finish(pool, &last[0], failed, now).await.unwrap();
        assert_eq!(delivery, Delivery::GaveUp);
        assert!(
            claim(pool, now + Duration::days(2), lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            states(pool).await,
            [(
                "registered".into(),
                "gave_up".into(),
                i64::from(domain::notice::ATTEMPTS)
            )]
        );
        let timeline = deliveries(pool, &code).await;
        assert_eq!(timeline.len(), domain::notice::ATTEMPTS as usize);
        assert!(timeline.last().unwrap().contains("gave_up"));
        assert!(timeline.iter().all(|p| !p.contains("13912345678")));
    }

    #[tokio::test]
    async fn a_lasting_failure_gives_up_at_once_and_a_sent_message_is_noted() {
        let db = demo().await;
        let pool = &db.pool;
        let now = Utc::now();
        let bad = register(pool, true, now).await;
        let good = register(pool, true, now).await;
        for m in claim(pool, now, Duration::minutes(5), 10).await.unwrap() {
            let outcome = if m.code == bad.as_str() {
                Outcome::Failed {
                    why: "isv.MOBILE_NUMBER_ILLEGAL".into(),
                    lasting: true,
                }
            } else {
                assert_eq!(m.pin.len(), 6, "the message carries the PIN to send");
                Outcome::Sent
            };
            finish(pool, &m, outcome, now).await.unwrap();
        }
        assert!(deliveries(pool, &bad).await[0].contains("gave_up"));
        assert!(deliveries(pool, &good).await[0].contains("\"sent\""));
        assert_eq!(waiting(pool).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn stopping_texts_drops_what_waits_and_writes_nothing_more() {
        let db = demo().await;
        let pool = &db.pool;
        let now = Utc::now();
        let code = register(pool, true, now).await;
        // Claimed by a dispatcher that is sending right now…
        let sending = claim(pool, now, Duration::minutes(5), 10).await.unwrap();
        stop(pool, &code, now).await.unwrap();
        stop(pool, &code, now).await.unwrap();
        // …whose result no longer changes the dropped message.
        finish(pool, &sending[0], Outcome::Sent, now).await.unwrap();
        let director = user(pool, "director").await;
        crate::cases::act(pool, &director, &code, &Action::StartConsolidation, now)
            .await
            .unwrap();
        crate::cases::act(
            pool,
            &director,
            &code,
            &Action::HandleLocally {
                tier: domain::Tier::Community,
                note: String::new(),
            },
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            states(pool).await,
            [("registered".into(), "dropped".into(), 1)]
        );
        assert!(deliveries(pool, &code).await.is_empty());
        let stops = crate::cases::event_kinds(pool, &code)
            .await
            .unwrap()
            .into_iter()
            .filter(|k| k == "notify_stopped")
            .count();
        assert_eq!(stops, 1);
    }
}
