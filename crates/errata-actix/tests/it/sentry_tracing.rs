//! With the real `sentry-tracing` layer (default filter: error level → event) installed, a
//! recovered panic and a reported 5xx still give exactly one event each, carrying the request
//! data: errata-tower's error log, which the middleware reuses, never becomes a second event.
//!
//! The test hub is also bound as the thread's current hub, so a log line emitted outside the
//! request hub would reach the same transport as a second event without request data.

use actix_web::test::init_service;
use actix_web::{App, HttpResponse, web};
use errata_actix::{Ctx, Errata};
use errata_errors::Error;
use errata_tower::Options;
use errata_tower::sentry_core::Hub;
use tracing_subscriber::layer::SubscriberExt;

use crate::support::{get, recording, send};

#[test]
fn with_sentry_tracing_each_failure_is_one_event_with_request_data() {
    #[expect(
        deprecated,
        reason = "the combined layer is what most services still install"
    )]
    let layer = sentry_tracing::layer();
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let (transport, hub) = recording();
    Hub::run(hub.clone(), || {
        actix_web::rt::System::new().block_on(async {
            let app = init_service(
                App::new()
                    .route(
                        "/panic",
                        web::get().to(|| async {
                            if true {
                                panic!("cart total overflowed");
                            }
                            ""
                        }),
                    )
                    .route(
                        "/failing",
                        web::get().to(|ctx: Ctx| async move {
                            ctx.error(Error::private("ledger unreachable"));
                            HttpResponse::BadGateway().finish()
                        }),
                    )
                    .wrap(Errata::new(
                        Options::new().hub(hub.clone()).send_request(true),
                    )),
            )
            .await;
            for (uri, status, value) in [
                ("/panic", 500, "cart total overflowed"),
                ("/failing", 502, "ledger unreachable"),
            ] {
                let res = send(&app, get(uri)).await;
                assert_eq!(res.status, status);
                let events = transport.fetch_and_clear_events();
                assert_eq!(events.len(), 1, "{uri}: {events:#?}");
                let event = &events[0];
                assert_eq!(event.exception.values[0].value.as_deref(), Some(value));
                let request = event.request.as_ref().expect("request data");
                assert_eq!(request.method.as_deref(), Some("GET"));
                assert_eq!(res.outcome.unwrap().event_id, Some(event.event_id));
            }
        });
    });
    // Events the application logs itself still become events, as the default filter says.
    Hub::run(hub, || tracing::error!("an application error"));
    assert_eq!(transport.fetch_and_clear_events().len(), 1);
}
