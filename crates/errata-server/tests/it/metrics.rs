//! `/metrics`, `/healthz`, `/readyz` and request ids over real sockets: the exposition is
//! parsed as Prometheus text (every sample line, with its family's `# TYPE`) and its
//! values move by exactly what was sent through the real ingest endpoint (accepted,
//! invalid, rate-limited), and alert delivery attempts are counted by channel and
//! result; the main listener wants a token (the metrics secret, or an API
//! token with `org:read`) and the `metrics.bind` listener none; `/readyz` lists its checks
//! and fails on a full disk; every answer carries `X-Request-Id`.

#![allow(
    clippy::float_cmp,
    reason = "the compared values are counts of a few items, exact in an f64"
)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;

use errata_server::config::Secret;
use errata_store::{NewToken, Scope, Scopes};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::TestServer;

const METRICS_TOKEN: &str = "scrape-secret-for-tests";

/// One HTTP/1.1 exchange on a fresh connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{} is not JSON ({e}): {}", self.status, self.body))
    }
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(body).await.expect("body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A parsed Prometheus text exposition: samples by name, each with its labels.
#[derive(Debug, Default)]
struct Exposition {
    types: HashMap<String, String>,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Exposition {
    /// Parses the text format (version 0.0.4), panicking on any line it cannot read or on
    /// a sample whose family has no `# TYPE`.
    fn parse(text: &str) -> Self {
        let mut parsed = Self::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "{line}"
                );
                parsed.types.insert(name.to_owned(), kind.to_owned());
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            assert!(!line.starts_with('#'), "unexpected comment {line:?}");
            let (series, value) = line.rsplit_once(' ').expect("a sample and its value");
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
            };
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let inner = rest.strip_suffix('}').expect("labels end with }");
                    (name, parse_labels(inner))
                }
                None => (series, BTreeMap::new()),
            };
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':'),
                "bad metric name in {line}"
            );
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|base| parsed.types.get(*base).is_some_and(|t| t == "histogram"))
                })
                .unwrap_or(name);
            assert!(parsed.types.contains_key(family), "no # TYPE for {line}");
            parsed.samples.push((name.to_owned(), labels, value));
        }
        parsed
    }

    /// The sum of the samples named `name` whose labels include `labels` (0 if none).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }
}

/// `a="x",b="y\"z"` → {a: x, b: y"z}.
fn parse_labels(inner: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").expect("label=\"value\"");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a closing quote") {
                (_, '\\') => match chars.next().expect("an escaped character").1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        labels.insert(key.to_owned(), value);
        rest = after[end + 1..].trim_start_matches(',');
    }
    labels
}

#[test]
fn the_parser_reads_labels_escapes_and_histograms() {
    let text = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"1\",b=\"q\\\"uote\"} 3\n\
                # TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n";
    let parsed = Exposition::parse(text);
    assert_eq!(parsed.value("x_total", &[("b", "q\"uote")]), 3.0);
    assert_eq!(parsed.value("h_count", &[]), 2.0);
    assert_eq!(parsed.value("h_bucket", &[("le", "+Inf")]), 2.0);
    assert_eq!(parsed.value("missing", &[]), 0.0);
}

async fn scrape(addr: SocketAddr, token: Option<&str>) -> Exposition {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    let answer = request(addr, "GET", "/metrics", &headers, b"").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer.headers["content-type"].starts_with("text/plain; version=0.0.4"),
        "{answer:?}"
    );
    Exposition::parse(&answer.body)
}

fn envelope(payload: &[u8]) -> Vec<u8> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut body = format!(
        "{}\n{}\n",
        json!({ "event_id": id }),
        json!({ "type": "event", "length": payload.len() })
    )
    .into_bytes();
    body.extend_from_slice(payload);
    body.push(b'\n');
    body
}

fn event(message: &str) -> Vec<u8> {
    envelope(
        json!({ "message": message, "level": "error", "platform": "other" })
            .to_string()
            .as_bytes(),
    )
}

