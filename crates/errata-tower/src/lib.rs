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
//! ```
//! use axum::{Router, routing::get};
//! use errata_tower::{ErrataLayer, Options};
//!
//! // let _guard = sentry::init(("https://key@errata.example/1", sentry::ClientOptions::new()));
//! let app: Router = Router::new()
//!     .route("/ok", get(|| async { "ok" }))
//!     .route("/panic", get(|| async { if true { panic!("bug") } "unreachable" }))
//!     .layer(ErrataLayer::new(
//!         Options::new().send_request(true).wait_for_delivery(true),
//!     ));
//! # let _ = app;
//! ```
//!
//! Caveats: with `panic = "abort"` nothing can be caught (only the hook would see it); a caught
//! panic may leave shared state (a poisoned `Mutex`, a half-updated cache) inconsistent, the
//! same hazard as in Go; panics in tasks spawned with plain `tokio::spawn` are not caught (use
//! [`spawn`]).

mod body;
mod context;
mod delivery;
mod error;
mod event;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod layer;
mod options;
pub mod panic;
mod request;
mod responder;
mod service;

pub use body::GuardedBody;
pub use context::{Outcome, RequestContext, hub_from_request};
pub use delivery::{flush, spawn};
pub use error::LayerError;
#[cfg(feature = "axum")]
pub use extract::RequestHub;
pub use future::ResponseFuture;
pub use layer::ErrataLayer;
pub use options::{DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, Options, ReportPolicy};
pub use panic::PanicReport;
pub use responder::{DefaultResponder, Responder};
pub use sentry_core;
pub use service::ErrataService;
