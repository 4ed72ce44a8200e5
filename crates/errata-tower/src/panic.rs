//! Catching panics: the chained panic hook, the [`CatchPanic`] future and [`PanicReport`].
//!
//! `catch_unwind` only yields the payload; the location and the stack exist only inside the panic
//! hook, which runs on the panicking thread *before* unwinding. So [`install`] chains a
//! process-wide hook that, while the current thread is inside one of our catch scopes (a
//! thread-local depth counter set around every poll), stores the location and an *unresolved*
//! backtrace in a thread-local and suppresses the previous hook (std's stderr message and
//! `sentry-panic`'s duplicate report and blocking flush). Outside our scopes, the previous hook
//! runs untouched. Hook state is thread-local, so parallel tests and runtimes do not interfere.
//!
//! When a layer re-panics (`re_panic`) it marks the unwind as already reported, so an outer
//! `ErrataLayer` does not report the same panic twice. A fresh panic always clears that mark,
//! because the hook runs for new panics but not for `resume_unwind`.
//!
//! Under `panic = "abort"` nothing can be caught: the hook then always defers to the previous
//! hook, so keep `sentry`'s `panic` integration on in such builds to get the event out.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use errata_errors::Error;
use sentry_core::Hub;
use sentry_core::protocol::Stacktrace;
use sentry_core::types::Uuid;

use crate::{event, log};

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static RECORD: RefCell<Option<HookRecord>> = const { RefCell::new(None) };
    static RESUMED: Cell<Prior> = const { Cell::new(Prior::Fresh) };
}

/// What the hook saw of a panic inside a catch scope.
struct HookRecord {
    location: Option<String>,
    backtrace: backtrace::Backtrace,
}

/// Chains the panic hook on top of the hook installed now.
/// [`ErrataLayer::new`](crate::ErrataLayer::new) calls it; [`CatchPanic`] and
/// [`spawn`](crate::spawn) make sure it was installed at least once.
///
/// Being on top matters: a hook installed later (like `sentry-panic`'s, installed by
/// `sentry::init`) would run first and report caught panics a second time. Each call re-chains,
/// so creating the layer after `sentry::init` is enough; where that order cannot be guaranteed,
/// initialise sentry with [`prepare_client_options`](crate::prepare_client_options). Cheap, but not meant to be called per
/// request (each call adds one link to the hook chain).
///
/// ```
/// errata_tower::panic::install();
/// assert!(errata_tower::panic::is_installed());
/// ```
pub fn install() {
    INSTALLS.fetch_add(1, Ordering::SeqCst);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Under `panic = "abort"` nothing is caught: let the previous hook (e.g. sentry-panic,
        // which captures and flushes synchronously) see every panic before the process aborts.
        if DEPTH.get() > 0 && !cfg!(panic = "abort") {
            RESUMED.set(Prior::Fresh);
            RECORD.set(Some(HookRecord {
                location: info.location().map(ToString::to_string),
                backtrace: backtrace::Backtrace::new_unresolved(),
            }));
        } else {
            RESUMED.set(Prior::Fresh);
            previous(info);
        }
    }));
}

/// Whether [`install`] ran in this process.
pub fn is_installed() -> bool {
    INSTALLS.load(Ordering::SeqCst) > 0
}

pub(crate) fn ensure_installed() {
    if !is_installed() {
        install();
    }
}

static INSTALLS: AtomicUsize = AtomicUsize::new(0);

/// Whether the current thread is inside one of our catch scopes right now.
pub(crate) fn in_catch_scope() -> bool {
    DEPTH.get() > 0
}

/// Marks the current thread as inside a catch scope for its lifetime.
struct ScopeGuard;

impl ScopeGuard {
    fn enter() -> Self {
        DEPTH.set(DEPTH.get() + 1);
        ScopeGuard
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get().saturating_sub(1));
    }
}