async fn ingest(server: &TestServer, body: &[u8]) -> u16 {
    let auth = format!(
        "Sentry sentry_key={}, sentry_version=7, sentry_client=metrics-test/1",
        server.public_key
    );
    let path = format!("/api/{}/envelope/", server.project_id);
    request(
        server.addr,
        "POST",
        &path,
        &[("X-Sentry-Auth", &auth)],
        body,
    )
    .await
    .status
}

#[tokio::test]
async fn counters_move_by_what_was_accepted_and_dropped() {
    let server = TestServer::start_with(|c| {
        c.rate_limits.events.key_per_minute = 5;
        c.metrics.token = Some(Secret::new(METRICS_TOKEN));
    })
    .await;
    let before = scrape(server.addr, Some(METRICS_TOKEN)).await;
    // Summed over categories (a message event is `default`, a refused one `error`).
    let outcome =
        |e: &Exposition, reason: &str| e.value("errata_outcomes_total", &[("reason", reason)]);
    let ingest_requests = |e: &Exposition, status: &str| {
        e.value(
            "errata_http_requests_total",
            &[("route", "ingest"), ("status", status)],
        )
    };

    // Three events stored, one unreadable, then more than the limit: refused.
    for i in 0..3 {
        assert_eq!(ingest(&server, &event(&format!("stored {i}"))).await, 200);
    }
    assert_eq!(ingest(&server, &envelope(b"{not json")).await, 400);
    let mut accepted = 3.0;
    let mut limited = 0.0;
    for i in 0..6 {
        match ingest(&server, &event(&format!("over the limit {i}"))).await {
            200 => accepted += 1.0,
            429 => limited += 1.0,
            other => panic!("unexpected status {other}"),
        }
    }
    // 9 events against 5 a minute: however slow the run, the limit bites.
    assert!(limited >= 1.0, "the limit of 5 per minute did not bite");

    let after = scrape(server.addr, Some(METRICS_TOKEN)).await;
    assert_eq!(
        outcome(&after, "accepted") - outcome(&before, "accepted"),
        accepted
    );
    assert_eq!(
        outcome(&after, "invalid") - outcome(&before, "invalid"),
        1.0
    );
    assert_eq!(
        outcome(&after, "rate_limited") - outcome(&before, "rate_limited"),
        limited
    );
    assert_eq!(
        ingest_requests(&after, "2xx") - ingest_requests(&before, "2xx"),
        accepted
    );
    assert_eq!(
        ingest_requests(&after, "4xx") - ingest_requests(&before, "4xx"),
        1.0 + limited
    );
    // The first scrape was counted too, by the time of the second.
    assert!(
        after.value(
            "errata_http_requests_total",
            &[("route", "other"), ("status", "2xx")]
        ) >= 1.0
    );

    // Every stored event went through one commit and one batch; every request that
    // reached the worker pool was timed.
    let commits = after.value("errata_writer_commit_duration_seconds_count", &[]);
    assert!((1.0..=accepted).contains(&commits), "{commits} commits");
    assert_eq!(after.value("errata_writer_batch_events_sum", &[]), accepted);
    assert_eq!(
        after.value("errata_writer_batch_events_bucket", &[("le", "+Inf")]),
        commits
    );
    assert!(after.value("errata_ingest_processing_duration_seconds_count", &[]) >= accepted + 1.0);
    assert_eq!(
        after.value(
            "errata_http_request_duration_seconds_count",
            &[("route", "ingest")]
        ),
        10.0
    );

    // Nothing waits or is in flight now; the limits are the configuration's.
    assert_eq!(
        after.value("errata_queue_depth", &[("queue", "writer")]),
        0.0
    );
    assert_eq!(
        after.value("errata_queue_depth", &[("queue", "workers")]),
        0.0
    );
    assert_eq!(after.value("errata_ingest_in_flight_bytes", &[]), 0.0);
    assert_eq!(
        after.value("errata_ingest_in_flight_limit_bytes", &[]),
        server.state.config.limits.max_bytes_in_flight as f64
    );
    assert_eq!(
        after.value("errata_queue_capacity", &[("queue", "writer")]),
        server.state.config.queue.capacity as f64
    );
    // The database has a size, and its disk some room.
    assert!(after.value("errata_storage_bytes", &[]) > 0.0);
    assert!(after.value("errata_disk_size_bytes", &[]) > 0.0);
    assert_eq!(after.types["errata_outcomes_total"], "counter");
    assert_eq!(
        after.types["errata_writer_commit_duration_seconds"],
        "histogram"
    );
    server.stop().await;
}

