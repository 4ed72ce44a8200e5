//! Panics: friendly 500 and exactly one event with the user's frame on top; `re_panic`; panics
//! while streaming the body, in spawned tasks, and under a second layer or sentry's own hook.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use errata_tower::sentry_core::protocol::Level;
use errata_tower::sentry_core::{ClientOptions, Hub};
use errata_tower::{ErrataLayer, Options, Outcome};
use http_body::Frame;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::{assert_no_leak, get as get_req, hub_with, layered, recording, send};

#[inline(never)]
fn compute_discount(code: &str) -> u32 {
    if code.len() < 100 {
        panic!("discount table corrupted for {code}");
    }
    0
}

async fn panicking_handler() -> String {
    compute_discount("SPRING").to_string()
}

fn top_in_app_function(ev: &errata_tower::sentry_core::protocol::Event<'static>) -> String {
    let st = ev.exception.values[0]
        .stacktrace
        .as_ref()
        .expect("stacktrace");
    st.frames
        .iter()
        .rev()
        .find(|f| f.in_app != Some(false))
        .and_then(|f| f.function.clone())
        .unwrap_or_default()
}

async fn panic_gives_friendly_500_and_one_event() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/panic", get(panicking_handler)),
        &hub,
        Options::new(),
    );
    let (res, body) = send(&app, get_req("/panic")).await;
    assert_eq!(res.status(), 500);
    assert_no_leak(&body, &["discount table", "SPRING", "compute_discount"]);
    let events = transport.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    let ev = &events[0];
    assert_eq!(ev.level, Level::Fatal);
    let exc = &ev.exception.values[0];
    assert_eq!(exc.ty, "panic");
    assert_eq!(
        exc.value.as_deref(),
        Some("discount table corrupted for SPRING")
    );
    assert_eq!(exc.mechanism.as_ref().unwrap().handled, Some(false));
    assert!(
        top_in_app_function(ev).ends_with("compute_discount"),
        "top in-app frame: {}",
        top_in_app_function(ev)
    );
    // Trimmed: the newest frame of all is the user's, not the hook, std's panicking or the SDK.
    let newest = exc.stacktrace.as_ref().unwrap().frames.last().unwrap();
    assert!(
        newest
            .function
            .as_deref()
            .unwrap()
            .ends_with("compute_discount"),
        "newest frame: {:?}",
        newest.function
    );
    let header = res.headers()["x-sentry-event"].to_str().unwrap();
    assert_eq!(header, ev.event_id.simple().to_string());
    assert!(body.contains(header), "event id in the friendly body");
    let outcome = res.extensions().get::<Outcome>().unwrap();
    assert_eq!(
        outcome.panic.as_ref().unwrap().message,
        "discount table corrupted for SPRING"
    );
    assert_eq!(outcome.event_id, Some(ev.event_id));
}

#[tokio::test(flavor = "current_thread")]
async fn panic_on_current_thread_runtime() {
    panic_gives_friendly_500_and_one_event().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_on_multi_thread_runtime() {
    panic_gives_friendly_500_and_one_event().await;
}

/// Runs the panic test in a child process with `RUST_BACKTRACE` pinned to each value: the
/// capture must not depend on it.
#[test]
fn panic_stack_does_not_depend_on_rust_backtrace() {
    let exe = std::env::current_exe().unwrap();
    for value in ["0", "1", "full"] {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "panics::panic_on_current_thread_runtime",
                "--test-threads=1",
            ])
            .env("RUST_BACKTRACE", value)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "RUST_BACKTRACE={value}: {stdout}");
        assert!(
            stdout.contains("1 passed"),
            "RUST_BACKTRACE={value}: {stdout}"
        );
    }
}

#[tokio::test]
async fn json_clients_get_a_json_friendly_body() {
    let (_transport, hub) = recording();
    let app = layered(
        Router::new().route("/panic", get(panicking_handler)),
        &hub,
        Options::new(),
    );
    let req = http::Request::get("/panic")
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap();
    let (res, body) = send(&app, req).await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "Internal Server Error");
    assert_no_leak(&body, &["discount table"]);
}

#[tokio::test]
async fn re_panic_resumes_the_same_payload_after_capturing() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route(
            "/panic",
            get(|| async {
                std::panic::panic_any(String::from("original payload"));
                #[allow(unreachable_code)]
                ""
            }),
        ),
        &hub,
        Options::new().re_panic(true),
    );
    let joined = tokio::spawn(async move { app.oneshot(get_req("/panic")).await }).await;
    let payload = joined.unwrap_err().into_panic();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("original payload")
    );
    let events = transport.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("original payload")
    );
}

#[tokio::test]
async fn stacked_layers_report_once() {
    let (transport, hub) = recording();
    let inner = layered(
        Router::new().route("/panic", get(panicking_handler)),
        &hub,
        Options::new().re_panic(true),
    );
    let app = inner.layer(ErrataLayer::new(Options::new().hub(hub.clone())));
    let (res, body) = send(&app, get_req("/panic")).await;
    assert_eq!(res.status(), 500);
    assert_no_leak(&body, &["discount"]);
    assert_eq!(transport.events().len(), 1);
    let id = transport.events()[0].event_id.simple().to_string();
    assert_eq!(res.headers()["x-sentry-event"].to_str().unwrap(), id);
}