/// Runs `f` inside a catch scope, returning the payload and what the hook recorded.
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    let guard = ScopeGuard::enter();
    let result = catch_unwind(AssertUnwindSafe(f));
    drop(guard);
    result.map_err(|payload| {
        let record = RECORD.take();
        let already_reported = RESUMED.replace(Prior::Fresh);
        Caught {
            payload,
            location: record.as_ref().and_then(|r| r.location.clone()),
            backtrace: record.map(|r| r.backtrace),
            already_reported,
            report: None,
        }
    })
}

/// Resumes a caught panic after it has been reported (with the event id, if one was sent), so
/// that an outer `ErrataLayer` does not report it again.
pub(crate) fn resume_reported(payload: Box<dyn Any + Send>, event_id: Option<Uuid>) -> ! {
    RESUMED.set(Prior::Reported(event_id));
    resume_unwind(payload)
}

/// Whether a caught panic was already reported by an inner layer before it was resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prior {
    /// A new panic: nobody reported it yet.
    Fresh,
    /// Reported by an inner layer, with this event id (if the event was not dropped).
    Reported(Option<Uuid>),
}

/// A caught panic: the original payload plus what the hook recorded.
pub struct Caught {
    /// The panic payload, as given to `panic!`/`panic_any` (for `resume_unwind`).
    pub payload: Box<dyn Any + Send>,
    location: Option<String>,
    backtrace: Option<backtrace::Backtrace>,
    /// Whether an inner layer already reported this panic and re-panicked.
    already_reported: Prior,
    /// The report, once resolved (resolving consumes the backtrace).
    report: Option<Box<PanicReport>>,
}

impl std::fmt::Debug for Caught {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caught")
            .field("message", &payload_message(&*self.payload))
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Caught {
    /// Whether an inner layer already reported this panic (and with which event id).
    #[cfg(test)]
    pub(crate) fn already_reported(&self) -> Prior {
        self.already_reported
    }

    /// Reports the panic on `hub` (once: not if an inner layer already did) and writes it to the
    /// error log (see the `log` module). Returns the report and event id.
    pub(crate) fn report_on(&mut self, hub: &Arc<Hub>, what: &str) -> (PanicReport, Option<Uuid>) {
        let report = self.report();
        let id = match self.already_reported {
            Prior::Reported(id) => id,
            Prior::Fresh => {
                log::panic(hub, what, &report);
                let options = hub.client().map(|c| c.options().clone());
                let id = hub.capture_event(event::panic_event(&report, options.as_ref()));
                (!id.is_nil()).then_some(id)
            }
        };
        (report, id)
    }

    /// Resolves the backtrace (expensive: symbolication) and builds the report; later calls
    /// return the same report.
    pub fn report(&mut self) -> PanicReport {
        if let Some(report) = &self.report {
            return (**report).clone();
        }
        let stacktrace = self.backtrace.take().and_then(|mut bt| {
            bt.resolve();
            event::trimmed_stacktrace(&bt, event::PANIC_MACHINERY)
        });
        let report = PanicReport {
            message: payload_message(&*self.payload),
            error: self.payload.downcast_ref::<Error>().cloned(),
            error_type: self
                .payload
                .downcast_ref::<errata_errors::BoxError>()
                .map(|err| sentry_core::parse_type_from_debug(&format!("{err:?}")).to_owned()),
            location: self.location.clone(),
            thread: std::thread::current().name().map(ToOwned::to_owned),
            stacktrace,
        };
        self.report = Some(Box::new(report.clone()));
        report
    }
}

/// The message of a panic payload: `&str` and `String` as is, anything else like std does.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(err) = payload.downcast_ref::<Error>() {
        err.to_string()
    } else if let Some(err) = payload.downcast_ref::<errata_errors::BoxError>() {
        err.to_string()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// A reported panic, as seen by outer middleware through [`Outcome`](crate::Outcome).
///
/// Everything here is server-side detail: none of it is ever rendered to the client.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PanicReport {
    /// The panic message: the string, or the error's message for an `errata_errors::Error` or
    /// `Box<dyn std::error::Error + Send + Sync>` payload (`"Box<dyn Any>"` for anything else).
    pub message: String,
    /// The payload, when it was an `errata_errors::Error` (`std::panic::panic_any(err)`): the
    /// event then carries that error's chain, types and stacks, and `message` is its message.
    pub error: Option<Error>,
    /// The error's type name, when the payload was a `Box<dyn std::error::Error + Send + Sync>`
    /// (the event's exception type instead of `panic`).
    pub error_type: Option<String>,
    /// `file:line:col` of the panic, when the hook saw it.
    pub location: Option<String>,
    /// The name of the thread that panicked.
    pub thread: Option<String>,
    /// The stack, newest frame last, with the panic machinery and SDK frames trimmed and
    /// framework frames (tokio, hyper, tower, axum, ...) marked not in-app.
    pub stacktrace: Option<Stacktrace>,
}

