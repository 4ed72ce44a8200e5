//! One event as the issue page shows it, built from the stored event's normalized Sentry
//! JSON: the exception chain with stack traces, threads, breadcrumbs, the request, user,
//! contexts, SDK, tags, extra data and the processing errors ingest recorded.
//!
//! Every value in an event is attacker-controlled text. The view model keeps it as plain
//! strings for the templates to escape; nothing here produces markup, and no URL from an
//! event becomes a link. Reading is tolerant: a missing or oddly-typed field gives an
//! empty section, never a panic.

mod breadcrumb;
mod context;
mod exception;
mod frame;
pub(crate) mod moment;
mod processing;
mod request;
mod sdk;
mod thread;
pub(crate) mod value;

use serde_json::Value;

pub use breadcrumb::BreadcrumbView;
pub use context::ContextView;
pub use exception::ExceptionView;
pub use frame::{ContextLine, FrameGroup, FrameView, StackView};
pub use moment::Moment;
pub use processing::ProcessingErrorView;
pub use request::RequestView;
pub use sdk::SdkView;
pub use thread::ThreadView;

/// One event, ready to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventView {
    /// The event id (32 hex characters once normalized).
    pub event_id: String,
    /// The log message, formatted when the SDK sent both.
    pub message: Option<String>,
    /// One of the five levels; safe as a class suffix.
    pub level: &'static str,
    /// The sending platform (`python`, `rust`, `javascript`...).
    pub platform: Option<String>,
    /// When it happened.
    pub time: Option<Moment>,
    /// The release.
    pub release: Option<String>,
    /// The environment.
    pub environment: Option<String>,
    /// The route or task.
    pub transaction: Option<String>,
    /// The host.
    pub server_name: Option<String>,
    /// The logger.
    pub logger: Option<String>,
    /// The exception chain, outermost first.
    pub exceptions: Vec<ExceptionView>,
    /// Threads with stacks, crashed first.
    pub threads: Vec<ThreadView>,
    /// The breadcrumb trail, oldest first.
    pub breadcrumbs: Vec<BreadcrumbView>,
    /// The HTTP request.
    pub request: Option<RequestView>,
    /// The user's fields.
    pub user: Vec<(String, String)>,
    /// Contexts, well-known first.
    pub contexts: Vec<ContextView>,
    /// The SDK.
    pub sdk: Option<SdkView>,
    /// The event's tags.
    pub tags: Vec<(String, String)>,
    /// Extra data, values as pretty JSON.
    pub extra: Vec<(String, String)>,
    /// A custom fingerprint, when the SDK set one.
    pub fingerprint: Vec<String>,
    /// What ingest dropped or cut, and why.
    pub processing_errors: Vec<ProcessingErrorView>,
}

impl EventView {
    /// Builds the view of a stored (normalized) event. Any JSON is accepted.
    pub fn new(event: &Value) -> Self {
        let get = |key| event.get(key);
        Self {
            event_id: value::field(event, "event_id").unwrap_or_default(),
            message: message(event),
            level: breadcrumb::level(get("level"), "error"),
            platform: value::field(event, "platform"),
            time: value::number(event, "timestamp").map(Moment::from_secs),
            release: value::field(event, "release"),
            environment: value::field(event, "environment"),
            transaction: value::field(event, "transaction"),
            server_name: value::field(event, "server_name"),
            logger: value::field(event, "logger"),
            exceptions: ExceptionView::chain(get("exception")),
            threads: ThreadView::list(get("threads"), get("stacktrace")),
            breadcrumbs: BreadcrumbView::trail(get("breadcrumbs")),
            request: RequestView::read(get("request")),
            user: context::user_rows(get("user")),
            contexts: ContextView::list(get("contexts")),
            sdk: SdkView::read(get("sdk")),
            tags: value::pairs(get("tags")),
            extra: match get("extra") {
                Some(Value::Object(map)) => {
                    map.iter().map(|(k, v)| (k.clone(), pretty(v))).collect()
                }
                _ => Vec::new(),
            },
            fingerprint: get("fingerprint")
                .and_then(Value::as_array)
                .map(|parts| parts.iter().filter_map(value::scalar).collect())
                .unwrap_or_default(),
            processing_errors: ProcessingErrorView::list(get("errors"), get("_meta")),
        }
    }
}

/// `logentry.formatted`, else `logentry.message`, else `message` (text or object).
fn message(event: &Value) -> Option<String> {
    let from =
        |entry: &Value| value::field(entry, "formatted").or_else(|| value::field(entry, "message"));
    event
        .get("logentry")
        .and_then(from)
        .or_else(|| match event.get("message")? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            other @ Value::Object(_) => from(other),
            _ => None,
        })
}

/// Any value as pretty JSON (strings quoted, so `extra` shows types as sent).
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests;
