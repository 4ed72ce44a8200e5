//! A tower layer that gives Rust HTTP services what `hertzsentry` and `GoFrame` give Go ones.
//!
//! [`ErrataLayer`] catches every panic of the wrapped service (in `call`, in its future, and
//! while streaming the response body), reports it as exactly one Sentry event whose stack
//! starts at the user's code, and answers a friendly 500 that never leaks the panic. Handlers
//! record errors on the request ([`RequestContext::error`], or by returning an
//! `errata_errors::Error`, feature `axum`); a 5xx with recorded errors becomes one event with the
//! error chain and the stack of where the error was created. Each request gets its own hub,
//! reachable from handlers and isolated from other requests; request data and bodies can be
//! attached; delivery can be awaited without blocking a runtime worker. Outer middleware reads
//! the [`Outcome`] from the response extensions.
//!
//! Reporting goes through `sentry-core`, so the application picks the transport (`sentry` with
//! `ureq`, `reqwest`, `curl`, or its own) and everything in the `sentry` ecosystem
//! (`before_send`, `sentry-tracing`, test transports) keeps working.
//!
//! The layer also writes each recovered panic and each failed request to the error log, through
//! `tracing` at error level (target [`LOG_TARGET`]), or to stderr when no subscriber is active.
//! With `sentry-tracing` installed that record does **not** become a second Sentry event, even
//! with its default filter (error level → event): it is emitted under a child of the request's
//! hub that drops events, so each failure is exactly one event, the layer's, with the request
//! data. No special `event_filter` is needed, and the application's own error logs still become
//! events as its filter says.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, body::Body, routing::get};
//! use errata_tower::sentry_core::{Client, ClientOptions, Hub, Scope, test::TestTransport};
//! use errata_tower::{ErrataLayer, Options, Outcome, RequestContext};
//! use tower::ServiceExt;
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
//! // With the `axum` feature, `ctx: RequestContext` works as an extractor directly.
//! async fn failing(axum::Extension(ctx): axum::Extension<RequestContext>) -> http::StatusCode {
//!     ctx.error(errata_errors::Error::private("ledger unreachable"));
//!     http::StatusCode::BAD_GATEWAY
//! }
//! let app = Router::new()
//!     .route("/panic", get(|| async { price_of("").to_string() }))
//!     .route("/failing", get(failing))
//!     .layer(ErrataLayer::new(Options::new().hub(hub)));
//!
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let call = |uri: &str| {
//!     rt.block_on(app.clone().oneshot(http::Request::get(uri).body(Body::empty()).unwrap()))
//!         .unwrap()
//! };
//!
//! // A panic: a friendly 500, one fatal event, and the outcome for outer middleware.
//! let res = call("/panic");
//! assert_eq!(res.status(), 500);
//! let outcome = res.extensions().get::<Outcome>().unwrap();
//! assert_eq!(outcome.panic.as_ref().unwrap().message, "price table missing");
//! let events = transport.fetch_and_clear_events();
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].exception.values[0].ty, "panic");
//! assert_eq!(res.headers()["x-sentry-event"], events[0].event_id.simple().to_string());
//!
//! // A 5xx with a recorded error: one event carrying the error.
//! let res = call("/failing");
//! assert_eq!(res.status(), 502);
//! let events = transport.fetch_and_clear_events();
//! assert_eq!(events[0].exception.values[0].value.as_deref(), Some("ledger unreachable"));
//! ```
//!
//! The layer takes any request body type: axum's, hyper's `Incoming` on a plain hyper server, or
//! any other `http_body::Body`. `send_body` can only hand the handler a buffered body of a type
//! it can rebuild (axum's `Body`, `Full<Bytes>`, `String`, boxed bodies with a boxed error);
//! for others, `Incoming` among them, the event notes the body's type and the body is left
//! unread. Middleware *inside* the layer that must run after a panic (`GoFrame`'s code after
//! `Next()`) gets it with the innermost [`PanicGuardLayer`] and reads the request's errors and
//! panic with [`RequestContext::outcome_of`]. `errata-actix` brings the same to actix-web through
//! [`adapter`].
//!
//! Caveats: with `panic = "abort"` nothing can be caught (only the hook would see it); a caught
//! panic may leave shared state (a poisoned `Mutex`, a half-updated cache) inconsistent, the
//! same hazard as in Go; panics in tasks spawned with plain `tokio::spawn` or
//! `tokio::task::spawn_blocking` are not caught (use [`spawn`] and [`spawn_blocking`]); a panic in the inner service's `poll_ready` is not caught (as in tower-http,
//! readiness has no response to replace); the delivery wait returns within `timeout` even if
//! the transport ignores it, but it waits on tokio's blocking pool, so only a fully saturated
//! pool can stretch it; the `sentry` HTTP transports set no connect/read timeouts of their own,
//! so with them closing the client (dropping `sentry::init`'s guard at exit) hangs for good on
//! a server that accepts and never answers: with the `ureq` feature, [`prepare_client_options`]
//! installs [`transport::UreqTransportFactory`] when no transport is set (call it before
//! `sentry::apply_defaults`, or let `sentry::init` apply them), whose requests have connect and
//! overall timeouts and whose close returns within `shutdown_timeout`; other transports are the
//! application's to bound.

pub mod adapter;
mod body;
mod context;
mod dedup;
mod delivery;
mod error;
mod event;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod guard;
mod layer;
mod log;
mod options;
pub mod panic;
mod request;
mod responder;
mod service;
#[cfg(feature = "ureq")]
pub mod transport;

pub use body::GuardedBody;
pub use context::{Outcome, Recorded, RequestContext, hub_from_request};
pub use dedup::prepare_client_options;
pub use delivery::{MAX_STUCK_FLUSHES, flush, spawn, spawn_blocking};
pub use error::LayerError;
#[cfg(feature = "axum")]
pub use extract::RequestHub;
pub use future::ResponseFuture;
pub use guard::{GuardFuture, PanicGuard, PanicGuardLayer};
pub use layer::ErrataLayer;
pub use log::LOG_TARGET;
pub use options::{DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, Options, ReportPolicy};
pub use panic::PanicReport;
pub use responder::{DefaultResponder, Responder};
pub use sentry_core;
pub use service::ErrataService;