#[tokio::test]
async fn metrics_want_a_token_on_the_main_listener_only() {
    let server = TestServer::start_with(|c| {
        c.metrics.token = Some(Secret::new(METRICS_TOKEN));
        c.metrics.bind = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    })
    .await;
    let get = |token: Option<String>| {
        let addr = server.addr;
        async move {
            let auth = token.map(|t| format!("Bearer {t}"));
            let headers: Vec<(&str, &str)> = auth
                .as_deref()
                .map(|a| vec![("Authorization", a)])
                .unwrap_or_default();
            request(addr, "GET", "/metrics", &headers, b"").await
        }
    };
    let refused = get(None).await;
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(refused.headers["www-authenticate"], "Bearer");
    assert_eq!(get(Some("not-a-token".into())).await.status, 401);
    assert_eq!(get(Some(METRICS_TOKEN.into())).await.status, 200);
    assert_eq!(get(Some(server.token.clone())).await.status, 200);

    // An API token without `org:read` is refused, one with only `org:read` accepted.
    let token_with = |scopes: Scopes| {
        server.store_call(move |store| {
            let owner = store.user_by_email("admin@errata.local").unwrap().id;
            store
                .create_token(&NewToken {
                    user_id: owner,
                    label: "scoped".into(),
                    scopes,
                })
                .unwrap()
                .secret
        })
    };
    let events_only = token_with([Scope::EventRead].into_iter().collect()).await;
    let denied = get(Some(events_only)).await;
    assert_eq!(denied.status, 403, "{denied:?}");
    assert!(denied.body.contains("org:read"), "{denied:?}");
    let org_read = token_with([Scope::OrgRead].into_iter().collect()).await;
    assert_eq!(get(Some(org_read)).await.status, 200);

    // The metrics listener wants nothing, and serves health too.
    let open = server.metrics_addr.expect("the metrics listener is bound");
    assert_ne!(open, server.addr);
    let exposition = scrape(open, None).await;
    assert!(exposition.types.contains_key("errata_queue_depth"));
    assert_eq!(request(open, "GET", "/healthz", &[], b"").await.status, 200);
    let ready = request(open, "GET", "/readyz", &[], b"").await;
    assert_eq!(ready.status, 200, "{ready:?}");
    // Only those: the rest of the server is not on this listener.
    assert_eq!(request(open, "GET", "/api/0/", &[], b"").await.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn readyz_lists_each_check_and_a_full_disk_is_not_ready() {
    let server = TestServer::start().await;
    let health = request(server.addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(
        (health.status, health.json()),
        (200, json!({ "status": "ok" }))
    );
    let ready = request(server.addr, "GET", "/readyz", &[], b"").await;
    assert_eq!(ready.status, 200, "{ready:?}");
    let body = ready.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["nodes"], 1);
    let states = |body: &Value| -> Vec<(String, String)> {
        body["checks"]
            .as_array()
            .expect("a list of checks")
            .iter()
            .map(|c| {
                assert!(c["detail"].as_str().is_some_and(|d| !d.is_empty()), "{c}");
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    assert_eq!(
        states(&body),
        pairs(&[
            ("writer", "ok"),
            ("store", "ok"),
            ("migrations", "ok"),
            ("disk", "ok")
        ])
    );
    server.stop().await;

    // No filesystem has this much room.
    let full = TestServer::start_with(|c| c.metrics.min_free_disk_bytes = u64::MAX).await;
    let ready = request(full.addr, "GET", "/readyz", &[], b"").await;
    assert_eq!(ready.status, 503, "{ready:?}");
    let body = ready.json();
    assert_eq!(body["status"], "not ready");
    assert_eq!(
        states(&body),
        pairs(&[
            ("writer", "ok"),
            ("store", "ok"),
            ("migrations", "ok"),
            ("disk", "failing")
        ])
    );
    full.stop().await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let server = TestServer::start().await;
    let given = request(
        server.addr,
        "GET",
        "/healthz",
        &[("X-Request-Id", "lb-7f3a.42:1")],
        b"",
    )
    .await;
    assert_eq!(given.headers["x-request-id"], "lb-7f3a.42:1");
    // Unsafe or overlong ids are replaced by one of ours.
    let long = "x".repeat(65);
    for bad in ["<script>", long.as_str()] {
        let answer = request(
            server.addr,
            "GET",
            "/healthz",
            &[("X-Request-Id", bad)],
            b"",
        )
        .await;
        let id = &answer.headers["x-request-id"];
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }
    // Each request its own; errors and ingest too.
    let a = request(server.addr, "GET", "/nothing", &[], b"").await;
    let b = request(server.addr, "POST", "/api/1/envelope/", &[], b"{}").await;
    assert_eq!(a.status, 404);
    assert_ne!(a.headers["x-request-id"], b.headers["x-request-id"]);
    server.stop().await;
}

#[tokio::test]
async fn alert_deliveries_are_counted_by_channel_and_result() {
    let server =
        TestServer::start_with(|c| c.metrics.token = Some(Secret::new(METRICS_TOKEN))).await;
    // A Slack channel nothing listens for: the attempt fails and will be retried.
    let created = server
        .call(
            axum::http::Method::POST,
            &server.project_path("/alert-channels/"),
            Some(&json!({"kind": "slack", "target": "http://127.0.0.1:9/services/X"}).to_string()),
        )
        .await;
    assert_eq!(
        created.status,
        axum::http::StatusCode::CREATED,
        "{created:?}"
    );
    server.send_scenario("python/exception_simple").await;
    let started = std::time::Instant::now();
    loop {
        let exposition = scrape(server.addr, Some(METRICS_TOKEN)).await;
        let retried = exposition.value(
            "errata_alert_deliveries_total",
            &[("channel", "slack"), ("result", "retry")],
        );
        if retried >= 1.0 {
            assert_eq!(
                exposition.value("errata_alert_deliveries_total", &[("result", "delivered")]),
                0.0
            );
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no delivery attempt counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn retention_deletions_and_project_storage_are_exported() {
    let server = TestServer::start_with(|c| {
        c.metrics.token = Some(Secret::new(METRICS_TOKEN));
        c.retention.project_max_events = Some(3);
        c.retention.period_secs = 1;
        c.retention.pause_ms = 0;
    })
    .await;
    for i in 0..6 {
        assert_eq!(
            ingest(&server, &event(&format!("kept or not {i}"))).await,
            200
        );
    }
    let project = server.project_id.to_string();
    let deleted = |e: &Exposition| {
        e.value(
            "errata_retention_deleted_events_total",
            &[("reason", "project_limit")],
        )
    };
    let mut exposition = scrape(server.addr, Some(METRICS_TOKEN)).await;
    let start = std::time::Instant::now();
    while deleted(&exposition) < 3.0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "retention did not delete 3 events: {:?}",
            exposition.samples
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        exposition = scrape(server.addr, Some(METRICS_TOKEN)).await;
    }
    assert_eq!(deleted(&exposition), 3.0);
    assert!(
        exposition
            .types
            .iter()
            .any(|(k, v)| k.starts_with("errata_retention_deleted_events") && v == "counter"),
        "{:?}",
        exposition.types
    );
    assert_eq!(
        exposition.value("errata_project_events", &[("project_id", &project)]),
        3.0
    );
    assert!(exposition.value("errata_project_stored_bytes", &[("project_id", &project)]) > 0.0);
    assert!(exposition.value("errata_storage_live_bytes", &[]) > 0.0);
    assert_eq!(exposition.value("errata_storage_budget_bytes", &[]), 0.0);
}
