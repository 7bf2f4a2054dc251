//! One pool type for both databases. SQLite is the embedded default;
//! PostgreSQL serves several instances behind a load balancer. Queries go
//! through sqlx's `Any` driver, so every repository function is written once.
//!
//! `Any` carries only integers, floats, text, bytes and booleans. Times are
//! therefore stored as RFC 3339 text on both databases, in exactly the form
//! sqlx's SQLite driver wrote before `Any` was used, so an existing SQLite
//! file keeps reading and sorting the same. [`Stamp`], [`Day`] and [`Flag`]
//! carry chrono values and booleans across.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::Arguments;
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{Any, Decode, Encode, Type};
use std::str::FromStr;
use std::time::Duration;

pub type Pool = sqlx::AnyPool;
pub type Tx<'c> = sqlx::Transaction<'c, Any>;
pub type Conn = sqlx::AnyConnection;

/// Builds a query with a condition per filter. sqlx's own `QueryBuilder`
/// writes `?` placeholders for `Any`, which PostgreSQL refuses; this one
/// numbers them (`$1`, `$2`, …), which both databases accept.
pub struct Builder {
    sql: String,
    args: AnyArguments<'static>,
    count: usize,
    error: Option<BoxDynError>,
}

impl Builder {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: AnyArguments::default(),
            count: 0,
            error: None,
        }
    }

    pub fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.sql, "{sql}");
        self
    }

    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Encode<'static, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self.count += 1;
        let n = self.count;
        self.push(format_args!("${n}"))
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    fn take(&mut self) -> Result<AnyArguments<'static>, sqlx::Error> {
        match self.error.take() {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok(std::mem::take(&mut self.args)),
        }
    }

    pub fn build(&mut self) -> Result<sqlx::query::Query<'_, Any, AnyArguments<'_>>, sqlx::Error> {
        let args = self.take()?;
        Ok(sqlx::query_with(&self.sql, args))
    }

    pub fn build_query_as<T>(
        &mut self,
    ) -> Result<sqlx::query::QueryAs<'_, Any, T, AnyArguments<'_>>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let args = self.take()?;
        Ok(sqlx::query_as_with(&self.sql, args))
    }

    pub fn build_query_scalar<T>(
        &mut self,
    ) -> Result<sqlx::query::QueryScalar<'_, Any, T, AnyArguments<'_>>, sqlx::Error>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let args = self.take()?;
        Ok(sqlx::query_scalar_with(&self.sql, args))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Which database a `DATABASE_URL` names, or `None` for anything else.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    pub fn of(pool: &Pool) -> Self {
        match pool.connect_options().database_url.scheme() {
            "sqlite" => Self::Sqlite,
            _ => Self::Postgres,
        }
    }
}

/// Tells PostgreSQL's planner how big `tables` are now, rows this
/// transaction wrote included, before a bulk load writes more. Its plans
/// for the checks and triggers that look a case up by id (foreign keys, the
/// ledger's and tallies' triggers) are kept per connection once made: made
/// while the statistics said "empty" (what migration 0031's vacuum records
/// on a new database), they scan every case, so a load of a million cases
/// into a new database grew quadratic (its first 10,000 cases read 590
/// million rows). Analysing drops those plans. SQLite plans each statement
/// anew: nothing to do there.
pub async fn analyze<'c, E>(conn: E, backend: Backend, tables: &[&str]) -> crate::Result<()>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    if backend == Backend::Postgres && !tables.is_empty() {
        sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Whether `e` says the database takes no writes now: read-only, or out of
/// space (SQLite's READONLY and FULL, PostgreSQL's read_only_sql_transaction
/// and disk_full). Such a write failed whole; trying again later works.
pub fn cannot_write(e: &sqlx::Error) -> bool {
    let Some(code) = e.as_database_error().and_then(|d| d.code()) else {
        return false;
    };
    match code.parse::<i32>() {
        // SQLite's extended codes keep the primary code in the low byte.
        Ok(n) if !code.starts_with('0') && code.len() < 5 => matches!(n & 0xff, 8 | 13),
        _ => matches!(code.as_ref(), "25006" | "53100"),
    }
}

