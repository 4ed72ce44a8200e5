//! The Sentry wire protocol as Errata reads it.
//!
//! This crate owns everything between the bytes an official Sentry SDK sends and a
//! normalized [`Event`]: DSNs and client auth ([`dsn`], [`auth`]), body encodings
//! ([`encoding`]), envelopes and legacy `/store/` bodies ([`envelope`], [`store`]), the
//! per-item size limits ([`limits`]), and the event model ([`event`] and the interface
//! modules) with its tolerant reading and normalization ([`normalize`], after the
//! [`depth`] pre-pass that turns over-nested JSON into `null`).
//!
//! Invariant: this crate does no IO. Every function takes bytes or values and returns
//! values; the caller (the server) supplies the receive time and the client address.

pub mod auth;
pub mod breadcrumb;
mod databag;
pub mod depth;
pub mod dsn;
pub mod encoding;
pub mod envelope;
mod error;
pub mod event;
pub mod exception;
pub mod intake;
pub mod limits;
mod list;
pub mod meta;
pub mod normalize;
pub mod parse;
pub mod request;
pub mod stacktrace;
pub mod store;
pub mod tags;
pub mod thread;
pub mod user;
mod value;
mod wire;

pub use error::{AuthSource, Error};
pub use event::{Event, EventType, Level, LogEntry};
pub use exception::{Exception, Mechanism};
pub use meta::{ErrorKind, ProcessingError};
pub use normalize::{NormalizeContext, normalize, normalize_value};
pub use stacktrace::{Frame, Stacktrace};
pub use value::{format_timestamp, parse_timestamp};
