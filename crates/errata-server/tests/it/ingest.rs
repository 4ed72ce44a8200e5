//! Ingest as SDKs see it: every auth form and encoding, the legacy store endpoint, path
//! prefixes, CORS, size and rate limits, back-pressure from a full writer queue, and what
//! ends up stored (attachments, scrubbed data, outcomes).

use std::io::Write as _;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use base64::Engine as _;
use errata_server::AppState;
use errata_server::config::Config;
use errata_store::{NewProject, ProjectId, Store, Uuid};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

struct TestServer {
    data_dir: std::path::PathBuf,
    state: AppState,
    router: Router,
    key: String,
    project: i64,
    _store: crate::support::TestStore,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start(tune: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        tune(&mut config);
        let (server, store) = crate::support::start_server(config).await.unwrap();
        let state = server.state().clone();
        let dsn = server.welcome().dsn.clone();
        let key = dsn
            .split("://")
            .nth(1)
            .unwrap()
            .split('@')
            .next()
            .unwrap()
            .to_owned();
        let project = dsn.rsplit('/').next().unwrap().parse().unwrap();
        let router = errata_server::router::router(state.clone());
        Self {
            data_dir: dir.path().to_owned(),
            state,
            router,
            key,
            project,
            _store: store,
            _dir: dir,
        }
    }

    /// Runs `f` on the store from a plain thread (the `PostgreSQL` store may not be
    /// called from an async context; blocking this test's runtime meanwhile is fine).
    fn with_store<T: Send>(&self, f: impl FnOnce(&dyn Store) -> T + Send) -> T {
        let store = self.state.store.as_ref();
        std::thread::scope(|scope| {
            scope
                .spawn(|| f(store))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
        let response: Response<Body> = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, headers, body)
    }

    fn auth(&self) -> String {
        format!(
            "Sentry sentry_key={}, sentry_version=7, sentry_client=test/1.0",
            self.key
        )
    }

    fn post(&self, path: &str) -> http::request::Builder {
        Request::post(path).header("x-sentry-auth", self.auth())
    }

    /// Stored event by id (polls nothing: a 200 means committed).
    fn stored(&self, id: &str) -> Value {
        let id = Uuid::parse_str(id).unwrap();
        let event = self
            .with_store(|store| store.event(ProjectId(self.project), id))
            .unwrap();
        serde_json::from_slice(&event.payload).unwrap()
    }
}

fn envelope(event: &Value) -> String {
    let payload = event.to_string();
    format!(
        "{{}}\n{{\"type\":\"event\",\"length\":{}}}\n{payload}\n",
        payload.len()
    )
}

fn simple_event(message: &str) -> Value {
    json!({"event_id": Uuid::new_v4().simple().to_string(), "message": message, "level": "error"})
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn every_auth_form_is_accepted() {
    let server = TestServer::start(|_| {}).await;
    let path = format!("/api/{}/envelope/", server.project);
    let event = simple_event("auth forms");
    // X-Sentry-Auth.
    let (status, _, body) = server
        .send(
            server
                .post(&path)
                .body(Body::from(envelope(&event)))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], event["event_id"]);
    // Authorization: Sentry ...
    let request = Request::post(&path)
        .header("authorization", server.auth())
        .body(Body::from(envelope(&simple_event("authorization"))))
        .unwrap();
    assert_eq!(server.send(request).await.0, StatusCode::OK);
    // The query string, as browser and Node SDKs do (no content type, no auth header).
    let request = Request::post(format!(
        "{path}?sentry_key={}&sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0",
        server.key
    ))
    .body(Body::from(envelope(&simple_event("query"))))
    .unwrap();
    assert_eq!(server.send(request).await.0, StatusCode::OK);
    // The envelope header's dsn (tunnels).
    let dsn = server.state.dsn(&server.key, server.project);
    let event = simple_event("tunnel");
    let payload = event.to_string();
    let body = format!("{}\n{{\"type\":\"event\"}}\n{payload}", json!({"dsn": dsn}));
    let (status, _, body) = server
        .send(Request::post(&path).body(Body::from(body)).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        server.stored(event["event_id"].as_str().unwrap())["logentry"]["formatted"],
        "tunnel"
    );
}

#[tokio::test]
async fn auth_failures_are_distinct() {
    let server = TestServer::start(|_| {}).await;
    let path = format!("/api/{}/envelope/", server.project);
    let body = || Body::from(envelope(&simple_event("x")));
    let (status, _, detail) = server
        .send(Request::post(&path).body(body()).unwrap())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(detail["detail"], "missing authorization information");
    let both = Request::post(format!("{path}?sentry_key={}", server.key))
        .header("x-sentry-auth", server.auth())
        .body(body())
        .unwrap();
    let (status, _, detail) = server.send(both).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        detail["detail"].as_str().unwrap().contains("multiple"),
        "{detail}"
    );
    let v8 = Request::post(&path)
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={}, sentry_version=8", server.key),
        )
        .body(body())
        .unwrap();
    let (status, _, detail) = server.send(v8).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        detail["detail"].as_str().unwrap().contains("version 8"),
        "{detail}"
    );
    let unknown = Request::post(&path)
        .header(
            "x-sentry-auth",
            "Sentry sentry_key=0123456789abcdef0123456789abcdef",
        )
        .body(body())
        .unwrap();
    let (status, _, detail) = server.send(unknown).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(detail["detail"], "unknown DSN public key");
    let missing_project = server.post("/api/999/envelope/").body(body()).unwrap();
    let (status, _, detail) = server.send(missing_project).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(detail["detail"], "project 999 does not exist");
    // The key of project 1 on another existing project's path.
    let (other, _) = server
        .with_store(|store| {
            store.create_project(&NewProject {
                organization_id: store.organizations()?[0].id,
                slug: "other".into(),
                name: "Other".into(),
                platform: None,
            })
        })
        .unwrap();
    let wrong = server
        .post(&format!("/api/{}/envelope/", other.id.0))
        .body(body())
        .unwrap();
    let (status, _, detail) = server.send(wrong).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{detail}");
}

