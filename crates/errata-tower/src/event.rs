//! Building Sentry events: panics and recorded error chains, with stack trimming and in-app rules.
//!
//! `sentry-rust` does no client-side trimming: a raw panic stack starts with the backtrace
//! capture, the hook and std's panicking frames, and axum/tower/hyper frames count as in-app.
//! Sentry.io compensates server-side; a plain Sentry-compatible server (Errata) does not, so the
//! trimming and in-app marking happen here. Frames are in Sentry order (oldest first, newest
//! last); trimming drops the newest frames while they belong to the panic/capture machinery.

use std::collections::BTreeMap;

use errata_errors::{Error, ErrorChain};
use sentry_core::ClientOptions;
use sentry_core::protocol::{Event, Exception, Frame, Level, Mechanism, Stacktrace, Value};

use crate::PanicReport;

/// Frame prefixes of the panic machinery and of this crate's hook (trimmed from the top).
pub(crate) const PANIC_MACHINERY: &[&str] = &[
    "backtrace::",
    "errata_tower::panic::install",
    "std::",
    "core::",
    "alloc::",
    "__rust",
    "__rustc::",
    "rust_begin_unwind",
];

/// Where std enters a panic: every frame newer than the oldest of these is panic/hook machinery.
const PANIC_ENTRY: &[&str] = &[
    "std::panicking::rust_panic_with_hook",
    "std::panicking::begin_panic_handler",
    "std::panicking::begin_panic",
    "rust_begin_unwind",
    "__rustc::rust_begin_unwind",
];

/// Frame prefixes of error construction (trimmed from the top of an error's stack).
pub(crate) const ERROR_MACHINERY: &[&str] = &[
    "backtrace::",
    "errata_errors::",
    "std::",
    "core::",
    "alloc::",
    "errata_tower::context::",
];

/// Frame prefixes that are never the user's code.
const NOT_IN_APP: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "backtrace::",
    "tokio::",
    "hyper::",
    "hyper_util::",
    "tower::",
    "tower_http::",
    "tower_layer::",
    "tower_service::",
    "axum::",
    "axum_core::",
    "actix_web::",
    "actix_http::",
    "actix_service::",
    "actix_rt::",
    "actix_server::",
    "actix_utils::",
    "errata_actix::",
    "http_body_util::",
    "futures_util::",
    "futures_core::",
    "futures::",
    "sentry::",
    "sentry_core::",
    "sentry_tower::",
    "errata_tower::",
    "errata_errors::",
    "__rust",
    "rust_begin_unwind",
    // Thread entry points of libc, seen under every worker thread's stack.
    "start_thread",
    "clone",
    "__clone",
];

/// Whether a frame's function belongs to one of the module prefixes. For a trait impl on a
/// generic parameter (`<F as axum::handler::Handler<..>>::call`) the trait's path decides, since
/// that is a blanket impl of the trait's crate.
fn matches(function: &str, prefixes: &[&str]) -> bool {
    let f = function.trim_start_matches('<');
    let owner = match f.split_once(" as ") {
        Some((self_ty, trait_path)) if !self_ty.contains("::") => trait_path,
        _ => f,
    };
    prefixes.iter().any(|p| owner.starts_with(p))
}

/// Converts a resolved backtrace, trims the newest frames matching `machinery`, and marks
/// framework frames not in-app.
pub(crate) fn trimmed_stacktrace(
    bt: &backtrace::Backtrace,
    machinery: &[&str],
) -> Option<Stacktrace> {
    let st = sentry_backtrace::backtrace_to_stacktrace(bt)?;
    trim_and_mark(st, machinery)
}