/// Whether `e` says the database cannot be reached now (restarting, the
/// network down, every connection busy past [`ACQUIRE_TIMEOUT`]): nothing
/// was done, and trying again later works. A PostgreSQL restart ends the
/// connections in use with an operator-intervention error (class 57P:
/// shutting down, crashed, starting) or a connection exception (class 08).
pub fn unreachable(e: &sqlx::Error) -> bool {
    if matches!(e, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) {
        return true;
    }
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code.starts_with("57P") || code.starts_with("08"))
}

/// How long a request waits for a database connection before it fails. The
/// default (30 s) would hang every request for half a minute while the
/// database restarts; a busy pool hands a connection over in milliseconds.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How many connections each instance keeps. PostgreSQL's default limit is
/// 100 connections for the whole server, shared by every instance; see the
/// README before raising it.
pub fn pool_size() -> u32 {
    std::env::var("LIANXIN_DB_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(8)
}

/// Opens the database at `url`, creating an SQLite file (and its folder) if
/// it is missing.
pub async fn connect(url: &str) -> crate::Result<Pool> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url).ok_or_else(|| {
        sqlx::Error::Configuration(
            format!("DATABASE_URL must start with sqlite: or postgres://, not {url:?}").into(),
        )
    })?;
    let mut options = AnyPoolOptions::new()
        .max_connections(pool_size())
        .acquire_timeout(ACQUIRE_TIMEOUT);
    if backend == Backend::Sqlite {
        let native = SqliteConnectOptions::from_str(url)?;
        let memory = native.get_filename().as_os_str().is_empty()
            || url.contains(":memory:")
            || url.contains("mode=memory");
        if memory {
            // Every `Any` connection parses the URL anew and would open its
            // own empty in-memory database.
            options = options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            if let Some(parent) = native.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
            }
            // Create the file and switch it to WAL once (the mode is kept in
            // the file), so readers never wait for the writer.
            let setup = native
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5));
            let conn = sqlx::ConnectOptions::connect(&setup).await?;
            sqlx::Connection::close(conn).await?;
        }
        options = options.after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("PRAGMA foreign_keys = ON")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA busy_timeout = 5000")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        });
    }
    Ok(options.connect(url).await?)
}

pub static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
pub static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// An optional real number as bound: text, cast back in the SQL
/// (`CAST($n AS DOUBLE PRECISION)`). sqlx's `Any` declares a missing `f64`
/// to PostgreSQL as a 4-byte float and a present one as 8 bytes, so a
/// statement first prepared with NULL refuses the next real value.
pub fn real(v: Option<f64>) -> Option<String> {
    v.map(|x| x.to_string())
}

/// A point in time as stored: RFC 3339 text in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(pub DateTime<Utc>);

impl Stamp {
    pub fn text(t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
    }
}

impl From<DateTime<Utc>> for Stamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t)
    }
}

impl From<Stamp> for DateTime<Utc> {
    fn from(s: Stamp) -> Self {
        s.0
    }
}

/// A stored time inside JSON that SQLite built (the ledger's pages), read
/// as a column is: `#[serde(deserialize_with = "crate::db::Stamp::from_json")]`.
impl<'de> serde::Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Stamp;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a stored time")
            }
            fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Stamp, E> {
                parse_stamp(raw).map(Stamp).map_err(E::custom)
            }
        }
        d.deserialize_str(Text)
    }
}

impl Stamp {
    pub(crate) fn from_json<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        <Self as serde::Deserialize>::deserialize(d).map(|s| s.0)
    }

    pub(crate) fn maybe_from_json<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        <Option<Self> as serde::Deserialize>::deserialize(d).map(|s| s.map(|s| s.0))
    }
}

