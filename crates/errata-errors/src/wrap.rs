//! Wrapping with stacks: [`Error::wrap`], [`Error::context`] and the [`Context`] extension trait.
//!
//! This is `GoFrame`'s `gerror.Wrap` with anyhow's ergonomics. Each wrap adds a *layer*: a new
//! [`Error`] with its own message, its own `#[track_caller]` location and its own (lazily
//! resolved) backtrace. The wrapped [`Error`] is kept whole, with *its* location and stack, not
//! flattened into a string: [`Error::cause`] and [`Error::layers`] walk the layers newest first,
//! and through `std::error::Error::source()` every layer is still reachable as an ordinary
//! error chain. Wrapping a plain `std::error::Error` adds one layer whose cause is that error
//! (it has no location of its own, like a non-gerror error under `gerror.Wrap`). A layer
//! inherits the wrapped layer's type, meta and status, so a wrapped PUBLIC error stays PUBLIC.

use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::error::StdAdapter;
use crate::{BoxError, Error, ErrorType};

/// The source of a wrapping layer: its message, then what it wraps.
pub(crate) struct Wrapped {
    message: String,
    cause: Cause,
}

/// What a layer wraps: another layer, or a plain error.
enum Cause {
    Layer(StdAdapter),
    Foreign(BoxError),
}

impl fmt::Display for Wrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `Context { message: .., cause: .. }`: Sentry derives the exception type (`Context`) from it.
impl fmt::Debug for Wrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cause: &dyn fmt::Debug = match &self.cause {
            Cause::Layer(layer) => layer,
            Cause::Foreign(err) => err,
        };
        f.debug_struct("Context")
            .field("message", &self.message)
            .field("cause", cause)
            .finish()
    }
}

impl StdError for Wrapped {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(match &self.cause {
            Cause::Layer(layer) => layer,
            Cause::Foreign(err) => &**err,
        })
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Error {}
    impl<E: std::error::Error + Send + Sync + 'static> Sealed for E {}
}

/// What [`Error::wrap`] and [`Context`] accept: an [`Error`] (kept as its own layer) or any
/// `std::error::Error` (kept as the new layer's cause). Sealed.
pub trait Wrappable: sealed::Sealed {
    /// The new layer on top of `self`.
    #[doc(hidden)]
    fn wrap_in(self, message: String, location: &'static Location<'static>) -> Error;
}

impl Wrappable for Error {
    fn wrap_in(self, message: String, location: &'static Location<'static>) -> Error {
        let (ty, meta, status) = (self.ty, self.meta.clone(), self.status);
        let cause = Cause::Layer(StdAdapter(self));
        let mut layer = Error::from_arc(Arc::new(Wrapped { message, cause }), ty, meta, location);
        layer.status = status;
        layer
    }
}

impl<E: StdError + Send + Sync + 'static> Wrappable for E {
    fn wrap_in(self, message: String, location: &'static Location<'static>) -> Error {
        let cause = Cause::Foreign(Box::new(self));
        Error::from_arc(
            Arc::new(Wrapped { message, cause }),
            ErrorType::PRIVATE,
            None,
            location,
        )
    }
}

impl Error {
    /// `GoFrame`'s `gerror.Wrap(err, text)`: a new layer with its own message, location and
    /// stack on top of `err`, which keeps its own.
    ///
    /// ```
    /// use errata_errors::Error;
    /// let inner = Error::private("connection refused");
    /// let e = Error::wrap(inner, "loading the cart");
    /// assert_eq!(e.to_string(), "loading the cart");
    /// assert_eq!(e.cause().unwrap().to_string(), "connection refused");
    /// assert!(e.is_private()); // the type is inherited
    /// ```
    #[track_caller]
    pub fn wrap(err: impl Wrappable, message: impl fmt::Display) -> Self {
        err.wrap_in(message.to_string(), Location::caller())
    }

    /// [`Error::wrap`] as a method: `err.context("while doing x")`.
    #[track_caller]
    #[must_use]
    pub fn context(self, message: impl fmt::Display) -> Self {
        self.wrap_in(message.to_string(), Location::caller())
    }