#[tokio::test]
async fn every_encoding_is_decoded() {
    let server = TestServer::start(|_| {}).await;
    let path = format!("/api/{}/envelope/", server.project);
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let mut raw_deflate =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    for (name, encode) in [
        (
            "gzip",
            Box::new(|d: &[u8]| gzip(d)) as Box<dyn Fn(&[u8]) -> Vec<u8>>,
        ),
        ("zstd", Box::new(|d: &[u8]| zstd::encode_all(d, 3).unwrap())),
        (
            "br",
            Box::new(|d: &[u8]| {
                let mut out = Vec::new();
                brotli::BrotliCompress(
                    &mut &d[..],
                    &mut out,
                    &brotli::enc::BrotliEncoderParams::default(),
                )
                .unwrap();
                out
            }),
        ),
        ("", Box::new(<[u8]>::to_vec)),
        ("UTF-8", Box::new(<[u8]>::to_vec)),
    ] {
        let event = simple_event(&format!("encoded with {name:?}"));
        let request = server
            .post(&path)
            .header("content-encoding", name)
            .body(Body::from(encode(envelope(&event).as_bytes())))
            .unwrap();
        let (status, _, body) = server.send(request).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
    }
    let data = envelope(&simple_event("zlib"));
    deflate.write_all(data.as_bytes()).unwrap();
    raw_deflate.write_all(data.as_bytes()).unwrap();
    for body in [deflate.finish().unwrap(), raw_deflate.finish().unwrap()] {
        let request = server
            .post(&path)
            .header("content-encoding", "deflate")
            .body(Body::from(body))
            .unwrap();
        assert_eq!(server.send(request).await.0, StatusCode::OK);
    }
    let truncated = gzip(envelope(&simple_event("cut")).as_bytes());
    let request = server
        .post(&path)
        .header("content-encoding", "gzip")
        .body(Body::from(truncated[..truncated.len() / 2].to_vec()))
        .unwrap();
    let (status, _, body) = server.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("gzip"), "{body}");
}

