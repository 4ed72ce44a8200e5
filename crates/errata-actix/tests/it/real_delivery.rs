//! Real delivery: the official `sentry` HTTP transport (ureq) posts the envelope to a loopback
//! Sentry envelope endpoint (a real actix `HttpServer` stood up in the test), which decodes and
//! records it; and the delivery wait against a server that accepts and never answers.

use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use actix_web::test::init_service;
use actix_web::{App, web};
use errata_actix::Errata;
use errata_tower::Options;
use errata_tower::sentry_core::{ClientOptions, Envelope, Hub, Scope};

use crate::support::{get, send, serve};

fn panic_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/panic",
        web::get().to(|| async {
            if true {
                panic!("checkout crashed");
            }
            ""
        }),
    );
}

fn sentry_hub(port: u16) -> Arc<Hub> {
    let options = sentry::apply_defaults(
        ClientOptions::new().dsn(&format!("http://public@127.0.0.1:{port}/42")),
    );
    Arc::new(Hub::new(
        Some(Arc::new(sentry::Client::from(options))),
        Arc::new(Scope::default()),
    ))
}

#[test]
fn the_sentry_http_transport_delivers_the_panic_event_to_an_envelope_endpoint() {
    let (tx, rx) = mpsc::channel::<Envelope>();
    let tx = Arc::new(Mutex::new(tx));
    let endpoint = serve(
        move |cfg| {
            let tx = tx.clone();
            cfg.route(
                "/api/{project}/envelope/",
                web::post().to(move |body: web::Bytes| {
                    let tx = tx.clone();
                    async move {
                        let envelope = Envelope::from_slice(&body).expect("a valid envelope");
                        tx.lock().unwrap().send(envelope).unwrap();
                        "{}"
                    }
                }),
            );
        },
        None,
    );
    let hub = sentry_hub(endpoint.port());
    let res = actix_web::rt::System::new().block_on(async {
        let app = init_service(
            App::new().configure(panic_routes).wrap(Errata::new(
                Options::new()
                    .hub(hub)
                    .wait_for_delivery(true)
                    .send_request(true),
            )),
        )
        .await;
        send(&app, get("/panic")).await
    });
    assert_eq!(res.status, 500);
    assert_eq!(res.outcome.as_ref().unwrap().delivered, Some(true));
    let envelope = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("an envelope arrives");
    let event = envelope.event().expect("an event item");
    assert_eq!(
        res.header("x-sentry-event"),
        Some(event.event_id.simple().to_string().as_str())
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

#[test]
fn the_wait_is_bounded_when_the_sentry_server_never_answers() {
    let hub = sentry_hub(black_hole());
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let res = actix_web::rt::System::new().block_on(async {
        let app = init_service(
            App::new().configure(panic_routes).wrap(Errata::new(
                Options::new()
                    .hub(hub.clone())
                    .wait_for_delivery(true)
                    .timeout(timeout),
            )),
        )
        .await;
        send(&app, get("/panic")).await
    });
    let elapsed = started.elapsed();
    assert_eq!(res.status, 500);
    assert!(
        elapsed < timeout + Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(res.outcome.unwrap().delivered, Some(false));
    // The ureq transport has no read timeout: dropping the client would join its worker, which
    // waits on the black hole forever. Leak it instead (the process exits anyway).
    std::mem::forget(hub);
}
