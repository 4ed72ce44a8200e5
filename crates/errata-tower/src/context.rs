//! The request's context and its outcome: what handlers record, and what outer middleware reads.
//!
//! [`RequestContext`] is put in the request extensions by the layer: it holds the request's own
//! hub (hertzsentry's `GetHubFromContext`) and its recorded errors (Hertz's `c.Error(err)` and
//! `ctx.Errors`). [`Outcome`] is put in the response extensions of every response that passes the
//! layer: status, recorded errors, the caught panic and the event id (`GoFrame`'s
//! `r.GetError()` after `Next()`). Middleware *inside* the layer reads the same thing, before the
//! layer has reported anything, with [`RequestContext::outcome_of`] (panics reach it when the
//! innermost [`PanicGuardLayer`](crate::PanicGuardLayer) turned them into a 500).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use errata_errors::{Error, ErrorChain, ErrorType};
use http::{Extensions, Request, Response, StatusCode};
use sentry_core::Hub;
use sentry_core::types::Uuid;

use crate::PanicReport;
use crate::panic::Caught;

/// Per-request state: the request's hub and its recorded errors. Cheap to clone.
///
/// ```
/// use errata_tower::RequestContext;
/// let ctx = RequestContext::detached();
/// ctx.error(errata_errors::Error::private("downstream failed"));
/// ctx.error(std::io::Error::other("io")); // std errors are recorded as PRIVATE
/// assert_eq!(ctx.errors().len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct RequestContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    hub: Arc<Hub>,
    errors: Mutex<ErrorChain>,
    /// A panic the [`PanicGuardLayer`](crate::PanicGuardLayer) caught, for the layer to report.
    panic: Mutex<Option<Caught>>,
}

impl RequestContext {
    pub(crate) fn new(hub: Arc<Hub>) -> Self {
        Self {
            inner: Arc::new(Inner {
                hub,
                errors: Mutex::new(ErrorChain::new()),
                panic: Mutex::new(None),
            }),
        }
    }

    /// A context outside any layer (a fresh hub from `Hub::main()`), for tests and tools.
    pub fn detached() -> Self {
        Self::new(Arc::new(Hub::new_from_top(Hub::main())))
    }

    /// The request's hub: derived from the main hub, isolated from other requests, and also the
    /// thread's current hub while the handler runs.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    /// Records an error on the request (Hertz's `c.Error(err)`); std errors become PRIVATE.
    /// Returns the recorded error, so that Hertz's `c.Error(err).SetType(..).SetMeta(..)`
    /// reads the same:
    ///
    /// ```
    /// use errata_errors::ErrorType;
    /// let ctx = errata_tower::RequestContext::detached();
    /// ctx.error(std::io::Error::other("quota exceeded"))
    ///     .set_type(ErrorType::PUBLIC)
    ///     .set_meta(serde_json::json!({"limit": 10}));
    /// let last = ctx.errors().last().cloned().unwrap();
    /// assert!(last.is_public());
    /// assert_eq!(last.to_json(), serde_json::json!({"limit": 10, "error": "quota exceeded"}));
    /// ```
    #[track_caller]
    pub fn error(&self, err: impl Into<Error>) -> Recorded<'_> {
        let err = err.into();
        let mut errors = self.lock();
        errors.push(err);
        Recorded {
            ctx: self,
            index: errors.len() - 1,
        }
    }

    /// A snapshot of the errors recorded so far (Hertz's `ctx.Errors`).
    pub fn errors(&self) -> ErrorChain {
        self.lock().clone()
    }

    pub(crate) fn take_errors(&self) -> ErrorChain {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, ErrorChain> {
        self.inner
            .errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn panic_slot(&self) -> MutexGuard<'_, Option<Caught>> {
        self.inner
            .panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps a panic caught inside the stack for the layer to report (the first one wins).
    pub(crate) fn store_panic(&self, caught: Caught) {
        self.panic_slot().get_or_insert(caught);
    }

    /// The panic stored by the guard, for the layer to report.
    pub(crate) fn take_panic(&self) -> Option<Caught> {
        self.panic_slot().take()
    }

    /// What the request has failed with so far, as a middleware *inside* the layer sees it after
    /// calling the handler (`GoFrame`'s `r.GetError()` after `Next()`): the errors recorded on
    /// the context and those carried by `res` (a returned `errata_errors::Error`), and the panic
    /// the innermost [`PanicGuardLayer`](crate::PanicGuardLayer) caught. Nothing is reported yet,
    /// so `event_id` and `delivered` are `None`; the layer's final [`Outcome`] comes later.
    ///
    /// ```
    /// let ctx = errata_tower::RequestContext::detached();
    /// ctx.error(errata_errors::Error::private("ledger down"));
    /// let mut res = http::Response::new(());
    /// *res.status_mut() = http::StatusCode::BAD_GATEWAY;
    /// res.extensions_mut().insert(errata_errors::Error::public("try later"));
    /// let seen = ctx.outcome_of(&res);
    /// assert_eq!(seen.status, 502);
    /// assert_eq!(seen.errors.errors(), vec!["ledger down".to_owned(), "try later".to_owned()]);
    /// assert!(seen.panic.is_none());
    /// ```
    pub fn outcome_of<B>(&self, res: &Response<B>) -> Outcome {
        let mut errors = self.errors();
        if let Some(err) = res.extensions().get::<Error>() {
            errors.push(err.clone());
        }
        if let Some(chain) = res.extensions().get::<ErrorChain>() {
            errors.extend(chain.iter().cloned());
        }
        let panic = self
            .panic_slot()
            .as_mut()
            .map(|caught| Arc::new(caught.report()));
        Outcome {
            status: res.status(),
            errors,
            panic,
            event_id: None,
            delivered: None,
        }
    }

    /// The context in these extensions, if the layer put one there.
    pub fn from_extensions(ext: &Extensions) -> Option<Self> {
        ext.get::<Self>().cloned()
    }
}

/// The error [`RequestContext::error`] just recorded, to adjust it in place as Hertz's
/// `*errors.Error` returned by `c.Error(err)` allows. Each call locks the context briefly, so
/// holding one never blocks other recordings.
#[derive(Debug)]
pub struct Recorded<'a> {
    ctx: &'a RequestContext,
    index: usize,
}

