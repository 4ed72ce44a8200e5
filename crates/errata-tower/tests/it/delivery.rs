//! `wait_for_delivery`: bounded by `timeout`, never blocking a runtime worker, skipped when no
//! event was sent; a dropping `before_send` or a failing transport never fails the request.
//! Wall-clock assertions only for the hard bound (a transport ignoring its timeout); elsewhere
//! the transport's flush is held open and released by the test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use errata_tower::sentry_core::ClientOptions;
use errata_tower::{Options, Outcome};

use crate::support::{
    FlushMode, RecordingTransport, assert_no_leak, get as get_req, hub_with, layered, send,
};

fn panic_app(
    transport: &Arc<RecordingTransport>,
    client: ClientOptions,
    options: Options,
) -> Router {
    let hub = hub_with(transport, client);
    layered(
        Router::new()
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("payment gateway exploded");
                    }
                    "unreachable"
                }),
            )
            .route("/ok", get(|| async { "ok" })),
        &hub,
        options,
    )
}

/// How far past `timeout` a bounded wait may return (scheduling on a loaded 2-core machine).
const MARGIN: Duration = Duration::from_millis(700);

/// Fails the test instead of hanging if the layer ever waits unboundedly.
async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("the request did not complete")
}

#[tokio::test]
async fn wait_is_bounded_by_the_timeout() {
    let transport = RecordingTransport::new(FlushMode::UntilReleased); // never released
    let timeout = Duration::from_millis(200);
    let app = panic_app(
        &transport,
        ClientOptions::new(),
        Options::new().wait_for_delivery(true).timeout(timeout),
    );
    let (res, _) = bounded(send(&app, get_req("/panic"))).await;
    assert_eq!(res.status(), 500);
    assert_eq!(transport.flushes(), vec![timeout]);
    assert_eq!(
        res.extensions().get::<Outcome>().unwrap().delivered,
        Some(false)
    );
}

#[tokio::test]
async fn wait_is_bounded_even_when_the_transport_ignores_the_timeout() {
    let transport = RecordingTransport::new(FlushMode::IgnoresTimeout);
    let timeout = Duration::from_millis(300);
    let app = panic_app(
        &transport,
        ClientOptions::new(),
        Options::new().wait_for_delivery(true).timeout(timeout),
    );
    let started = Instant::now();
    let (res, _) = bounded(send(&app, get_req("/panic"))).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < timeout + MARGIN, "{elapsed:?}");
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.extensions().get::<Outcome>().unwrap().delivered,
        Some(false)
    );

    let hub = hub_with(&transport, ClientOptions::new());
    let started = Instant::now();
    assert!(!errata_tower::flush(&hub, timeout).await);
    assert!(
        started.elapsed() < timeout + MARGIN,
        "{:?}",
        started.elapsed()
    );
    transport.release(); // let the stuck helper threads end
}

