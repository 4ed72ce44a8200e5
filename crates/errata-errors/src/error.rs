//! [`Error`]: one recorded failure with its Hertz type, JSON meta and place of creation.
//!
//! Modelled on Hertz's `errors.Error` (`Err`, `Type`, `Meta`) and on anyhow's ergonomics. Like
//! anyhow it deliberately does **not** implement `std::error::Error`: that would make the blanket
//! `From<E: std::error::Error>` (which gives `?` and Hertz's "plain errors become PRIVATE") collide
//! with the reflexive `From<T> for T`. Use [`Error::inner`], `AsRef` or `Box<dyn Error>::from`
//! where a `std::error::Error` is needed. The source is kept behind an `Arc` so errors can be
//! cloned into response extensions and request contexts for free.

use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::ErrorType;
use crate::trace::LazyBacktrace;

/// A boxed, thread-safe `std::error::Error` (what [`Error::new`] accepts).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// One error with its [`ErrorType`], optional JSON meta, creation location and backtrace.
///
/// ```
/// use errata_errors::{Error, ErrorType};
///
/// fn parse(s: &str) -> Result<u32, Error> {
///     Ok(s.parse::<u32>()?) // any std error converts into a PRIVATE Error here
/// }
/// let e = parse("x").unwrap_err();
/// assert!(e.is_private());
/// assert_eq!(e.to_string(), "invalid digit found in string");
///
/// let e = Error::new(std::io::Error::other("disk full"), ErrorType::RENDER, None)
///     .with_meta(serde_json::json!({"path": "/tmp"}));
/// assert_eq!(e.to_json(), serde_json::json!({"path": "/tmp", "error": "disk full"}));
/// ```
#[derive(Clone)]
pub struct Error {
    pub(crate) source: Arc<dyn StdError + Send + Sync + 'static>,
    pub(crate) ty: ErrorType,
    pub(crate) meta: Option<Value>,
    pub(crate) status: Option<u16>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) backtrace: Option<Arc<LazyBacktrace>>,
}

/// A plain-text error (what `Error::public("...")` and the format macros wrap).
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

impl Error {
    /// Hertz's `New(err, type, meta)`: wraps any error with a type and meta.
    #[track_caller]
    pub fn new(err: impl Into<BoxError>, ty: ErrorType, meta: Option<Value>) -> Self {
        Self::from_arc(Arc::from(err.into()), ty, meta, Location::caller())
    }

    /// A plain message of the given type (what [`errorf!`](crate::errorf) expands to).
    #[track_caller]
    pub fn message(msg: impl Into<String>, ty: ErrorType, meta: Option<Value>) -> Self {
        Self::from_arc(Arc::new(Message(msg.into())), ty, meta, Location::caller())
    }

    /// Hertz's `NewPublic`: a message meant for the client.
    ///
    /// ```
    /// let e = errata_errors::Error::public("quantity must be positive");
    /// assert!(e.is_public() && !e.is_private());
    /// ```
    #[track_caller]
    pub fn public(msg: impl Into<String>) -> Self {
        Self::message(msg, ErrorType::PUBLIC, None)
    }

    /// Hertz's `NewPrivate`: an internal message that must never reach a client.
    ///
    /// ```
    /// let e = errata_errors::Error::private("db password rejected");
    /// assert!(e.is_private());
    /// ```
    #[track_caller]
    pub fn private(msg: impl Into<String>) -> Self {
        Self::message(msg, ErrorType::PRIVATE, None)
    }

    pub(crate) fn from_arc(
        source: Arc<dyn StdError + Send + Sync + 'static>,
        ty: ErrorType,
        meta: Option<Value>,
        location: &'static Location<'static>,
    ) -> Self {
        Self {
            source,
            ty,
            meta: meta.filter(|m| !m.is_null()),
            status: None,
            location,
            backtrace: LazyBacktrace::capture().map(Arc::new),
        }
    }

    /// Hertz's `SetType`, in place.
    pub fn set_type(&mut self, ty: ErrorType) -> &mut Self {
        self.ty = ty;
        self
    }

    /// Hertz's `SetType`, by value.
    ///
    /// ```
    /// use errata_errors::{Error, ErrorType};
    /// let e = Error::private("bad json").with_type(ErrorType::BIND | ErrorType::PUBLIC);
    /// assert!(e.is_type(ErrorType::BIND) && e.is_public());
    /// ```
    #[must_use]
    pub fn with_type(mut self, ty: ErrorType) -> Self {
        self.ty = ty;
        self
    }

    /// Hertz's `SetMeta`, in place. A value that fails to serialize (or `null`) clears the meta.
    pub fn set_meta_mut(&mut self, meta: impl serde::Serialize) -> &mut Self {
        self.meta = serde_json::to_value(meta).ok().filter(|m| !m.is_null());
        self
    }

