//! The supervision ledger (台账): every case the reader may see with its
//! unit, checkpoints, letters, extensions and returns, filtered by region,
//! unit, category, source, route, period and state. Read in keyset pages,
//! newest first, so an export of the whole city never holds it all.

use crate::access;
use crate::cases::push_scope;
use crate::db::Stored;
use crate::reference::{self, RegionTree};
use crate::stats::Tallies;
use crate::users::UserRow;
use crate::{Pool, Result, StoreError, push_in};
use chrono::{DateTime, Datelike, Utc};
use domain::ledger::{Due, Filter, Line, StateFilter};
use domain::{CaseState, Checkpoint, DeadlinePolicy, Source, Status};
use std::collections::HashMap;
use std::sync::Arc;

/// Rows read per query.
pub const PAGE: i64 = 500;

/// What turning rows into lines needs, read once per ledger walk.
#[derive(Clone)]
pub struct Context {
    tree: Arc<RegionTree>,
    policy: Arc<DeadlinePolicy>,
    now: DateTime<Utc>,
}

impl Context {
    pub async fn load(pool: &Pool, now: DateTime<Utc>) -> Result<Self> {
        Ok(Self {
            tree: reference::region_tree(pool).await?,
            policy: reference::policy(pool).await?,
            now,
        })
    }
}

/// The query of `filter` over the cases `user` may see, None when the user
/// sees nothing; `before` continues after the last id of a page.
fn query(
    user: &UserRow,
    filter: &Filter,
    ctx: &Context,
    before: Option<i64>,
    select: &str,
) -> Option<crate::db::Builder> {
    let mut qb = crate::db::Builder::new(select);
    qb.push(" WHERE c.status <> ")
        .push_bind(Status::Merged.as_str());
    if !push_scope(&mut qb, &access::scope(user)) {
        return None;
    }
    if let Some(id) = filter.region_id {
        // An unknown node matches nothing rather than everything.
        let path = &ctx.tree.get(id)?.path;
        crate::cases::push_area(&mut qb, path);
    }
    if let Some(u) = filter.unit_id {
        qb.push(" AND c.unit_id = ").push_bind(u);
    }
    if let Some(c) = filter.category_id {
        qb.push(" AND c.category_id = ").push_bind(c);
    }
    if let Some(s) = filter.source {
        qb.push(" AND c.source = ").push_bind(s.as_str());
    }
    if let Some(r) = filter.route {
        qb.push(" AND c.route = ").push_bind(r.as_str());
    }
    let day = |d: chrono::NaiveDate| crate::stats::day_start(d);
    if let Some(from) = filter.from {
        qb.push(" AND c.created_at >= ")
            .push_bind(day(from).stored());
    }
    if let Some(to) = filter.to.and_then(|t| t.succ_opt()) {
        qb.push(" AND c.created_at < ").push_bind(day(to).stored());
    }
    match filter.state {
        Some(StateFilter::Closed) => {
            qb.push(" AND c.status = ")
                .push_bind(Status::Closed.as_str());
        }
        Some(StateFilter::Open) => {
            qb.push(" AND c.status <> ")
                .push_bind(Status::Closed.as_str());
        }
        // Past any 13710 checkpoint still open, by the stored due time.
        Some(StateFilter::Overdue) => {
            qb.push(" AND c.status <> ")
                .push_bind(Status::Closed.as_str())
                .push(" AND c.due_at < ")
                .push_bind(ctx.now.stored());
        }
        None => {}
    }
    if let Some(b) = before {
        qb.push(" AND c.id < ").push_bind(b);
    }
    Some(qb)
}

/// One page of the ledger: at most `PAGE` rows read, newest first, from
/// before `before`; every filter runs in SQL, so each page is full but the
/// last. Returns the lines and the id to continue
/// from (None at the end).
pub async fn page(
    pool: &Pool,
    user: &UserRow,
    filter: &Filter,
    ctx: &Context,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Line>, Option<i64>)> {
    access::permit(user, domain::Permission::ViewCases)?;
    let limit = limit.clamp(1, PAGE);
    let rows = rows(pool, user, filter, ctx, before, limit).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let measures = measures(pool, &rows).await?;
    let lines = rows
        .into_iter()
        .map(|row| line(row, ctx, &measures))
        .collect();
    Ok((lines, next))
}

