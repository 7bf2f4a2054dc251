//! A city's day replayed against a running `lianxin` (issue 23), on goose:
//! directors' boards open on the live stream, directors registering cases
//! and taking them through consolidation to a unit, the unit acknowledging,
//! residents reading the public pages, and the supervision office opening
//! figures and exports. Goose's own options (`--host`, `--users`,
//! `--run-time`, `--increase-rate`…) shape the run; `scripts/load` picks
//! them. At the end it prints p50/p95/p99 per request kind, errors, how
//! long a change took to reach the boards, and the server's memory over
//! time (`LIANXIN_LOAD_PIDS`).
//!
//! Environment:
//! - `LIANXIN_LOAD_HOSTS`: instances to spread the users over (comma
//!   separated; default: goose's `--host` alone);
//! - `LIANXIN_LOAD_PIDS`: processes whose resident memory is sampled;
//! - `LIANXIN_LOAD_SUMMARY`: a file the summary is also written to.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use domain::Status;
use domain::view::{BoardEvent, FilterChoices, Options};
use goose::prelude::*;
use hdrhistogram::Histogram;

/// The scenarios' weights: of every 425 users, 200 follow a board, 200 read
/// public pages, 20 register at a desk and one is the supervision office.
/// Each registrar and reader acts once a second, so `--users 425` gives
/// the 20 registrations and 200 page views a second.
const BOARDS: usize = 200;
const READERS: usize = 200;
const REGISTRARS: usize = 20;
/// Unit handlers acknowledging what the registrars assigned.
const HANDLERS: usize = 4;
const OFFICE: usize = 1;

/// One account may follow 32 streams (`live::MAX_STREAMS_PER_ACCOUNT`);
/// the boards share accounts made for the run, this many each.
const BOARDS_PER_ACCOUNT: usize = 25;
/// A board reads its stream this long, then reconnects with
/// `Last-Event-ID` as `EventSource` does after a drop, so that every user
/// returns to goose often enough for the run to end on time.
const BOARD_SLICE: Duration = Duration::from_secs(30);
const BOARD_PASSWORD: &str = "load-run-passphrase-2026";
const DEMO_PASSWORD: &str = "lianxin-demo";
/// The demo's community, where the registrars work and the boards look.
const COMMUNITY: &str = "袁家庄社区";
const UNIT: &str = "离石区城市管理局";

/// What the setup found and made, shared by every simulated user.
struct City {
    hosts: Vec<String>,
    category_id: i64,
    compound_id: i64,
    station_id: i64,
    unit_id: i64,
    /// Accounts the boards sign in as.
    board_accounts: Vec<String>,
    /// Cases whose public page the readers open.
    codes: Vec<String>,
}

static CITY: OnceLock<City> = OnceLock::new();

/// When each change was asked for, by case title and the state it leads
/// to, so a board can tell how long the change took to reach it.
static ASKED: OnceLock<Mutex<HashMap<(String, Status), Instant>>> = OnceLock::new();
/// Cases assigned to the unit and not yet acknowledged.
static ASSIGNED: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());
/// Milliseconds from asking for a change to a board receiving it.
static PUSHES: OnceLock<Mutex<Histogram<u64>>> = OnceLock::new();
/// Streams that ended early, refused, or told the board to reload.
static BOARD_FAULTS: AtomicU64 = AtomicU64::new(0);
static BOARDS_SEATED: AtomicUsize = AtomicUsize::new(0);
/// The followed processes, sampled over the run.
static SAMPLES: Mutex<Vec<Sample>> = Mutex::new(Vec::new());

struct Sample {
    at: Duration,
    /// Resident memory of each process, KiB.
    rss_kib: Vec<u64>,
    /// CPU time each has used so far, in clock ticks (1/100 s).
    cpu_ticks: Vec<u64>,
}

fn asked() -> &'static Mutex<HashMap<(String, Status), Instant>> {
    ASKED.get_or_init(Default::default)
}

