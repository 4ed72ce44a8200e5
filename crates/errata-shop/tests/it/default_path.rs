//! The default path, end to end: what a user of `errata-tower` writes, with nothing injected.
//! `sentry::init` with the DSN of a real Errata server (through `prepare_client_options`, so the
//! real transport is `errata-tower`'s ureq one), the layer on `Hub::main()` (no `.hub(..)`),
//! the shop served over real HTTP on loopback, and the process exiting after the guard drops.
//!
//! `sentry::init` binds the process-global main hub, which every other test of this binary
//! would then report to; so the service runs in a child process, this test binary re-invoked on
//! [`child_shop`] with [`CHILD_DSN`] set. The Errata server runs in the test's own process, which
//! checks what it stored once the child has exited: one issue per failure, with the culprit in
//! the shop's code, the request's method and URL, and the event ids the shop answered with.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use errata_server::{Config, Server};
use errata_store::{IssueFilter, IssueQuery, IssueSort, ProjectId};
use errata_tower::Options;

/// The DSN the child reports to; without it [`child_shop`] does nothing.
const CHILD_DSN: &str = "ERRATA_SHOP_CHILD_DSN";

/// The failing routes the child calls, each one failure.
const FAILURES: [&str; 2] = ["/panic", "/error/private"];

/// `GET path` over a fresh connection; the status and the `x-sentry-event` header.
fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, Option<String>) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nhost: shop.test\r\nauthorization: Bearer shop-secret\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP response: {response}"));
    let event = response
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("x-sentry-event: "))
        .map(str::to_owned);
    (status, event)
}

/// The shop as its binary runs it, in the child process: prints `event <path> <id>` per failure.
#[test]
#[ignore = "a child process of the test of this module; does nothing without its variable"]
fn child_shop() {
    let Ok(dsn) = std::env::var(CHILD_DSN) else {
        return;
    };
    let guard = sentry::init((
        dsn,
        errata_tower::prepare_client_options(
            sentry::ClientOptions::new()
                .in_app_include(vec!["errata_shop"])
                .shutdown_timeout(Duration::from_secs(2)),
        ),
    ));
    // The runtime starts after `sentry::init`, as in the shop's binary.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let app = errata_shop::app(Options::new().send_request(true).wait_for_delivery(true));
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(listener, app).await.unwrap();
    });
    let mut out = std::io::stdout();
    for path in FAILURES {
        let (status, event) = http_get(addr, path);
        assert_eq!(status, 500, "{path}");
        let event = event.unwrap_or_else(|| panic!("{path} answers its event id"));
        writeln!(out, "event {path} {event}").unwrap();
    }
    assert_eq!(http_get(addr, "/ok"), (200, None));
    drop(runtime);
    drop(guard);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentry_init_and_the_main_hub_report_each_failure_once_to_a_real_errata() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let server = {
        let store = errata_store_sqlite::SqliteStore::open(&config.data_dir).unwrap();
        Server::start_with_store(config, std::sync::Arc::new(store))
            .await
            .unwrap()
    };
    let dsn = server.welcome().dsn.clone();
    let store = server.state().store.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));

    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "default_path::child_shop",
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DSN, &dsn)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{report}");
    let answered: Vec<(&str, String)> = stdout
        .lines()
        // libtest may have started the line with `test default_path::child_shop ... `.
        .filter_map(|l| l.find("event /").map(|at| &l[at + "event ".len()..]))
        .filter_map(|l| l.split_once(' '))
        .map(|(path, id)| (path, id.to_owned()))
        .collect();
    assert_eq!(answered.len(), FAILURES.len(), "{report}");

    let query = IssueQuery {
        project_id: Some(ProjectId(1)),
        sort: IssueSort::LastSeen,
        filter: IssueFilter::default(),
        cursor: None,
        limit: 10,
    };
    let issues = store.issues(&query).unwrap().items;
    assert_eq!(issues.len(), FAILURES.len(), "one issue per failure");
    for (path, event_id) in &answered {
        let (title, culprit) = match *path {
            "/panic" => (
                "panic: index out of bounds",
                "errata_shop::pricing::discount_percent",
            ),
            _ => ("InventoryUnavailable", "errata_shop::pricing::stock_level"),
        };
        let issue = issues
            .iter()
            .find(|i| i.title.starts_with(title))
            .unwrap_or_else(|| panic!("an issue for {path}: {issues:?}"));
        assert_eq!(issue.times_seen, 1, "{path}: {issue:?}");
        assert!(issue.culprit.contains(culprit), "{path}: {issue:?}");
        let event = store.latest_event(issue.id).unwrap();
        assert_eq!(
            event.row.event_id.to_string().replace('-', ""),
            *event_id,
            "{path}"
        );
        let payload: serde_json::Value = serde_json::from_slice(&event.payload).unwrap();
        assert_eq!(payload["request"]["method"], "GET", "{payload}");
        assert_eq!(
            payload["request"]["url"],
            format!("http://shop.test{path}"),
            "{payload}"
        );
        assert!(!payload.to_string().contains("shop-secret"), "{payload}");
    }

    let _ = stop.send(());
    running.await.unwrap().unwrap();
}