/// The rows of a page: on SQLite as one JSON array that SQLite builds, since
/// sqlx hands a SQLite row over to the caller through a channel and copies
/// it twice on the way, which bounded the city's export at about 25,000
/// lines a second on this machine; on PostgreSQL row by row.
async fn rows(
    pool: &Pool,
    user: &UserRow,
    filter: &Filter,
    ctx: &Context,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LedgerRow>> {
    let backend = crate::db::Backend::of(pool);
    let select = match backend {
        crate::db::Backend::Sqlite => SELECT_LINES_AS_JSON,
        crate::db::Backend::Postgres => SELECT_LINE,
    };
    let Some(mut qb) = query(user, filter, ctx, before, select) else {
        return Ok(vec![]);
    };
    qb.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit);
    match backend {
        crate::db::Backend::Sqlite => {
            let json: String = qb.push(")").build_query_scalar()?.fetch_one(pool).await?;
            serde_json::from_str(&json).map_err(|e| StoreError::from(sqlx::Error::Decode(e.into())))
        }
        crate::db::Backend::Postgres => Ok(qb.build_query_as()?.fetch_all(pool).await?),
    }
}

/// What a ledger line prints of its case and what its checkpoints are
/// computed from, before its letters and its state, in `LedgerRow`'s order:
/// no resident's name, phone or e-mail and no PIN, so an export of the city
/// never reads them; a case's returns and the handler who last acknowledged
/// it are kept on the case (migration 0030). Unnamed, so that a JSON array
/// holds them too: the category's and the unit's names read as `name_zh`
/// and `name`.
macro_rules! line_values {
    () => {
        "c.id, c.code, c.title, c.description, cat.name_zh, c.region_id, c.source, u.name, \
         c.created_at, c.item_id, c.returns, c.acknowledger"
    };
}

/// The cases with the category and the unit their lines name.
macro_rules! line_tables {
    () => {
        " FROM cases c JOIN categories cat ON cat.id = c.category_id \
         LEFT JOIN units u ON u.id = c.unit_id"
    };
}

/// A ledger line's case as columns (`LedgerRow`).
const SELECT_LINE: &str = concat!(
    "SELECT ",
    line_values!(),
    ", ",
    crate::cases::letters!(),
    ", ",
    crate::deadlines::state_columns!(),
    line_tables!()
);

/// `SELECT_LINE`'s values as one JSON array per case, in `LedgerRow`'s
/// order, the state a nested array; a page is the array of its cases,
/// newest first. The page is joined as text: `json_group_array` would take
/// each case's array for a string once sorted (SQLite keeps no JSON subtype
/// through a sort).
const SELECT_LINES_AS_JSON: &str = concat!(
    "SELECT '[' || COALESCE(group_concat(j, ',' ORDER BY id DESC), '') || ']' \
     FROM (SELECT c.id, json_array(",
    line_values!(),
    ", ",
    crate::cases::letter_count!(),
    ", json_array(",
    crate::deadlines::state_values!(),
    ")) AS j",
    line_tables!()
);

/// A case as a ledger line reads it (`SELECT_LINE`, or an array of
/// `SELECT_LINES_AS_JSON`).
#[derive(sqlx::FromRow, serde::Deserialize)]
struct LedgerRow {
    id: i64,
    code: String,
    title: String,
    description: String,
    #[sqlx(rename = "name_zh")]
    category: String,
    region_id: i64,
    #[sqlx(try_from = "crate::db::Code<Source>")]
    source: Source,
    #[sqlx(rename = "name")]
    unit: Option<String>,
    #[sqlx(try_from = "crate::db::Stamp")]
    #[serde(deserialize_with = "crate::db::Stamp::from_json")]
    created_at: DateTime<Utc>,
    /// The escalated item (市级统筹) the case follows.
    item_id: Option<i64>,
    /// How many times a unit returned it.
    returns: i64,
    /// The handler who last acknowledged it.
    acknowledger: Option<String>,
    letters: i64,
    #[sqlx(flatten)]
    state: crate::deadlines::StateRow,
}

/// How many lines the filter selects: added up from the figures' tallies
/// when the filter is one they keep (an area, one unit or category, whole
/// months, open or closed: the city's count is a million cases otherwise),
/// else counted from the cases.
pub async fn count(pool: &Pool, user: &UserRow, filter: &Filter, ctx: &Context) -> Result<i64> {
    access::permit(user, domain::Permission::ViewCases)?;
    match tallied(pool, user, filter, ctx).await? {
        Some(n) => Ok(n),
        None => counted(pool, user, filter, ctx).await,
    }
}

/// The lines of the filter, counted case by case.
async fn counted(pool: &Pool, user: &UserRow, filter: &Filter, ctx: &Context) -> Result<i64> {
    let Some(mut qb) = query(user, filter, ctx, None, "SELECT COUNT(*) FROM cases c") else {
        return Ok(0);
    };
    Ok(qb.build_query_scalar()?.fetch_one(pool).await?)
}