fn pushes() -> &'static Mutex<Histogram<u64>> {
    PUSHES.get_or_init(|| Mutex::new(Histogram::new_with_max(3_600_000, 3).expect("bounds")))
}

fn city() -> &'static City {
    CITY.get().expect("the setup ran first")
}

fn fault(why: impl std::fmt::Display) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(why.to_string()))
}

/// A server function, called as a form post that wants JSON back; the
/// answer's body when it succeeded.
async fn call(
    user: &mut GooseUser,
    name: &str,
    form: &[(&str, String)],
) -> Result<String, Box<TransactionError>> {
    let path = format!("/api/{name}");
    let builder = user
        .get_request_builder(&GooseMethod::Post, &path)?
        .header("Accept", "application/json")
        .form(form);
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(path.as_str())
        .name(name)
        .set_request_builder(builder)
        .build();
    let answer = user.request(request).await?;
    let response = match answer.response {
        Ok(r) => r,
        Err(e) => return Err(fault(format!("{name}: {e}"))),
    };
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        Ok(body)
    } else {
        // Goose counted the failed request; the reason goes to its error summary.
        Err(fault(format!(
            "{name}: {status} {}",
            body.chars().take(200).collect::<String>()
        )))
    }
}

async fn sign_in(
    user: &mut GooseUser,
    username: &str,
    password: &str,
) -> Result<(), Box<TransactionError>> {
    call(
        user,
        "login",
        &[("username", username.into()), ("password", password.into())],
    )
    .await
    .map(drop)
}

