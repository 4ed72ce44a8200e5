//! Panics: a friendly 500 (text or JSON) and exactly one event with the user's frame on top and
//! the request data; `re_panic`; a panic in the inner service's `call`; stacked middleware; and
//! the friendly 500 as a real client receives it from `HttpServer`.

use actix_web::dev::Service;
use actix_web::test::{TestRequest, init_service};
use actix_web::{App, HttpResponse, web};
use errata_actix::Errata;
use errata_tower::Options;
use errata_tower::panic::CatchPanic;
use errata_tower::sentry_core::Hub;
use errata_tower::sentry_core::protocol::{Event, Level};

use crate::support::{assert_no_leak, get, raw_request, recording, send, serve};

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

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/panic", web::get().to(panicking_handler))
        .route("/ok", web::get().to(|| async { "ok" }));
}

fn top_in_app_function(ev: &Event<'static>) -> String {
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

#[actix_web::test]
async fn panic_gives_friendly_500_and_one_event_with_request_data() {
    let (transport, hub) = recording();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(Errata::new(Options::new().hub(hub).send_request(true))),
    )
    .await;
    let res = send(&app, get("/panic?coupon=SPRING")).await;
    assert_eq!(res.status, 500);
    assert_no_leak(&res.body, &["discount table", "compute_discount"]);
    let events = transport.fetch_and_clear_events();
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
    let frames = &exc.stacktrace.as_ref().unwrap().frames;
    let newest = frames.last().unwrap().function.as_deref().unwrap();
    assert!(newest.ends_with("compute_discount"), "newest: {newest}");
    assert!(
        frames.iter().any(|f| f
            .function
            .as_deref()
            .is_some_and(|f| f.contains("panicking_handler"))),
        "the handler is on the stack"
    );
    assert!(
        frames
            .iter()
            .filter(|f| f
                .function
                .as_deref()
                .is_some_and(|f| f.starts_with("actix_")))
            .all(|f| f.in_app == Some(false)),
        "actix frames are not in-app"
    );
    let request = ev.request.as_ref().expect("request data");
    assert_eq!(request.method.as_deref(), Some("GET"));
    assert!(request.url.as_ref().unwrap().as_str().ends_with("/panic"));
    assert_eq!(request.query_string.as_deref(), Some("coupon=SPRING"));

    let header = res.header("x-sentry-event").unwrap();
    assert_eq!(header, ev.event_id.simple().to_string());
    assert!(res.body.contains(header), "event id in the friendly body");
    let outcome = res.outcome.expect("outcome");
    assert_eq!(
        outcome.panic.as_ref().unwrap().message,
        "discount table corrupted for SPRING"
    );
    assert_eq!(outcome.event_id, Some(ev.event_id));
    assert_eq!(outcome.status, 500);

    // The worker is fine afterwards.
    assert_eq!(send(&app, get("/ok")).await.status, 200);
    assert!(transport.fetch_and_clear_events().is_empty());
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
                "panics::panic_gives_friendly_500_and_one_event_with_request_data",
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

#[actix_web::test]
async fn json_clients_get_a_json_friendly_body() {
    let (_transport, hub) = recording();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(Errata::new(Options::new().hub(hub))),
    )
    .await;
    let req = TestRequest::get()
        .uri("/panic")
        .insert_header(("accept", "application/json"))
        .to_request();
    let res = send(&app, req).await;
    assert_eq!(res.status, 500);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(json["error"], "Internal Server Error");
    assert_eq!(
        json["event_id"].as_str(),
        res.header("x-sentry-event"),
        "{json}"
    );
    assert_no_leak(&res.body, &["discount table"]);
}

#[actix_web::test]
async fn re_panic_resumes_the_same_payload_after_capturing() {
    let (transport, hub) = recording();
    let app = init_service(
        App::new()
            .route(
                "/panic",
                web::get().to(|| async {
                    std::panic::panic_any(String::from("original payload"));
                    #[allow(unreachable_code)]
                    ""
                }),
            )
            .wrap(Errata::new(Options::new().hub(hub).re_panic(true))),
    )
    .await;
    let caught = CatchPanic::new(app.call(get("/panic"))).await;
    let payload = caught.expect_err("the panic propagates").payload;
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("original payload")
    );
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("original payload")
    );
}