/// The lines of the filter from the tallies (migrations 0017, 0020), or None
/// when the tallies do not keep what the filter asks.
async fn tallied(
    pool: &Pool,
    user: &UserRow,
    filter: &Filter,
    ctx: &Context,
) -> Result<Option<i64>> {
    let scope = match access::scope(user) {
        access::Scope::All => "/".to_string(),
        access::Scope::Region(path) => path,
        _ => return Ok(None),
    };
    let which = match (filter.unit_id, filter.category_id) {
        (None, None) => Tallies::Places,
        (Some(unit), None) => Tallies::Grouped("unit", Some(unit)),
        (None, Some(category)) => Tallies::Grouped("category", Some(category)),
        (Some(_), Some(_)) => return Ok(None),
    };
    if filter.source.is_some()
        || filter.route.is_some()
        || filter.state == Some(StateFilter::Overdue)
    {
        return Ok(None);
    }
    // Tallies are kept by month of registration (China time).
    let first_of_month = |d: chrono::NaiveDate| d.day() == 1;
    let from = filter.from;
    let to = filter.to.and_then(|t| t.succ_opt());
    if !from.into_iter().chain(to).all(first_of_month) {
        return Ok(None);
    }
    // The area: the filter's node within the reader's, or nothing.
    let path = match filter.region_id {
        None => scope,
        Some(id) => match ctx.tree.get(id).map(|n| n.path.clone()) {
            Some(node) if node.starts_with(&scope) || scope == "/" => node,
            Some(node) if scope.starts_with(&node) => scope,
            _ => return Ok(Some(0)),
        },
    };
    let mut qb = crate::db::Builder::new(
        "SELECT CAST(COALESCE(SUM(t.collected), 0) AS BIGINT), \
         CAST(COALESCE(SUM(t.closed), 0) AS BIGINT)",
    );
    crate::stats::push_tallies(&mut qb, which, &path);
    let month = |d: chrono::NaiveDate| d.format("%Y-%m").to_string();
    if let Some(from) = from {
        qb.push(" AND t.month >= ").push_bind(month(from));
    }
    if let Some(to) = to {
        qb.push(" AND t.month < ").push_bind(month(to));
    }
    let (collected, closed): (i64, i64) = qb.build_query_as()?.fetch_one(pool).await?;
    Ok(Some(match filter.state {
        None => collected,
        Some(StateFilter::Closed) => closed,
        Some(StateFilter::Open) => collected - closed,
        Some(StateFilter::Overdue) => return Ok(None),
    }))
}

/// The escalated items' titles and long-term measures, by item id.
async fn measures(pool: &Pool, rows: &[LedgerRow]) -> Result<HashMap<i64, String>> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.item_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut qb =
        crate::db::Builder::new("SELECT id, title, measure FROM coordination_items WHERE 1 = 1");
    push_in(&mut qb, "id", ids);
    let items: Vec<(i64, String, String)> = qb.build_query_as()?.fetch_all(pool).await?;
    Ok(items
        .into_iter()
        .map(|(id, title, measure)| (id, format!("【市级统筹：{title}】{measure}")))
        .collect())
}

/// The row's line: its texts move into the line, uncopied.
fn line(row: LedgerRow, ctx: &Context, measures: &HashMap<i64, String>) -> Line {
    let extension_days = row.state.extension_days;
    let state = CaseState::from(row.state);
    let cps = ctx.policy.checkpoints(&state, ctx.now);
    let due = |cp: Checkpoint| {
        cps.iter().find(|c| c.checkpoint == cp).map(|c| Due {
            due: c.due,
            status: c.status,
        })
    };
    let measure = match (state.result, row.item_id.and_then(|i| measures.get(&i))) {
        (Some(r), Some(m)) => Some(format!("{r}\n{m}")),
        (r, m) => r.or_else(|| m.cloned()),
    };
    Line {
        code: domain::TrackingCode::readable(&row.code),
        registered: row.created_at,
        title: row.title,
        description: row.description,
        category: row.category,
        place: ctx.tree.label(row.region_id),
        source: row.source,
        route: state.route,
        tier: state.tier,
        unit: row.unit,
        person: row.acknowledger.filter(|_| state.unit_id.is_some()),
        status: state.status,
        ack: due(Checkpoint::Acknowledge),
        completion: due(Checkpoint::Completion),
        letters: row.letters,
        extension_days,
        returns: row.returns,
        rework: state.rework_count,
        rating: state.rating,
        closed: state.closed_at.filter(|_| state.status == Status::Closed),
        measure,
    }
}