/// A sign-in at the start of a user's day, tried again after a pause if
/// the server is too busy for it (password hashing is slow by design, and a
/// few hundred users start within seconds).
async fn sign_in_for_the_day(
    user: &mut GooseUser,
    username: &str,
    password: &str,
) -> TransactionResult {
    let mut tries = 0;
    loop {
        match sign_in(user, username, password).await {
            Ok(()) => return Ok(()),
            Err(e) if tries >= 10 => return Err(e),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Goose's test start: finds the demo's community, unit and cases, and
/// makes the accounts the boards follow as.
async fn setup(user: &mut GooseUser) -> TransactionResult {
    sign_in(user, "director", DEMO_PASSWORD).await?;
    let options: Options = serde_json::from_str(&call(user, "intake_options", &[]).await?)
        .map_err(|e| fault(format!("intake_options: {e}")))?;
    let filters: FilterChoices = serde_json::from_str(&call(user, "filter_options", &[]).await?)
        .map_err(|e| fault(format!("filter_options: {e}")))?;
    let find = |list: &[domain::view::RegionOption], suffix: &str| {
        list.iter()
            .find(|r| r.label.ends_with(suffix))
            .map(|r| r.id)
            .ok_or_else(|| fault(format!("no region ending in {suffix}")))
    };
    let community_id = find(&filters.areas, COMMUNITY)?;
    let compound_id = find(&options.regions, "袁家庄小区")?;
    let unit_id = options
        .units
        .iter()
        .find(|u| u.name == UNIT)
        .ok_or_else(|| fault(format!("no unit {UNIT}")))?
        .id;
    let list: serde_json::Value =
        serde_json::from_str(&call(user, "list_cases", &[("overdue", "false".into())]).await?)
            .map_err(|e| fault(format!("list_cases: {e}")))?;
    let codes: Vec<String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_str().map(str::to_string))
        .take(50)
        .collect();

    // Each run makes its own accounts, so runs can follow one another on
    // one database.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    sign_in(user, "admin", DEMO_PASSWORD).await?;
    let mut made = Vec::new();
    for n in 0..BOARDS.div_ceil(BOARDS_PER_ACCOUNT) {
        let username = format!("load{run}b{n}");
        let password: String = serde_json::from_str(
            &call(
                user,
                "create_account",
                &[
                    ("username", username.clone()),
                    ("display_name", format!("看板{n}")),
                    ("role", "director".into()),
                    ("region_id", community_id.to_string()),
                ],
            )
            .await?,
        )
        .map_err(|e| fault(format!("create_account: {e}")))?;
        made.push((username, password));
    }
    for (username, initial) in &made {
        sign_in(user, username, initial).await?;
        call(
            user,
            "change_password",
            &[
                ("old_password", initial.clone()),
                ("new_password", BOARD_PASSWORD.into()),
                ("repeat_password", BOARD_PASSWORD.into()),
            ],
        )
        .await?;
    }
    let hosts = std::env::var("LIANXIN_LOAD_HOSTS")
        .ok()
        .map(|h| h.split(',').map(str::trim).map(str::to_string).collect())
        .unwrap_or_else(|| vec![user.base_url.to_string()]);
    let city = City {
        hosts,
        category_id: options
            .categories
            .first()
            .ok_or_else(|| fault("no category"))?
            .id,
        compound_id,
        station_id: options
            .stations
            .first()
            .ok_or_else(|| fault("no station"))?
            .id,
        unit_id,
        board_accounts: made.into_iter().map(|(u, _)| u).collect(),
        codes,
    };
    if CITY.set(city).is_err() {
        return Err(fault("set up twice"));
    }
    tokio::spawn(sample_servers());
    Ok(())
}

/// Every 10 s, the resident memory and CPU time of `LIANXIN_LOAD_PIDS`.
async fn sample_servers() {
    let pids: Vec<String> = std::env::var("LIANXIN_LOAD_PIDS")
        .map(|p| p.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    if pids.is_empty() {
        return;
    }
    let started = Instant::now();
    loop {
        let read = |pid: &String, file: &str| {
            std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default()
        };
        let rss_kib = pids
            .iter()
            .map(|pid| {
                read(pid, "status")
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    .unwrap_or(0)
            })
            .collect();
        // utime and stime, the 14th and 15th fields, counted after the
        // command's name (which may hold spaces).
        let cpu_ticks = pids
            .iter()
            .map(|pid| {
                let stat = read(pid, "stat");
                let after_name = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
                let fields: Vec<u64> = after_name
                    .split_whitespace()
                    .skip(11)
                    .take(2)
                    .filter_map(|f| f.parse().ok())
                    .collect();
                fields.iter().sum()
            })
            .collect();
        SAMPLES.lock().expect("samples").push(Sample {
            at: started.elapsed(),
            rss_kib,
            cpu_ticks,
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Spreads the users over the instances.
async fn on_an_instance(user: &mut GooseUser) -> TransactionResult {
    let hosts = &city().hosts;
    let host = hosts[user.weighted_users_index % hosts.len()].clone();
    user.set_base_url(&host)
}

#[derive(Clone)]
struct Board {
    account: String,
    /// The last event received, to resume from.
    last_id: Option<String>,
    signed_in: bool,
}

async fn board_sign_in(user: &mut GooseUser) -> TransactionResult {
    on_an_instance(user).await?;
    let seat = BOARDS_SEATED.fetch_add(1, Ordering::Relaxed);
    let accounts = &city().board_accounts;
    let account = accounts[(seat / BOARDS_PER_ACCOUNT).min(accounts.len() - 1)].clone();
    user.set_session_data(Board {
        account,
        last_id: None,
        signed_in: false,
    });
    Ok(())
}

/// Signs the board's account in when it is not (at the start, or after the
/// server forgot the session), as a director would on seeing the sign-in
/// page.
async fn board_session(user: &mut GooseUser) -> TransactionResult {
    let board = user.get_session_data_unchecked::<Board>().clone();
    if board.signed_in {
        return Ok(());
    }
    sign_in_for_the_day(user, &board.account, BOARD_PASSWORD).await?;
    user.get_session_data_unchecked_mut::<Board>().signed_in = true;
    Ok(())
}

/// A stream that failed: counted, and tried again after a pause as
/// `EventSource` does, rather than at once and again and again.
async fn board_fault(why: String) -> TransactionResult {
    BOARD_FAULTS.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    Err(fault(why))
}

/// Follows the board's stream for one slice, timing each change that a
/// registrar or handler asked for.
async fn follow_board(user: &mut GooseUser) -> TransactionResult {
    if let Err(e) = board_session(user).await {
        return board_fault(format!("board sign-in: {e}")).await;
    }
    let last_id = user
        .get_session_data::<Board>()
        .and_then(|b| b.last_id.clone());
    let mut builder = user
        .get_request_builder(&GooseMethod::Get, "/api/board/events")?
        .header("Accept", "text/event-stream")
        // The stream outlives goose's request timeout by design.
        .timeout(BOARD_SLICE + Duration::from_secs(30));
    if let Some(id) = &last_id {
        builder = builder.header("Last-Event-ID", id.as_str());
    }
    let mut response = match builder.send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            if r.status().as_u16() == 401 {
                user.get_session_data_unchecked_mut::<Board>().signed_in = false;
            }
            return board_fault(format!("board: {}", r.status())).await;
        }
        Err(e) => return board_fault(format!("board: {e}")).await,
    };
    let until = Instant::now() + BOARD_SLICE;
    let mut pending = String::new();
    let mut last = last_id;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let chunk = match tokio::time::timeout(left, response.chunk()).await {
            Err(_) => break,
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) | Ok(Err(_)) => {
                BOARD_FAULTS.fetch_add(1, Ordering::Relaxed);
                break;
            }
        };
        let arrived = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&chunk));
        // Server-sent events end with a blank line.
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            match received(&event, arrived) {
                Received::Change(id) => last = Some(id),
                Received::Reload => {
                    BOARD_FAULTS.fetch_add(1, Ordering::Relaxed);
                    last = None;
                }
                Received::Other => {}
            }
        }
    }
    user.get_session_data_unchecked_mut::<Board>().last_id = last;
    Ok(())
}