#[tokio::test]
async fn legacy_store_bodies_and_path_prefixes() {
    let server = TestServer::start(|_| {}).await;
    let store_path = format!("/api/{}/store/", server.project);
    let event = simple_event("legacy json");
    let request = server
        .post(&store_path)
        .header("content-type", "application/json")
        .body(Body::from(event.to_string()))
        .unwrap();
    let (status, _, body) = server.send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], event["event_id"]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(simple_event("base64").to_string());
    assert_eq!(
        server
            .send(server.post(&store_path).body(Body::from(b64)).unwrap())
            .await
            .0,
        StatusCode::OK
    );
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(simple_event("zlib base64").to_string().as_bytes())
        .unwrap();
    let zb64 = base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap());
    assert_eq!(
        server
            .send(server.post(&store_path).body(Body::from(zb64)).unwrap())
            .await
            .0,
        StatusCode::OK
    );
    for path in [
        format!("/sentry/api/{}/envelope/", server.project),
        format!("/api/{}/envelope", server.project),
        format!("//api//{}//envelope/", server.project),
    ] {
        let request = server
            .post(&path)
            .body(Body::from(envelope(&simple_event(&path))))
            .unwrap();
        let (status, _, body) = server.send(request).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (status, _, body) = server
        .send(Request::get("/nowhere").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (StatusCode::NOT_FOUND, Some("not found"))
    );
}

#[tokio::test]
async fn cors_for_browser_sdks() {
    let server = TestServer::start(|_| {}).await;
    let path = format!("/api/{}/envelope/", server.project);
    let preflight = Request::options(&path)
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = server.send(preflight).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("x-sentry-auth")
    );
    let (_, headers, _) = server
        .send(Request::post(&path).body(Body::from("{}\n")).unwrap())
        .await;
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(
        headers["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("x-sentry-rate-limits")
    );
}