/// Trims the newest frames of the panic entry and `machinery`, and marks framework frames
/// not in-app; `None` when nothing is left.
fn trim_and_mark(mut st: Stacktrace, machinery: &[&str]) -> Option<Stacktrace> {
    // Everything newer than the panic entry point is hook code (ours, sentry-panic's, anyone's).
    if let Some(entry) = st.frames.iter().position(|f| {
        f.function
            .as_deref()
            .is_some_and(|f| matches(f, PANIC_ENTRY))
    }) {
        st.frames.truncate(entry);
    }
    while st
        .frames
        .last()
        .and_then(|f| f.function.as_deref())
        .is_some_and(|f| matches(f, machinery) || f == "<unknown>")
    {
        st.frames.pop();
    }
    for frame in &mut st.frames {
        if frame
            .function
            .as_deref()
            .is_some_and(|f| f == "<unknown>" || matches(f, NOT_IN_APP))
        {
            frame.in_app = Some(false);
        }
    }
    (!st.frames.is_empty()).then_some(st)
}

/// Applies the client's `in_app_include`/`in_app_exclude` (what the `sentry` facade does).
fn process(st: &mut Stacktrace, options: Option<&ClientOptions>) {
    if let Some(options) = options {
        sentry_backtrace::process_event_stacktrace(st, options);
    }
}

/// The single event for a caught panic: exception type `panic`, unhandled, level fatal.
pub(crate) fn panic_event(report: &PanicReport, options: Option<&ClientOptions>) -> Event<'static> {
    let mut stacktrace = report.stacktrace.clone();
    if let Some(st) = &mut stacktrace {
        process(st, options);
    }
    let mut extra = BTreeMap::new();
    if let Some(location) = &report.location {
        extra.insert("panic.location".to_owned(), Value::from(location.clone()));
    }
    if let Some(thread) = &report.thread {
        extra.insert("panic.thread".to_owned(), Value::from(thread.clone()));
    }
    if let Some(err) = &report.error {
        // `panic_any(errata_errors::Error)`: the error's own chain, type and stacks.
        let mut exceptions = error_exceptions(err, 0, options);
        if let Some(root) = exceptions.last_mut().and_then(|e| e.mechanism.as_mut()) {
            "panic".clone_into(&mut root.ty);
            root.handled = Some(false);
        }
        return Event {
            level: Level::Fatal,
            exception: exceptions.into(),
            extra,
            ..Event::default()
        };
    }
    Event {
        level: Level::Fatal,
        exception: vec![Exception {
            ty: report
                .error_type
                .clone()
                .unwrap_or_else(|| "panic".to_owned()),
            value: Some(report.message.clone()),
            mechanism: Some(Mechanism {
                ty: "panic".to_owned(),
                handled: Some(false),
                ..Mechanism::default()
            }),
            stacktrace,
            ..Exception::default()
        }]
        .into(),
        extra,
        ..Event::default()
    }
}

/// Frame prefixes of a third-party error's construction (trimmed from the top of its stack).
const FOREIGN_MACHINERY: &[&str] = &["anyhow::", "std::", "core::", "alloc::"];

/// A third-party error's backtrace text (anyhow's `std::backtrace::Backtrace`) as a trimmed
/// stack, when it parses: the parser takes any line for a frame, so at least one frame must
/// have a source line.
fn foreign_stacktrace(text: &str) -> Option<Stacktrace> {
    let st = sentry_backtrace::parse_stacktrace(text)?;
    if !st.frames.iter().any(|f| f.lineno.is_some()) {
        return None;
    }
    trim_and_mark(st, FOREIGN_MACHINERY)
}

/// The stack of where `err` was created: where a third-party error it was converted from
/// originated (when that error captured a parseable backtrace), else its own backtrace, else a
/// one-frame stack of its location.
fn error_stacktrace(err: &Error, options: Option<&ClientOptions>) -> Stacktrace {
    let mut st = err
        .foreign_backtrace()
        .and_then(foreign_stacktrace)
        .or_else(|| {
            err.backtrace()
                .and_then(|bt| trimmed_stacktrace(&bt, ERROR_MACHINERY))
        })
        .unwrap_or_else(|| Stacktrace {
            frames: vec![Frame {
                filename: Some(err.location().file().to_owned()),
                abs_path: Some(err.location().file().to_owned()),
                lineno: Some(u64::from(err.location().line())),
                colno: Some(u64::from(err.location().column())),
                in_app: Some(true),
                ..Frame::default()
            }],
            ..Stacktrace::default()
        });
    process(&mut st, options);
    st
}