enum Received {
    Change(String),
    Reload,
    Other,
}

fn received(event: &str, arrived: Instant) -> Received {
    let field = |name: &str| {
        event
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim_start().to_string())
    };
    match field("event:").as_deref() {
        Some("reload") => Received::Reload,
        Some("case") => {
            let Some(change) =
                field("data:").and_then(|d| serde_json::from_str::<BoardEvent>(&d).ok())
            else {
                return Received::Other;
            };
            let key = (change.card.title, change.card.status);
            if let Some(at) = asked().lock().expect("asked").get(&key) {
                let ms = arrived.saturating_duration_since(*at).as_millis() as u64;
                pushes().lock().expect("pushes").saturating_record(ms);
            }
            Received::Change(change.id.to_string())
        }
        _ => Received::Other,
    }
}

#[derive(Clone)]
struct Desk {
    n: u64,
}

async fn desk_sign_in(user: &mut GooseUser) -> TransactionResult {
    on_an_instance(user).await?;
    sign_in_for_the_day(user, "director", DEMO_PASSWORD).await?;
    user.set_session_data(Desk { n: 0 });
    Ok(())
}

/// A walk-in registered at the desk, consolidated and assigned to the unit.
async fn register(user: &mut GooseUser) -> TransactionResult {
    let started = Instant::now();
    let c = city();
    let n = {
        let desk = user.get_session_data_unchecked_mut::<Desk>();
        desk.n += 1;
        desk.n
    };
    let title = format!("楼道灯不亮 {}-{n}", user.weighted_users_index);
    let ask = |status: Status| {
        asked()
            .lock()
            .expect("asked")
            .insert((title.clone(), status), Instant::now());
    };
    ask(Status::Registered);
    let receipt: serde_json::Value = serde_json::from_str(
        &call(
            user,
            "register_case",
            &[
                ("title", title.clone()),
                (
                    "description",
                    "三单元楼道灯晚上不亮，老人上下楼看不见".into(),
                ),
                ("category_id", c.category_id.to_string()),
                ("region_id", c.compound_id.to_string()),
                ("station_id", c.station_id.to_string()),
                ("source", "walk_in".into()),
                ("resident_name", "郭永刚".into()),
                ("resident_phone", "13911112222".into()),
            ],
        )
        .await?,
    )
    .map_err(|e| fault(format!("register_case: {e}")))?;
    let code = receipt["code"]
        .as_str()
        .ok_or_else(|| fault("a receipt without a code"))?
        .to_string();
    ask(Status::Consolidating);
    perform(user, &code, &[("kind", "start_consolidation".into())]).await?;
    ask(Status::AwaitingAck);
    perform(
        user,
        &code,
        &[
            ("kind", "assign".into()),
            ("unit_id", c.unit_id.to_string()),
            ("class", "ordinary".into()),
        ],
    )
    .await?;
    // The unit acknowledges it: 1日部署.
    asked()
        .lock()
        .expect("asked")
        .insert((title, Status::InProgress), Instant::now());
    ASSIGNED.lock().expect("assigned").push_back(code);
    rest_of_the_second(started).await;
    Ok(())
}

