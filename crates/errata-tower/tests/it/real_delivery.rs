//! Real delivery: the official `sentry` HTTP transport (ureq) posts the envelope to a loopback
//! Sentry envelope endpoint stood up in the test, which decodes and records it; and the delivery
//! wait against a server that accepts and never answers.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use errata_tower::sentry_core::{ClientOptions, Envelope, Hub, Scope};
use errata_tower::{Options, Outcome};
use tokio::sync::mpsc;

use crate::support::{get as get_req, layered, send};

async fn receive(State(tx): State<mpsc::UnboundedSender<Envelope>>, body: Bytes) -> &'static str {
    let envelope = Envelope::from_slice(&body).expect("a valid envelope");
    tx.send(envelope).unwrap();
    "{}"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sentry_http_transport_delivers_the_panic_event_to_an_envelope_endpoint() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = Router::new()
        .route("/api/{project}/envelope/", post(receive))
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, server).await.unwrap() });

    // sentry's own HTTP transport, without `apply_defaults`' process-wide integrations (its
    // panic hook, the session flusher), which would tie this client to other tests.
    let options = ClientOptions::new()
        .dsn(&format!("http://public@127.0.0.1:{port}/42"))
        .transport(sentry::transports::DefaultTransportFactory);
    let client = Arc::new(sentry::Client::from(options));
    let hub = Arc::new(Hub::new(Some(client), Arc::new(Scope::default())));
    let app = layered(
        Router::new().route(
            "/panic",
            get(|| async {
                if true {
                    panic!("checkout crashed");
                }
                ""
            }),
        ),
        &hub,
        Options::new().wait_for_delivery(true).send_request(true),
    );
    let (res, _) = send(&app, get_req("/panic")).await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.extensions().get::<Outcome>().unwrap().delivered,
        Some(true)
    );
    let envelope = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an envelope arrives")
        .unwrap();
    let event = envelope.event().expect("an event item");
    assert_eq!(
        res.headers()["x-sentry-event"].to_str().unwrap(),
        event.event_id.simple().to_string()
    );
    assert_eq!(event.exception.values[0].ty, "panic");
    assert_eq!(
        event.exception.values[0].value.as_deref(),
        Some("checkout crashed")
    );
    assert_eq!(
        event.request.as_ref().unwrap().method.as_deref(),
        Some("GET")
    );
}

/// A server that accepts connections and never answers (a black hole).
fn black_hole() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    port
}

/// A hub whose client posts with sentry's own HTTP transport to a black hole, without
/// `apply_defaults`' process-wide integrations (its panic hook, the session flusher), which
/// would tie this client to other tests.
fn black_hole_hub(project: u32) -> Arc<Hub> {
    let port = black_hole();
    let options = ClientOptions::new()
        .dsn(&format!("http://public@127.0.0.1:{port}/{project}"))
        .transport(sentry::transports::DefaultTransportFactory);
    Arc::new(Hub::new(
        Some(Arc::new(sentry::Client::from(options))),
        Arc::new(Scope::default()),
    ))
}

/// One panicking request through the layer with `wait_for_delivery` and `timeout`: asserts a
/// 500 within `timeout` (plus a margin) and that delivery is reported as not done. The hub is
/// leaked afterwards: the plain ureq transport has no read timeout, so dropping the client
/// would join its worker, which waits on the black hole forever (the process exits anyway).
async fn assert_bounded_panic_wait(hub: Arc<Hub>, timeout: Duration) {
    let app = layered(
        Router::new().route(
            "/panic",
            get(|| async {
                if true {
                    panic!("checkout crashed");
                }
                ""
            }),
        ),
        &hub,
        Options::new().wait_for_delivery(true).timeout(timeout),
    );
    let started = std::time::Instant::now();
    let (res, _) = send(&app, get_req("/panic")).await;
    let elapsed = started.elapsed();
    assert_eq!(res.status(), 500);
    assert!(
        elapsed < timeout + Duration::from_millis(700),
        "{elapsed:?}"
    );
    assert_eq!(
        res.extensions().get::<Outcome>().unwrap().delivered,
        Some(false)
    );
    let flushed_at = std::time::Instant::now();
    assert!(!errata_tower::flush(&hub, timeout).await);
    assert!(flushed_at.elapsed() < timeout + Duration::from_millis(700));
    drop(app);
    std::mem::forget(hub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_is_bounded_when_the_sentry_server_never_answers() {
    assert_bounded_panic_wait(black_hole_hub(42), Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_is_bounded_when_the_transport_queue_is_full() {
    let hub = black_hole_hub(43);
    // The transport's worker is stuck on the first envelope; its bounded queue fills up
    // (sentry's holds 30) and later envelopes are dropped at the door.
    for i in 0..64 {
        hub.capture_message(&format!("backlog {i}"), sentry::Level::Info);
    }
    assert_bounded_panic_wait(hub, Duration::from_millis(300)).await;
}