    /// Hertz's `SetMeta`, by value.
    ///
    /// ```
    /// let e = errata_errors::Error::public("nope").with_meta(serde_json::json!({"code": 7}));
    /// assert_eq!(e.meta().unwrap()["code"], 7);
    /// ```
    #[must_use]
    pub fn with_meta(mut self, meta: impl serde::Serialize) -> Self {
        self.set_meta_mut(meta);
        self
    }

    /// The HTTP status this error asks to be rendered with (an extension over Hertz).
    ///
    /// ```
    /// let e = errata_errors::Error::public("gone").with_status(410);
    /// assert_eq!(e.status(), Some(410));
    /// ```
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The status set by [`Error::with_status`], if any.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Hertz's `IsType`: whether any of `flags` is set (`(type & flags) != 0`).
    ///
    /// ```
    /// use errata_errors::{Error, ErrorType};
    /// let e = Error::private("x");
    /// assert!(e.is_type(ErrorType::PRIVATE | ErrorType::PUBLIC));
    /// assert!(!e.is_type(ErrorType::ANY)); // ANY is its own bit in Hertz
    /// ```
    pub fn is_type(&self, flags: ErrorType) -> bool {
        self.ty.intersects(flags)
    }

    /// Whether the message may be shown to clients.
    pub fn is_public(&self) -> bool {
        self.is_type(ErrorType::PUBLIC)
    }

    /// Whether the error is internal-only.
    pub fn is_private(&self) -> bool {
        self.is_type(ErrorType::PRIVATE)
    }

    /// Whether the error comes from binding the request.
    pub fn is_bind(&self) -> bool {
        self.is_type(ErrorType::BIND)
    }

    /// The error's type flags.
    pub fn error_type(&self) -> ErrorType {
        self.ty
    }

    /// The JSON meta, if any.
    pub fn meta(&self) -> Option<&Value> {
        self.meta.as_ref()
    }

    /// Hertz's `Unwrap`: the wrapped error.
    ///
    /// ```
    /// let e: errata_errors::Error = std::io::Error::other("eof").into();
    /// assert!(e.inner().downcast_ref::<std::io::Error>().is_some());
    /// ```
    pub fn inner(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.source
    }

    /// The wrapped error, shared.
    pub fn into_inner(self) -> Arc<dyn StdError + Send + Sync + 'static> {
        self.source
    }

    /// The wrapped error followed by its `source()` chain (outermost first).
    ///
    /// ```
    /// let e: errata_errors::Error = std::io::Error::other("eof").into();
    /// assert_eq!(e.chain().count(), 1);
    /// ```
    pub fn chain(&self) -> impl Iterator<Item = &(dyn StdError + 'static)> {
        let first: &(dyn StdError + 'static) = &*self.source;
        std::iter::successors(Some(first), |e: &&(dyn StdError + 'static)| (*e).source())
    }

    /// Where the error was created (the caller of `new`/`public`/the macro, or the `?`).
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The backtrace of the creation site, resolved on first call; `None` when the
    /// [`BacktraceMode`](crate::BacktraceMode) was `LocationOnly` at creation.
    pub fn backtrace(&self) -> Option<backtrace::Backtrace> {
        self.backtrace.as_ref().map(|b| b.resolved())
    }

    /// The text of a backtrace captured by a third-party error this was converted from (anyhow's
    /// `std::backtrace::Backtrace`, captured under `RUST_BACKTRACE`/`RUST_LIB_BACKTRACE`), if
    /// any. It shows where the failure *originated*; [`Error::backtrace`] shows the conversion.
    pub fn foreign_backtrace(&self) -> Option<&str> {
        #[cfg(feature = "anyhow")]
        {
            self.anyhow_backtrace()
        }
        #[cfg(not(feature = "anyhow"))]
        {
            None
        }
    }

    /// Hertz's `JSON()`: an object meta is merged, any other meta goes under `"meta"`, and
    /// `"error"` is set to the message unless the meta already has that key.
    ///
    /// Rust has no struct/map distinction after serialization, so a struct meta is merged like a
    /// map (Hertz returns a struct meta as is).
    ///
    /// ```
    /// use serde_json::json;
    /// let e = errata_errors::Error::public("x").with_meta(json!({"error": "kept"}));
    /// assert_eq!(e.to_json(), json!({"error": "kept"}));
    /// let e = errata_errors::Error::public("x").with_meta(3);
    /// assert_eq!(e.to_json(), json!({"meta": 3, "error": "x"}));
    /// ```
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        match &self.meta {
            Some(Value::Object(obj)) => map.extend(obj.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Some(other) => {
                map.insert("meta".to_owned(), other.clone());
            }
            None => {}
        }
        if !map.contains_key("error") {
            map.insert("error".to_owned(), Value::String(self.to_string()));
        }
        Value::Object(map)
    }
}

/// `{}` prints this layer's message (like anyhow, the outermost context only); `{:#}` prints
/// the whole [`report`](Error::report), `GoFrame`'s `%+v`: every layer newest first with its
/// location and stack, then the plain causes.
///
/// ```
/// #[derive(Debug)] struct Outer(std::io::Error);
/// impl std::fmt::Display for Outer { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("load failed") } }
/// impl std::error::Error for Outer { fn source(&self) -> Option<&(dyn std::error::Error + 'static)> { Some(&self.0) } }
///
/// let e: errata_errors::Error = Outer(std::io::Error::other("disk gone")).into();
/// let report = format!("{e:#}");
/// assert!(report.starts_with("1. load failed\n    at "), "{report}");
/// assert!(report.ends_with("\n2. disk gone"), "{report}");
/// assert_eq!(format!("{e}"), "load failed");
/// ```
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            fmt::Display::fmt(&self.report(), f)
        } else {
            write!(f, "{}", self.source)
        }
    }
}