/// Every line of the filter, page by page, handed to `each` with its
/// number (from 1); stops at the first error `each` returns.
pub async fn walk<E: From<StoreError>>(
    pool: &Pool,
    user: &UserRow,
    filter: &Filter,
    ctx: &Context,
    mut each: impl FnMut(usize, &Line) -> Result<(), E>,
) -> Result<usize, E> {
    let mut pages = Pages::new(pool, user.clone(), filter.clone(), ctx.clone());
    let mut n = 0;
    while let Some(lines) = pages.next().await? {
        for l in &lines {
            n += 1;
            each(n, l)?;
        }
    }
    Ok(n)
}

type Read = tokio::task::JoinHandle<Result<(Vec<Line>, Option<i64>)>>;

/// The lines of a filter page by page, for the exports: the next page is
/// read while the caller writes out this one, so the database (or SQLite's
/// worker thread) and the writer each keep a core busy, where one after the
/// other each waited for the other. Dropped, it stops reading.
pub struct Pages {
    pool: Pool,
    of: Arc<(UserRow, Filter, Context)>,
    reading: Option<Read>,
}

impl Pages {
    /// Starts reading the first page.
    pub fn new(pool: &Pool, user: UserRow, filter: Filter, ctx: Context) -> Self {
        let mut pages = Self {
            pool: pool.clone(),
            of: Arc::new((user, filter, ctx)),
            reading: None,
        };
        pages.read(None);
        pages
    }

    fn read(&mut self, before: Option<i64>) {
        let (pool, of) = (self.pool.clone(), self.of.clone());
        self.reading = Some(tokio::spawn(async move {
            let (user, filter, ctx) = &*of;
            page(&pool, user, filter, ctx, before, PAGE).await
        }));
    }