#[tokio::test]
async fn sentrys_own_panic_integration_does_not_double_report() {
    let transport = crate::support::RecordingTransport::new(crate::support::FlushMode::Instant);
    // Installs sentry-panic's hook (chained once per process) before the layer exists.
    let hub = hub_with(
        &transport,
        ClientOptions::new().add_integration(sentry::integrations::panic::PanicIntegration::new()),
    );
    let app = layered(
        Router::new().route("/panic", get(panicking_handler)),
        &hub,
        Options::new(),
    );
    let (res, _) = send(&app, get_req("/panic")).await;
    assert_eq!(res.status(), 500);
    assert_eq!(transport.events().len(), 1, "{:#?}", transport.events());
}

/// A response body that yields one chunk, then panics.
struct PanickyBody {
    sent: bool,
}

impl http_body::Body for PanickyBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.sent {
            panic!("stream generator failed");
        }
        self.sent = true;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"first chunk")))))
    }
}

#[tokio::test]
async fn panic_while_streaming_ends_the_body_with_an_error_and_reports_once() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route(
            "/stream",
            get(|| async { Body::new(PanickyBody { sent: false }) }),
        ),
        &hub,
        Options::new(),
    );
    let res = app.oneshot(get_req("/stream")).await.unwrap();
    assert_eq!(res.status(), 200, "headers were already sent");
    let err = res.into_body().collect().await.unwrap_err();
    assert!(err.to_string().contains("errata-tower"), "{err}");
    let events = transport.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("stream generator failed")
    );
}

#[tokio::test]
async fn spawn_carries_the_request_hub_and_reports_task_panics() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route(
            "/bg",
            get(|| async {
                Hub::current().configure_scope(|s| s.set_tag("order", "77"));
                let carried = errata_tower::spawn(async {
                    panic!("background job failed");
                });
                let plain = tokio::spawn(async {
                    Hub::current().configure_scope(|s| s.set_tag("plain", "1"));
                });
                let carried = carried.await;
                plain.await.unwrap();
                assert!(carried.unwrap_err().is_panic());
                "done"
            }),
        ),
        &hub,
        Options::new(),
    );
    let (res, _) = send(&app, get_req("/bg")).await;
    assert_eq!(res.status(), 200);
    let events = transport.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].tags.get("order").map(String::as_str), Some("77"));
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("background job failed")
    );
    assert!(!events[0].tags.contains_key("plain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_blocking_carries_the_request_hub_and_reports_panics() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route(
            "/crunch",
            get(|| async {
                Hub::current().configure_scope(|s| s.set_tag("report", "q3"));
                let ok = errata_tower::spawn_blocking(|| {
                    Hub::current().configure_scope(|s| s.set_tag("rows", "12"));
                    12
                });
                assert_eq!(ok.await.unwrap(), 12);
                let failed = errata_tower::spawn_blocking(|| -> u32 {
                    panic!("spreadsheet export failed");
                });
                assert!(failed.await.unwrap_err().is_panic());
                let plain = tokio::task::spawn_blocking(|| {
                    Hub::current().configure_scope(|s| s.set_tag("plain", "1"));
                });
                plain.await.unwrap();
                "done"
            }),
        ),
        &hub,
        Options::new(),
    );
    let (res, _) = send(&app, get_req("/crunch")).await;
    assert_eq!(res.status(), 200);
    let events = transport.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].tags.get("report").map(String::as_str), Some("q3"));
    // The first task's tag stayed in its own child hub.
    assert!(!events[0].tags.contains_key("rows"));
    assert!(!events[0].tags.contains_key("plain"));
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("spreadsheet export failed")
    );
}

struct Branded;

impl errata_tower::Responder for Branded {
    fn panic_response(
        &self,
        _accept: Option<&http::HeaderValue>,
        event_id: Option<errata_tower::sentry_core::types::Uuid>,
    ) -> http::Response<http_body_util::Full<Bytes>> {
        let body = format!(
            "Sorry! Quote {}",
            event_id.map(|id| id.to_string()).unwrap_or_default()
        );
        http::Response::builder()
            .status(503)
            .body(http_body_util::Full::new(Bytes::from(body)))
            .unwrap()
    }
}

#[tokio::test]
async fn the_friendly_body_is_customizable() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/panic", get(panicking_handler)),
        &hub,
        Options::new().responder(Branded),
    );
    let (res, body) = send(&app, get_req("/panic")).await;
    assert_eq!(res.status(), 503);
    let id = transport.events()[0].event_id;
    assert_eq!(body, format!("Sorry! Quote {id}"));
    assert_eq!(res.extensions().get::<Outcome>().unwrap().status, 503);
}

/// Run only in a fresh child process (see below): puts a sentry-panic-like hook *on top of* the
/// layer's (the wrong order: `sentry::init` after the layer), which reports every panic on the
/// active hub, and checks that `prepare_client_options` still gives exactly one event.
#[tokio::test]
#[ignore = "run in a child process by sentry_panic_on_top_is_deduplicated_in_a_fresh_process"]
async fn child_sentry_panic_on_top_of_the_layer_hook() {
    let transport = crate::support::RecordingTransport::new(crate::support::FlushMode::Instant);
    let hub = hub_with(
        &transport,
        errata_tower::prepare_client_options(ClientOptions::new()),
    );
    let app = layered(
        Router::new().route("/panic", get(panicking_handler)),
        &hub,
        Options::new(),
    );
    let next = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let event =
            sentry::integrations::panic::PanicIntegration::new().event_from_panic_info(info);
        Hub::current().capture_event(event);
        next(info);
    }));
    let (res, _) = send(&app, get_req("/panic")).await;
    assert_eq!(res.status(), 500);
    let events = transport.events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(top_in_app_function(&events[0]).ends_with("compute_discount"));
}

#[test]
fn sentry_panic_on_top_is_deduplicated_in_a_fresh_process() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "panics::child_sentry_panic_on_top_of_the_layer_hook",
            "--ignored",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}
