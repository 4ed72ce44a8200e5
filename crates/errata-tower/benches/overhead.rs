//! Per-request overhead of `ErrataLayer` on a trivial axum handler when nothing goes wrong,
//! measured in one run side by side: the bare handler, the layer with default options and with
//! `send_request`, `sentry-tower`'s layers (`NewSentryLayer` + `SentryHttpLayer`, the
//! documented setup), and tower-http's `CatchPanicLayer` (panic recovery alone, no reporting).
//! The reporting ones report to a client bound to the main hub with a transport that discards
//! envelopes.
//!
//! Run: `cargo bench -p errata-tower --features axum --bench overhead`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use errata_tower::sentry_core::{Client, ClientOptions, Envelope, Hub, Transport};
use errata_tower::{ErrataLayer, Options};
use http::Request;
use tower::ServiceExt;

struct Discard;

impl Transport for Discard {
    fn send_envelope(&self, _envelope: Envelope) {}
}

fn handler_app() -> Router {
    Router::new().route("/", get(|| async { "ok" }))
}

fn request() -> Request<Body> {
    Request::get("/").body(Body::empty()).unwrap()
}

fn overhead(c: &mut Criterion) {
    let options = ClientOptions::new()
        .dsn("http://key@127.0.0.1:1/1")
        .transport(Arc::new(Discard));
    Hub::main().bind_client(Some(Arc::new(Client::from(options))));

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bare = handler_app();
    let errata = handler_app().layer(ErrataLayer::new(Options::new()));
    let errata_send_request =
        handler_app().layer(ErrataLayer::new(Options::new().send_request(true)));
    let sentry_tower = handler_app()
        .layer(sentry_tower::SentryHttpLayer::new())
        .layer(sentry_tower::NewSentryLayer::<Request<Body>>::new_from_top());
    let catch_panic = handler_app().layer(tower_http::catch_panic::CatchPanicLayer::new());

    let mut group = c.benchmark_group("per_request");
    group
        .sample_size(60)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (name, app) in [
        ("bare", bare),
        ("errata_tower", errata),
        ("errata_tower_send_request", errata_send_request),
        ("sentry_tower", sentry_tower),
        ("tower_http_catch_panic", catch_panic),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let app = app.clone();
                async move {
                    let res = app.oneshot(request()).await.unwrap();
                    assert_eq!(res.status(), 200);
                    res
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
