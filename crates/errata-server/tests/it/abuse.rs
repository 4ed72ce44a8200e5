//! Ingest under attack, in process, over real sockets: the deadlines of the connection
//! layer (slow headers, slow bodies, idle keep-alive), the key checked before any body
//! byte is read, the byte budget, and rate limits for attachments and user reports. The
//! process-level attacks with the official Python SDK live in `errata-cli`'s `hostile`
//! test binary.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::TestServer;

/// What a raw exchange got back.
#[derive(Debug)]
struct Answer {
    status: Option<u16>,
    text: String,
    took: Duration,
}

/// Writes `head` then `body`, then reads until the server answers or closes (at most
/// `wait`).
async fn exchange(server: &TestServer, head: &str, body: &[u8], wait: Duration) -> Answer {
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    if !body.is_empty() {
        let _ = stream.write_all(body).await;
    }
    read_answer(&mut stream, wait, started).await
}

async fn read_answer(stream: &mut TcpStream, wait: Duration, started: Instant) -> Answer {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let _ = tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head.lines().find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        });
                        if length.is_some_and(|n| body.len() >= n) {
                            break;
                        }
                    }
                }
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok());
    Answer {
        status,
        text,
        took: started.elapsed(),
    }
}

fn head(server: &TestServer, key: &str, length: usize) -> String {
    format!(
        "POST /api/{}/envelope/ HTTP/1.1\r\nHost: {}\r\nX-Sentry-Auth: Sentry sentry_key={key}, sentry_version=7\r\nContent-Length: {length}\r\n\r\n",
        server.project_id, server.addr
    )
}

/// Sends a whole envelope with the server's key over a socket; waits at most 5 s.
async fn send_whole(server: &TestServer, body: &[u8]) -> Answer {
    let key = server.public_key.clone();
    exchange(
        server,
        &head(server, &key, body.len()),
        body,
        Duration::from_secs(5),
    )
    .await
}

/// Opens a request announcing `declared` body bytes and sends only `sent` of them.
async fn partial_request(server: &TestServer, declared: usize, sent: &[u8]) -> TcpStream {
    let key = server.public_key.clone();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(head(server, &key, declared).as_bytes())
        .await
        .unwrap();
    stream.write_all(sent).await.unwrap();
    stream
}

