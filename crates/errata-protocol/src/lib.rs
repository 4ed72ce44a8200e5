//! The Sentry wire protocol as Errata reads it.
//!
//! This crate owns everything between the bytes an official Sentry SDK sends and a
//! normalized [`Event`]: DSNs and client auth ([`dsn`], [`auth`]), body encodings
//! ([`encoding`]), envelopes and legacy `/store/` bodies ([`envelope`], [`store`]), the
//! per-item size limits ([`limits`]), and the event model with its tolerant reading and
//! normalization ([`event`], [`normalize`]).
//!
//! Invariant: this crate does no IO. Every function takes bytes or values and returns
//! values; the caller (the server) supplies the clock and the client address.

pub mod auth;
pub mod dsn;
pub mod encoding;
pub mod envelope;
mod error;
pub mod event;
pub mod limits;
pub mod normalize;
pub mod store;

pub use error::Error;
