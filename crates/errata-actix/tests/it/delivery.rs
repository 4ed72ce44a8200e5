//! `wait_for_delivery` under actix: bounded by `timeout` even when the transport never returns,
//! never blocking the worker thread (actix-rt runs on tokio, so errata-tower's flush waits on
//! tokio's blocking pool), and off by default.

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, test, web};
use errata_actix::Errata;
use errata_tower::Options;
use errata_tower::sentry_core::ClientOptions;

use crate::support::{StuckTransport, get, hub_on, recording, send};

/// How far past `timeout` a bounded wait may return (scheduling on a loaded 2-core machine).
const MARGIN: Duration = Duration::from_millis(700);

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/panic",
        web::get().to(|| async {
            if true {
                panic!("payment gateway exploded");
            }
            "unreachable"
        }),
    )
    .route("/ok", web::get().to(|| async { "ok" }));
}

#[actix_web::test]
async fn the_wait_returns_within_the_timeout_when_the_transport_never_answers() {
    let transport = Arc::new(StuckTransport::default());
    let hub = hub_on(transport.clone(), ClientOptions::new());
    let timeout = Duration::from_millis(300);
    let app = test::init_service(
        App::new().configure(routes).wrap(Errata::new(
            Options::new()
                .hub(hub)
                .wait_for_delivery(true)
                .timeout(timeout),
        )),
    )
    .await;
    let started = Instant::now();
    let res = send(&app, get("/panic")).await;
    let elapsed = started.elapsed();
    assert_eq!(res.status, 500);
    assert!(elapsed >= timeout, "it waited: {elapsed:?}");
    assert!(elapsed < timeout + MARGIN, "{elapsed:?}");
    assert_eq!(res.outcome.unwrap().delivered, Some(false));
    transport.release();
}

#[actix_web::test]
async fn a_delivered_event_is_reported_as_delivered() {
    let (_transport, hub) = recording();
    let app = test::init_service(
        App::new()
            .configure(routes)
            .wrap(Errata::new(Options::new().hub(hub).wait_for_delivery(true))),
    )
    .await;
    let res = send(&app, get("/panic")).await;
    assert_eq!(res.outcome.unwrap().delivered, Some(true));
}

#[actix_web::test]
async fn without_the_option_nothing_waits() {
    let transport = Arc::new(StuckTransport::default());
    let hub = hub_on(transport.clone(), ClientOptions::new());
    let app = test::init_service(
        App::new()
            .configure(routes)
            .wrap(Errata::new(Options::new().hub(hub))),
    )
    .await;
    let started = Instant::now();
    let res = send(&app, get("/panic")).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(res.outcome.unwrap().delivered, None);
    transport.release();
}

/// The worker thread keeps serving other requests while one waits for delivery.
#[actix_web::test]
async fn the_wait_does_not_block_the_worker() {
    let transport = Arc::new(StuckTransport::default());
    let hub = hub_on(transport.clone(), ClientOptions::new());
    let app = Rc::new(
        test::init_service(
            App::new().configure(routes).wrap(Errata::new(
                Options::new()
                    .hub(hub)
                    .wait_for_delivery(true)
                    .timeout(Duration::from_secs(30)),
            )),
        )
        .await,
    );
    let waiting = {
        let app = app.clone();
        actix_web::rt::spawn(async move { send(&*app, get("/panic")).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "the panic request is waiting");
    let res = tokio::time::timeout(Duration::from_secs(10), send(&*app, get("/ok")))
        .await
        .expect("served during the wait");
    assert_eq!(res.status, 200);
    transport.release();
    let res = waiting.await.unwrap();
    assert_eq!(res.outcome.unwrap().delivered, Some(true));
}