pin_project_lite::pin_project! {
    /// A future that catches panics of its inner future (every poll runs in a catch scope).
    ///
    /// Output is `Ok(value)` or `Err(Caught)`; after a panic the inner future is not polled again.
    ///
    /// ```
    /// use errata_tower::panic::CatchPanic;
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let out = rt.block_on(CatchPanic::new(async { panic!("boom") }));
    /// let mut caught = out.unwrap_err();
    /// assert_eq!(caught.report().message, "boom");
    /// assert_eq!(rt.block_on(CatchPanic::new(async { 7 })).unwrap(), 7);
    /// ```
    #[derive(Debug)]
    pub struct CatchPanic<F> {
        #[pin]
        inner: F,
    }
}

impl<F> CatchPanic<F> {
    /// Wraps a future.
    pub fn new(inner: F) -> Self {
        ensure_installed();
        Self { inner }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, Caught>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match catch(|| this.inner.poll(cx)) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(caught) => Poll::Ready(Err(caught)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn helper_that_panics() {
        panic!("helper failed")
    }

    #[test]
    fn catch_records_location_and_a_trimmed_stack() {
        ensure_installed();
        let mut caught = catch(helper_that_panics).unwrap_err();
        let report = caught.report();
        assert_eq!(report.message, "helper failed");
        assert!(report.location.as_deref().unwrap().contains("panic.rs"));
        let st = report.stacktrace.unwrap();
        let top = st.frames.last().unwrap();
        assert!(
            top.function
                .as_deref()
                .unwrap()
                .ends_with("helper_that_panics"),
            "{:?}",
            st.frames
                .iter()
                .rev()
                .take(5)
                .map(|f| &f.function)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn payloads_of_all_kinds_have_messages() {
        ensure_installed();
        let c = catch(|| std::panic::panic_any(42_i32)).unwrap_err();
        assert_eq!(payload_message(&*c.payload), "Box<dyn Any>");
        let c = catch(|| panic!("{}-{}", 1, 2)).unwrap_err();
        assert_eq!(payload_message(&*c.payload), "1-2");
        let mut c =
            catch(|| std::panic::panic_any(Error::private("ledger out of balance"))).unwrap_err();
        assert_eq!(payload_message(&*c.payload), "ledger out of balance");
        assert!(c.report().error.is_some());
    }

    #[test]
    fn boxed_std_error_payloads_give_their_message() {
        let boxed: errata_errors::BoxError = Box::new(std::io::Error::other("disk full"));
        let mut c = catch(|| std::panic::panic_any(boxed)).unwrap_err();
        assert_eq!(payload_message(&*c.payload), "disk full");
        assert_eq!(c.report().error_type.as_deref(), Some("Custom"));
        let event = event::panic_event(&c.report(), None);
        assert_eq!(event.exception.values[0].ty, "Custom");
        assert_eq!(
            event.exception.values[0].value.as_deref(),
            Some("disk full")
        );
    }

    #[test]
    fn a_resumed_panic_is_marked_reported_and_a_fresh_one_is_not() {
        ensure_installed();
        let id = Uuid::from_u128(42);
        let c = catch(|| {
            let inner = catch(|| panic!("inner")).unwrap_err();
            resume_reported(inner.payload, Some(id));
        })
        .unwrap_err();
        assert_eq!(c.already_reported(), Prior::Reported(Some(id)));
        let c = catch(|| panic!("fresh")).unwrap_err();
        assert_eq!(c.already_reported(), Prior::Fresh);
    }
}
