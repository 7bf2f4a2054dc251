//! A staff member's start page (工作台).

use crate::error::AppError;
use domain::view::MyDay;
use leptos::prelude::*;

/// Cases of the to-do shown on the start page; the rest are one link away.
pub const FIRST_WAITING: i64 = 10;

/// What waits for the signed-in staff member, their area's figures and, for
/// deputies and leaders, their next session.
#[server(endpoint = "get_my_day")]
pub async fn get_my_day() -> Result<MyDay, AppError> {
    use super::ssr::*;
    use domain::Role;
    let user = authorize(domain::Permission::ViewCases).await?;
    let pool = state()?.pool;
    let now = chrono::Utc::now();
    // The count came with the signed-in user; only the first cases are read.
    let waiting = store::cases::first_waiting(&pool, &user, FIRST_WAITING, now).await?;
    // The area's open cases; a city-wide reader (a leader, the
    // administrator) sees the city's figures, counted by the same indexes.
    let open = domain::view::CaseFilter {
        closed_since: Some(now),
        ..Default::default()
    };
    let area = store::cases::board_counts(&pool, &user, &open, now).await?;
    let (next_session, open_commitments) = if matches!(user.role, Role::Deputy | Role::Leader) {
        let visits = store::sessions::mine(&pool, &user, now)
            .await
            .map_err(fail)?;
        let open = visits
            .commitments
            .iter()
            .filter(|c| c.delivered_on.is_none())
            .count();
        (visits.upcoming.into_iter().next(), Some(open))
    } else {
        (None, None)
    };
    Ok(MyDay {
        waiting,
        area,
        next_session,
        open_commitments,
    })
}
