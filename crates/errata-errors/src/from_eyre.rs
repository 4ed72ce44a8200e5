//! eyre interop (feature `eyre`): [`Error::from_eyre`] and [`EyreExt::errata`].
//!
//! Same shape as the anyhow interop, for the same reason (a `From<eyre::Report>` would overlap
//! the blanket `From<E: std::error::Error>`, rustc E0119): the report is kept whole as the
//! error's source, so its `Display` is the outermost message and its `source()` chain becomes
//! the Sentry event's chained causes. eyre 0.6 exposes no backtrace on stable (its default
//! handler captures one only on nightly, behind its `Debug` output), so the stack is the
//! conversion's own.

use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::{Error, ErrorType};

/// The source of an [`Error`] converted from eyre.
struct EyreSource(eyre::Report);

impl fmt::Display for EyreSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// `EyreReport("message")`: Sentry derives the exception type (`EyreReport`) from it.
impl fmt::Debug for EyreSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EyreReport")
            .field(&self.0.to_string())
            .finish()
    }
}

impl StdError for EyreSource {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        let outermost: &(dyn StdError + Send + Sync + 'static) = &*self.0;
        outermost.source()
    }
}

impl Error {
    /// A PRIVATE error from an `eyre::Report`, keeping its chain.
    ///
    /// ```
    /// use eyre::WrapErr as _;
    /// let report = Err::<(), _>(std::io::Error::other("disk gone")).wrap_err("saving").unwrap_err();
    /// let e = errata_errors::Error::from_eyre(report);
    /// let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    /// assert_eq!(chain, ["saving", "disk gone"]);
    /// ```
    #[track_caller]
    pub fn from_eyre(report: eyre::Report) -> Self {
        Self::from_arc(
            Arc::new(EyreSource(report)),
            ErrorType::PRIVATE,
            None,
            Location::caller(),
        )
    }

    /// The eyre report this was converted from, if any.
    pub fn as_eyre(&self) -> Option<&eyre::Report> {
        Some(&self.inner().downcast_ref::<EyreSource>()?.0)
    }
}

/// `.errata()` on an `eyre::Result`: converts the error with [`Error::from_eyre`].
///
/// ```
/// use errata_errors::{Error, EyreExt};
/// fn handler() -> Result<u8, Error> {
///     Ok(eyre::Result::<u8>::Err(eyre::eyre!("no stock")).errata()?)
/// }
/// assert_eq!(handler().unwrap_err().to_string(), "no stock");
/// ```
pub trait EyreExt<T> {
    /// The result with its error converted to an [`Error`] (located at this call).
    fn errata(self) -> Result<T, Error>;
}

impl<T> EyreExt<T> for eyre::Result<T> {
    #[track_caller]
    fn errata(self) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::from_eyre(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eyre::WrapErr as _;

    #[test]
    fn eyre_chain_becomes_plain_causes_and_the_conversion_is_located() {
        let report = Err::<(), _>(std::io::Error::other("connection reset"))
            .wrap_err("fetching prices")
            .wrap_err("pricing the cart")
            .unwrap_err();
        let line = line!() + 1;
        let e = Err::<(), _>(report).errata().unwrap_err();
        assert_eq!(e.location().line(), line);
        assert!(e.is_private() && e.as_eyre().is_some());
        assert_eq!(e.to_string(), "pricing the cart");
        let causes: Vec<String> = e.plain_causes().map(ToString::to_string).collect();
        assert_eq!(causes, ["fetching prices", "connection reset"]);
        assert_eq!(e.context("checkout").layers().count(), 2);
    }
}
