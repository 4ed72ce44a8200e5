//! With the real `sentry-tracing` layer (default filter: error level → event) installed, a
//! recovered panic and a reported 5xx still give exactly one event each, carrying the request
//! data: the layer's own error log never becomes a second event.
//!
//! The test hub is also bound as the thread's current hub, so a log line emitted outside the
//! request hub would reach the same transport as a second event without request data.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use errata_errors::Error;
use errata_tower::sentry_core::Hub;
use errata_tower::{Options, Outcome, RequestContext};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

use crate::support::{get as get_req, layered, recording, send};

fn app(hub: &Arc<Hub>) -> Router {
    layered(
        Router::new()
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("cart total overflowed");
                    }
                    ""
                }),
            )
            .route(
                "/failing",
                get(|ctx: RequestContext| async move {
                    ctx.error(Error::private("ledger unreachable"));
                    http::StatusCode::BAD_GATEWAY
                }),
            ),
        hub,
        Options::new().send_request(true),
    )
}

/// Sends a panicking and a failing request with `subscriber` active and the test hub current.
fn one_event_per_failure(subscriber: impl tracing::Subscriber + Send + Sync + 'static) {
    let _subscriber = tracing::subscriber::set_default(subscriber);
    let (transport, hub) = recording();
    let app = app(&hub);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    Hub::run(hub.clone(), || {
        for (uri, status, value) in [
            ("/panic", 500, "cart total overflowed"),
            ("/failing", 502, "ledger unreachable"),
        ] {
            let (res, _) = rt.block_on(send(&app, get_req(uri)));
            assert_eq!(res.status().as_u16(), status);
            let events = transport.take_events();
            assert_eq!(events.len(), 1, "{uri}: {events:#?}");
            let event = &events[0];
            assert_eq!(event.exception.values[0].value.as_deref(), Some(value));
            let request = event.request.as_ref().expect("request data");
            assert_eq!(request.method.as_deref(), Some("GET"));
            assert!(request.url.as_ref().unwrap().as_str().ends_with(uri));
            let outcome = res.extensions().get::<Outcome>().unwrap();
            assert_eq!(outcome.event_id, Some(event.event_id));
        }
    });
    // Events the application logs itself still become events, as the default filter says.
    Hub::run(hub, || tracing::error!("an application error"));
    assert_eq!(transport.take_events().len(), 1);
}

#[test]
fn with_the_legacy_sentry_tracing_layer_each_failure_is_one_event_with_request_data() {
    #[expect(
        deprecated,
        reason = "the combined layer is what most services still install"
    )]
    let layer = sentry_tracing::layer();
    one_event_per_failure(tracing_subscriber::registry().with(layer));
}

#[test]
fn with_sentry_tracing_error_layer_each_failure_is_one_event_with_request_data() {
    let layer = sentry_tracing::ErrorLayer::new().with_filter(LevelFilter::ERROR);
    one_event_per_failure(tracing_subscriber::registry().with(layer));
}
