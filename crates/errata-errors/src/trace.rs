//! Where an [`Error`](crate::Error) was created: the caller's location and a lazily resolved
//! backtrace.
//!
//! Capturing an unresolved backtrace costs about 10 µs; resolving symbols costs far more (up to
//! 100 ms the first time), so capture happens at `Error` creation and resolution only when
//! somebody formats or reports the error. The `backtrace` crate is used (not
//! `std::backtrace`) because it captures regardless of `RUST_BACKTRACE` and exposes frames,
//! which the Sentry reporting needs. The capture mode is process-wide.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

/// How much an [`Error`](crate::Error) records about where it was created (process-wide).
///
/// ```
/// use errata_errors::{BacktraceMode, Error, backtrace_mode, set_backtrace_mode};
/// assert_eq!(backtrace_mode(), BacktraceMode::Capture); // the default
/// let e = Error::private("boom");
/// assert!(e.backtrace().is_some());
/// assert!(e.location().file().ends_with(".rs"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BacktraceMode {
    /// Only the `#[track_caller]` location (free).
    LocationOnly,
    /// Location plus an unresolved backtrace, resolved on demand (about 10 µs per error).
    Capture,
}

static MODE: AtomicU8 = AtomicU8::new(1);

/// Sets the process-wide [`BacktraceMode`] for errors created from now on.
pub fn set_backtrace_mode(mode: BacktraceMode) {
    MODE.store(
        match mode {
            BacktraceMode::LocationOnly => 0,
            BacktraceMode::Capture => 1,
        },
        Ordering::Relaxed,
    );
}

/// The current process-wide [`BacktraceMode`].
pub fn backtrace_mode() -> BacktraceMode {
    if MODE.load(Ordering::Relaxed) == 0 {
        BacktraceMode::LocationOnly
    } else {
        BacktraceMode::Capture
    }
}

/// A backtrace captured unresolved and resolved (once) on first use.
pub(crate) struct LazyBacktrace {
    inner: Mutex<(backtrace::Backtrace, bool)>,
}

impl LazyBacktrace {
    pub(crate) fn capture() -> Option<Self> {
        (backtrace_mode() == BacktraceMode::Capture).then(|| Self {
            inner: Mutex::new((backtrace::Backtrace::new_unresolved(), false)),
        })
    }

    /// The resolved backtrace (resolving it on first call).
    pub(crate) fn resolved(&self) -> backtrace::Backtrace {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !guard.1 {
            guard.0.resolve();
            guard.1 = true;
        }
        guard.0.clone()
    }
}

impl fmt::Debug for LazyBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.resolved(), f)
    }
}