/// What is left of a second since `started`: a desk or a reader acts once
/// a second whatever its requests took (up to a second), so the rates stay
/// those asked for when the server slows down.
async fn rest_of_the_second(started: Instant) {
    tokio::time::sleep(Duration::from_secs(1).saturating_sub(started.elapsed())).await;
}

async fn perform(
    user: &mut GooseUser,
    code: &str,
    fields: &[(&str, String)],
) -> Result<(), Box<TransactionError>> {
    let mut form = vec![("code", code.to_string()), ("text", String::new())];
    form.extend(fields.iter().cloned());
    call(user, "perform", &form).await.map(drop)
}

async fn unit_sign_in(user: &mut GooseUser) -> TransactionResult {
    on_an_instance(user).await?;
    sign_in_for_the_day(user, "handler", DEMO_PASSWORD).await
}

/// The unit takes up what was assigned to it.
async fn acknowledge(user: &mut GooseUser) -> TransactionResult {
    loop {
        let next = ASSIGNED.lock().expect("assigned").pop_front();
        let Some(code) = next else { return Ok(()) };
        perform(user, &code, &[("kind", "acknowledge".into())]).await?;
    }
}

/// A resident's page view, one of the public pages in turn.
async fn read_public_page(user: &mut GooseUser) -> TransactionResult {
    let started = Instant::now();
    let c = city();
    let turn = user.weighted_users_index + user.get_iterations();
    let (path, name) = match turn % 7 {
        0 => ("/".to_string(), "/"),
        1 => ("/track".to_string(), "/track"),
        2 => (
            format!("/track/{}", c.codes[turn % c.codes.len().max(1)]),
            "/track/{code}",
        ),
        3 => ("/report".to_string(), "/report"),
        4 => ("/stats".to_string(), "/stats"),
        5 => ("/wall".to_string(), "/wall"),
        _ => (format!("/stations/{}", c.station_id), "/stations/{id}"),
    };
    let request = GooseRequest::builder()
        .path(path.as_str())
        .name(name)
        .build();
    user.request(request).await?;
    rest_of_the_second(started).await;
    Ok(())
}

async fn office_sign_in(user: &mut GooseUser) -> TransactionResult {
    on_an_instance(user).await?;
    sign_in_for_the_day(user, "leader", DEMO_PASSWORD).await
}

/// The supervision office's figures and month-end exports.
async fn office(user: &mut GooseUser) -> TransactionResult {
    for path in ["/figures", "/ranking", "/figures.csv", "/ledger.csv"] {
        let request = GooseRequest::builder().path(path).name(path).build();
        user.request(request).await?;
    }
    Ok(())
}

fn percentile(data: &goose::metrics::GooseRequestMetricTimingData, p: f32) -> f64 {
    data.percentile_us(p) as f64 / 1000.0
}