    /// The next page's lines (the first may be empty), None after the last.
    pub async fn next(&mut self) -> Result<Option<Vec<Line>>> {
        let Some(reading) = self.reading.take() else {
            return Ok(None);
        };
        let (lines, next) = match reading.await {
            Ok(page) => page?,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return Err(sqlx::Error::WorkerCrashed.into()),
        };
        if next.is_some() {
            self.read(next);
        }
        Ok(Some(lines))
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        if let Some(reading) = &self.reading {
            reading.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use domain::Source;

    /// A line carries its case's texts exactly whatever they hold (on
    /// SQLite a page comes as one JSON text: quotes, backslashes, controls,
    /// brackets and commas must survive it), and a time stored the older
    /// way ("2026-11-28 09:00:00", UTC) reads as a column does.
    #[tokio::test]
    async fn a_line_carries_any_text_and_either_form_of_a_stored_time() {
        use chrono::TimeZone;
        let now = Utc::now();
        let db = crate::testing::TestDb::demo().await;
        let pool = db.pool.clone();
        let title = "\"引号\" \\ 反斜杠 \n\t\u{1}\u{7f} ],[{}\":null 🏠 \u{202e}";
        let description = "'); DROP TABLE cases; -- \r\n=1+1 \\u0041";
        let code: String = sqlx::query_scalar(
            "SELECT code FROM cases WHERE status = 'closed' AND closed_at IS NOT NULL \
             ORDER BY id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE cases SET title = $1, description = $2, \
             closed_at = '2026-11-28 09:00:00' WHERE code = $3",
        )
        .bind(title)
        .bind(description)
        .bind(&code)
        .execute(&pool)
        .await
        .unwrap();
        let ctx = Context::load(&pool, now).await.unwrap();
        let leader = crate::users::find_by_username(&pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let (readable, mut found) = (domain::TrackingCode::readable(&code), None);
        walk::<StoreError>(&pool, &leader, &Filter::default(), &ctx, |_, l| {
            if l.code == readable {
                found = Some(l.clone());
            }
            Ok(())
        })
        .await
        .unwrap();
        let line = found.expect("the case's line");
        assert_eq!(line.title, title);
        assert_eq!(line.description, description);
        let closed = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        assert_eq!(line.closed, Some(closed));
    }

    /// Every line of the city counts its case's returns and names the
    /// handler who last acknowledged it (while a unit has it), as the
    /// case's events tell.
    #[tokio::test]
    async fn every_line_counts_its_returns_and_names_the_last_acknowledging_handler() {
        let now = Utc::now();
        let db = crate::testing::TestDb::city(800, now).await;
        let pool = db.pool.clone();
        let ctx = Context::load(&pool, now).await.unwrap();
        let leader = crate::users::find_by_username(&pool, "leader")
            .await
            .unwrap()
            .unwrap();
        let mut lines = vec![];
        walk::<StoreError>(&pool, &leader, &Filter::default(), &ctx, |_, l| {
            lines.push(l.clone());
            Ok(())
        })
        .await
        .unwrap();
        let returns: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT c.code, COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id \
             WHERE e.kind = 'return' GROUP BY c.code",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(code, n)| (domain::TrackingCode::readable(&code), n))
        .collect();
        let mut person: HashMap<String, Option<String>> = HashMap::new();
        let acks: Vec<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT c.code, e.actor_label, c.unit_id FROM case_events e \
             JOIN cases c ON c.id = e.case_id WHERE e.kind = 'acknowledge' ORDER BY e.id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        for (code, label, unit) in acks {
            person.insert(domain::TrackingCode::readable(&code), unit.map(|_| label));
        }
        assert!(lines.len() > 800);
        for line in &lines {
            assert_eq!(
                line.returns,
                returns.get(&line.code).copied().unwrap_or(0),
                "{}",
                line.code
            );
            assert_eq!(
                line.person,
                person.get(&line.code).cloned().flatten(),
                "{}",
                line.code
            );
        }
        assert!(lines.iter().any(|l| l.returns > 0));
        assert!(lines.iter().filter(|l| l.person.is_some()).count() > 100);
    }

    /// The count from the tallies equals the count of the cases, for every
    /// kind of filter the tallies keep, and the others are counted.
    #[tokio::test]
    async fn counts_from_the_tallies_equal_the_cases_counted() {
        let now = Utc::now();
        let db = crate::testing::TestDb::city(1_500, now).await;
        let pool = db.pool.clone();
        let ctx = Context::load(&pool, now).await.unwrap();
        let id =
            async |sql: &str| -> i64 { sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap() };
        let district = id("SELECT MIN(id) FROM regions WHERE level = 'district'").await;
        let community = id("SELECT MIN(id) FROM regions WHERE level = 'community'").await;
        let unit = id("SELECT MIN(unit_id) FROM cases").await;
        let category = id("SELECT MAX(category_id) FROM cases").await;
        let today = now.with_timezone(&domain::deadline::china()).date_naive();
        let first = today.with_day(1).unwrap();
        let months_ago = |n| first.checked_sub_months(chrono::Months::new(n)).unwrap();
        let month_end = |d: NaiveDate| {
            d.checked_add_months(chrono::Months::new(1))
                .unwrap()
                .pred_opt()
        };
        let filters = [
            Filter::default(),
            Filter {
                region_id: Some(district),
                ..Default::default()
            },
            Filter {
                region_id: Some(community),
                state: Some(StateFilter::Open),
                ..Default::default()
            },
            Filter {
                unit_id: Some(unit),
                state: Some(StateFilter::Closed),
                ..Default::default()
            },
            Filter {
                category_id: Some(category),
                region_id: Some(district),
                ..Default::default()
            },
            Filter {
                from: Some(months_ago(6)),
                to: month_end(months_ago(2)),
                ..Default::default()
            },
            Filter {
                from: Some(months_ago(3)),
                ..Default::default()
            },
            Filter {
                region_id: Some(i64::MAX),
                ..Default::default()
            },
            // Not kept by the tallies: counted.
            Filter {
                unit_id: Some(unit),
                category_id: Some(category),
                ..Default::default()
            },
            Filter {
                from: Some(months_ago(3).succ_opt().unwrap()),
                ..Default::default()
            },
            Filter {
                source: Some(Source::WalkIn),
                ..Default::default()
            },
            Filter {
                state: Some(StateFilter::Overdue),
                ..Default::default()
            },
        ];
        let mut tallied_some = 0;
        for name in ["leader", "director"] {
            let user = crate::users::find_by_username(&pool, name)
                .await
                .unwrap()
                .unwrap();
            for filter in &filters {
                let n = count(&pool, &user, filter, &ctx).await.unwrap();
                assert_eq!(
                    n,
                    counted(&pool, &user, filter, &ctx).await.unwrap(),
                    "{name} {filter:?}"
                );
                if tallied(&pool, &user, filter, &ctx).await.unwrap().is_some() {
                    tallied_some += 1;
                    assert!(
                        n > 0 || filter.region_id == Some(i64::MAX) || name == "director",
                        "{name} {filter:?}"
                    );
                }
            }
        }
        assert!(tallied_some >= 12);
    }
}
