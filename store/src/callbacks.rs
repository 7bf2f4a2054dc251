//! Callbacks (回访): the station's list of cases that have waited too long
//! for the resident's rating, the phone number shown only on request (and
//! every showing audited), and the calls recorded as case events through
//! the transition table like any other step.

use crate::access;
use crate::audit::{self, Change};
use crate::cases::{self, CaseRow, SELECT_CASE, push_scope};
use crate::db::Stored;
use crate::events::By;
use crate::users::UserRow;
use crate::{Pool, Result, StoreError};
use chrono::{DateTime, Utc};
use domain::callback::CallResult;
use domain::view::{CallbackLine, Page};
use domain::{Action, CallbackPolicy, CaseState, Permission, Status, TrackingCode};

/// The cases in `user`'s area waiting for a rating since before the
/// policy's days, longest waiting first, a page at a time with the exact
/// total. Residents' numbers are masked here.
pub async fn list(
    pool: &Pool,
    user: &UserRow,
    offset: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<(Page<CallbackLine>, CallbackPolicy)> {
    access::permit(user, Permission::CallBack)?;
    let policy = crate::reference::callback_policy(pool).await?;
    let scope = access::scope_for(user, Permission::CallBack);
    let offset = offset.max(0);
    let waiting = |sql: &str| {
        let mut qb = crate::db::Builder::new(sql);
        qb.push(" WHERE c.awaiting_since <= ")
            .push_bind(policy.waiting_before(now).stored())
            .push(" AND c.status = ")
            .push_bind(Status::AwaitingRating.as_str());
        let any = push_scope(&mut qb, &scope);
        (qb, any)
    };
    let (mut count, any) = waiting("SELECT COUNT(*) FROM cases c");
    if !any {
        return Ok((Page::empty(offset), policy));
    }
    let total: i64 = count.build_query_scalar()?.fetch_one(pool).await?;
    let mut items = vec![];
    if total > offset && limit > 0 {
        let (mut qb, _) = waiting(SELECT_CASE);
        qb.push(" ORDER BY c.awaiting_since, c.id LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows: Vec<CaseRow> = qb.build_query_as()?.fetch_all(pool).await?;
        items = rows.iter().map(|r| line(r, &policy)).collect();
    }
    Ok((
        Page {
            items,
            total,
            offset,
        },
        policy,
    ))
}

fn line(row: &CaseRow, policy: &CallbackPolicy) -> CallbackLine {
    let calls = row.calls();
    CallbackLine {
        code: row.code.clone(),
        title: row.title.clone(),
        category: row.category.clone(),
        station: row.station.clone(),
        resident: domain::mask::name(&row.resident_name),
        phone: domain::mask::phone(&row.resident_phone),
        result: row.state.result.clone(),
        waiting_since: row.awaiting_since.unwrap_or(row.updated_at),
        calls,
        may_close: policy.may_close_unrated(calls),
    }
}

/// A case on `user`'s callback list, or Forbidden.
async fn load_for(pool: &Pool, user: &UserRow, code: &TrackingCode) -> Result<CaseRow> {
    access::permit(user, Permission::CallBack)?;
    let row = cases::load(pool, code).await?;
    if !access::scope_for(user, Permission::CallBack).covers(&row.facts()) {
        return Err(StoreError::Forbidden);
    }
    Ok(row)
}

/// The resident's whole number, for the caller to dial. Each showing is in
/// the audit trail: the list masks numbers so that reading it reveals none.
pub async fn reveal_phone(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    now: DateTime<Utc>,
) -> Result<String> {
    let row = load_for(pool, user, code).await?;
    // Anonymised cases keep no number; nothing to show or audit.
    if row.resident_phone.is_empty() {
        return Err(StoreError::NotFound);
    }
    let by = By::user(user);
    let mut tx = pool.begin().await?;
    audit::record(
        &mut tx,
        Change::by(&by, "case.phone_revealed", "case", row.code.clone()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.resident_phone)
}

/// Records a call on the case: an event in the timeline and the audit
/// trail under the caller's name; a rating moves the case as the
/// resident's own would (dissatisfied → rework).
pub async fn record(
    pool: &Pool,
    user: &UserRow,
    code: &TrackingCode,
    result: CallResult,
    note: &str,
    now: DateTime<Utc>,
) -> Result<CaseState> {
    let row = load_for(pool, user, code).await?;
    let note = note.to_string();
    let action = match result {
        CallResult::Unanswered(outcome) => Action::RecordCall { outcome, note },
        CallResult::Rated(rating, via) => Action::Rate {
            rating,
            comment: note,
            via,
        },
    };
    cases::act_on(pool, user, &row, &action, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{demo_db, user};
    use chrono::Duration;
    use domain::{CallOutcome, Rating, RatingChannel};

    /// A call without a note, now.
    async fn call(
        pool: &Pool,
        who: &UserRow,
        code: &TrackingCode,
        result: CallResult,
    ) -> Result<CaseState> {
        record(pool, who, code, result, "", Utc::now()).await
    }

    /// A demo case brought to wait for a rating `days` ago.
    async fn waiting_case(pool: &Pool, days: i64) -> TrackingCode {
        let code = crate::testing::awaiting_rating(pool, Utc::now() - Duration::days(days)).await;
        assert_eq!(
            cases::status_of(pool, &code).await.unwrap(),
            Status::AwaitingRating
        );
        code
    }

    #[tokio::test]
    async fn the_list_holds_what_waited_longer_than_the_policy_oldest_first() {
        let (pool, _db) = demo_db().await;
        let director = user(&pool, "director").await;
        let now = Utc::now();
        let old = waiting_case(&pool, 9).await;
        let older = waiting_case(&pool, 12).await;
        let fresh = waiting_case(&pool, 2).await;
        let (page, policy) = list(&pool, &director, 0, 500, now).await.unwrap();
        assert_eq!(policy, CallbackPolicy::default());
        let codes: Vec<&str> = page.items.iter().map(|l| l.code.as_str()).collect();
        let at = |c: &TrackingCode| codes.iter().position(|x| *x == c.as_str());
        assert!(at(&older).unwrap() < at(&old).unwrap(), "{codes:?}");
        assert_eq!(at(&fresh), None);
        assert_eq!(page.total, page.items.len() as i64);
        assert!(
            page.items
                .windows(2)
                .all(|w| w[0].waiting_since <= w[1].waiting_since)
        );
        // Numbers are masked on the list.
        assert!(page.items.iter().all(|l| l.phone.contains("****")));

        // Exact paging: one line at a time walks the same list.
        let mut walked = vec![];
        for offset in 0..page.total {
            let (one, _) = list(&pool, &director, offset, 1, now).await.unwrap();
            assert_eq!(one.total, page.total);
            walked.push(one.items[0].code.clone());
        }
        assert_eq!(walked, codes);

        // Shorter patience puts the fresh case on it too.
        let by = By::user(&user(&pool, "admin").await);
        crate::reference::set_callback_policy(
            &pool,
            &by,
            CallbackPolicy {
                after_days: 1,
                attempts: 2,
            },
            now,
        )
        .await
        .unwrap();
        let (page, policy) = list(&pool, &director, 0, 500, now).await.unwrap();
        assert_eq!(policy.attempts, 2);
        assert!(page.items.iter().any(|l| l.code == fresh.as_str()));
        assert!(matches!(
            crate::reference::set_callback_policy(
                &pool,
                &by,
                CallbackPolicy {
                    after_days: 0,
                    attempts: 2
                },
                now
            )
            .await,
            Err(StoreError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn only_the_station_side_in_its_area_calls_back() {
        let (pool, _db) = demo_db().await;
        let now = Utc::now();
        let code = waiting_case(&pool, 9).await;
        for name in ["handler", "deputy", "grid", "leader", "member"] {
            let u = user(&pool, name).await;
            assert!(
                matches!(
                    list(&pool, &u, 0, 10, now).await,
                    Err(StoreError::Forbidden)
                ),
                "{name}"
            );
            assert!(matches!(
                reveal_phone(&pool, &u, &code, now).await,
                Err(StoreError::Forbidden)
            ));
        }
        let other = crate::testing::director_elsewhere(&pool).await;
        let (page, _) = list(&pool, &other, 0, 500, now).await.unwrap();
        assert!(page.items.iter().all(|l| l.code != code.as_str()));
        assert!(matches!(
            reveal_phone(&pool, &other, &code, now).await,
            Err(StoreError::Forbidden)
        ));
        assert!(matches!(
            call(
                &pool,
                &other,
                &code,
                CallResult::Unanswered(CallOutcome::NoAnswer)
            )
            .await,
            Err(StoreError::Forbidden)
        ));
    }

    #[tokio::test]
    async fn revealing_a_number_is_audited() {
        let (pool, _db) = demo_db().await;
        let director = user(&pool, "director").await;
        let code = waiting_case(&pool, 9).await;
        let phone = reveal_phone(&pool, &director, &code, Utc::now())
            .await
            .unwrap();
        assert_eq!(
            phone,
            cases::load(&pool, &code).await.unwrap().resident_phone
        );
        let (actor, entity): (Option<i64>, String) = sqlx::query_as(
            "SELECT actor_user_id, entity_id FROM audit_log WHERE action = 'case.phone_revealed'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (actor, entity),
            (Some(director.id), code.as_str().to_string())
        );
    }

    #[tokio::test]
    async fn unanswered_calls_count_until_the_case_may_close_unrated() {
        let (pool, _db) = demo_db().await;
        let director = user(&pool, "director").await;
        let now = Utc::now();
        let code = waiting_case(&pool, 9).await;
        let close = || cases::act(&pool, &director, &code, &Action::CloseUnrated, now);
        assert!(matches!(close().await, Err(StoreError::Invalid(_))));
        for n in 1..=3u32 {
            call(
                &pool,
                &director,
                &code,
                CallResult::Unanswered(CallOutcome::NoAnswer),
            )
            .await
            .unwrap();
            let row = cases::load(&pool, &code).await.unwrap();
            assert_eq!(row.calls().unanswered, n);
            assert_eq!(row.state.status, Status::AwaitingRating);
            if n < 3 {
                assert!(matches!(close().await, Err(StoreError::Invalid(_))));
            }
        }
        let kinds = cases::event_kinds(&pool, &code).await.unwrap();
        assert_eq!(kinds.iter().filter(|k| *k == "record_call").count(), 3);
        let closed = close().await.unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert_eq!(closed.rating, Some(Rating::NotRated));
        let row = cases::load(&pool, &code).await.unwrap();
        assert_eq!(row.awaiting_since, None);
        assert_eq!(row.rated_via, None);
    }

    #[tokio::test]
    async fn a_refusal_settles_it_at_once() {
        let (pool, _db) = demo_db().await;
        let director = user(&pool, "director").await;
        let now = Utc::now();
        let code = waiting_case(&pool, 9).await;
        record(
            &pool,
            &director,
            &code,
            CallResult::Unanswered(CallOutcome::Refused),
            "不愿评价",
            now,
        )
        .await
        .unwrap();
        let (page, _) = list(&pool, &director, 0, 500, now).await.unwrap();
        let line = page.items.iter().find(|l| l.code == code.as_str()).unwrap();
        assert!(line.calls.concluded && line.may_close);
        cases::act(&pool, &director, &code, &Action::CloseUnrated, now)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn dissatisfied_by_phone_goes_to_rework_and_the_calls_start_again() {
        let (pool, _db) = demo_db().await;
        let director = user(&pool, "director").await;
        let now = Utc::now();
        let code = waiting_case(&pool, 9).await;
        call(
            &pool,
            &director,
            &code,
            CallResult::Unanswered(CallOutcome::NoAnswer),
        )
        .await
        .unwrap();
        let state = record(
            &pool,
            &director,
            &code,
            CallResult::Rated(Rating::Dissatisfied, RatingChannel::Callback),
            "路灯还是不亮",
            now,
        )
        .await
        .unwrap();
        assert_eq!(state.status, Status::Rework);
        assert_eq!(state.rework_count, 1);
        let row = cases::load(&pool, &code).await.unwrap();
        assert_eq!(row.rated_via, Some(RatingChannel::Callback));
        assert_eq!((row.awaiting_since, row.calls), (None, 0));
        // The timeline names the caller, not "the resident".
        let (label, actor): (String, Option<i64>) = sqlx::query_as(
            "SELECT e.actor_label, e.actor_user_id FROM case_events e JOIN cases c ON c.id = e.case_id \
             WHERE c.code = $1 AND e.kind = 'rate_dissatisfied'",
        )
        .bind(code.as_str())
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (label, actor),
            (director.display_name.clone(), Some(director.id))
        );
        // A resident cannot pass their online rating off as a callback, nor
        // the station record an "online" one.
        assert!(
            cases::act(
                &pool,
                &director,
                &code,
                &Action::Rate {
                    rating: Rating::Satisfied,
                    comment: String::new(),
                    via: RatingChannel::Online
                },
                now
            )
            .await
            .is_err()
        );
    }
}
