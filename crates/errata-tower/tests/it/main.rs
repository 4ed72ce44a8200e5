//! Integration tests of `errata-tower` (one binary): the layer on real axum routers with a
//! recording transport, plus one real HTTP delivery to a loopback envelope endpoint.

// Reason: the handlers under test panic on purpose, behind conditions the compiler cannot see through.
#![allow(clippy::manual_assert)]

mod delivery;
mod error_log;
mod errors;
mod guard;
mod isolation;
mod panics;
mod plain_hyper;
mod real_delivery;
mod request_data;
mod sentry_tracing;
mod support;
#[cfg(feature = "anyhow")]
mod third_party;
#[cfg(feature = "ureq")]
mod transport_timeouts;
mod wrapped;