/// The single event for a request's recorded errors: the [`chained exceptions`](error_exceptions)
/// of each error, in recording order.
pub(crate) fn errors_event(
    chain: &ErrorChain,
    status: u16,
    options: Option<&ClientOptions>,
) -> Event<'static> {
    let mut exceptions = Vec::new();
    let mut last_start = 0;
    for err in chain {
        last_start = exceptions.len();
        exceptions.extend(error_exceptions(err, last_start as u64, options));
    }
    let culprit = innermost_culprit(&exceptions[last_start..]);
    let mut extra = BTreeMap::new();
    let unparsed: Vec<Value> = chain
        .iter()
        .flat_map(Error::layers)
        .filter_map(Error::foreign_backtrace)
        .filter(|text| foreign_stacktrace(text).is_none())
        .map(Value::from)
        .collect();
    if !unparsed.is_empty() {
        extra.insert(
            "errata.foreign_backtraces".to_owned(),
            Value::from(unparsed),
        );
    }
    extra.insert("http.status".to_owned(), Value::from(status));
    extra.insert("errata.errors".to_owned(), chain.to_json());
    Event {
        level: Level::Error,
        exception: exceptions.into(),
        culprit,
        extra,
        ..Event::default()
    }
}

/// The culprit of a wrapped error: where its innermost cause with a stack was created (the
/// newest in-app frame of the first stack in Sentry's innermost-first order), in the server's
/// `location in function` form. `None` for a single layer, whose culprit the server derives
/// the same way from the main exception. The title stays the outermost layer's, as in Sentry.
fn innermost_culprit(exceptions: &[Exception]) -> Option<String> {
    let with_stack: Vec<&Stacktrace> = exceptions
        .iter()
        .filter_map(|e| e.stacktrace.as_ref())
        .collect();
    if with_stack.len() < 2 {
        return None;
    }
    let frame = with_stack[0]
        .frames
        .iter()
        .rev()
        .find(|f| f.in_app != Some(false))?;
    let location = frame.module.as_deref().or(frame.filename.as_deref())?;
    Some(match frame.function.as_deref() {
        Some(function) => format!("{location} in {function}"),
        None => location.to_owned(),
    })
}

/// One recorded error as Sentry chained exceptions: every layer of it (see
/// [`Error::layers`]) with its own creation stack, then the plain `source()` causes under the
/// innermost layer (no stack: they have none of their own).
///
/// A layer converted from a third-party error (anyhow) gets that error's origin stack when its
/// backtrace parses; the text of one that does not goes to the event's
/// `errata.foreign_backtraces` extra.
///
/// Sentry's order: the innermost cause first, the outermost layer (the error the handler
/// returned) last. Sentry's exception-chaining ids number from the outermost layer, the root
/// (`first_id`), each cause pointing at the layer that wraps it. `sentry-types` 0.49 has no
/// `exception_id`/`parent_id` fields on `Mechanism`, so the ids travel in `mechanism.data`
/// under those names until it does.
fn error_exceptions(err: &Error, first_id: u64, options: Option<&ClientOptions>) -> Vec<Exception> {
    let mut outer_first: Vec<Exception> = Vec::new();
    let mut innermost = err;
    for layer in err.layers() {
        outer_first.push(exception_of(
            layer.inner(),
            Some(error_stacktrace(layer, options)),
        ));
        innermost = layer;
    }
    for cause in innermost.plain_causes() {
        outer_first.push(exception_of(cause, None));
    }
    for (i, exc) in (0u64..).zip(outer_first.iter_mut()) {
        let mut data = sentry_core::protocol::Map::new();
        data.insert("exception_id".to_owned(), Value::from(first_id + i));
        if i > 0 {
            data.insert("parent_id".to_owned(), Value::from(first_id + i - 1));
            data.insert("source".to_owned(), Value::from("source"));
        }
        exc.mechanism = Some(Mechanism {
            ty: if i == 0 { "errata" } else { "chained" }.to_owned(),
            handled: Some(true),
            data,
            ..Mechanism::default()
        });
    }
    outer_first.reverse();
    outer_first
}

