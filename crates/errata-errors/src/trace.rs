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

/// Function-name prefixes of library frames, left out of the written stack.
const LIBRARY: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "backtrace::",
    "test::",
    "__rust",
    "rust_begin_unwind",
    "__libc_start",
    "start_thread",
    "clone",
];

/// Names of the C runtime's entry frames.
const C_ENTRY: &[&str] = &["main", "_start"];

/// Whether a frame belongs to error construction in this crate (trimmed from the newest end).
fn is_construction(name: &str) -> bool {
    name.contains("errata_errors::") && !name.contains("::tests::")
}

fn is_library(name: &str) -> bool {
    let owner = name.trim_start_matches('<');
    LIBRARY.iter().any(|p| owner.starts_with(p)) || C_ENTRY.contains(&name)
}

impl LazyBacktrace {
    /// Writes the user frames of the stack, newest first, one `N: function` line plus an
    /// `at file:line` line each, every line prefixed by `indent`. Error construction frames at
    /// the newest end and library frames (std, core, backtrace) are left out, like `GoFrame`
    /// filters its own and the Go runtime's frames from `%+v`.
    pub(crate) fn write_frames(&self, f: &mut fmt::Formatter<'_>, indent: &str) -> fmt::Result {
        let bt = self.resolved();
        let symbols = bt
            .frames()
            .iter()
            .flat_map(backtrace::BacktraceFrame::symbols);
        let mut started = false;
        let mut n = 0;
        for sym in symbols {
            let name = sym
                .name()
                .map_or_else(|| "<unknown>".to_owned(), |n| format!("{n:#}"));
            if !started && (is_construction(&name) || is_library(&name)) {
                continue;
            }
            started = true;
            let std_source = sym.filename().is_some_and(|p| p.starts_with("/rustc/"));
            if is_library(&name) || std_source {
                continue;
            }
            write!(f, "\n{indent}{n:>2}: {name}")?;
            if let (Some(file), Some(line)) = (sym.filename(), sym.lineno()) {
                write!(f, "\n{indent}        at {}:{line}", file.display())?;
            }
            n += 1;
        }
        Ok(())
    }
}

impl fmt::Debug for LazyBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.resolved(), f)
    }
}