#[actix_web::test]
async fn stacked_middleware_reports_once() {
    let (transport, hub) = recording();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(Errata::new(Options::new().hub(hub.clone()).re_panic(true)))
            .wrap(Errata::new(Options::new().hub(hub))),
    )
    .await;
    let res = send(&app, get("/panic")).await;
    assert_eq!(res.status, 500);
    assert_no_leak(&res.body, &["discount"]);
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(
        res.header("x-sentry-event"),
        Some(events[0].event_id.simple().to_string().as_str())
    );
}

#[actix_web::test]
async fn a_panic_in_the_inner_services_call_is_caught() {
    let (transport, hub) = recording();
    let app = init_service(
        App::new()
            .configure(routes)
            // An inner middleware that panics synchronously, before any future exists.
            .wrap_fn(|req, srv| {
                if req.path() == "/ok" {
                    panic!("router state corrupted");
                }
                srv.call(req)
            })
            .wrap(Errata::new(Options::new().hub(hub))),
    )
    .await;
    let res = send(&app, get("/ok")).await;
    assert_eq!(res.status, 500);
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("router state corrupted")
    );
}

#[actix_web::test]
async fn handlers_run_with_the_request_hub_bound() {
    let (transport, hub) = recording();
    let app = init_service(
        App::new()
            .route(
                "/tagged",
                web::get().to(|| async {
                    Hub::current().configure_scope(|s| s.set_tag("cart", "42"));
                    compute_discount("X");
                    HttpResponse::Ok().finish()
                }),
            )
            .wrap(Errata::new(Options::new().hub(hub.clone()))),
    )
    .await;
    assert_eq!(send(&app, get("/tagged")).await.status, 500);
    let events = transport.fetch_and_clear_events();
    assert_eq!(events[0].tags.get("cart").map(String::as_str), Some("42"));
    // The tag stayed on the request's hub.
    hub.capture_message("after", Level::Info);
    assert!(transport.fetch_and_clear_events()[0].tags.is_empty());
}

/// Without the middleware a panicking actix handler just drops the connection; with it, a real
/// client gets the friendly 500 with the event id (actix renders the `RecoveredPanic` error).
#[test]
fn a_real_client_gets_the_friendly_500_from_http_server() {
    let (transport, hub) = recording();
    let addr = serve(routes, Some(Errata::new(Options::new().hub(hub))));
    let (status, headers, body) = raw_request(
        addr,
        "GET /panic HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 500, "{headers:?} {body}");
    assert!(body.starts_with("Internal Server Error"), "{body}");
    assert_no_leak(&body, &["discount"]);
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1);
    let id = events[0].event_id.simple().to_string();
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "x-sentry-event" && *v == id),
        "{headers:?}"
    );
    let (status, _, body) = raw_request(
        addr,
        "GET /ok HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((status, body.as_str()), (200, "ok"));
}

/// A stream that yields one chunk, then panics.
struct PanickingStream(u8);

impl futures_core::Stream for PanickingStream {
    type Item = Result<web::Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0 += 1;
        if self.0 > 1 {
            panic!("price feed closed mid-stream");
        }
        std::task::Poll::Ready(Some(Ok(web::Bytes::from_static(b"first chunk,"))))
    }
}

#[actix_web::test]
async fn a_panic_while_streaming_the_body_is_reported_once_and_ends_the_stream() {
    let (transport, hub) = recording();
    let app = init_service(
        App::new()
            .route(
                "/stream",
                web::get().to(|| async { HttpResponse::Ok().streaming(PanickingStream(0)) }),
            )
            .wrap(Errata::new(Options::new().hub(hub))),
    )
    .await;
    let res = app.call(get("/stream")).await.unwrap();
    assert_eq!(res.status(), 200);
    let err = actix_web::body::to_bytes(res.into_body())
        .await
        .expect_err("the stream ends with an error");
    assert!(
        err.downcast_ref::<errata_tower::LayerError>()
            .is_some_and(errata_tower::LayerError::is_body_panicked),
        "{err}"
    );
    let events = transport.fetch_and_clear_events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("price feed closed mid-stream")
    );
}
