//! Hertz-style typed errors for Rust services, with no HTTP dependencies.
//!
//! This crate owns the error *values* a request handler records and returns: [`ErrorType`]
//! (Hertz's flag values), [`Error`] (a type-erased source with a type, optional JSON
//! meta, the caller's location and a cheaply captured, lazily resolved backtrace) and
//! [`ErrorChain`] (Hertz's `errors.ErrorChain`: `String()`, `Errors()`, `ByType()`, `Last()`,
//! `JSON()`). [`Error::wrap`] and the [`Context`] trait add layers (`GoFrame`'s `gerror.Wrap`),
//! each with its own location and stack, printed newest first by [`Error::report`]. A
//! `thiserror` enum declares its types and statuses once with [`Classify`]. The HTTP side (recording on a request, reporting to Sentry, rendering) lives in
//! `errata-tower`; keeping this crate HTTP-free lets domain code depend on it cheaply.
//!
//! ```
//! use errata_errors::{Error, ErrorChain, ErrorType, public_errorf};
//!
//! let mut chain = ErrorChain::new();
//! chain.push(Error::private("database unreachable"));
//! chain.push(public_errorf!("item {} not found", 42)).set_meta_mut(serde_json::json!({"id": 42}));
//!
//! assert_eq!(chain.to_string(),
//!     "Error #01: database unreachable\nError #02: item 42 not found\n     Meta: map[id:42]\n");
//! assert_eq!(chain.by_type(ErrorType::PUBLIC).len(), 1);
//! assert_eq!(chain.by_type(ErrorType::ANY).len(), 2);
//! assert_eq!(chain.last().unwrap().to_string(), "item 42 not found");
//! ```

mod chain;
mod classify;
mod error;
mod error_type;
#[cfg(feature = "anyhow")]
mod from_anyhow;
#[cfg(feature = "eyre")]
mod from_eyre;
mod report;
mod trace;
mod wrap;

pub use chain::ErrorChain;
pub use classify::{Classified, Classify};
pub use error::{BoxError, Error};
pub use error_type::ErrorType;
#[cfg(feature = "anyhow")]
pub use from_anyhow::AnyhowExt;
#[cfg(feature = "eyre")]
pub use from_eyre::EyreExt;
pub use report::Report;
pub use trace::{BacktraceMode, backtrace_mode, set_backtrace_mode};
pub use wrap::{Context, Wrappable};

/// Hertz's `Newf`: an [`Error`] of the given type and meta from a format string.
///
/// ```
/// use errata_errors::{ErrorType, errorf};
/// let e = errorf!(ErrorType::BIND, Some(serde_json::json!({"field": "qty"})), "bad {}", "qty");
/// assert!(e.is_type(ErrorType::BIND));
/// assert_eq!(e.to_string(), "bad qty");
/// assert_eq!(e.meta().unwrap()["field"], "qty");
/// ```
#[macro_export]
macro_rules! errorf {
    ($ty:expr, $meta:expr, $($fmt:tt)+) => {
        $crate::Error::message(::std::format!($($fmt)+), $ty, $meta)
    };
}

/// Hertz's `NewPublicf`: a [`ErrorType::PUBLIC`] [`Error`] from a format string.
///
/// ```
/// let e = errata_errors::public_errorf!("quantity must be at most {}", 10);
/// assert!(e.is_public());
/// assert_eq!(e.to_string(), "quantity must be at most 10");
/// ```
#[macro_export]
macro_rules! public_errorf {
    ($($fmt:tt)+) => {
        $crate::Error::message(::std::format!($($fmt)+), $crate::ErrorType::PUBLIC, ::std::option::Option::None)
    };
}

/// Hertz's `NewPrivatef`: a [`ErrorType::PRIVATE`] [`Error`] from a format string.
///
/// ```
/// let e = errata_errors::private_errorf!("upstream {} returned {}", "pricing", 503);
/// assert!(e.is_private());
/// assert_eq!(e.to_string(), "upstream pricing returned 503");
/// ```
#[macro_export]
macro_rules! private_errorf {
    ($($fmt:tt)+) => {
        $crate::Error::message(::std::format!($($fmt)+), $crate::ErrorType::PRIVATE, ::std::option::Option::None)
    };
}

#[cfg(feature = "axum")]
mod response;

/// What [`into_response!`] expands to refer to; not a public API.
#[cfg(feature = "axum")]
#[doc(hidden)]
pub mod __private {
    pub use axum_core::response::{IntoResponse, Response};
}
