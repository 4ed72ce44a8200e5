//! Hostile and broken input against a real `errata serve` with small limits: each test
//! accepts one good event first, sends the bad input, and checks the status and that the
//! `detail` names the problem, that the server still runs and answers, that its peak RSS
//! (`VmHWM`) stayed under [`MAX_RSS_MIB`], and that the good event is still stored.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::mpsc;

use errata_store::Uuid;
use serde_json::json;

use crate::harness::{DEADLINE, Reply, ServerProcess, event_envelope, message_event, post};

/// A generous bound on the server's peak resident memory.
const MAX_RSS_MIB: u64 = 300;
const MAX_REQUEST_BYTES: usize = 4 << 20;
const MAX_ENVELOPE_BYTES: usize = 16 << 20;
const MAX_EVENT_BYTES: usize = 4 << 20;

/// A server with small limits and one accepted event.
struct Fixture {
    server: ServerProcess,
    before: Uuid,
    _dir: tempfile::TempDir,
}

impl Fixture {
    fn start() -> Self {
        Self::start_with(&[])
    }

    fn start_with(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (request, envelope, event) = (
            MAX_REQUEST_BYTES.to_string(),
            MAX_ENVELOPE_BYTES.to_string(),
            MAX_EVENT_BYTES.to_string(),
        );
        let mut env = vec![
            ("ERRATA_MAX_REQUEST_BYTES", request.as_str()),
            ("ERRATA_MAX_ENVELOPE_BYTES", envelope.as_str()),
            ("ERRATA_MAX_EVENT_BYTES", event.as_str()),
        ];
        env.extend_from_slice(extra);
        let server = ServerProcess::start_with(&dir.path().join("data"), &env);
        let before = server.send_event("accepted before the bad input");
        Self {
            server,
            before,
            _dir: dir,
        }
    }

    /// Asserts the answer, then that the server is unharmed.
    fn check(&mut self, reply: &Reply, status: u16, words: &[&str]) {
        assert_eq!(reply.status, status, "{reply:?}");
        let detail = reply.detail().to_lowercase();
        assert!(
            reply.header("x-sentry-error").is_some(),
            "no X-Sentry-Error header: {reply:?}"
        );
        assert!(
            words.iter().any(|w| detail.contains(w)),
            "the detail {detail:?} names none of {words:?}"
        );
        self.assert_unharmed();
    }

    fn assert_unharmed(&mut self) {
        self.server.assert_healthy(MAX_RSS_MIB);
        assert!(
            self.server.stored().event(self.before).is_some(),
            "the event accepted before was lost"
        );
        // And it still accepts events.
        self.server.send_event("accepted after the bad input");
    }