    /// The wrapped layer, if this error was made by [`Error::wrap`] around an [`Error`].
    pub fn cause(&self) -> Option<&Error> {
        match &self.inner().downcast_ref::<Wrapped>()?.cause {
            Cause::Layer(StdAdapter(layer)) => Some(layer),
            Cause::Foreign(_) => None,
        }
    }

    /// This error and the layers it wraps, newest (outermost) first.
    ///
    /// ```
    /// use errata_errors::Error;
    /// let e = Error::private("c").context("b").context("a");
    /// let msgs: Vec<String> = e.layers().map(ToString::to_string).collect();
    /// assert_eq!(msgs, ["a", "b", "c"]);
    /// ```
    pub fn layers(&self) -> impl Iterator<Item = &Error> {
        std::iter::successors(Some(self), |e| e.cause())
    }

    /// The plain (non-layer) errors this layer's message sits on: what a wrap wrapped when it
    /// was a `std::error::Error`, or the `source()` chain of the layer's own error. Empty for a
    /// layer that wraps another layer.
    ///
    /// ```
    /// use errata_errors::Error;
    /// let e = Error::wrap(std::io::Error::other("disk gone"), "saving");
    /// let causes: Vec<String> = e.plain_causes().map(ToString::to_string).collect();
    /// assert_eq!(causes, ["disk gone"]);
    /// assert_eq!(e.clone().context("outer").plain_causes().count(), 0);
    /// ```
    pub fn plain_causes(&self) -> impl Iterator<Item = &(dyn StdError + 'static)> {
        let first = match self.inner().downcast_ref::<Wrapped>() {
            Some(Wrapped {
                cause: Cause::Layer(_),
                ..
            }) => None,
            Some(Wrapped {
                cause: Cause::Foreign(err),
                ..
            }) => Some(&**err as &(dyn StdError + 'static)),
            None => self.inner().source(),
        };
        std::iter::successors(first, |e: &&(dyn StdError + 'static)| (*e).source())
    }
}

/// anyhow-style `.context(..)` / `.with_context(|| ..)` on `Result` and `Option`.
///
/// On a `Result` whose error is an [`Error`] the new layer keeps it (with its location and
/// stack); on a plain `std::error::Error` the layer wraps it; on `None` the layer is a PRIVATE
/// error with just the message. The location is the `.context(..)` call.
///
/// ```
/// use errata_errors::{Context, Error};
///
/// fn read() -> Result<String, Error> {
///     std::fs::read_to_string("/nonexistent/errata").context("reading the config")
/// }
/// let e = read().unwrap_err();
/// assert_eq!(e.to_string(), "reading the config");
/// assert!(e.is_private());
/// let none: Option<u8> = None;
/// assert_eq!(none.with_context(|| format!("no item {}", 7)).unwrap_err().to_string(), "no item 7");
/// ```
pub trait Context<T> {
    /// Wraps the error (or `None`) in a layer with this message.
    fn context<C: fmt::Display>(self, context: C) -> Result<T, Error>;

    /// Like [`Context::context`], building the message only on error.
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T, Error>;
}

impl<T, E: Wrappable> Context<T> for Result<T, E> {
    #[track_caller]
    fn context<C: fmt::Display>(self, context: C) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(e.wrap_in(context.to_string(), Location::caller())),
        }
    }

    #[track_caller]
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(e.wrap_in(f().to_string(), Location::caller())),
        }
    }
}

impl<T> Context<T> for Option<T> {
    #[track_caller]
    fn context<C: fmt::Display>(self, context: C) -> Result<T, Error> {
        match self {
            Some(v) => Ok(v),
            None => Err(Error::message(
                context.to_string(),
                ErrorType::PRIVATE,
                None,
            )),
        }
    }

