//! Processing errors: what normalization dropped or changed, and why.
//!
//! Ingest never rejects a whole event for one bad field. Instead the field is dropped (or
//! truncated, or replaced) and a [`ProcessingError`] naming its path is appended to
//! [`crate::Event::errors`], in the spirit of Relay's `_meta`. The UI shows these to the
//! user so that a surprising event can be explained. The list is bounded: a payload with a
//! million bad frames records [`MAX_ERRORS`] errors and a count of the rest.

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// At most this many errors are recorded per event; later ones are only counted.
pub const MAX_ERRORS: usize = 50;

/// Original values kept in an error are cut to this many bytes of JSON text.
const MAX_VALUE_BYTES: usize = 200;

/// What kind of change normalization made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The value had a shape or content we cannot use; it was dropped.
    InvalidData,
    /// The value was longer than its limit; it was truncated.
    ValueTooLong,
    /// The timestamp was too far in the future; the receive time was used.
    FutureTimestamp,
    /// The timestamp was older than the retention; the receive time was used.
    PastTimestamp,
    /// The SDK's clock was off by more than the drift tolerance; timestamps were shifted.
    ClockDrift,
    /// Data was removed to stay within size limits (frames, vars, context).
    Trimmed,
    /// More errors happened than [`MAX_ERRORS`]; this one counts the rest.
    TooManyErrors,
}

/// One change normalization made to an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessingError {
    /// What kind of change this was.
    #[serde(rename = "type")]
    pub kind: ErrorKind,
    /// The path of the field, such as `exception.values.0.stacktrace.frames.3.lineno`.
    pub name: String,
    /// Why, in words.
    pub reason: String,
    /// The original value (cut short), where there was one worth showing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// A field path, built on the stack as readers descend and rendered only on error.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render_into(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, index) => {
                parent.render_into(out);
                if !out.is_empty() {
                    out.push('.');
                }
                let _ = write!(out, "{index}");
            }
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }
}

/// The collector of processing errors for one event.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    errors: Vec<ProcessingError>,
    omitted: usize,
    /// JSON that a reader could not decode (see [`Meta::fail`]): it fails the event.
    failure: Option<serde_json::Error>,
}

impl Meta {
    pub(crate) fn push(&mut self, kind: ErrorKind, path: &Path<'_>, reason: impl Into<String>) {
        self.push_value(kind, path, reason, None);
    }

    pub(crate) fn push_value(
        &mut self,
        kind: ErrorKind,
        path: &Path<'_>,
        reason: impl Into<String>,
        value: Option<&Value>,
    ) {
        if self.errors.len() >= MAX_ERRORS {
            self.omitted += 1;
            return;
        }
        self.errors.push(ProcessingError {
            kind,
            name: path.render(),
            reason: reason.into(),
            value: value.map(shorten),
        });
    }

    /// Records that `value` at `path` was dropped because `reason`.
    pub(crate) fn invalid(&mut self, path: &Path<'_>, reason: impl Into<String>, value: &Value) {
        self.push_value(ErrorKind::InvalidData, path, reason, Some(value));
    }

    /// Records that JSON a reader decodes lazily from the payload is invalid in a way
    /// the parser did not check (a lone surrogate escape, a number out of range), as
    /// parsing the whole payload into a `Value` would have found. The first one is kept;
    /// [`crate::normalize`] then fails the event.
    pub(crate) fn fail(&mut self, error: serde_json::Error) {
        self.failure.get_or_insert(error);
    }

    /// The failure [`Meta::fail`] recorded, if any.
    pub(crate) fn take_failure(&mut self) -> Option<serde_json::Error> {
        self.failure.take()
    }

    pub(crate) fn into_errors(mut self) -> Vec<ProcessingError> {
        if self.omitted > 0 {
            self.errors.push(ProcessingError {
                kind: ErrorKind::TooManyErrors,
                name: String::new(),
                reason: format!("{} more processing errors were not recorded", self.omitted),
                value: None,
            });
        }
        self.errors
    }
}

/// Keeps small values as they are and turns large ones into a cut JSON text.
fn shorten(value: &Value) -> Value {
    match value {
        Value::String(s) if s.len() > MAX_VALUE_BYTES => {
            Value::String(format!("{}...", truncate_str(s, MAX_VALUE_BYTES)))
        }
        Value::Array(_) | Value::Object(_) => {
            let text = value.to_string();
            if text.len() > MAX_VALUE_BYTES {
                Value::String(format!("{}...", truncate_str(&text, MAX_VALUE_BYTES)))
            } else {
                value.clone()
            }
        }
        _ => value.clone(),
    }
}

/// The longest prefix of `s` that is at most `max` bytes and ends on a char boundary.
pub fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_with_dots_and_indices() {
        let root = Path::Root;
        let exc = root.key("exception");
        let values = exc.key("values");
        let first = values.index(0);
        let ty = first.key("type");
        assert_eq!(ty.render(), "exception.values.0.type");
        assert_eq!(root.render(), "");
    }

    #[test]
    fn errors_are_bounded_and_counted() {
        let mut meta = Meta::default();
        for _ in 0..(MAX_ERRORS + 7) {
            meta.push(ErrorKind::InvalidData, &Path::Root.key("x"), "bad");
        }
        let errors = meta.into_errors();
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        let last = errors.last().unwrap();
        assert_eq!(last.kind, ErrorKind::TooManyErrors);
        assert!(last.reason.starts_with("7 more"), "{}", last.reason);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_str("héllo", 2), "h");
        assert_eq!(truncate_str("héllo", 3), "hé");
        assert_eq!(truncate_str("abc", 10), "abc");
    }

    #[test]
    fn long_values_are_shortened() {
        let long = Value::String("x".repeat(1000));
        let Value::String(s) = shorten(&long) else {
            panic!("not a string")
        };
        assert_eq!(s.len(), MAX_VALUE_BYTES + 3);
    }
}