/// An exception for one error of a chain: type from its `Debug` output (as `sentry-core`
/// does), value from its `Display`.
fn exception_of(
    err: &(dyn std::error::Error + 'static),
    stacktrace: Option<Stacktrace>,
) -> Exception {
    let dbg = format!("{err:?}");
    Exception {
        ty: sentry_core::parse_type_from_debug(&dbg).to_owned(),
        value: Some(err.to_string()),
        stacktrace,
        ..Exception::default()
    }
}

/// The in-app part of a stack as log lines (`  at function (file:line)`), newest frame first,
/// with a count of the framework frames left out.
pub(crate) fn stack_lines(st: Option<&Stacktrace>) -> String {
    let Some(st) = st else {
        return String::from("  <no stack>");
    };
    let shown: Vec<&Frame> = st
        .frames
        .iter()
        .rev()
        .filter(|f| f.in_app != Some(false))
        .take(MAX_LOGGED_FRAMES)
        .collect();
    let omitted = st.frames.len() - shown.len();
    let mut lines: Vec<String> = shown
        .into_iter()
        .map(|f| {
            format!(
                "  at {} ({}:{})",
                f.function.as_deref().unwrap_or("<unknown>"),
                f.abs_path
                    .as_deref()
                    .or(f.filename.as_deref())
                    .unwrap_or("?"),
                f.lineno.unwrap_or(0)
            )
        })
        .collect();
    if omitted > 0 {
        lines.push(format!("  ({omitted} framework frames omitted)"));
    }
    lines.join("\n")
}

/// At most this many frames are written to the error log per panic.
const MAX_LOGGED_FRAMES: usize = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_frames_are_not_in_app_even_behind_trait_impl_brackets() {
        assert!(matches(
            "<axum::routing::Route as tower_service::Service>::call",
            NOT_IN_APP
        ));
        assert!(matches("tokio::runtime::task::harness::poll", NOT_IN_APP));
        assert!(!matches("errata_shop::checkout", NOT_IN_APP));
        assert!(matches(
            "<F as axum::handler::Handler<((),),S>>::call::{{closure}}",
            NOT_IN_APP
        ));
        assert!(matches(
            "<F as futures_core::future::TryFuture>::try_poll",
            NOT_IN_APP
        ));
        assert!(!matches(
            "<errata_shop::Cart as core::fmt::Display>::fmt",
            NOT_IN_APP
        ));
    }

    #[inline(never)]
    fn capture_std_backtrace() -> String {
        std::backtrace::Backtrace::force_capture().to_string()
    }

    #[test]
    fn a_foreign_std_backtrace_parses_into_a_trimmed_stack() {
        let st = foreign_stacktrace(&capture_std_backtrace()).unwrap();
        let top = st.frames.last().unwrap().function.as_deref().unwrap();
        assert!(top.ends_with("capture_std_backtrace"), "{top}");
        assert!(foreign_stacktrace("no frames here\n").is_none());
    }

    #[test]
    fn errors_event_puts_root_cause_first_and_the_stack_on_the_outermost() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("outer")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let chain: ErrorChain = [Error::from(Outer(std::io::Error::other("root")))]
            .into_iter()
            .collect();
        let ev = errors_event(&chain, 500, None);
        let values = &ev.exception.values;
        assert_eq!(values.len(), 2);
        assert_eq!(values[0].value.as_deref(), Some("root"));
        assert_eq!(values[1].value.as_deref(), Some("outer"));
        let st = values[1].stacktrace.as_ref().unwrap();
        let top = st.frames.last().unwrap().function.as_deref().unwrap();
        assert!(
            top.contains("errors_event_puts_root_cause_first_and_the_stack_on_the_outermost"),
            "{top}"
        );
    }
}
