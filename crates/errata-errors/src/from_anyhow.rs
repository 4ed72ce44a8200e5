//! anyhow interop (feature `anyhow`): [`Error::from_anyhow`] and [`AnyhowExt::errata`].
//!
//! A plain `impl From<anyhow::Error> for Error` is impossible: it would overlap the blanket
//! `From<E: std::error::Error>` (Hertz's "plain errors become PRIVATE", which `?` relies on),
//! because anyhow may one day implement `std::error::Error` for its type (rustc E0119:
//! "upstream crates may add a new impl"). So the conversion is explicit and one call short of
//! `?`: `anyhow_result.errata()?` or `.map_err(Error::from_anyhow)?`.
//!
//! The anyhow error is kept whole as the new error's source: its `Display` is the outermost
//! message and its `source()` chain (contexts and causes) is preserved, so the Sentry event
//! gets them as chained causes. anyhow's own backtrace (a `std::backtrace::Backtrace`, captured
//! only under `RUST_BACKTRACE`/`RUST_LIB_BACKTRACE`) is kept as text, see
//! [`Error::foreign_backtrace`]; the error also gets its own location and stack at the
//! conversion, like any other.

use std::backtrace::BacktraceStatus;
use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::{Error, ErrorType};

/// The source of an [`Error`] converted from anyhow.
pub(crate) struct AnyhowSource {
    error: anyhow::Error,
    backtrace: Option<String>,
}

impl fmt::Display for AnyhowSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// `AnyhowError("message")`: Sentry derives the exception type (`AnyhowError`) from it.
impl fmt::Debug for AnyhowSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyhowError")
            .field(&self.error.to_string())
            .finish()
    }
}

impl StdError for AnyhowSource {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        let outermost: &(dyn StdError + Send + Sync + 'static) = &*self.error;
        outermost.source()
    }
}

impl Error {
    /// A PRIVATE error from an `anyhow::Error`, keeping its chain and its captured backtrace.
    ///
    /// ```
    /// use anyhow::Context as _;
    /// let any = Err::<(), _>(std::io::Error::other("disk gone")).context("saving").unwrap_err();
    /// let e = errata_errors::Error::from_anyhow(any);
    /// assert!(e.is_private());
    /// let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    /// assert_eq!(chain, ["saving", "disk gone"]);
    /// ```
    #[track_caller]
    pub fn from_anyhow(error: anyhow::Error) -> Self {
        let bt = error.backtrace();
        let backtrace = (bt.status() == BacktraceStatus::Captured).then(|| bt.to_string());
        Self::from_arc(
            Arc::new(AnyhowSource { error, backtrace }),
            ErrorType::PRIVATE,
            None,
            Location::caller(),
        )
    }

    /// The anyhow error this was converted from, if any.
    pub fn as_anyhow(&self) -> Option<&anyhow::Error> {
        Some(&self.inner().downcast_ref::<AnyhowSource>()?.error)
    }

    pub(crate) fn anyhow_backtrace(&self) -> Option<&str> {
        self.inner()
            .downcast_ref::<AnyhowSource>()?
            .backtrace
            .as_deref()
    }
}

/// `.errata()` on an `anyhow::Result`: converts the error with [`Error::from_anyhow`].
///
/// ```
/// use errata_errors::{AnyhowExt, Error};
/// fn handler() -> Result<u8, Error> {
///     let n = anyhow::Result::<u8>::Err(anyhow::anyhow!("no stock")).errata()?;
///     Ok(n)
/// }
/// assert_eq!(handler().unwrap_err().to_string(), "no stock");
/// ```
pub trait AnyhowExt<T> {
    /// The result with its error converted to an [`Error`] (located at this call).
    fn errata(self) -> Result<T, Error>;
}

impl<T> AnyhowExt<T> for anyhow::Result<T> {
    #[track_caller]
    fn errata(self) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::from_anyhow(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn anyhow_chain_becomes_plain_causes_and_the_conversion_is_located() {
        let any = Err::<(), _>(std::io::Error::other("connection reset"))
            .context("fetching prices")
            .context("pricing the cart")
            .unwrap_err();
        let captured = any.backtrace().status() == BacktraceStatus::Captured;
        let line = line!() + 1;
        let e = Err::<(), _>(any).errata().unwrap_err();
        assert_eq!(e.location().line(), line);
        assert_eq!(e.to_string(), "pricing the cart");
        let causes: Vec<String> = e.plain_causes().map(ToString::to_string).collect();
        assert_eq!(causes, ["fetching prices", "connection reset"]);
        assert_eq!(e.foreign_backtrace().is_some(), captured);
        assert!(e.as_anyhow().is_some());
        let report = e.report().to_string();
        assert!(
            report.starts_with("1. pricing the cart\n    at "),
            "{report}"
        );
        assert!(
            report.ends_with("\n2. fetching prices\n3. connection reset"),
            "{report}"
        );
        let wrapped = e.context("checkout");
        assert_eq!(wrapped.layers().count(), 2);
    }
}