#[tokio::test(flavor = "current_thread")]
async fn waiting_does_not_block_a_current_thread_runtime() {
    let transport = RecordingTransport::new(FlushMode::UntilReleased);
    let app = panic_app(
        &transport,
        ClientOptions::new(),
        Options::new()
            .wait_for_delivery(true)
            .timeout(Duration::from_secs(30)),
    );
    let waiting = tokio::spawn({
        let app = app.clone();
        async move { send(&app, get_req("/panic")).await }
    });
    // Let the first request reach its flush (it yields to us only if the flush does not block).
    bounded(async {
        while transport.flushes().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let (res, body) = bounded(send(&app, get_req("/ok"))).await;
    assert_eq!((res.status().as_u16(), body.as_str()), (200, "ok"));
    assert!(
        !waiting.is_finished(),
        "the first request is still waiting for delivery"
    );
    transport.release();
    let (res, _) = bounded(waiting).await.unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(
        res.extensions().get::<Outcome>().unwrap().delivered,
        Some(true)
    );
}

#[tokio::test]
async fn no_wait_when_the_option_is_off_or_nothing_was_captured() {
    let transport = RecordingTransport::new(FlushMode::Instant);
    let app = panic_app(&transport, ClientOptions::new(), Options::new());
    send(&app, get_req("/panic")).await;
    assert!(transport.flushes().is_empty());
    assert_eq!(transport.events().len(), 1);

    let transport = RecordingTransport::new(FlushMode::Instant);
    let app = panic_app(
        &transport,
        ClientOptions::new(),
        Options::new().wait_for_delivery(true),
    );
    send(&app, get_req("/ok")).await;
    assert!(transport.flushes().is_empty());
}

#[tokio::test]
async fn zero_timeout_means_two_seconds() {
    let transport = RecordingTransport::new(FlushMode::Instant);
    let app = panic_app(
        &transport,
        ClientOptions::new(),
        Options::new()
            .wait_for_delivery(true)
            .timeout(Duration::ZERO),
    );
    send(&app, get_req("/panic")).await;
    assert_eq!(transport.flushes(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn before_send_dropping_the_event_means_no_event_no_wait_no_header() {
    let transport = RecordingTransport::new(FlushMode::UntilReleased);
    let app = panic_app(
        &transport,
        ClientOptions::new().before_send(|_| None),
        Options::new()
            .wait_for_delivery(true)
            .timeout(Duration::from_secs(30)),
    );
    let (res, body) = bounded(send(&app, get_req("/panic"))).await;
    assert_eq!(res.status(), 500);
    assert_no_leak(&body, &["payment gateway"]);
    assert!(transport.events().is_empty());
    assert!(transport.flushes().is_empty());
    assert!(res.headers().get("x-sentry-event").is_none());
    assert_eq!(res.extensions().get::<Outcome>().unwrap().event_id, None);
}

#[tokio::test]
async fn a_failing_transport_never_fails_the_request() {
    let transport = RecordingTransport::new(FlushMode::Fail);
    let app = panic_app(
        &transport,
        ClientOptions::new(),
        Options::new().wait_for_delivery(true),
    );
    let (res, body) = bounded(send(&app, get_req("/panic"))).await;
    assert_eq!(res.status(), 500);
    assert!(body.starts_with("Internal Server Error"));
    assert_eq!(
        res.extensions().get::<Outcome>().unwrap().delivered,
        Some(false)
    );
    let (res, _) = bounded(send(&app, get_req("/ok"))).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn re_panic_resumes_only_after_the_delivery_wait() {
    let transport = RecordingTransport::new(FlushMode::Instant);
    let app = panic_app(
        &transport,
        ClientOptions::new(),
        Options::new().wait_for_delivery(true).re_panic(true),
    );
    let joined = bounded(tokio::spawn(
        async move { send(&app, get_req("/panic")).await },
    ))
    .await;
    let payload = joined.unwrap_err().into_panic();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"payment gateway exploded")
    );
    assert_eq!(transport.events().len(), 1);
    assert_eq!(transport.flushes().len(), 1, "flushed before resuming");
}

#[tokio::test]
async fn flush_at_shutdown_drains_through_the_transport() {
    let transport = RecordingTransport::new(FlushMode::Instant);
    let hub = hub_with(&transport, ClientOptions::new());
    hub.capture_message("shutting down", errata_tower::sentry_core::Level::Info);
    assert!(errata_tower::flush(&hub, Duration::from_secs(1)).await);
    assert_eq!(transport.flushes(), vec![Duration::from_secs(1)]);
    assert_eq!(transport.events().len(), 1);

    let failing = RecordingTransport::new(FlushMode::Fail);
    let hub = hub_with(&failing, ClientOptions::new());
    assert!(!errata_tower::flush(&hub, Duration::from_secs(1)).await);

    let no_client = errata_tower::sentry_core::Hub::new(None, Arc::default());
    assert!(!errata_tower::flush(&no_client, Duration::from_secs(1)).await);
}
