//! Integration tests of `errata-actix` (one binary): the middleware on real actix-web apps
//! (`actix_web::test` services, and real `HttpServer`s on loopback) with recording transports,
//! plus one real HTTP delivery to a loopback envelope endpoint.

// Reason: the handlers under test panic on purpose, behind conditions the compiler cannot see through.
#![allow(clippy::manual_assert)]

mod delivery;
mod errors;
mod isolation;
mod panics;
mod real_delivery;
mod request_data;
mod sentry_tracing;
mod support;
