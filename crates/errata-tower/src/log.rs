//! The error log: one `tracing` error record per recovered panic and per failed request, never a
//! second Sentry event, and never silent.
//!
//! `GoFrame`'s server writes every recovered panic and every 500 to its error log; the layer does
//! the same through `tracing` at error level, with the message, causes, location and stack. Two
//! things make that safe and reliable:
//!
//! - **No duplicate events.** `sentry-tracing`'s default filter turns every error-level record into
//!   a Sentry event, captured on the *current* hub. The layer already reports the failure itself
//!   (with request data), so the log record is emitted while the current hub is a child of the
//!   request's hub whose scope drops every event. Events the application logs itself are
//!   untouched. This works with the default filter, a custom one and an event mapper. A
//!   breadcrumb made of the record lands on that short-lived child scope and is discarded with it
//!   (it would only have repeated the event it precedes).
//! - **Never silent.** The panic hook suppresses std's panic message for caught panics, so when
//!   no `tracing` subscriber is active the same lines go to stderr instead.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;

use errata_errors::ErrorChain;
use http::StatusCode;
use sentry_core::Hub;

use crate::{PanicReport, event};

/// The `tracing` target of the layer's error log records (this module's path), e.g. for an
/// `EnvFilter` directive.
pub const LOG_TARGET: &str = module_path!();

/// Logs a recovered panic (`what` says where: "handler", "response body", "spawned task").
pub(crate) fn panic(hub: &Arc<Hub>, what: &str, report: &PanicReport) {
    let location = report.location.as_deref().unwrap_or("?");
    let thread = report.thread.as_deref().unwrap_or("?");
    let text = format!(
        "{what} panicked: {}\n  location: {location}\n  thread: {thread}\n{}",
        report.message,
        event::stack_lines(report.stacktrace.as_ref())
    );
    emit(hub, &text, || {
        tracing::error!(
            panic.message = %report.message,
            panic.location = location,
            panic.thread = thread,
            "{text}"
        );
    });
}

/// Logs a failed request's recorded errors: each error's message, causes, creation location and
/// (when captured) creation stack.
pub(crate) fn errors(hub: &Arc<Hub>, status: StatusCode, errors: &ErrorChain) {
    let text = errors_text(status, errors);
    emit(hub, &text, || {
        tracing::error!(
            http.status = status.as_u16(),
            errors = errors.len(),
            "{text}"
        );
    });
}

fn errors_text(status: StatusCode, errors: &ErrorChain) -> String {
    let mut text = format!("request failed with {status}");
    for (i, err) in errors.iter().enumerate() {
        // Each layer of a wrapped error (newest first) with its plain causes, its location
        // and its stack, like GoFrame's `%+v`.
        for (depth, layer) in err.layers().enumerate() {
            if depth == 0 {
                let _ = write!(text, "\nError #{:02}: {layer}", i + 1);
            } else {
                let _ = write!(text, "\n  caused by: {layer}");
            }
            for cause in layer.plain_causes() {
                let _ = write!(text, "\n  caused by: {cause}");
            }
            let _ = write!(text, "\n  location: {}", layer.location());
            if let Some(st) = layer
                .backtrace()
                .and_then(|bt| event::trimmed_stacktrace(&bt, event::ERROR_MACHINERY))
            {
                text.push('\n');
                text.push_str(&event::stack_lines(Some(&st)));
            }
        }
    }
    text
}

/// Runs `log` with a current hub that inherits the request's scope but drops every event, or,
/// when no subscriber is active, writes `text` to stderr.
fn emit(hub: &Arc<Hub>, text: &str, log: impl FnOnce()) {
    if !has_subscriber() {
        stderr_fallback(text);
        return;
    }
    let quiet = Hub::new_from_top(hub);
    quiet.configure_scope(|scope| scope.add_event_processor(|_| None));
    Hub::run(Arc::new(quiet), log);
}

/// Whether a `tracing` subscriber (global or scoped) is active on this thread.
fn has_subscriber() -> bool {
    tracing::dispatcher::has_been_set()
        && !tracing::dispatcher::get_default(
            tracing::Dispatch::is::<tracing::subscriber::NoSubscriber>,
        )
}

/// Reason for writing to stderr from a library: `GoFrame`'s error log is never silent, the panic
/// hook swallowed std's own message for this panic, and without a subscriber there is no other
/// channel. Write errors are ignored (nothing better can be done with them).
fn stderr_fallback(text: &str) {
    let mut out = std::io::stderr().lock();
    let _ = writeln!(out, "ERROR {LOG_TARGET}: {text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_errors::Error;

    #[test]
    fn errors_text_has_message_causes_and_location() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("ledger call failed")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Error::from(Outer(std::io::Error::other("connection refused")));
        let line = line!() - 1;
        let chain: ErrorChain = [err].into_iter().collect();
        let text = errors_text(StatusCode::BAD_GATEWAY, &chain);
        assert!(
            text.starts_with(
                "request failed with 502 Bad Gateway\nError #01: ledger call failed\n"
            )
        );
        assert!(text.contains("\n  caused by: connection refused"), "{text}");
        assert!(text.contains(&format!("log.rs:{line}:")), "{text}");
    }

    #[test]
    fn errors_text_lists_every_layer_with_its_own_location() {
        let inner = Error::private("ledger locked");
        let inner_line = line!() - 1;
        let err = inner.context("closing the day");
        let outer_line = line!() - 1;
        let chain: ErrorChain = [err].into_iter().collect();
        let text = errors_text(StatusCode::INTERNAL_SERVER_ERROR, &chain);
        let outer = text
            .find(&format!(
                "Error #01: closing the day\n  location: {}:{outer_line}:",
                file!()
            ))
            .unwrap_or_else(|| panic!("{text}"));
        let inner = text
            .find(&format!(
                "\n  caused by: ledger locked\n  location: {}:{inner_line}:",
                file!()
            ))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(outer < inner, "{text}");
    }
}