// Reason: as in Hertz, a chain of setters usually ends by dropping the returned value.
#[allow(clippy::return_self_not_must_use)]
impl Recorded<'_> {
    /// Hertz's `SetType`: replaces the error's type flags.
    pub fn set_type(self, ty: ErrorType) -> Self {
        self.edit(|e| {
            e.set_type(ty);
        })
    }

    /// Hertz's `SetMeta`: attaches JSON metadata (anything `Serialize`).
    pub fn set_meta(self, meta: impl serde::Serialize) -> Self {
        self.edit(|e| {
            e.set_meta_mut(meta);
        })
    }

    /// A copy of the recorded error as it is now.
    pub fn get(&self) -> Option<Error> {
        self.ctx.lock().iter().nth(self.index).cloned()
    }

    fn edit(self, f: impl FnOnce(&mut Error)) -> Self {
        if let Some(err) = self.ctx.lock().get_mut(self.index) {
            f(err);
        }
        self
    }
}

/// The hub of a request that passed the layer (hertzsentry's `GetHubFromContext`).
///
/// ```
/// let req = http::Request::new(());
/// assert!(errata_tower::hub_from_request(&req).is_none()); // not behind the layer
/// ```
pub fn hub_from_request<B>(req: &Request<B>) -> Option<Arc<Hub>> {
    req.extensions()
        .get::<RequestContext>()
        .map(|c| c.hub().clone())
}

/// What happened to a request, in the extensions of every response the layer returns.
///
/// ```no_run
/// // In an outer axum `from_fn` middleware (after `next.run(req).await`):
/// # fn after(res: http::Response<()>) {
/// if let Some(o) = res.extensions().get::<errata_tower::Outcome>() {
///     if o.panic.is_some() || !o.errors.is_empty() {
///         tracing::warn!(status = %o.status, event = ?o.event_id, "request failed");
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// The final status sent to the client.
    pub status: StatusCode,
    /// The errors recorded on the request (by `ctx.error` or by returning an `Error`).
    pub errors: ErrorChain,
    /// The caught panic, if the handler panicked.
    pub panic: Option<Arc<PanicReport>>,
    /// The id of the event sent for this request (`None` if none, or `before_send` dropped it).
    pub event_id: Option<Uuid>,
    /// With `wait_for_delivery`: whether the flush completed within the timeout.
    pub delivered: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_std_errors_point_at_the_recording_line() {
        let ctx = RequestContext::detached();
        let line = line!() + 1;
        ctx.error(std::io::Error::other("disk"));
        let errors = ctx.errors();
        let loc = errors.last().unwrap().location();
        assert_eq!((loc.file(), loc.line()), (file!(), line));
        assert!(errors.last().unwrap().is_private());
    }
}