fn parse_stamp(raw: &str) -> Result<DateTime<Utc>, BoxDynError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    // Older rows written by other tools: "2026-11-28 09:00:00" is UTC.
    Ok(chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f")?.and_utc())
}

impl<'q> Encode<'q, Any> for Stamp {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(Self::text(self.0), buf)
    }
}

impl<'r> Decode<'r, Any> for Stamp {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let raw = <&str as Decode<'r, Any>>::decode(value)?;
        Ok(Self(parse_stamp(raw)?))
    }
}

/// What a chrono value is bound as: `.bind(now.stored())`.
pub trait Stored {
    type As;
    fn stored(self) -> Self::As;
}

impl Stored for DateTime<Utc> {
    type As = Stamp;
    fn stored(self) -> Stamp {
        Stamp(self)
    }
}

impl Stored for Option<DateTime<Utc>> {
    type As = Option<Stamp>;
    fn stored(self) -> Option<Stamp> {
        self.map(Stamp)
    }
}

impl Stored for NaiveDate {
    type As = Day;
    fn stored(self) -> Day {
        Day(self)
    }
}

impl Stored for Option<NaiveDate> {
    type As = Option<Day>;
    fn stored(self) -> Option<Day> {
        self.map(Day)
    }
}

/// An optional point in time (a nullable column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaybeStamp(pub Option<DateTime<Utc>>);

impl From<MaybeStamp> for Option<DateTime<Utc>> {
    fn from(s: MaybeStamp) -> Self {
        s.0
    }
}

impl<'r> Decode<'r, Any> for MaybeStamp {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let raw = <Option<&str> as Decode<'r, Any>>::decode(value)?;
        Ok(Self(raw.map(parse_stamp).transpose()?))
    }
}

/// A calendar day as stored: `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub NaiveDate);

impl From<NaiveDate> for Day {
    fn from(d: NaiveDate) -> Self {
        Self(d)
    }
}

impl From<Day> for NaiveDate {
    fn from(d: Day) -> Self {
        d.0
    }
}

impl<'q> Encode<'q, Any> for Day {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode(self.0.format("%Y-%m-%d").to_string(), buf)
    }
}

impl<'r> Decode<'r, Any> for Day {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let raw = <&str as Decode<'r, Any>>::decode(value)?;
        Ok(Self(NaiveDate::parse_from_str(raw, "%Y-%m-%d")?))
    }
}

/// An optional calendar day (a nullable column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaybeDay(pub Option<NaiveDate>);

impl From<MaybeDay> for Option<NaiveDate> {
    fn from(d: MaybeDay) -> Self {
        d.0
    }
}

impl<'r> Decode<'r, Any> for MaybeDay {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let raw = <Option<&str> as Decode<'r, Any>>::decode(value)?;
        Ok(Self(
            raw.map(|r| NaiveDate::parse_from_str(r, "%Y-%m-%d"))
                .transpose()?,
        ))
    }
}

/// Times and days travel as text on both databases.
macro_rules! stored_as_text {
    ($($t:ty),*) => {$(
        impl Type<Any> for $t {
            fn type_info() -> AnyTypeInfo {
                <String as Type<Any>>::type_info()
            }
            fn compatible(ty: &AnyTypeInfo) -> bool {
                <String as Type<Any>>::compatible(ty)
            }
        }
    )*};
}

stored_as_text!(Stamp, MaybeStamp, Day, MaybeDay);

/// A closed set of values kept as text (its `as_str`), as the domain
/// names them.
pub trait Coded: Sized {
    fn parse_code(raw: &str) -> Option<Self>;
}

/// A stored enum read back: a value the enum does not know fails the read
/// (a database error, logged) instead of turning into some default — a
/// corrupt role must not become a grid worker.
/// `#[sqlx(try_from = "crate::db::Code<Status>")]` on a row's field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code<T>(pub T);

/// The same for a nullable column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaybeCode<T>(pub Option<T>);