#[tokio::test]
async fn size_limits_answer_413() {
    let server = TestServer::start(|c| {
        c.limits.max_event_bytes = 2_000;
        c.limits.max_request_bytes = 50_000;
        c.limits.max_envelope_bytes = 100_000;
        c.limits.max_attachment_bytes = 5;
    })
    .await;
    let path = format!("/api/{}/envelope/", server.project);
    let big_event = simple_event(&"x".repeat(5_000));
    let (status, _, body) = server
        .send(
            server
                .post(&path)
                .body(Body::from(envelope(&big_event)))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let huge = vec![b'a'; 60_000];
    let (status, _, body) = server
        .send(
            server
                .post(&path)
                .header("content-length", huge.len())
                .body(Body::from(huge))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("50000"), "{body}");
    // A small gzip body that inflates past the envelope limit.
    let bomb = gzip(&vec![b'\n'; 1_000_000]);
    let (status, _, body) = server
        .send(
            server
                .post(&path)
                .header("content-encoding", "gzip")
                .body(Body::from(bomb))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // An oversized attachment is dropped; the event is kept.
    let event = simple_event("with a big attachment");
    let mut body = envelope(&event);
    body.push_str("{\"type\":\"attachment\",\"length\":10,\"filename\":\"a.txt\"}\n0123456789\n");
    let (status, _, reply) = server
        .send(server.post(&path).body(Body::from(body)).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let id = Uuid::parse_str(event["event_id"].as_str().unwrap()).unwrap();
    assert!(
        server
            .with_store(|store| store.attachments(ProjectId(server.project), id))
            .unwrap()
            .is_empty()
    );
    server.stored(event["event_id"].as_str().unwrap());
}

#[tokio::test]
async fn rate_limits_answer_429_with_protocol_headers() {
    let server = TestServer::start(|c| c.rate_limits.events.key_per_minute = 2).await;
    let path = format!("/api/{}/envelope/", server.project);
    for _ in 0..2 {
        let request = server
            .post(&path)
            .body(Body::from(envelope(&simple_event("ok"))))
            .unwrap();
        assert_eq!(server.send(request).await.0, StatusCode::OK);
    }
    let request = server
        .post(&path)
        .body(Body::from(envelope(&simple_event("limited"))))
        .unwrap();
    let (status, headers, body) = server.send(request).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        headers["x-sentry-rate-limits"].to_str().unwrap(),
        format!("{retry}:error;default;security:key")
    );
    // Sessions are not events: they still go through.
    let session = "{}\n{\"type\":\"session\"}\n{\"sid\":\"x\",\"status\":\"ok\"}\n";
    assert_eq!(
        server
            .send(server.post(&path).body(Body::from(session)).unwrap())
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_and_loses_nothing_acknowledged() {
    if !crate::support::sqlite_only("it blocks the writer by holding the SQLite file's write lock")
    {
        return;
    }
    let server = TestServer::start(|c| {
        c.queue.capacity = 1;
        c.queue.max_batch = 1;
    })
    .await;
    // Hold SQLite's write lock from another connection: the writer blocks on its first job.
    let lock = rusqlite::Connection::open(server.data_dir.join("errata.sqlite3")).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let path = format!("/api/{}/envelope/", server.project);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let event = simple_event(&format!("queued {i}"));
        let request = server
            .post(&path)
            .body(Body::from(envelope(&event)))
            .unwrap();
        let router = server.router.clone();
        tasks.push(tokio::spawn(async move {
            (event, router.oneshot(request).await.unwrap())
        }));
        tokio::task::yield_now().await;
    }
    // Refusals come back at once, while the lock is held (the writer waits up to its
    // 5 s busy timeout). One job is in the writer and one fits the queue: wait for the
    // other 18 answers, then release the lock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while tasks.iter().filter(|t| t.is_finished()).count() < 18
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (done, pending): (Vec<_>, Vec<_>) = tasks
        .into_iter()
        .partition(tokio::task::JoinHandle::is_finished);
    let mut refused = 0;
    for task in done {
        let (_, response) = task.await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
        refused += 1;
    }
    // One job in the blocked writer (unless it had not taken one yet) and one in the queue.
    assert!(
        (18..=19).contains(&refused),
        "{refused} of 20 refused; expected all but one or two"
    );
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    // Everything still waiting is committed and acknowledged, and stored.
    for task in pending {
        let (event, response) = task.await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        server.stored(event["event_id"].as_str().unwrap());
    }
    let request = server
        .post(&path)
        .body(Body::from(envelope(&simple_event("after"))))
        .unwrap();
    assert_eq!(server.send(request).await.0, StatusCode::OK);
}

#[tokio::test]
async fn sensitive_data_is_scrubbed_before_it_is_written() {
    let server = TestServer::start(|_| {}).await;
    let path = format!("/api/{}/envelope/", server.project);
    let event = json!({
        "event_id": Uuid::new_v4().simple().to_string(),
        "message": "payment failed",
        "request": {
            "url": "https://shop.example/pay",
            "headers": {"Authorization": "Bearer live-token-1", "Cookie": "sessionid=s3cr3t", "Accept": "*/*"},
            "cookies": "sessionid=s3cr3t; theme=dark",
            "data": {"card": "4111 1111 1111 1111", "password": "hunter2", "amount": 12}
        },
        "extra": {"api_key": "k-123", "note": "card 5500-0055-5555-5559 declined"},
    });
    let request = server
        .post(&path)
        .body(Body::from(envelope(&event)))
        .unwrap();
    assert_eq!(server.send(request).await.0, StatusCode::OK);
    let stored = server.stored(event["event_id"].as_str().unwrap());
    let text = stored.to_string();
    for secret in [
        "live-token-1",
        "s3cr3t",
        "4111 1111",
        "hunter2",
        "k-123",
        "5500-0055",
    ] {
        assert!(!text.contains(secret), "{secret} was stored: {text}");
    }
    assert_eq!(stored["request"]["data"]["amount"], 12);
    assert_eq!(
        stored["request"]["cookies"],
        json!([["sessionid", "[Filtered]"], ["theme", "dark"]])
    );
    let scrubbed_off = TestServer::start(|c| c.scrub_data = false).await;
    let path = format!("/api/{}/envelope/", scrubbed_off.project);
    let request = scrubbed_off
        .post(&path)
        .body(Body::from(envelope(&event)))
        .unwrap();
    assert_eq!(scrubbed_off.send(request).await.0, StatusCode::OK);
    assert!(
        scrubbed_off
            .stored(event["event_id"].as_str().unwrap())
            .to_string()
            .contains("hunter2")
    );
}

/// A corpus request rewritten for this server's key and project.
fn corpus_request(server: &TestServer, captured: &errata_corpus::CapturedRequest) -> Request<Body> {
    let path = captured
        .path
        .replace("/api/7/", &format!("/api/{}/", server.project));
    let mut builder = Request::post(path);
    for (name, value) in &captured.headers {
        if ["host", "content-length"].contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        builder = builder.header(name, value.replace(errata_corpus::PUBLIC_KEY, &server.key));
    }
    builder.body(Body::from(captured.body.clone())).unwrap()
}

#[tokio::test]
async fn corpus_items_are_stored_scrubbed_and_counted() {
    let server = TestServer::start(|_| {}).await;
    for captured in errata_corpus::load() {
        let (status, _, body) = server.send(corpus_request(&server, &captured)).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", captured.name);
    }
    let project = ProjectId(server.project);
    // Flask request data keeps its shape (pair lists, canonical header names).
    let flask = errata_corpus::scenario("python/flask_request");
    let (_, envelope) = flask[0].decode().unwrap();
    let id = envelope.event_id().unwrap().0;
    let stored = server.stored(&id.simple().to_string());
    assert_eq!(
        stored["request"]["headers"][0],
        json!(["Authorization", "[Filtered]"])
    );
    assert_eq!(
        stored["request"]["query_string"],
        json!([["expand", "items"]])
    );
    // The attachment arrived with its event.
    let attachment = errata_corpus::scenario("python/attachment");
    let id = attachment[0].decode().unwrap().1.event_id().unwrap().0;
    let attachments = server
        .with_store(|store| store.attachments(project, id))
        .unwrap();
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    // The SDK's own drops (before_send) are counted from its client report.
    let outcomes = server
        .with_store(|store| store.outcomes(project, 0))
        .unwrap();
    assert!(
        outcomes
            .iter()
            .any(|o| o.reason.starts_with("client_discard:")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.reason == "accepted"),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.reason == "not_stored"),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn outcomes_count_what_was_committed() {
    let server = TestServer::start(|_| {}).await;
    let path = format!("/api/{}/envelope/", server.project);
    let event = simple_event("sent twice");
    for _ in 0..2 {
        let request = server
            .post(&path)
            .body(Body::from(envelope(&event)))
            .unwrap();
        assert_eq!(server.send(request).await.0, StatusCode::OK);
    }
    // The writer writes the counters before it answers: they are visible with the 200.
    let outcomes = server
        .with_store(|store| store.outcomes(ProjectId(server.project), 0))
        .unwrap();
    let count = |reason: &str| {
        outcomes
            .iter()
            .filter(|o| o.reason == reason)
            .map(|o| o.quantity)
            .sum::<u64>()
    };
    assert_eq!(
        (count("accepted"), count("duplicate")),
        (1, 1),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn scrubbing_is_a_per_project_setting() {
    let server = TestServer::start(|_| {}).await;
    let path = format!("/api/{}/envelope/", server.project);
    let token = server
        .with_store(|store| {
            store.create_token(&errata_store::NewToken {
                user_id: errata_store::UserId(1),
                label: "t".into(),
                scopes: errata_store::Scopes::all(),
            })
        })
        .unwrap()
        .secret;
    let put = |body: &str| {
        Request::put("/api/0/projects/errata/default/")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let (status, _, project) = server.send(put(r#"{"dataScrubber": false}"#)).await;
    assert_eq!(status, StatusCode::OK, "{project}");
    assert_eq!(project["dataScrubber"], false);
    let event =
        json!({"event_id": Uuid::new_v4().simple().to_string(), "extra": {"password": "hunter2"}});
    let request = server
        .post(&path)
        .body(Body::from(envelope(&event)))
        .unwrap();
    assert_eq!(server.send(request).await.0, StatusCode::OK);
    assert_eq!(
        server.stored(event["event_id"].as_str().unwrap())["extra"]["password"],
        "hunter2"
    );
    let (status, _, body) = server.send(put(r#"{"dataScrubber": "maybe"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = server.send(put(r#"{"slug": "x"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        server.send(put(r#"{"dataScrubber": true}"#)).await.0,
        StatusCode::OK
    );
    let event =
        json!({"event_id": Uuid::new_v4().simple().to_string(), "extra": {"password": "hunter2"}});
    let request = server
        .post(&path)
        .body(Body::from(envelope(&event)))
        .unwrap();
    assert_eq!(server.send(request).await.0, StatusCode::OK);
    assert_eq!(
        server.stored(event["event_id"].as_str().unwrap())["extra"]["password"],
        "[Filtered]"
    );
}
