//! [`Classify`]: an error type (a `thiserror` enum, typically) declares once which
//! [`ErrorType`] and HTTP status each of its values gets, instead of a `map_err` per call site.
//!
//! The blanket `From<E: std::error::Error>` that gives `?` cannot look at this trait (Rust has
//! no specialization), so a classified error enters an [`Error`] through
//! [`Error::classified`] or the [`Classified::classified`] method on `Result`, and, with the
//! `axum` feature, [`into_response!`](crate::into_response) lets a handler return the enum
//! itself.

use std::error::Error as StdError;
use std::panic::Location;
use std::sync::Arc;

use crate::{Error, ErrorType};

/// The Hertz type and HTTP status of an error type's values, declared once.
///
/// ```
/// use errata_errors::{Classified, Classify, Error, ErrorType};
///
/// #[derive(Debug, thiserror::Error)]
/// enum CartError {
///     #[error("item {0} not found")]
///     NotFound(u32),
///     #[error("quantity must be at most {max}")]
///     TooMany { max: u32 },
///     #[error("inventory database unreachable")]
///     Database(#[source] std::io::Error),
/// }
///
/// impl Classify for CartError {
///     fn error_type(&self) -> ErrorType {
///         match self {
///             Self::NotFound(_) | Self::TooMany { .. } => ErrorType::PUBLIC,
///             Self::Database(_) => ErrorType::PRIVATE,
///         }
///     }
///     fn status(&self) -> Option<u16> {
///         match self {
///             Self::NotFound(_) => Some(404),
///             Self::TooMany { .. } => Some(422),
///             Self::Database(_) => None, // 500
///         }
///     }
/// }
///
/// fn find(id: u32) -> Result<u32, CartError> { Err(CartError::NotFound(id)) }
/// fn handler() -> Result<u32, Error> {
///     let item = find(7).classified()?; // no map_err: the enum said how
///     Ok(item)
/// }
/// let e = handler().unwrap_err();
/// assert!(e.is_public());
/// assert_eq!(e.status(), Some(404));
/// assert_eq!(e.to_string(), "item 7 not found");
/// ```
pub trait Classify: StdError + Send + Sync + 'static {
    /// The type of this value (Hertz's `ErrorType`); PRIVATE unless declared.
    fn error_type(&self) -> ErrorType {
        ErrorType::PRIVATE
    }

    /// The HTTP status this value is rendered with; `None` lets the type decide (400 for
    /// BIND/PUBLIC, else 500).
    fn status(&self) -> Option<u16> {
        None
    }
}

impl Error {
    /// An error of the type and status `err` declares for itself.
    #[track_caller]
    pub fn classified<E: Classify>(err: E) -> Self {
        let ty = err.error_type();
        let status = err.status();
        let mut e = Self::from_arc(Arc::new(err), ty, None, Location::caller());
        e.status = status;
        e
    }
}

/// `.classified()` on a `Result` whose error is [`Classify`]: the `?`-friendly form of
/// [`Error::classified`].
pub trait Classified<T> {
    /// Converts the error as it declares itself, keeping the caller's location.
    fn classified(self) -> Result<T, Error>;
}

impl<T, E: Classify> Classified<T> for Result<T, E> {
    #[track_caller]
    fn classified(self) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::classified(e)),
        }
    }
}

/// Implements axum's `IntoResponse` for a [`Classify`] type (feature `axum`), so a handler can
/// return `Result<_, YourError>` and the layer records, reports and renders it as the
/// [`Error::classified`] it becomes (a private value never shows its text to the client).
///
/// ```
/// # use errata_errors::{Classify, ErrorType};
/// #[derive(Debug, thiserror::Error)]
/// #[error("coupon expired")]
/// struct Expired;
/// impl Classify for Expired {
///     fn error_type(&self) -> ErrorType { ErrorType::PUBLIC }
///     fn status(&self) -> Option<u16> { Some(410) }
/// }
/// errata_errors::into_response!(Expired);
///
/// use axum_core::response::IntoResponse;
/// let res = Expired.into_response();
/// assert_eq!(res.status(), 410);
/// assert!(res.extensions().get::<errata_errors::Error>().is_some());
/// ```
#[cfg(feature = "axum")]
#[macro_export]
macro_rules! into_response {
    ($($ty:ty),+ $(,)?) => {
        $(
            impl $crate::__private::IntoResponse for $ty {
                #[track_caller]
                fn into_response(self) -> $crate::__private::Response {
                    $crate::__private::IntoResponse::into_response($crate::Error::classified(self))
                }
            }
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Gone;
    impl std::fmt::Display for Gone {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("gone")
        }
    }
    impl StdError for Gone {}
    impl Classify for Gone {
        fn error_type(&self) -> ErrorType {
            ErrorType::PUBLIC
        }
        fn status(&self) -> Option<u16> {
            Some(410)
        }
    }

    #[derive(Debug)]
    struct Plain;
    impl std::fmt::Display for Plain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("plain")
        }
    }
    impl StdError for Plain {}
    impl Classify for Plain {}

    #[test]
    fn the_declared_type_and_status_travel_with_the_location_of_the_call() {
        let line = line!() + 1;
        let e = Err::<(), _>(Gone).classified().unwrap_err();
        assert!(e.is_public());
        assert_eq!(e.status(), Some(410));
        assert_eq!(e.location().line(), line);
        let e = Error::classified(Plain);
        assert!(e.is_private());
        assert_eq!(e.status(), None);
        // The blanket `From` (what `?` uses) cannot see the declaration: PRIVATE.
        let e: Error = Gone.into();
        assert!(e.is_private());
    }
}