/// Polls `done` every 20 ms for at most 2 s; true when it held.
async fn eventually(done: impl Fn() -> bool) -> bool {
    for _ in 0..100 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

fn event_envelope(message: &str) -> Vec<u8> {
    let payload = json!({"message": message, "level": "error"}).to_string();
    format!("{{}}\n{{\"type\":\"event\"}}\n{payload}\n").into_bytes()
}

#[tokio::test]
async fn an_unknown_key_is_refused_before_any_body_byte() {
    let server = TestServer::start().await;
    // 5 MB announced, nothing sent: the answer comes from the head alone.
    let head = head(&server, "0123456789abcdef0123456789abcdef", 5_000_000);
    let answer = exchange(&server, &head, b"", Duration::from_secs(5)).await;
    assert_eq!(answer.status, Some(401), "{answer:?}");
    assert!(answer.text.contains("unknown DSN public key"), "{answer:?}");
    assert!(answer.took < Duration::from_secs(2), "{answer:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_body_without_auth_in_the_head_gets_a_small_limit() {
    let server = TestServer::start_with(|c| c.limits.max_unauthenticated_bytes = 1000).await;
    let head = format!(
        "POST /api/{}/envelope/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
        server.project_id
    );
    let answer = exchange(&server, &head, b"", Duration::from_secs(5)).await;
    assert_eq!(answer.status, Some(413), "{answer:?}");
    assert!(answer.text.contains("without auth"), "{answer:?}");
    // The same envelope with the DSN in its header and within the limit is stored.
    let dsn = format!(
        "http://{}@errata.test/{}",
        server.public_key, server.project_id
    );
    let body =
        format!("{{\"dsn\":\"{dsn}\"}}\n{{\"type\":\"event\"}}\n{{\"message\":\"tunnelled\"}}\n");
    let head = format!(
        "POST /api/{}/envelope/ HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        server.project_id,
        body.len()
    );
    let answer = exchange(&server, &head, body.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(answer.status, Some(200), "{answer:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_slow_body_gets_408_and_gives_its_bytes_back() {
    let server = TestServer::start_with(|c| {
        c.http.body_grace_secs = 1;
        c.http.min_body_rate = 1000;
    })
    .await;
    let key = server.public_key.clone();
    let head = head(&server, &key, 10_000);
    let answer = exchange(&server, &head, &[b'{'; 10], Duration::from_secs(10)).await;
    assert_eq!(answer.status, Some(408), "{answer:?}");
    assert!(answer.text.contains("bytes per second"), "{answer:?}");
    assert!(answer.took < Duration::from_secs(4), "{answer:?}");
    let budget = &server.state.budget;
    assert!(eventually(|| budget.available() == budget.total()).await);
    server.stop().await;
}

#[tokio::test]
async fn the_byte_budget_refuses_with_503_and_recovers() {
    let server = TestServer::start_with(|c| {
        c.limits.max_request_bytes = 20_000;
        c.limits.max_bytes_in_flight = 20_000;
    })
    .await;
    // A body that has sent 19,000 of its 19,500 bytes holds them.
    let holder = partial_request(&server, 19_500, &vec![b' '; 19_000]).await;
    let budget = &server.state.budget;
    assert!(
        eventually(|| budget.available() <= 1_000).await,
        "{}",
        budget.available()
    );
    let body = event_envelope(&"does not fit ".repeat(200));
    let answer = send_whole(&server, &body).await;
    assert_eq!(answer.status, Some(503), "{answer:?}");
    assert!(
        answer.text.to_ascii_lowercase().contains("retry-after"),
        "{answer:?}"
    );
    drop(holder);
    assert!(eventually(|| budget.available() == budget.total()).await);
    let answer = send_whole(&server, &body).await;
    assert_eq!(answer.status, Some(200), "{answer:?}");
    server.stop().await;
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    let server = TestServer::start_with(|c| {
        c.http.header_timeout_secs = 1;
        c.http.keep_alive_secs = 1;
    })
    .await;
    // Half a request line, then nothing.
    let started = Instant::now();
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"POST /api/1/env").await.unwrap();
    let answer = read_answer(&mut slow, Duration::from_secs(10), started).await;
    assert!(answer.took < Duration::from_secs(4), "{answer:?}");
    assert!(matches!(answer.status, None | Some(408)), "{answer:?}");

    // One request, then idle: closed after the keep-alive timeout.
    let key = server.public_key.clone();
    let body = event_envelope("keep-alive");
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(head(&server, &key, body.len()).as_bytes())
        .await
        .unwrap();
    idle.write_all(&body).await.unwrap();
    let first = read_answer(&mut idle, Duration::from_secs(5), Instant::now()).await;
    assert_eq!(first.status, Some(200), "{first:?}");
    let started = Instant::now();
    let mut rest = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(10), idle.read(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0) | Err(_))), "{closed:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

/// Posts an envelope through the router (no socket).
async fn post(server: &TestServer, body: Vec<u8>) -> (u16, Option<String>, Value) {
    let request = axum::http::Request::post(format!("/api/{}/envelope/", server.project_id))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={}, sentry_version=7", server.public_key),
        )
        .body(axum::body::Body::from(body))
        .unwrap();
    let reply = server.raw(request).await;
    let limits = reply.header("x-sentry-rate-limits").map(str::to_owned);
    let json = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    (reply.status.as_u16(), limits, json)
}

#[tokio::test]
async fn attachments_and_user_reports_are_rate_limited() {
    let server = TestServer::start_with(|c| {
        c.rate_limits.attachment_bytes.key_per_minute = 1_000;
        c.rate_limits.user_reports.key_per_minute = 2;
    })
    .await;
    let with_attachment = |message: &str| {
        let mut body = event_envelope(message);
        body.extend_from_slice(
            b"{\"type\":\"attachment\",\"length\":800,\"filename\":\"a.txt\"}\n",
        );
        body.extend_from_slice(&[b'a'; 800]);
        body.push(b'\n');
        body
    };
    let (status, limits, _) = post(&server, with_attachment("first")).await;
    assert_eq!((status, limits), (200, None));
    // The second attachment is over the byte limit: the event is stored, the
    // attachment dropped, and the SDK told to hold attachments back.
    let (status, limits, answer) = post(&server, with_attachment("second")).await;
    assert_eq!(status, 200, "{answer}");
    let limits = limits.expect("a rate-limits header");
    assert!(limits.contains(":attachment:key"), "{limits}");
    let id: errata_store::Uuid = answer["id"].as_str().unwrap().parse().unwrap();
    let project = errata_store::ProjectId(server.project_id);
    let (event, attachments) = server
        .store_call(move |store| (store.event(project, id), store.attachments(project, id)))
        .await;
    assert!(event.is_ok());
    assert!(attachments.unwrap().is_empty());

    let report = |n: usize| {
        let id = errata_store::Uuid::new_v4().simple().to_string();
        format!(
            "{{}}\n{{\"type\":\"user_report\"}}\n{{\"event_id\":\"{id}\",\"name\":\"n{n}\",\"email\":\"a@b.c\",\"comments\":\"broken\"}}\n"
        )
        .into_bytes()
    };
    for n in 0..2 {
        let (status, _, answer) = post(&server, report(n)).await;
        assert_eq!(status, 200, "{answer}");
    }
    let (status, limits, answer) = post(&server, report(3)).await;
    assert_eq!(status, 429, "{answer}");
    assert!(limits.unwrap().contains(":feedback:key"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn client_reports_cannot_poison_outcomes() {
    let server = TestServer::start().await;
    for round in 0..20 {
        let discarded: Vec<Value> = (0..100)
            .map(|i| {
                json!({
                    "reason": format!("made_up_{round}_{i}"),
                    "category": format!("cat_{i}"),
                    "quantity": 4_611_686_018_427_387_904u64 + i,
                })
            })
            .collect();
        let report = json!({"timestamp": 1_800_000_000, "discarded_events": discarded}).to_string();
        let body = format!("{{}}\n{{\"type\":\"client_report\"}}\n{report}\n").into_bytes();
        let (status, _, answer) = post(&server, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    // A commit writes the counters.
    let (status, _, _) = post(&server, event_envelope("flush")).await;
    assert_eq!(status, 200);
    let project = errata_store::ProjectId(server.project_id);
    let counts = server
        .store_call(move |store| store.outcomes(project, 0))
        .await
        .unwrap();
    let discards: Vec<_> = counts
        .iter()
        .filter(|c| c.reason.starts_with("client_discard"))
        .collect();
    assert_eq!(discards.len(), 1, "{counts:?}");
    assert_eq!(discards[0].reason, "client_discard:other");
    assert_eq!(discards[0].category, "unknown");
    // 2,000 entries clamped to 2^32 each.
    assert_eq!(discards[0].quantity, 2_000 * (1u64 << 32));
    server.stop().await;
}

#[tokio::test]
async fn a_graceful_shutdown_waits_at_most_its_deadline() {
    let server = TestServer::start_with(|c| {
        c.http.shutdown_timeout_secs = 1;
        c.http.min_body_rate = 0;
    })
    .await;
    // A request whose body never ends (no minimum rate): only the deadline ends it.
    let _stuck = partial_request(&server, 100_000, b"{").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("the server stops within its shutdown deadline");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}
