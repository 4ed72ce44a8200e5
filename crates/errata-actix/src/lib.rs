//! An actix-web middleware that gives actix apps what `errata-tower` gives axum/tower ones.
//!
//! [`Errata`] catches every panic of the wrapped handlers (actix itself does not: a panicking
//! handler just drops the connection), reports it as exactly one Sentry event whose stack starts
//! at the user's code, and answers the configured `Responder`'s friendly 500 with the
//! `x-sentry-event` header (never the panic message). Handlers record errors on the request
//! ([`Ctx`]: `ctx.error(e);`) or return them ([`HttpError`], or any actix `ResponseError`); a 5xx
//! with recorded errors becomes one event with the error chain. Each request gets its own hub,
//! bound while the handler runs and isolated from other requests; request data and bodies can be
//! attached; delivery can be awaited (bounded by the timeout, on tokio's blocking pool); the
//! `errata_tower::Outcome` goes into the response extensions.
//!
//! Nothing is re-implemented here: the options ([`Options`](errata_tower::Options)), the
//! context, the panic hook and reports, the events, the error log (which never duplicates into
//! `sentry-tracing`) and the delivery are errata-tower's, reached through
//! [`errata_tower::adapter`]. actix runs on tokio (actix-rt drives a tokio runtime per worker),
//! so `errata_tower::flush` and `errata_tower::spawn` work unchanged inside handlers.
//!
//! ```
//! use std::sync::Arc;
//! use actix_web::dev::Service;
//! use actix_web::{App, HttpResponse, test, web};
//! use errata_actix::{Ctx, Errata, RecoveredPanic};
//! use errata_tower::sentry_core::{Client, ClientOptions, Hub, Scope, test::TestTransport};
//! use errata_tower::{Options, Outcome};
//!
//! // Usually `sentry::init(dsn)` binds the client to the main hub; here a test transport.
//! let transport = TestTransport::new();
//! let client = Client::from(
//!     ClientOptions::new().dsn("https://key@errata.example/1").transport(transport.clone()),
//! );
//! let hub = Arc::new(Hub::new(Some(Arc::new(client)), Arc::new(Scope::default())));
//!
//! #[inline(never)]
//! fn price_of(item: &str) -> u32 {
//!     if item.is_empty() { panic!("price table missing") }
//!     3
//! }
//! async fn failing(ctx: Ctx) -> HttpResponse {
//!     ctx.error(errata_errors::Error::private("ledger unreachable"));
//!     HttpResponse::BadGateway().finish()
//! }
//!
//! actix_web::rt::System::new().block_on(async {
//!     let app = test::init_service(
//!         App::new()
//!             .route("/panic", web::get().to(|| async { price_of("").to_string() }))
//!             .route("/failing", web::get().to(failing))
//!             .wrap(Errata::new(Options::new().hub(hub))),
//!     )
//!     .await;
//!
//!     // A panic: the service's error renders the friendly 500; one fatal event.
//!     let err = app.call(test::TestRequest::get().uri("/panic").to_request()).await.unwrap_err();
//!     let res = err.error_response();
//!     assert_eq!(res.status(), 500);
//!     let outcome = err.as_error::<RecoveredPanic>().unwrap().outcome().unwrap();
//!     assert_eq!(outcome.panic.as_ref().unwrap().message, "price table missing");
//!     let events = transport.fetch_and_clear_events();
//!     assert_eq!(events.len(), 1);
//!     let header = res.headers().get("x-sentry-event").unwrap();
//!     assert_eq!(header.to_str().unwrap(), events[0].event_id.simple().to_string());
//!
//!     // A 5xx with a recorded error: one event carrying the error.
//!     let res = test::call_service(&app, test::TestRequest::get().uri("/failing").to_request()).await;
//!     assert_eq!(res.status(), 502);
//!     assert!(res.response().extensions().get::<Outcome>().is_some());
//!     let events = transport.fetch_and_clear_events();
//!     assert_eq!(events[0].exception.values[0].value.as_deref(), Some("ledger unreachable"));
//! });
//! ```
//!
//! Differences from the tower layer, all forced by actix: a recovered panic is returned as the
//! service's `Err` ([`RecoveredPanic`]), which actix renders with its `error_response` (an actix
//! `ServiceResponse` can only be built from the request, which the panicked handler consumed),
//! so outer actix middleware sees `Err` and finds the `Outcome` through
//! [`RecoveredPanic::outcome`]; an error returned by an *inner middleware* (not a handler) is
//! recorded and reported but passed on unchanged, without an `Outcome`. Panics while streaming
//! the response body are caught and reported once ([`GuardedBody`]); the client then sees a
//! truncated response. The caveats of errata-tower apply too (`panic = "abort"`,
//! state left inconsistent by a caught panic, plain `tokio::spawn`/`actix_web::rt::spawn` tasks).

mod body;
mod error;
mod extract;
mod middleware;
mod request;

pub use body::GuardedBody;
pub use error::{HttpError, RecoveredPanic};
pub use extract::{Ctx, RequestHub, hub_from_request, request_context};
pub use middleware::{Errata, ErrataMiddleware};