    fn send(&self, body: &[u8], extra: &[(&str, &str)]) -> Reply {
        let auth = self.server.auth();
        let mut headers = vec![
            ("X-Sentry-Auth", auth.as_str()),
            ("Content-Type", "application/x-sentry-envelope"),
        ];
        headers.extend_from_slice(extra);
        post(&self.server.envelope_url(), &headers, body)
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A valid gzip stream of 1 GiB of zeros (about 1 MiB): one deflate segment of 1 MiB of
/// zeros, sync-flushed to a byte boundary, repeated 1024 times (its back-references only
/// ever see zeros), then an empty final block and the real trailer.
fn zip_bomb() -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
    let mut segment = Vec::with_capacity(1 << 16);
    compress
        .compress_vec(&zeros, &mut segment, flate2::FlushCompress::Sync)
        .unwrap();
    assert_eq!(
        compress.total_in(),
        1 << 20,
        "the segment holds all the zeros"
    );
    let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    for _ in 0..1024 {
        bomb.extend_from_slice(&segment);
    }
    bomb.extend_from_slice(&[0x03, 0x00]);
    // CRC-32 of 2^30 zero bytes, and the size modulo 2^32.
    bomb.extend_from_slice(&0x5b64_c2b0_u32.to_le_bytes());
    bomb.extend_from_slice(&(1u32 << 30).to_le_bytes());
    bomb
}

#[test]
fn zip_bomb_is_refused_without_inflating_it() {
    let bomb = zip_bomb();
    assert!(bomb.len() < MAX_REQUEST_BYTES, "{} bytes", bomb.len());
    // It is a real bomb: the first 32 MiB inflate to zeros.
    let mut head = vec![0u8; 32 << 20];
    flate2::read::GzDecoder::new(&bomb[..])
        .read_exact(&mut head)
        .expect("the bomb inflates");
    assert!(head.iter().all(|b| *b == 0));
    drop(head);
    let mut fixture = Fixture::start();
    let reply = fixture.send(&bomb, &[("Content-Encoding", "gzip")]);
    fixture.check(&reply, 413, &["decompressed body exceeded the size limit"]);
}

#[test]
fn declared_oversized_body_is_refused_before_reading() {
    let mut fixture = Fixture::start();
    let mut stream = TcpStream::connect(fixture.server.addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let head = format!(
        "POST /api/{}/envelope/ HTTP/1.1\r\nHost: {}\r\nX-Sentry-Auth: {}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        fixture.server.project_id,
        fixture.server.addr,
        fixture.server.auth(),
        300u64 << 20
    );
    stream.write_all(head.as_bytes()).unwrap();
    // Not one byte of the body is sent: the answer must come anyway.
    let reply = read_reply(&mut stream);
    fixture.check(&reply, 413, &["size limit of 4194304 bytes"]);
}

#[test]
fn endless_chunked_body_is_refused_early() {
    const TOTAL: usize = 200 << 20;
    const CHUNK: usize = 64 << 10;
    let mut fixture = Fixture::start();
    let mut stream = TcpStream::connect(fixture.server.addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.set_write_timeout(Some(DEADLINE)).unwrap();
    let head = format!(
        "POST /api/{}/envelope/ HTTP/1.1\r\nHost: {}\r\nX-Sentry-Auth: {}\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        fixture.server.project_id,
        fixture.server.addr,
        fixture.server.auth(),
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(read_reply(&mut reader));
    });
    let chunk = {
        let mut chunk = format!("{CHUNK:x}\r\n").into_bytes();
        chunk.extend(std::iter::repeat_n(b'x', CHUNK));
        chunk.extend_from_slice(b"\r\n");
        chunk
    };
    let mut sent = 0;
    let mut answered_at = None;
    while sent < TOTAL {
        if stream.write_all(&chunk).is_err() {
            break;
        }
        sent += CHUNK;
        if let Ok(reply) = rx.try_recv() {
            answered_at = Some((sent, reply));
            break;
        }
    }
    let (sent_before_answer, reply) = match answered_at {
        Some(answer) => answer,
        None => (
            sent,
            rx.recv_timeout(DEADLINE)
                .expect("no answer to the endless body"),
        ),
    };
    assert!(
        sent_before_answer < TOTAL,
        "the server read all {TOTAL} bytes before answering"
    );
    drop(stream);
    fixture.check(&reply, 413, &["size limit of 4194304 bytes"]);
}

/// Reads one HTTP/1.1 answer (with `Content-Length` or until EOF).
fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let mut body_start = None;
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        if body_start.is_none() {
            body_start = data
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|p| p + 4);
        }
        if let Some(start) = body_start {
            let head = String::from_utf8_lossy(&data[..start]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if length.is_some_and(|length| data.len() >= start + length) {
                break;
            }
        }
    }
    let start = body_start
        .unwrap_or_else(|| panic!("no HTTP answer: {:?}", String::from_utf8_lossy(&data)));
    let head = String::from_utf8_lossy(&data[..start]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&data[start..]).into_owned(),
        raw: data[start..].to_vec(),
    }
}

#[test]
fn invalid_utf8_is_a_400() {
    let mut fixture = Fixture::start();
    let id = Uuid::new_v4().simple().to_string();
    let payload = [
        format!(r#"{{"event_id":"{id}","message":"bad "#).as_bytes(),
        &[0xff, 0xfe, 0xc3, 0x28][..],
        br#" bytes","level":"error"}"#,
    ]
    .concat();
    let mut body = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n",
        payload.len()
    )
    .into_bytes();
    body.extend_from_slice(&payload);
    let reply = fixture.send(&body, &[]);
    fixture.check(&reply, 400, &["unicode", "utf-8"]);
}

#[test]
fn json_nested_ten_thousand_levels_is_stored_cut() {
    let mut fixture = Fixture::start();
    let id = Uuid::new_v4();
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let payload = format!(
        r#"{{"event_id":"{}","message":"deep","extra":{{"deep":{deep}}}}}"#,
        id.simple()
    );
    let body = format!(
        "{{\"event_id\":\"{}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n{payload}\n",
        id.simple(),
        payload.len()
    );
    let reply = fixture.send(body.as_bytes(), &[]);
    assert_eq!(reply.status, 200, "{reply:?}");
    // Stored, with the too-deep part replaced and the cut recorded.
    let stored = fixture.server.stored().wait_event(id);
    assert_eq!(stored.payload["message"], "deep");
    let errors = stored.payload["errors"].to_string();
    assert!(errors.contains("64"), "{errors}");
    fixture.assert_unharmed();
}

#[test]
fn event_with_100_000_frames_is_stored_with_bounded_frames() {
    let mut fixture = Fixture::start();
    let id = Uuid::new_v4();
    let frames: Vec<_> = (0..100_000).map(|_| json!({ "function": "f" })).collect();
    let mut event = message_event(id, "very deep recursion");
    event["exception"] = json!({ "values": [{
        "type": "RecursionError",
        "value": "maximum recursion depth exceeded",
        "stacktrace": { "frames": frames },
    }]});
    let body = event_envelope(&event);
    assert!(body.len() < MAX_EVENT_BYTES, "{} bytes", body.len());
    let reply = fixture.send(&body, &[]);
    assert_eq!(reply.status, 200, "{reply:?}");
    let stored = fixture.server.stored().wait_event(id);
    let kept = stored.payload["exception"]["values"][0]["stacktrace"]["frames"]
        .as_array()
        .map_or(0, Vec::len);
    assert!((1..=1000).contains(&kept), "{kept} frames kept of 100,000");
    assert_eq!(
        stored.issue.title,
        "RecursionError: maximum recursion depth exceeded"
    );
    fixture.assert_unharmed();
}