/// `{:?}` is the same report as `{:#}`: every layer with its location and stack, then the causes.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.report(), f)
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for Error {
    /// Any `std::error::Error` becomes a PRIVATE error (Hertz's `RequestContext.Error`).
    #[track_caller]
    fn from(err: E) -> Self {
        Self::from_arc(Arc::new(err), ErrorType::PRIVATE, None, Location::caller())
    }
}

impl AsRef<dyn StdError + Send + Sync + 'static> for Error {
    fn as_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.source
    }
}

/// The `std::error::Error` view of an [`Error`] (what `Box<dyn Error>::from(Error)` holds, and
/// how a wrapped layer is reached through `source()`).
pub(crate) struct StdAdapter(pub(crate) Error);

impl fmt::Debug for StdAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.source, f)
    }
}

impl fmt::Display for StdAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.source, f)
    }
}

impl StdError for StdAdapter {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source.source()
    }
}

impl From<Error> for BoxError {
    /// ```
    /// let e = errata_errors::Error::private("x");
    /// let boxed: errata_errors::BoxError = e.into();
    /// assert_eq!(boxed.to_string(), "x");
    /// ```
    fn from(err: Error) -> Self {
        Box::new(StdAdapter(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn std_errors_become_private_at_the_question_mark() {
        fn f() -> Result<(), Error> {
            let _n: i32 = "nope".parse()?;
            Ok(())
        }
        let line = line!() - 3;
        let e = f().unwrap_err();
        assert_eq!(e.error_type(), ErrorType::PRIVATE);
        assert_eq!(e.location().line(), line);
        assert_eq!(e.location().file(), file!());
    }

    #[test]
    fn to_json_follows_hertz_for_each_meta_kind() {
        assert_eq!(Error::public("m").to_json(), json!({"error": "m"}));
        assert_eq!(
            Error::public("m").with_meta(json!({"a": 1})).to_json(),
            json!({"a": 1, "error": "m"})
        );
        assert_eq!(
            Error::public("m")
                .with_meta(json!({"error": "own"}))
                .to_json(),
            json!({"error": "own"})
        );
        assert_eq!(
            Error::public("m").with_meta("s").to_json(),
            json!({"meta": "s", "error": "m"})
        );
        assert_eq!(
            Error::public("m").with_meta(json!([1, 2])).to_json(),
            json!({"meta": [1, 2], "error": "m"})
        );
        assert_eq!(Error::public("m").with_meta(()).meta(), None);
    }

    #[test]
    fn is_type_is_a_bit_intersection() {
        let e = Error::message("x", ErrorType::BIND | ErrorType::PUBLIC, None);
        assert!(e.is_type(ErrorType::BIND));
        assert!(e.is_type(ErrorType::PUBLIC | ErrorType::RENDER));
        assert!(!e.is_type(ErrorType::PRIVATE));
        assert!(!e.is_type(ErrorType::ANY));
        assert!(!e.is_type(ErrorType::empty()));
        assert!(Error::message("x", ErrorType::ANY, None).is_type(ErrorType::ANY));
    }

    #[test]
    fn debug_shows_chain_location_and_a_stack_with_this_test() {
        let e = Error::new(std::io::Error::other("inner"), ErrorType::PRIVATE, None);
        let dbg = format!("{e:?}");
        assert!(dbg.starts_with("1. inner\n    at "), "{dbg}");
        assert!(dbg.contains(file!()), "{dbg}");
        assert!(
            dbg.contains("debug_shows_chain_location_and_a_stack_with_this_test"),
            "{dbg}"
        );
    }

    #[test]
    fn boxed_error_keeps_message_and_source() {
        let e = Error::private("outer");
        let boxed: BoxError = e.clone().into();
        assert_eq!(boxed.to_string(), "outer");
        assert!(boxed.source().is_none());
        let as_ref: &(dyn StdError + Send + Sync) = e.as_ref();
        assert_eq!(as_ref.to_string(), "outer");
    }
}
