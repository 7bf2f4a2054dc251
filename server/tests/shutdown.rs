//! `lianxin serve` stops cleanly on SIGTERM: open board streams end, the
//! process exits within a few seconds instead of waiting on them for ever.

use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends one HTTP/1.1 request and returns the stream, after reading the
/// response head (status line and headers).
async fn request(addr: &str, head: &str, body: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(addr).await.expect("server answers");
    let req = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        seen.push(byte[0]);
    }
    (stream, String::from_utf8_lossy(&seen).into_owned())
}

/// `lianxin serve` on a free loopback port of `db`, once it listens.
async fn start(
    db: &store::testing::TestDb,
    env: &[(&str, &str)],
) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let server = tokio::process::Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args(["--database", &db.url, "serve", "--addr", &addr])
        .env("LEPTOS_OUTPUT_NAME", "lianxin")
        .env("LIANXIN_JOBS_EVERY_SECS", "3600")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("lianxin starts");
    let started = Instant::now();
    while TcpStream::connect(&addr).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never listened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (server, addr)
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_ends_open_board_streams_and_exits_promptly() {
    let db = store::testing::TestDb::new().await;
    store::demo::load(&db.pool, false, chrono::Utc::now())
        .await
        .unwrap();
    let (mut server, addr) = start(&db, &[]).await;
    let (_, head) = request(
        &addr,
        "POST /api/login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nConnection: close",
        "username=director&password=lianxin-demo",
    )
    .await;
    let cookie = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim())
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session: {head}"))
        .to_string();
    let (mut board, head) = request(
        &addr,
        &format!("GET /api/board/events HTTP/1.1\r\nCookie: {cookie}\r\nAccept: text/event-stream"),
        "",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    let pid = server.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopping = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .expect("still running 10 s after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(
        stopping.elapsed() < Duration::from_secs(4),
        "{:?}",
        stopping.elapsed()
    );
    // The board's stream was ended, not cut mid-event: it reads to its end.
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(2), board.read_to_end(&mut rest))
        .await
        .expect("the stream ended")
        .unwrap();
}

#[tokio::test]
async fn serving_the_demo_accounts_beyond_this_machine_is_refused_with_the_reason() {
    let db = store::testing::TestDb::new().await;
    store::demo::load(&db.pool, false, chrono::Utc::now())
        .await
        .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args(["--database", &db.url, "serve", "--addr", "0.0.0.0:0"])
        .env("LEPTOS_OUTPUT_NAME", "lianxin")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("refused at once, not served")
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("refusing to serve on 0.0.0.0:0") && said.contains("director"),
        "{said}"
    );
    // With new passwords the same address is served (checked here without
    // serving: nothing is left exposed).
    for account in store::demo::accounts_with_published_password(&db.pool)
        .await
        .unwrap()
    {
        let user = store::users::find_by_username(&db.pool, &account)
            .await
            .unwrap()
            .unwrap();
        store::users::reset_password(
            &db.pool,
            &store::events::By::named("test"),
            user.id,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    assert!(
        store::demo::accounts_with_published_password(&db.pool)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off_and_others_are_served() {
    let db = store::testing::TestDb::new().await;
    let (_server, addr) = start(&db, &[("LIANXIN_CLIENT_TIMEOUT_SECS", "1")]).await;
    // Slowloris: a request line and one header, then nothing.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Meanwhile an ordinary request is answered.
    let (_, head) = request(&addr, "GET /healthz HTTP/1.1\r\nConnection: close", "").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // The slow one is closed by the server (an error answer, then the end).
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the half-sent request still holds its connection"
    );
}
