//! The request's context and its outcome: what handlers record, and what outer middleware reads.
//!
//! [`RequestContext`] is put in the request extensions by the layer: it holds the request's own
//! hub (hertzsentry's `GetHubFromContext`) and its recorded errors (Hertz's `c.Error(err)` and
//! `ctx.Errors`). [`Outcome`] is put in the response extensions of every response that passes the
//! layer: status, recorded errors, the caught panic and the event id (`GoFrame`'s
//! `r.GetError()` after `Next()`).

use std::sync::{Arc, Mutex, PoisonError};

use errata_errors::{Error, ErrorChain};
use http::{Extensions, Request, StatusCode};
use sentry_core::Hub;
use sentry_core::types::Uuid;

use crate::PanicReport;

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
}

impl RequestContext {
    pub(crate) fn new(hub: Arc<Hub>) -> Self {
        Self {
            inner: Arc::new(Inner {
                hub,
                errors: Mutex::new(ErrorChain::new()),
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
    #[track_caller]
    pub fn error(&self, err: impl Into<Error>) {
        let err = err.into();
        self.lock().push(err);
    }

    /// A snapshot of the errors recorded so far (Hertz's `ctx.Errors`).
    pub fn errors(&self) -> ErrorChain {
        self.lock().clone()
    }

    pub(crate) fn take_errors(&self) -> ErrorChain {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ErrorChain> {
        self.inner
            .errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The context in these extensions, if the layer put one there.
    pub fn from_extensions(ext: &Extensions) -> Option<Self> {
        ext.get::<Self>().cloned()
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
