//! `lianxin`: the Lianxin server and its tools.

use server::http;
use server::photos::PhotoStore;

use app::state::{AppState, Limits};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "lianxin",
    version,
    about = "连心 Lianxin: the case system of community liaison stations"
)]
struct Cli {
    /// Database URL; SQLite files are created when missing.
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "sqlite://data/lianxin.db",
        global = true
    )]
    database: String,
    /// Where photos are kept: a folder, or s3://bucket/prefix for several
    /// instances (AWS_* variables give the endpoint and keys). Default: a
    /// folder beside the SQLite file (data/lianxin-photos), or ./photos.
    #[arg(long = "photos", env = "LIANXIN_PHOTOS", global = true)]
    photos: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default). Runs pending migrations first.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LIANXIN_ADDR", default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Public case lookups allowed per client address and minute.
        #[arg(long, env = "LIANXIN_LOOKUPS_PER_MINUTE", default_value_t = 10)]
        lookups_per_minute: u32,
        /// Online requests allowed per client address and hour.
        #[arg(long, env = "LIANXIN_REPORTS_PER_HOUR", default_value_t = 10)]
        reports_per_hour: u32,
        /// Days after closure when a case's resident contact details are removed.
        #[arg(long, env = "LIANXIN_ANONYMISE_AFTER_DAYS", default_value_t = 365,
              value_parser = clap::value_parser!(i64).range(0..))]
        anonymise_after_days: i64,
        /// Seconds between runs of the background jobs (they also run at start).
        #[arg(long, env = "LIANXIN_JOBS_EVERY_SECS", default_value_t = 60)]
        jobs_every_secs: u64,
        /// Seconds a client may take to send a request's headers, and
        /// between two pieces of its body, before the connection is closed
        /// (so idle or slow connections cannot pile up).
        #[arg(long, env = "LIANXIN_CLIENT_TIMEOUT_SECS", default_value_t = 15,
              value_parser = clap::value_parser!(u64).range(1..))]
        client_timeout_secs: u64,
        /// Milliseconds a resident's page, as anonymous visitors see it, is
        /// kept and sent again without rendering (0: never kept).
        #[arg(long, env = "LIANXIN_PAGE_CACHE_MS", default_value_t = 1000)]
        page_cache_ms: u64,
        /// Serve on a non-loopback address even though demo accounts still
        /// have the published password (a demonstration on a closed network).
        #[arg(long, env = "LIANXIN_ALLOW_DEMO_ACCOUNTS")]
        allow_demo_accounts: bool,
        #[command(flatten)]
        messages: server::messages::Settings,
        #[command(flatten)]
        mail: server::mail::Settings,
    },
    /// Anonymise the closed cases past the retention period now (`serve` does it every minute).
    Anonymise {
        #[arg(long, env = "LIANXIN_ANONYMISE_AFTER_DAYS", default_value_t = 365,
              value_parser = clap::value_parser!(i64).range(0..))]
        after_days: i64,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Run the 13710 reminder job once (`serve` runs it every minute).
    Remind,
    /// The 13710 calendar: public holidays, make-up working days (调休), day mode.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Set how many days after a closure a new case of the same category in
    /// the same place is flagged as recurring (default 90).
    RecurrenceWindow { days: i64 },
    /// The callback list (回访): days a case waits for the resident's own
    /// rating before the station calls (default 3), and unanswered calls
    /// after which it may close unrated (default 3). Prints both.
    Callbacks {
        #[arg(long)]
        after_days: Option<i64>,
        #[arg(long)]
        attempts: Option<u32>,
    },
    /// Write a consistent copy of the (live) SQLite database to FILE.
    Backup { file: std::path::PathBuf },
    /// Replace the database's data with the backup FILE (same schema version);
    /// everyone is signed out.
    Restore { file: std::path::PathBuf },
    /// The tamper-evident audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Staff accounts (the first administrator is made here).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Keys of Open311 clients.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Copy a whole database into an empty one, between SQLite and
    /// PostgreSQL either way (migrating the target first), then compare
    /// every table's rows and checksum.
    Copy {
        /// The database to read, e.g. sqlite://data/lianxin.db.
        #[arg(long)]
        from: String,
        /// The empty database to fill, e.g. postgres://lianxin@db/lianxin.
        #[arg(long)]
        to: String,
        /// Where the source's photos are (default: beside its SQLite file, or ./photos).
        #[arg(long)]
        from_photos: Option<String>,
        /// Where the copy's photos go, e.g. s3://lianxin-photos (default as for --from-photos).
        #[arg(long)]
        to_photos: Option<String>,
    },
    /// Load the demo city, accounts and cases.
    Demo {
        /// Replace whatever the database holds.
        #[arg(long, conflicts_with = "if_empty")]
        force: bool,
        /// Load only into an empty database; otherwise do nothing (for first starts).
        #[arg(long)]
        if_empty: bool,
        /// Grow the demo into a city of Lüliang's shape (13 counties, over 300
        /// communities) with this many more cases over two years, for
        /// benchmarks and load tests; deterministic.
        #[arg(long, value_name = "N")]
        cases: Option<u64>,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// List the marked dates and the day mode.
    List,
    /// Mark a date as a public holiday (not a working day).
    Holiday {
        date: chrono::NaiveDate,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Mark a date as a make-up working day (调休), e.g. a Saturday.
    Workday {
        date: chrono::NaiveDate,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Unmark a date.
    Clear { date: chrono::NaiveDate },
    /// Count deadlines in calendar days or in working days.
    Mode {
        #[arg(value_enum)]
        mode: DayModeArg,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; names the first broken entry and fails if there is one.
    Verify,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account and print its initial password (to be changed at
    /// the first sign-in).
    Add {
        username: String,
        /// The name people see, e.g. 张伟（袁家庄社区主任）.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role, default_value = "admin")]
        role: domain::Role,
        /// Region node id (directors, leaders, grid workers).
        #[arg(long)]
        region: Option<i64>,
        /// Unit id (handlers).
        #[arg(long)]
        unit: Option<i64>,
        /// Station id (deputies).
        #[arg(long)]
        station: Option<i64>,
    },
    /// Give the account a new temporary password and print it; its sessions end.
    Reset { username: String },
    /// List the accounts.
    List,
}

fn parse_role(s: &str) -> Result<domain::Role, String> {
    domain::Role::parse(s).ok_or_else(|| {
        let all: Vec<_> = domain::Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("one of {}", all.join(", "))
    })
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Issue a key for the client NAME and print it (it is shown only this once).
    Create { name: String },
    /// Revoke the key of the client NAME.
    Revoke { name: String },
    /// List the clients' keys (names and dates; the keys themselves are not kept).
    List,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DayModeArg {
    Calendar,
    Working,
}

fn main() -> std::process::ExitCode {
    // Before the runtime's threads exist: each thread that allocates takes
    // its own arena from then on.
    limit_malloc_arenas();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(start()),
        Err(e) => {
            eprintln!("lianxin: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Arenas glibc's malloc may keep when the operator has not chosen.
/// glibc gives every thread that allocates an arena of its own, up to eight
/// per core; sqlx runs each SQLite connection on a thread of its own, and
/// under a city's day of load those arenas fragmented until the server grew
/// from 360 to 437 MB in ten minutes. With two it stayed flat
/// (docs/benchmarks.md, issue 23).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_ARENAS: i32 = 2;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
/// The arena limit to set, or none when the environment already sets one
/// (`MALLOC_ARENA_MAX`, or glibc's tunables), which glibc has applied.
fn arena_limit(env: impl Fn(&str) -> Option<String>) -> Option<i32> {
    let chosen = env("MALLOC_ARENA_MAX").is_some()
        || env("GLIBC_TUNABLES").is_some_and(|t| t.contains("glibc.malloc.arena_max"));
    (!chosen).then_some(MALLOC_ARENAS)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if let Some(arenas) = arena_limit(|name| std::env::var(name).ok()) {
        // SAFETY: mallopt only sets a parameter of glibc's allocator; it is
        // called before any other thread of this process exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

// Other allocators (musl, macOS) keep no per-thread arenas to limit.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

async fn start() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        // No subcommand means `serve` (cargo-leptos runs the binary bare), with
        // the same flags and environment variables as an explicit one.
        cli = Cli::parse_from(std::env::args().chain(["serve".to_string()]));
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lianxin: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let photos_setting = cli
        .photos
        .clone()
        .unwrap_or_else(|| PhotoStore::default_for(&cli.database));
    if let Some(Command::Copy {
        from,
        to,
        from_photos,
        to_photos,
    }) = &cli.command
    {
        let from_photos = from_photos
            .clone()
            .unwrap_or_else(|| PhotoStore::default_for(from));
        let to_photos = to_photos
            .clone()
            .unwrap_or_else(|| PhotoStore::default_for(to));
        return copy(from, to, &from_photos, &to_photos).await;
    }
    let pool = store::connect(&cli.database).await?;
    store::migrate(&pool).await?;
    match cli.command {
        Some(Command::Migrate) => {
            println!("migrations applied to {}", cli.database);
            Ok(())
        }
        Some(Command::Demo { if_empty: true, .. }) if store::demo::has_data(&pool).await? => {
            println!("{} already holds data; demo not loaded", cli.database);
            print_accounts();
            Ok(())
        }
        Some(Command::Demo { force, cases, .. }) => {
            let now = chrono::Utc::now();
            store::demo::load(&pool, force, now).await?;
            println!("demo data loaded into {}", cli.database);
            if let Some(n) = cases {
                let started = std::time::Instant::now();
                let mut shown = 0;
                let grown = store::city::grow(&pool, n, now, |done, of| {
                    // A line per tenth (and the last), not per batch.
                    if done * 10 / of.max(1) > shown || done == of {
                        shown = done * 10 / of.max(1);
                        println!(
                            "  {done} of {of} cases ({:.0} s)",
                            started.elapsed().as_secs_f64()
                        );
                    }
                })
                .await?;
                println!(
                    "city grown: {} communities, {} more cases ({} open), {} events in {:.0} s",
                    grown.communities,
                    grown.cases,
                    grown.open,
                    grown.events,
                    started.elapsed().as_secs_f64()
                );
            }
            print_accounts();
            Ok(())
        }
        Some(Command::Calendar { command }) => calendar(&pool, command).await,
        Some(Command::RecurrenceWindow { days }) => {
            let by = store::events::By::named("命令行 (command line)");
            match store::reference::set_recurrence_days(&pool, &by, days, chrono::Utc::now()).await
            {
                Ok(()) => {
                    println!("recurrence window: {days} days");
                    Ok(())
                }
                Err(store::StoreError::Invalid(_)) => Err("days must be 1 to 3650".into()),
                Err(e) => Err(e.into()),
            }
        }
        Some(Command::Callbacks {
            after_days,
            attempts,
        }) => {
            let mut policy = store::reference::callback_policy(&pool).await?;
            if after_days.is_some() || attempts.is_some() {
                policy.after_days = after_days.unwrap_or(policy.after_days);
                policy.attempts = attempts.unwrap_or(policy.attempts);
                let by = store::events::By::named("命令行 (command line)");
                match store::reference::set_callback_policy(&pool, &by, policy, chrono::Utc::now())
                    .await
                {
                    Ok(()) => {}
                    Err(store::StoreError::Invalid(_)) => {
                        return Err(format!(
                            "after-days must be 1 to {}, attempts 1 to {}",
                            domain::CallbackPolicy::MAX_DAYS,
                            domain::CallbackPolicy::MAX_ATTEMPTS
                        )
                        .into());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            println!(
                "callbacks after {} days; close unrated after {} unanswered calls",
                policy.after_days, policy.attempts
            );
            Ok(())
        }
        Some(Command::ApiKey { command }) => api_key(&pool, command).await,
        Some(Command::User { command }) => user(&pool, command).await,
        Some(Command::Audit {
            command: AuditCommand::Verify,
        }) => match store::audit::verify(&pool).await? {
            Ok(n) => {
                println!("audit trail intact: {n} entries");
                Ok(())
            }
            Err(broken) => Err(format!(
                "audit trail broken at entry {}: {}",
                broken.id, broken.reason
            )
            .into()),
        },
        Some(Command::Backup { file }) => {
            if let Err(e) = store::backup::backup(&pool, &file).await {
                return Err(match e {
                    store::StoreError::Invalid(_) => {
                        format!("{} exists; choose a new file", file.display()).into()
                    }
                    e => e.into(),
                });
            }
            println!("backed up {} to {}", cli.database, file.display());
            let to = PhotoStore::default_for(&format!("sqlite://{}", file.display()));
            let n = server::photos::copy_all(
                &pool,
                &PhotoStore::open(&photos_setting)?,
                &PhotoStore::open(&to)?,
            )
            .await?;
            report_photos(&n, &to);
            print_summary(&pool).await
        }
        Some(Command::Restore { file }) => {
            if let Err(e) = store::backup::restore(&pool, &file).await {
                return Err(match e {
                    store::StoreError::Invalid(errors) => {
                        let why = match errors.first().map(|e| e.message.as_str()) {
                            Some("damaged") => "is damaged or not a Lianxin database",
                            Some("other_version") => "comes from another schema version",
                            _ => "does not exist",
                        };
                        format!("{} {why}; nothing was changed", file.display()).into()
                    }
                    e => e.into(),
                });
            }
            println!("restored {} from {}", cli.database, file.display());
            let from = PhotoStore::default_for(&format!("sqlite://{}", file.display()));
            let n = server::photos::copy_all(
                &pool,
                &PhotoStore::open(&from)?,
                &PhotoStore::open(&photos_setting)?,
            )
            .await?;
            report_photos(&n, &from);
            print_summary(&pool).await
        }
        Some(Command::Remind) => {
            match store::jobs::reminders(&pool, chrono::Utc::now()).await? {
                Some(n) => println!("{n} reminders recorded"),
                None => println!("another instance is recording reminders right now"),
            }
            Ok(())
        }
        Some(Command::Anonymise { after_days }) => {
            match store::jobs::anonymise(&pool, after_days, chrono::Utc::now()).await? {
                Some(n) => println!("{n} closed cases anonymised"),
                None => println!("another instance is anonymising right now"),
            }
            Ok(())
        }
        Some(Command::Serve {
            addr,
            lookups_per_minute,
            reports_per_hour,
            anonymise_after_days,
            jobs_every_secs,
            allow_demo_accounts,
            client_timeout_secs,
            page_cache_ms,
            messages,
            mail,
        }) => {
            if !addr.ip().is_loopback() && !allow_demo_accounts {
                let exposed = store::demo::accounts_with_published_password(&pool).await?;
                if !exposed.is_empty() {
                    return Err(format!(
                        "refusing to serve on {addr}: the demo accounts {} still sign in with the \
                         published password {:?}, so anyone who can reach this address could use them. \
                         Give them new passwords (`lianxin user reset NAME`), or serve on 127.0.0.1, \
                         or pass --allow-demo-accounts for a demonstration on a closed network",
                        exposed.join(", "),
                        store::demo::DEMO_PASSWORD
                    )
                    .into());
                }
            }
            let limits = Limits {
                lookups_per_minute,
                reports_per_hour,
            };
            // Links in texts and mail: the city's address, else this one.
            let public_url =
                std::env::var("LIANXIN_PUBLIC_URL").unwrap_or_else(|_| format!("http://{addr}"));
            let mailer = mail.mailer()?.map(std::sync::Arc::new);
            if mailer.is_none() {
                tracing::info!("no --smtp-url: no daily digests, residents' messages go by text");
            }
            let dispatcher = server::messages::Dispatcher {
                pool: pool.clone(),
                channel: messages.channel()?,
                mail: mailer
                    .clone()
                    .map(|m| m as std::sync::Arc<dyn server::messages::Channel>),
                public_url: public_url.clone(),
            };
            let digest = mailer.map(|mailer| server::mail::Digest {
                pool: pool.clone(),
                mailer,
                public_url,
                hour: mail.digest_hour,
            });
            let jobs = Jobs {
                anonymise_after_days,
                every_secs: jobs_every_secs,
                dispatcher,
                messages_every: std::time::Duration::from_secs(messages.messages_every_secs),
                digest,
            };
            let client_timeout = std::time::Duration::from_secs(client_timeout_secs);
            let photos = PhotoStore::open(&photos_setting)?;
            let page_cache = std::time::Duration::from_millis(page_cache_ms);
            serve(pool, addr, limits, jobs, photos, client_timeout, page_cache).await
        }
        Some(Command::Copy { .. }) | None => Err("no command".into()),
    }
}

/// Rows and checksums per table: equal lines mean equal data.
async fn copy(
    from: &str,
    to: &str,
    from_photos: &str,
    to_photos: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let source = store::connect(from).await?;
    store::migrate(&source).await?;
    let target = store::connect(to).await?;
    store::migrate(&target).await?;
    let started = std::time::Instant::now();
    let mut shown = (String::new(), 0_u64);
    let copied = store::copy::copy(&source, &target, |table, done, total| {
        // A line per table, and one per tenth of a big table.
        let tenth = (total / 10).max(1);
        if table != shown.0 || done == total || done / tenth != shown.1 / tenth {
            eprintln!("{table}: {done}/{total}");
            shown = (table.to_string(), done);
        }
    })
    .await
    .map_err(|e| match e {
        store::StoreError::Invalid(why) => why
            .iter()
            .map(|f| match f.message.as_str() {
                "not_empty" => format!("{to} already holds data; copy only into an empty database"),
                _ => format!("{to} is at another schema version than {from}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
    let source_summary = store::backup::summary(&source).await?;
    if copied != source_summary {
        return Err("the copy differs from the source (see `lianxin backup`'s summary)".into());
    }
    for t in &copied {
        println!(
            "{:<24} {:>9} rows  sha256 {}  same",
            t.name, t.rows, t.sha256
        );
    }
    println!(
        "copied {} tables in {:.1} s; every row count and checksum matches",
        copied.len(),
        started.elapsed().as_secs_f64()
    );
    let n = server::photos::copy_all(
        &source,
        &PhotoStore::open(from_photos)?,
        &PhotoStore::open(to_photos)?,
    )
    .await?;
    report_photos(&n, &format!("{from_photos} to {to_photos}"));
    Ok(())
}

/// What a copy of the photos did; photos whose pictures the source lacked are named.
fn report_photos(done: &server::photos::Copied, place: &str) {
    println!("copied {} photos ({place})", done.copied);
    if !done.missing.is_empty() {
        eprintln!(
            "{} photos are recorded but their pictures were not in the source: {}",
            done.missing.len(),
            done.missing.join(", ")
        );
    }
}

async fn print_summary(pool: &store::Pool) -> Result<(), Box<dyn std::error::Error>> {
    for t in store::backup::summary(pool).await? {
        println!(
            "{:<24} {:>8} rows  sha256 {}",
            t.name,
            t.rows,
            &t.sha256[..16]
        );
    }
    Ok(())
}

async fn user(pool: &store::Pool, command: UserCommand) -> Result<(), Box<dyn std::error::Error>> {
    use store::users as u;
    let now = chrono::Utc::now();
    let by = store::events::By::named("命令行 (command line)");
    let refused = |e: store::StoreError| -> Box<dyn std::error::Error> {
        match e {
            store::StoreError::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
                .into(),
            e => e.into(),
        }
    };
    match command {
        UserCommand::Add {
            username,
            name,
            role,
            region,
            unit,
            station,
        } => {
            let form = domain::account::AccountForm {
                username,
                display_name: name,
                role,
                region_id: region,
                unit_id: unit,
                station_id: station,
            };
            let (_, password) = u::create(pool, &by, form, now).await.map_err(refused)?;
            println!("{password}");
        }
        UserCommand::Reset { username } => {
            let account = u::find_by_username(pool, &username)
                .await?
                .ok_or_else(|| format!("no account named {username:?}"))?;
            println!("{}", u::reset_password(pool, &by, account.id, now).await?);
        }
        UserCommand::List => {
            for a in u::list(pool).await? {
                let state = if a.disabled_at.is_some() {
                    "disabled"
                } else if a.must_change_password {
                    "must change password"
                } else {
                    "active"
                };
                println!(
                    "{:<20} {:<12} {}  ({state})",
                    a.username,
                    a.role.as_str(),
                    a.display_name
                );
            }
        }
    }
    Ok(())
}

async fn api_key(
    pool: &store::Pool,
    command: ApiKeyCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use store::open311 as o;
    let now = chrono::Utc::now();
    let by = store::events::By::named("命令行 (command line)");
    match command {
        ApiKeyCommand::Create { name } => match o::create_key(pool, &by, &name, now).await {
            Ok(key) => println!("{key}"),
            Err(store::StoreError::Invalid(_)) => {
                return Err(format!(
                    "a key named {name:?} exists already, or the name is empty or too long"
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        },
        ApiKeyCommand::Revoke { name } => match o::revoke_key(pool, &by, &name, now).await {
            Ok(()) => println!("revoked {name}"),
            Err(store::StoreError::NotFound) => return Err(format!("no key named {name:?}").into()),
            Err(e) => return Err(e.into()),
        },
        ApiKeyCommand::List => {
            for k in o::keys(pool).await? {
                let state = match k.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d")),
                    None => "active".into(),
                };
                println!(
                    "{:<24} created {}  {state}",
                    k.name,
                    k.created_at.format("%Y-%m-%d")
                );
            }
        }
    }
    Ok(())
}

async fn calendar(
    pool: &store::Pool,
    command: CalendarCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use store::{deadlines as d, reference as r};
    let by = store::events::By::named("命令行 (command line)");
    let now = chrono::Utc::now();
    match command {
        CalendarCommand::List => {
            let mode = r::policy(pool).await?.day_mode;
            println!("day mode: {mode:?}");
            for (day, kind, name) in r::calendar_days(pool).await? {
                println!("{day}  {kind:<8} {name}");
            }
        }
        CalendarCommand::Holiday { date, name } => {
            d::set_calendar_day(pool, &by, date, false, &name, now).await?
        }
        CalendarCommand::Workday { date, name } => {
            d::set_calendar_day(pool, &by, date, true, &name, now).await?
        }
        CalendarCommand::Clear { date } => {
            if !d::clear_calendar_day(pool, &by, date, now).await? {
                return Err(format!("{date} was not marked").into());
            }
        }
        CalendarCommand::Mode { mode } => {
            let mode = match mode {
                DayModeArg::Calendar => domain::DayMode::Calendar,
                DayModeArg::Working => domain::DayMode::Working,
            };
            d::set_day_mode(pool, &by, mode, now).await?;
        }
    }
    Ok(())
}

fn print_accounts() {
    println!("demo accounts (password: {}):", store::demo::DEMO_PASSWORD);
    for a in &store::demo::ACCOUNTS {
        println!("  {:<10} {:<12} {}", a.username, a.role.as_str(), a.place);
    }
}

/// When the background jobs run, and what they keep.
struct Jobs {
    anonymise_after_days: i64,
    every_secs: u64,
    dispatcher: server::messages::Dispatcher,
    messages_every: std::time::Duration,
    /// The daily digest, with a mail server.
    digest: Option<server::mail::Digest>,
}

async fn serve(
    pool: store::Pool,
    addr: SocketAddr,
    limits: Limits,
    jobs_config: Jobs,
    photos: PhotoStore,
    client_timeout: std::time::Duration,
    page_cache: std::time::Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut options = leptos::prelude::get_configuration(None)?.leptos_options;
    options.site_addr = addr;
    // The pages link the fingerprinted files scripts/build listed, if any.
    options.hash_files = server::assets::fingerprinted_build();
    let state = AppState::new(options, pool.clone(), limits);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let jobs = server::jobs::JobsHealth::default();
    let router = http::router_until(
        state,
        photos.clone(),
        shutdown.clone(),
        jobs.clone(),
        page_cache,
    )
    .await?
    // A body that stops arriving frees its connection.
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        client_timeout,
    ));
    server::jobs::spawn(
        pool.clone(),
        jobs_config.anonymise_after_days,
        jobs_config.every_secs,
        jobs.clone(),
    );
    server::messages::spawn(
        jobs_config.dispatcher,
        jobs_config.messages_every,
        jobs.clone(),
    );
    if let Some(digest) = jobs_config.digest {
        server::mail::spawn(
            digest,
            std::time::Duration::from_secs(jobs_config.every_secs),
            jobs.clone(),
        );
    }
    spawn_photo_sweep(pool.clone(), photos, jobs_config.every_secs, jobs);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    let signalled = shutdown.clone();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("shutting down: ending event streams, finishing requests");
        signalled.cancel();
    });
    server::serve::connections(listener, router, client_timeout, shutdown).await;
    pool.close().await;
    Ok(())
}

/// Deletes the pictures of anonymised residents' photos, on the jobs' schedule.
fn spawn_photo_sweep(
    pool: store::Pool,
    photos: PhotoStore,
    every_secs: u64,
    health: server::jobs::JobsHealth,
) {
    server::jobs::every(
        "photos",
        std::time::Duration::from_secs(every_secs.max(1)),
        health,
        move || {
            let (pool, photos) = (pool.clone(), photos.clone());
            async move { server::photos::sweep(&pool, &photos).await.map(drop) }
        },
    );
}

/// SIGTERM (what service managers and container runtimes send) or Ctrl-C.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    /// Clap checks a command line's definition only when it parses one:
    /// two settings groups of one name would stop `serve` at start.
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    /// A page-cache time that is not a number stops the start with a
    /// message instead of quietly using the default.
    #[test]
    fn an_unreadable_page_cache_time_is_refused() {
        use clap::Parser;
        let parse =
            |ms: &str| super::Cli::try_parse_from(["lianxin", "serve", "--page-cache-ms", ms]);
        assert!(parse("250").is_ok());
        assert!(parse("0").is_ok());
        let refused = parse("1s").err().expect("refused");
        assert!(refused.to_string().contains("--page-cache-ms"), "{refused}");
    }

    /// The server limits glibc's arenas itself, unless the operator chose
    /// a limit in the environment (which glibc has already applied).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_arena_limit_yields_to_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(super::arena_limit(env(&[])), Some(2));
        assert_eq!(super::arena_limit(env(&[("MALLOC_ARENA_MAX", "8")])), None);
        assert_eq!(
            super::arena_limit(env(&[("GLIBC_TUNABLES", "glibc.malloc.arena_max=4")])),
            None
        );
        assert_eq!(
            super::arena_limit(env(&[("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0")])),
            Some(2)
        );
    }
}