fn summary(metrics: &GooseMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Load run: {} s, {} users\n",
        metrics.duration, metrics.maximum_users
    );
    let _ = writeln!(
        out,
        "| request | count | per second | errors | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut rows: Vec<_> = metrics.requests.values().collect();
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    let seconds = metrics.duration.max(1) as f64;
    for r in rows {
        let count = r.success_count + r.fail_count;
        let _ = writeln!(
            out,
            "| {} {} | {count} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            r.method,
            r.path,
            count as f64 / seconds,
            r.fail_count,
            percentile(&r.raw_data, 0.50),
            percentile(&r.raw_data, 0.95),
            percentile(&r.raw_data, 0.99),
            r.raw_data.maximum_time_us as f64 / 1000.0,
        );
    }
    let pushes = pushes().lock().expect("pushes");
    let _ = writeln!(
        out,
        "\nBoard pushes (from asking for a change to a board receiving it): {} received; p50 {} ms, p95 {} ms, p99 {} ms, max {} ms; {} streams refused, cut short or told to reload",
        pushes.len(),
        pushes.value_at_quantile(0.50),
        pushes.value_at_quantile(0.95),
        pushes.value_at_quantile(0.99),
        pushes.max(),
        BOARD_FAULTS.load(Ordering::Relaxed),
    );
    let samples = SAMPLES.lock().expect("samples");
    let mib = |kib: &[u64]| {
        kib.iter()
            .map(|k| format!("{:.0}", *k as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    // Flat means no growth once every user is in and the caches are warm.
    let warm: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at >= Duration::from_secs(60))
        .collect();
    if let (Some(first), Some(last)) = (warm.first(), warm.last()) {
        let peak: Vec<u64> = (0..first.rss_kib.len())
            .map(|i| warm.iter().map(|s| s.rss_kib[i]).max().unwrap_or(0))
            .collect();
        let seconds = (last.at - first.at).as_secs_f64().max(1.0);
        let cpu: Vec<String> = first
            .cpu_ticks
            .iter()
            .zip(&last.cpu_ticks)
            .map(|(a, b)| format!("{:.0}%", (b - a) as f64 / seconds))
            .collect();
        let _ = writeln!(
            out,
            "\nServer after the first minute: memory (RSS, MiB) {} at its start, {} at the end, {} at most; CPU {} of one core",
            mib(&first.rss_kib),
            mib(&last.rss_kib),
            mib(&peak),
            cpu.join(" / ")
        );
    }
    if !samples.is_empty() {
        let _ = writeln!(out, "\nServer memory (RSS, MiB) every 10 s:\n");
        for s in samples.iter() {
            let _ = writeln!(out, "- {:>4} s: {}", s.at.as_secs(), mib(&s.rss_kib));
        }
    }
    out
}

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let metrics = GooseAttack::initialize()?
        .test_start(transaction!(setup))
        .register_scenario(
            scenario!("board")
                .set_weight(BOARDS)?
                .register_transaction(transaction!(board_sign_in).set_on_start())
                .register_transaction(transaction!(follow_board)),
        )
        .register_scenario(
            scenario!("resident")
                .set_weight(READERS)?
                .register_transaction(transaction!(on_an_instance).set_on_start())
                .register_transaction(transaction!(read_public_page)),
        )
        .register_scenario(
            scenario!("desk")
                .set_weight(REGISTRARS)?
                .register_transaction(transaction!(desk_sign_in).set_on_start())
                .register_transaction(transaction!(register)),
        )
        .register_scenario(
            scenario!("unit")
                .set_weight(HANDLERS)?
                .set_wait_time(Duration::from_millis(200), Duration::from_millis(200))?
                .register_transaction(transaction!(unit_sign_in).set_on_start())
                .register_transaction(transaction!(acknowledge)),
        )
        .register_scenario(
            scenario!("office")
                .set_weight(OFFICE)?
                .set_wait_time(Duration::from_secs(10), Duration::from_secs(10))?
                .register_transaction(transaction!(office_sign_in).set_on_start())
                .register_transaction(transaction!(office)),
        )
        .execute()
        .await?;
    let text = summary(&metrics);
    println!("{text}");
    if let Ok(file) = std::env::var("LIANXIN_LOAD_SUMMARY") {
        std::fs::write(&file, &text).map_err(|e| GooseError::InvalidOption {
            option: "LIANXIN_LOAD_SUMMARY".into(),
            value: file.clone(),
            detail: e.to_string(),
        })?;
    }
    Ok(())
}