fn parse_coded<T: Coded>(raw: &str) -> Result<T, BoxDynError> {
    T::parse_code(raw).ok_or_else(|| {
        format!(
            "unknown stored value {raw:?} for {}",
            std::any::type_name::<T>()
        )
        .into()
    })
}

impl<'r, T: Coded> Decode<'r, Any> for Code<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(parse_coded(<&str as Decode<'r, Any>>::decode(
            value,
        )?)?))
    }
}

impl<'r, T: Coded> Decode<'r, Any> for MaybeCode<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let raw = <Option<&str> as Decode<'r, Any>>::decode(value)?;
        Ok(Self(raw.map(parse_coded).transpose()?))
    }
}

impl<T> Type<Any> for Code<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<T> Type<Any> for MaybeCode<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

/// The domain's stored enums: each parses its own `as_str`.
macro_rules! coded {
    ($($t:ty),* $(,)?) => {$(
        impl Coded for $t {
            fn parse_code(raw: &str) -> Option<Self> {
                <$t>::parse(raw)
            }
        }
        impl From<Code<$t>> for $t {
            fn from(c: Code<$t>) -> Self {
                c.0
            }
        }
        impl From<MaybeCode<$t>> for Option<$t> {
            fn from(c: MaybeCode<$t>) -> Self {
                c.0
            }
        }
    )*};
}

coded!(
    domain::Status,
    domain::Role,
    domain::Source,
    domain::Route,
    domain::Tier,
    domain::DeadlineClass,
    domain::Checkpoint,
    domain::Rating,
    domain::RatingChannel,
    domain::notice::Notice,
    domain::photo::PhotoStage,
    domain::coordination::ItemStatus,
    domain::wish::WishStatus,
    domain::party::OrgKind,
    domain::party::RegStatus,
    domain::party::ClaimStatus,
    domain::view::ExtensionStatus,
    domain::session::SessionStatus,
);