#[test]
fn item_length_beyond_the_body_is_a_400() {
    let mut fixture = Fixture::start();
    let id = Uuid::new_v4().simple().to_string();
    let body = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\",\"length\":1000000}}\n{{\"message\":\"short\"}}\n"
    );
    let reply = fixture.send(body.as_bytes(), &[]);
    fixture.check(&reply, 400, &["declares length 1000000"]);
}

#[test]
fn truncated_gzip_is_a_400() {
    let mut fixture = Fixture::start();
    let body = event_envelope(&message_event(Uuid::new_v4(), &"x".repeat(10_000)));
    let compressed = gzip(&body);
    let truncated = &compressed[..compressed.len() / 2];
    let reply = fixture.send(truncated, &[("Content-Encoding", "gzip")]);
    fixture.check(&reply, 400, &["gzip"]);
}

#[test]
fn two_auth_sources_are_a_401() {
    let mut fixture = Fixture::start();
    let url = format!(
        "{}?sentry_key={}&sentry_version=7",
        fixture.server.envelope_url(),
        fixture.server.key
    );
    let body = event_envelope(&message_event(Uuid::new_v4(), "twice authenticated"));
    let reply = post(&url, &[("X-Sentry-Auth", &fixture.server.auth())], &body);
    fixture.check(&reply, 401, &["multiple"]);
}

#[test]
fn wrong_key_is_a_401() {
    let mut fixture = Fixture::start();
    let body = event_envelope(&message_event(Uuid::new_v4(), "wrong key"));
    let reply = post(
        &fixture.server.envelope_url(),
        &[(
            "X-Sentry-Auth",
            "Sentry sentry_key=00000000000000000000000000000000, sentry_version=7",
        )],
        &body,
    );
    fixture.check(&reply, 401, &["unknown dsn public key"]);
}

#[test]
fn key_of_another_project_is_a_403_and_unknown_project_a_404() {
    let mut fixture = Fixture::start();
    // `errata project create --json` beside the running server.
    let output = fixture
        .server
        .errata()
        .args(["project", "create", "Other Service", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(created["slug"], "other-service");
    let (other_key, other_project) =
        crate::harness::parse_dsn(created["dsn"].as_str().expect("a dsn"));
    assert_ne!(other_project, fixture.server.project_id);
    let body = event_envelope(&message_event(Uuid::new_v4(), "wrong project"));
    let reply = post(
        &fixture.server.envelope_url(),
        &[(
            "X-Sentry-Auth",
            &format!("Sentry sentry_key={other_key}, sentry_version=7"),
        )],
        &body,
    );
    fixture.check(&reply, 403, &["not a key of project"]);

    let reply = post(
        &fixture.server.url("/api/999999/envelope/"),
        &[("X-Sentry-Auth", &fixture.server.auth())],
        &body,
    );
    fixture.check(&reply, 404, &["project 999999 does not exist"]);

    // The other project's own key works on its own path.
    let id = Uuid::new_v4();
    let reply = post(
        &fixture
            .server
            .url(&format!("/api/{other_project}/envelope/")),
        &[(
            "X-Sentry-Auth",
            &format!("Sentry sentry_key={other_key}, sentry_version=7"),
        )],
        &event_envelope(&message_event(id, "right project")),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[test]
fn sentry_version_8_is_a_400() {
    let mut fixture = Fixture::start();
    let body = event_envelope(&message_event(Uuid::new_v4(), "from the future"));
    let reply = post(
        &fixture.server.envelope_url(),
        &[(
            "X-Sentry-Auth",
            &format!("Sentry sentry_key={}, sentry_version=8", fixture.server.key),
        )],
        &body,
    );
    fixture.check(&reply, 400, &["version 8"]);
}

#[test]
fn over_the_rate_limit_is_a_429_with_retry_after() {
    let mut fixture = Fixture::start_with(&[("ERRATA_RATE_LIMIT_KEY_PER_MINUTE", "3")]);
    let mut limited = None;
    for i in 0..10 {
        let reply = fixture.send(
            &event_envelope(&message_event(Uuid::new_v4(), &format!("burst {i}"))),
            &[],
        );
        if reply.status != 200 {
            limited = Some(reply);
            break;
        }
    }
    let reply = limited.expect("10 events in a row were accepted at 3 per minute");
    assert_eq!(reply.status, 429, "{reply:?}");
    assert!(reply.detail().contains("rate limited"), "{reply:?}");
    let retry_after: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {reply:?}"));
    assert!((1..=60).contains(&retry_after), "{reply:?}");
    let limits = reply
        .header("x-sentry-rate-limits")
        .unwrap_or_else(|| panic!("no X-Sentry-Rate-Limits: {reply:?}"));
    assert!(
        limits.starts_with(&format!("{retry_after}:")) && limits.contains("error"),
        "{limits}"
    );
    fixture.server.assert_healthy(MAX_RSS_MIB);
    assert!(fixture.server.stored().event(fixture.before).is_some());
}
