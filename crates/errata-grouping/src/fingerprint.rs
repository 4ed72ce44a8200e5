//! Custom fingerprints: `event.fingerprint` overrides grouping. Variables such as
//! `{{ transaction }}` or `{{ type }}` are resolved against the event; `{{ default }}`
//! stands for the built-in grouping, so `["{{ default }}", "tenant-7"]` splits each
//! built-in group by tenant.

use crate::stacktrace::is_in_app;
use errata_protocol::{Event, Frame};

/// A fingerprint part after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// `{{ default }}`.
    Default,
    /// Any other part, with variables resolved.
    Value(String),
}

/// How the fingerprint relates to the built-in grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No fingerprint, or only `{{ default }}`.
    Builtin,
    /// `{{ default }}` plus salt values.
    Hybrid(Vec<String>),
    /// No `{{ default }}`: these values alone decide the group.
    Custom(Vec<String>),
}

/// Classifies and resolves the event's fingerprint.
pub(crate) fn classify(event: &Event) -> Kind {
    let Some(parts) = &event.fingerprint else {
        return Kind::Builtin;
    };
    let resolved: Vec<Part> = parts.iter().map(|p| resolve(p, event)).collect();
    let has_default = resolved.contains(&Part::Default);
    let values: Vec<String> = resolved
        .into_iter()
        .filter_map(|p| match p {
            Part::Value(v) => Some(v),
            Part::Default => None,
        })
        .collect();
    match (has_default, values.is_empty()) {
        (true, true) => Kind::Builtin,
        (true, false) => Kind::Hybrid(values),
        (false, _) => Kind::Custom(values),
    }
}

fn resolve(part: &str, event: &Event) -> Part {
    let Some(name) = variable_name(part) else {
        return Part::Value(part.to_owned());
    };
    if name == "default" {
        return Part::Default;
    }
    let frame = crash_frame(event);
    let exception = event.main_exception();
    let value = match name.as_str() {
        "transaction" => event
            .transaction
            .clone()
            .unwrap_or_else(|| "<no-transaction>".into()),
        "message" => event
            .logentry
            .as_ref()
            .and_then(|l| l.formatted.clone().or_else(|| l.message.clone()))
            .or_else(|| exception.and_then(|e| e.value.clone()))
            .unwrap_or_else(|| "<no-message>".into()),
        "type" | "error.type" => exception
            .and_then(|e| e.ty.clone())
            .unwrap_or_else(|| "<no-type>".into()),
        "value" | "error.value" => exception
            .and_then(|e| e.value.clone())
            .unwrap_or_else(|| "<no-value>".into()),
        "function" | "stack.function" => frame
            .and_then(|f| f.function.clone())
            .unwrap_or_else(|| "<no-function>".into()),
        "path" | "stack.abs_path" => frame
            .and_then(|f| f.abs_path.clone().or_else(|| f.filename.clone()))
            .unwrap_or_else(|| "<no-abs-path>".into()),
        "stack.filename" => frame
            .and_then(|f| f.filename.clone())
            .unwrap_or_else(|| "<no-filename>".into()),
        "module" | "stack.module" => frame
            .and_then(|f| f.module.clone())
            .unwrap_or_else(|| "<no-module>".into()),
        "package" | "stack.package" => frame.and_then(|f| f.package.as_deref()).map_or_else(
            || "<no-package>".into(),
            |p| p.rsplit(['/', '\\']).next().unwrap_or(p).to_owned(),
        ),
        "level" => event.level.as_str().to_owned(),
        "logger" => event.logger.clone().unwrap_or_else(|| "<no-logger>".into()),
        other => match other.strip_prefix("tags.") {
            Some(tag) => event
                .tag(tag)
                .map_or_else(|| format!("<no-value-for-tag-{tag}>"), str::to_owned),
            None => return Part::Value(part.to_owned()),
        },
    };
    Part::Value(value)
}

/// `{{ name }}` -> `name` (lower-cased, inner spaces trimmed).
fn variable_name(part: &str) -> Option<String> {
    let inner = part.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    Some(inner.trim().to_ascii_lowercase())
}

/// The frame an error happened in: the newest in-app frame of the main exception's
/// stack (or the thread's or event's stack), else its newest frame.
pub(crate) fn crash_frame(event: &Event) -> Option<&Frame> {
    let stack = event
        .main_exception()
        .and_then(|e| e.stacktrace.as_ref())
        .or_else(|| {
            event
                .threads
                .values
                .iter()
                .find(|t| t.crashed == Some(true))
                .and_then(|t| t.stacktrace.as_ref())
        })
        .or(event.stacktrace.as_ref())?;
    stack
        .frames
        .iter()
        .rev()
        .find(|f| is_in_app(f, f.platform.as_deref().unwrap_or(&event.platform)))
        .or_else(|| stack.frames.last())
}