/// A yes/no column: PostgreSQL answers a boolean, SQLite the integer it
/// keeps booleans as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(f: Flag) -> Self {
        f.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <bool as Type<Any>>::compatible(ty) || <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        match <bool as Decode<'r, Any>>::decode(value.clone()) {
            Ok(b) => Ok(Self(b)),
            Err(_) => Ok(Self(<i64 as Decode<'r, Any>>::decode(value)? != 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_that_takes_no_writes_says_so() {
        let db = crate::testing::TestDb::new().await;
        assert_eq!(crate::health(&db.pool).await, crate::DbHealth::Ok);
        let read_only = db.read_only().await;
        assert_eq!(crate::health(&read_only).await, crate::DbHealth::ReadOnly);
        let refused = sqlx::query("INSERT INTO settings (key, value) VALUES ('x', 'y')")
            .execute(&read_only)
            .await
            .unwrap_err();
        assert!(cannot_write(&refused), "{refused:?}");
        // Other errors are not taken for it.
        let other = sqlx::query("SELECT * FROM no_such_table")
            .execute(&db.pool)
            .await
            .unwrap_err();
        assert!(!cannot_write(&other));
        read_only.close().await;
    }

    /// What a PostgreSQL restart does to a connection in use: the server
    /// ends it (57P01). That is an outage (a 503), not a fault of ours.
    #[tokio::test]
    async fn a_connection_the_server_ends_is_an_outage() {
        let db = crate::testing::TestDb::new().await;
        if Backend::of(&db.pool) != Backend::Postgres {
            return;
        }
        let ended = sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())")
            .execute(&db.pool)
            .await
            .unwrap_err();
        assert!(unreachable(&ended), "{ended:?}");
        // A mistake of ours stays one.
        let ours = sqlx::query("SELECT * FROM no_such_table")
            .execute(&db.pool)
            .await
            .unwrap_err();
        assert!(!unreachable(&ours));
    }

    #[tokio::test]
    async fn a_request_fails_fast_when_no_connection_can_be_had() {
        let db = crate::testing::TestDb::new().await;
        // Every connection of the pool taken, as during an outage or a stall.
        let mut held = Vec::new();
        for _ in 0..pool_size() {
            held.push(db.pool.acquire().await.unwrap());
        }
        let waited = tokio::time::timeout(
            ACQUIRE_TIMEOUT * 3,
            sqlx::query("SELECT 1").execute(&db.pool),
        )
        .await;
        assert!(
            matches!(waited, Ok(Err(sqlx::Error::PoolTimedOut))),
            "the request hung instead of failing: {waited:?}"
        );
        drop(held);
        sqlx::query("SELECT 1").execute(&db.pool).await.unwrap();
    }

    /// A full disk: the SQLite file may grow no further, as when the disk
    /// has no room. The write fails whole and says it could not write (a
    /// 503 "nothing was saved"), the file stays intact, and writes work
    /// again once there is room, without reopening anything. PostgreSQL's
    /// disk cannot be filled from a test; `cannot_write` reads its code.
    #[tokio::test]
    async fn a_full_disk_refuses_a_write_whole_and_takes_writes_again_once_there_is_room() {
        let db = crate::testing::TestDb::new().await;
        if Backend::of(&db.pool) != Backend::Sqlite {
            return;
        }
        let mut conn = db.pool.acquire().await.unwrap();
        let rows = "SELECT COUNT(*) FROM settings";
        let before: i64 = sqlx::query_scalar(rows)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(&mut *conn)
            .await
            .unwrap();
        let big = "满".repeat(256 * 1024);
        let insert = "INSERT INTO settings (key, value) VALUES ('big', $1)";
        let refused = sqlx::query(insert)
            .bind(&big)
            .execute(&mut *conn)
            .await
            .unwrap_err();
        assert!(cannot_write(&refused), "{refused:?}");
        let after: i64 = sqlx::query_scalar(rows)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(after, before, "nothing of the write is kept");
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(check, "ok");
        sqlx::query("PRAGMA max_page_count = 1073741823")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query(insert)
            .bind(&big)
            .execute(&mut *conn)
            .await
            .unwrap();
    }

    #[test]
    fn built_queries_number_their_placeholders() {
        let mut b = Builder::new("SELECT 1 WHERE a = ");
        b.push_bind(1_i64).push(" AND b = ").push_bind("x");
        assert_eq!(b.sql(), "SELECT 1 WHERE a = $1 AND b = $2");
    }

    #[test]
    fn stamps_keep_the_sqlite_drivers_text_and_sort_as_text() {
        let whole = "2026-11-29T08:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let later = whole + chrono::Duration::milliseconds(500);
        assert_eq!(Stamp::text(whole), "2026-11-29T08:00:00+00:00");
        assert_eq!(Stamp::text(later), "2026-11-29T08:00:00.500+00:00");
        assert!(Stamp::text(whole) < Stamp::text(later));
        assert_eq!(parse_stamp(&Stamp::text(later)).unwrap(), later);
        assert_eq!(parse_stamp("2026-11-29 08:00:00").unwrap(), whole);
    }

    #[test]
    fn reals_cross_as_text_without_losing_a_digit() {
        for x in [37.518_234_5_f64, -0.000_5, 1.0 / 3.0] {
            assert_eq!(real(Some(x)).unwrap().parse::<f64>().unwrap(), x);
        }
        assert_eq!(real(None), None);
    }

    #[tokio::test]
    async fn one_statement_takes_a_missing_then_a_present_real() {
        let db = crate::testing::TestDb::new().await;
        let mut conn = db.pool.acquire().await.unwrap();
        for v in [None, Some(37.5), None, Some(-111.25)] {
            let back: Option<f64> = sqlx::query_scalar("SELECT CAST($1 AS DOUBLE PRECISION)")
                .bind(real(v))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(back, v);
        }
    }

    #[test]
    fn urls_name_their_database() {
        assert_eq!(Backend::of_url("sqlite://data/x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgres://127.0.0.1/test"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://x"), None);
    }
}