    #[track_caller]
    fn with_context<C: fmt::Display, F: FnOnce() -> C>(self, f: F) -> Result<T, Error> {
        match self {
            Some(v) => Ok(v),
            None => Err(Error::message(f().to_string(), ErrorType::PRIVATE, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn query_db() -> Result<u32, Error> {
        Err(Error::private("connection refused"))
    }

    #[inline(never)]
    fn load_cart() -> Result<u32, Error> {
        query_db().context("loading the cart")
    }

    #[inline(never)]
    fn checkout() -> Result<u32, Error> {
        load_cart().with_context(|| format!("checkout of order {}", 7))
    }

    /// The line of the first occurrence of `needle` in this file.
    fn line_of(needle: &str) -> u32 {
        let src = include_str!("wrap.rs");
        let idx = src.lines().position(|l| l.contains(needle)).unwrap();
        u32::try_from(idx).unwrap() + 1
    }

    #[test]
    fn three_layers_keep_their_own_locations_and_stacks() {
        let e = checkout().unwrap_err();
        let layers: Vec<&Error> = e.layers().collect();
        assert_eq!(layers.len(), 3);
        let msgs: Vec<String> = layers.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            [
                "checkout of order 7",
                "loading the cart",
                "connection refused"
            ]
        );
        let lines: Vec<u32> = layers.iter().map(|l| l.location().line()).collect();
        assert_eq!(
            lines,
            [
                line_of("load_cart().with_context("),
                line_of("query_db().context("),
                line_of("Err(Error::private(\"connection refused\"))"),
            ]
        );
        assert!(layers.iter().all(|l| l.location().file() == file!()));
        // Each layer's own stack has its own function on top (after construction frames).
        for (layer, func) in layers.iter().zip(["checkout", "load_cart", "query_db"]) {
            let bt = layer.backtrace().unwrap();
            let top = bt
                .frames()
                .iter()
                .flat_map(backtrace::BacktraceFrame::symbols)
                .filter_map(|s| s.name().map(|n| format!("{n:#}")))
                .find(|n| n.contains("wrap::tests::"))
                .unwrap();
            assert!(top.ends_with(&format!("tests::{func}")), "{top} for {func}");
        }
    }

    #[test]
    fn report_lists_layers_newest_first_with_location_and_frames() {
        let e = checkout().unwrap_err();
        let report = format!("{e:#}");
        let first = report.find("1. checkout of order 7\n    at ").unwrap();
        let second = report.find("\n2. loading the cart\n    at ").unwrap();
        let third = report.find("\n3. connection refused\n    at ").unwrap();
        assert!(first < second && second < third, "{report}");
        let loc = format!("{}:{}:", file!(), line_of("query_db().context("));
        assert!(report[second..third].contains(&loc), "{report}");
        assert!(
            report[second..third].contains("wrap::tests::load_cart"),
            "{report}"
        );
        assert!(
            report[third..].contains("wrap::tests::query_db"),
            "{report}"
        );
        assert!(!report.contains("errata_errors::trace::"), "{report}");
        assert_eq!(format!("{e:?}"), report);
        assert_eq!(e.report().to_string(), report);
    }

    #[test]
    fn layers_inherit_type_meta_and_status() {
        let e = Error::public("sold out")
            .with_meta(serde_json::json!({"sku": 1}))
            .with_status(409)
            .context("reserving stock");
        assert!(e.is_public());
        assert_eq!(e.status(), Some(409));
        assert_eq!(
            e.to_json(),
            serde_json::json!({"sku": 1, "error": "reserving stock"})
        );
    }

    #[test]
    fn std_view_walks_every_layer_and_the_plain_causes() {
        let e =
            Error::wrap(std::io::Error::other("disk gone"), "saving").context("handling upload");
        let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
        assert_eq!(chain, ["handling upload", "saving", "disk gone"]);
        let boxed: BoxError = e.clone().into();
        assert_eq!(boxed.source().unwrap().to_string(), "saving");
        assert_eq!(e.layers().count(), 2);
        let innermost = e.layers().last().unwrap();
        assert_eq!(innermost.plain_causes().count(), 1);
        let report = e.report().to_string();
        assert!(report.ends_with("\n3. disk gone"), "{report}");
    }
}
