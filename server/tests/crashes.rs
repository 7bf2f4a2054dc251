//! Machines crash (issue 23): `lianxin serve` killed with SIGKILL again and
//! again while directors register cases and take them up. Whatever got a
//! success answer is there afterwards, no case is half-written (each has
//! its registration event and audit entry) and the audit chain verifies.
//! One instance on SQLite; two on PostgreSQL (`LIANXIN_TEST_DATABASE`),
//! killed in turn, as behind a load balancer.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `lianxin serve` on `port` of `url`, which the test kills and restarts.
struct Instance {
    url: String,
    port: u16,
    child: Option<std::process::Child>,
}

impl Instance {
    fn start(url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut me = Self {
            url: url.to_string(),
            port,
            child: None,
        };
        me.restart();
        me
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_lianxin"))
            .args(["--database", &self.url, "serve", "--addr", &self.addr()])
            .env("LIANXIN_JOBS_EVERY_SECS", "3600")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lianxin starts");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(self.addr()).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown, no flush, whatever was half-done stays so.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

async fn id(pool: &store::Pool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// What the clients were told succeeded.
#[derive(Default)]
struct Told {
    registered: Vec<String>,
    taken_up: Vec<String>,
    failed: usize,
}

#[tokio::test]
async fn what_was_answered_survives_kill_9_and_nothing_is_half_written() {
    let db = store::testing::TestDb::demo().await;
    let pool = &db.pool;
    let director_region: String = sqlx::query_scalar(
        "SELECT r.path FROM users u JOIN regions r ON r.id = u.region_id WHERE u.username = 'director'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let form = [
        ("category_id", id(pool, "SELECT MIN(id) FROM categories").await),
        (
            "region_id",
            id(
                pool,
                &format!(
                    "SELECT MIN(id) FROM regions WHERE level = 'compound' AND path LIKE '{director_region}%'"
                ),
            )
            .await,
        ),
        (
            "station_id",
            id(pool, "SELECT station_id FROM users WHERE username = 'deputy'").await,
        ),
    ];
    let instances = match store::Backend::of(pool) {
        store::Backend::Sqlite => 1,
        store::Backend::Postgres => 2,
    };
    let servers: Vec<Instance> = (0..instances).map(|_| Instance::start(&db.url)).collect();
    let addrs: Vec<String> = servers.iter().map(Instance::addr).collect();
    let servers = Arc::new(Mutex::new(servers));

    // The director's session lives in the database: one sign-in serves every instance and restart.
    let login = agent()
        .post(&format!("http://{}/api/login", addrs[0]))
        .header("Accept", "application/json")
        .send_form([
            ("username", "director"),
            ("password", store::demo::DEMO_PASSWORD),
        ])
        .unwrap();
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();

    // Two clients register and take up cases, each on every instance in
    // turn, until the kills are over.
    let told = Arc::new(Mutex::new(Told::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (told, addrs, cookie) = (told.clone(), addrs.clone(), cookie.clone());
            let stop = stop.clone();
            let form: Vec<(String, String)> = form
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            std::thread::spawn(move || {
                let agent = agent();
                for n in 0..400 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let addr = &addrs[(n + client) % addrs.len()];
                    let mut fields = form.clone();
                    fields.extend([
                        ("title".into(), format!("路灯不亮 {client}-{n}")),
                        ("description".into(), "楼下路灯晚上不亮".into()),
                        ("source".into(), "walk_in".into()),
                        ("resident_name".into(), "陈桂芳".into()),
                        ("resident_phone".into(), "13900001111".into()),
                    ]);
                    let answer = agent
                        .post(&format!("http://{addr}/api/register_case"))
                        .header("Accept", "application/json")
                        .header("Cookie", &cookie)
                        .send_form(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    let code = match answer {
                        Ok(mut res) if res.status().is_success() => {
                            let receipt: serde_json::Value =
                                serde_json::from_str(&res.body_mut().read_to_string().unwrap())
                                    .unwrap();
                            receipt["code"].as_str().unwrap().to_string()
                        }
                        _ => {
                            told.lock().unwrap().failed += 1;
                            // The instance is down: let it come back.
                            std::thread::sleep(Duration::from_millis(50));
                            continue;
                        }
                    };
                    told.lock().unwrap().registered.push(code.clone());
                    let addr = &addrs[(n + client + 1) % addrs.len()];
                    let answer = agent
                        .post(&format!("http://{addr}/api/perform"))
                        .header("Accept", "application/json")
                        .header("Cookie", &cookie)
                        .send_form([
                            ("code", code.as_str()),
                            ("kind", "start_consolidation"),
                            ("text", ""),
                        ]);
                    match answer {
                        Ok(res) if res.status().is_success() => {
                            told.lock().unwrap().taken_up.push(code)
                        }
                        _ => told.lock().unwrap().failed += 1,
                    }
                }
            })
        })
        .collect();

    // Meanwhile, every 700 ms an instance dies without warning and comes back.
    let killer = {
        let servers = servers.clone();
        std::thread::spawn(move || {
            let mut turn = 0;
            let mut kills_done = 0;
            while kills_done < 6 {
                std::thread::sleep(Duration::from_millis(700));
                let mut servers = servers.lock().unwrap();
                let n = servers.len();
                let s = &mut servers[turn % n];
                s.kill();
                s.restart();
                turn += 1;
                kills_done += 1;
            }
            kills_done
        })
    };
    let kills = killer.join().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    servers.lock().unwrap().iter_mut().for_each(Instance::kill);

    let told = std::mem::take(&mut *told.lock().unwrap());
    assert_eq!(kills, 6);
    assert!(
        told.registered.len() >= 20,
        "too few requests got through to mean anything: {} registered, {} failed",
        told.registered.len(),
        told.failed
    );
    for code in &told.registered {
        let code = domain::TrackingCode::parse(code).unwrap();
        let kinds = store::cases::event_kinds(pool, &code)
            .await
            .unwrap_or_else(|e| panic!("{code} was answered but is missing: {e}"));
        assert!(!kinds.is_empty(), "{code}");
    }
    for code in &told.taken_up {
        let code = domain::TrackingCode::parse(code).unwrap();
        let kinds = store::cases::event_kinds(pool, &code).await.unwrap();
        assert!(
            kinds.iter().any(|k| k == "start_consolidation"),
            "{code}: {kinds:?}"
        );
        assert_eq!(
            store::cases::status_of(pool, &code).await.unwrap(),
            domain::Status::Consolidating
        );
    }
    // Nothing half-written, whether answered or cut off mid-request.
    let orphans = id(
        pool,
        "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id) \
         OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'case' AND a.entity_id = c.code)",
    )
    .await;
    assert_eq!(orphans, 0);
    let moved_silently = id(
        pool,
        "SELECT COUNT(*) FROM cases c WHERE c.status = 'consolidating' AND NOT EXISTS \
         (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'start_consolidation')",
    )
    .await;
    assert_eq!(moved_silently, 0);
    assert!(store::audit::verify(pool).await.unwrap().is_ok());
    eprintln!(
        "{kills} kills on {instances} instance(s): {} registered, {} taken up, {} refused or cut off",
        told.registered.len(),
        told.taken_up.len(),
        told.failed
    );
}
