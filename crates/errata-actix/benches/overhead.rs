//! Per-request overhead of the `Errata` middleware on a trivial actix-web handler when nothing
//! goes wrong, measured in one run against the bare app. Both report to a client bound to the
//! main hub with a transport that discards envelopes. Requests go through the app service
//! (`actix_web::test::init_service`) on one actix system, N at a time (`iter_custom`), so the
//! figure is the service call plus building the test request, without sockets.
//!
//! Run: `cargo bench -p errata-actix --bench overhead -- --warm-up-time 1 --measurement-time 3`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::Service;
use actix_web::test::{TestRequest, init_service};
use actix_web::{App, web};
use criterion::{Criterion, criterion_group, criterion_main};
use errata_actix::Errata;
use errata_tower::Options;
use errata_tower::sentry_core::{Client, ClientOptions, Envelope, Hub, Transport};

struct Discard;

impl Transport for Discard {
    fn send_envelope(&self, _envelope: Envelope) {}
}

/// Times `iters` sequential requests to `app`.
async fn run<S, B>(app: &S, iters: u64) -> Duration
where
    S: Service<actix_http::Request, Response = actix_web::dev::ServiceResponse<B>>,
    S::Error: std::fmt::Debug,
{
    let started = Instant::now();
    for _ in 0..iters {
        let res = app
            .call(TestRequest::get().uri("/").to_request())
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    started.elapsed()
}

fn overhead(c: &mut Criterion) {
    let options = ClientOptions::new()
        .dsn("http://key@127.0.0.1:1/1")
        .transport(Arc::new(Discard));
    Hub::main().bind_client(Some(Arc::new(Client::from(options))));

    let system = actix_web::rt::System::new();
    let bare = system.block_on(init_service(
        App::new().route("/", web::get().to(|| async { "ok" })),
    ));
    let errata = system.block_on(init_service(
        App::new()
            .route("/", web::get().to(|| async { "ok" }))
            .wrap(Errata::new(Options::new())),
    ));

    let mut group = c.benchmark_group("per_request");
    group
        .sample_size(60)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("bare", |b| {
        b.iter_custom(|iters| system.block_on(run(&bare, iters)));
    });
    group.bench_function("errata_actix", |b| {
        b.iter_custom(|iters| system.block_on(run(&errata, iters)));
    });
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
