//! Processing errors: what ingest dropped, cut or replaced in the event, and why — from
//! Errata's `errors` list (`{type, name, reason, value}`) and, for events in Relay's
//! shape, from the `_meta` tree (`{"": {"err": [...], "len": n, "rem": [...]}}` under
//! each field's path).

use std::fmt::Write as _;

use serde_json::Value;

use super::value::{field, scalar, text};

/// Deepest `_meta` nesting followed (the event's own depth limit is lower).
const MAX_META_DEPTH: usize = 32;
/// Most errors shown (ingest records at most 50 and a count of the rest).
const MAX_SHOWN: usize = 100;

/// One change ingest made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessingErrorView {
    /// What kind of change, in words (`Value cut`).
    pub kind: String,
    /// The field, such as `exception.values.0.stacktrace.frames`; empty for the event.
    pub path: String,
    /// Why.
    pub reason: String,
    /// The original value (cut short by ingest), as text.
    pub value: Option<String>,
}

impl ProcessingErrorView {
    /// The errors of `errors` and then of `_meta`.
    pub(crate) fn list(errors: Option<&Value>, meta: Option<&Value>) -> Vec<Self> {
        let mut list: Vec<Self> = errors
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .filter(|e| e.is_object())
                    .map(|e| {
                        let kind = field(e, "type").unwrap_or_default();
                        Self {
                            reason: field(e, "reason")
                                .unwrap_or_else(|| describe(&kind).1.to_owned()),
                            kind: describe(&kind).0.to_owned(),
                            path: field(e, "name").unwrap_or_default(),
                            value: e.get("value").filter(|v| !v.is_null()).map(text),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(meta) = meta {
            walk_meta(meta, &mut String::new(), 0, &mut list);
        }
        list.truncate(MAX_SHOWN);
        list
    }
}

/// `(kind label, default reason)` of an error type.
fn describe(kind: &str) -> (&str, &'static str) {
    match kind {
        "invalid_data" => (
            "Invalid data dropped",
            "the value had a shape that cannot be used",
        ),
        "value_too_long" => ("Value cut", "the value was longer than its limit"),
        "future_timestamp" => ("Timestamp in the future", "the receive time was used"),
        "past_timestamp" => ("Timestamp too old", "the receive time was used"),
        "clock_drift" => (
            "Clock drift",
            "the SDK's clock was off; timestamps were shifted",
        ),
        "trimmed" => ("Trimmed", "data was removed to stay within size limits"),
        "too_many_errors" => ("More errors", "more processing errors than are recorded"),
        "" => ("Processing error", "ingest changed this value"),
        other => (other, "ingest changed this value"),
    }
}

fn walk_meta(node: &Value, path: &mut String, depth: usize, out: &mut Vec<ProcessingErrorView>) {
    let Value::Object(map) = node else {
        return;
    };
    if depth > MAX_META_DEPTH || out.len() >= MAX_SHOWN {
        return;
    }
    if let Some(here) = map.get("") {
        read_meta_node(here, path, out);
    }
    for (key, child) in map.iter().filter(|(k, _)| !k.is_empty()) {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        walk_meta(child, path, depth + 1, out);
        path.truncate(len);
    }
}

fn read_meta_node(node: &Value, path: &str, out: &mut Vec<ProcessingErrorView>) {
    let original_length = node.get("len").and_then(Value::as_u64);
    let value = node.get("val").filter(|v| !v.is_null()).map(text);
    for err in node
        .get("err")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (kind, data) = match err {
            Value::Array(parts) => (parts.first().and_then(scalar), parts.get(1)),
            other => (scalar(other), None),
        };
        let kind = kind.unwrap_or_default();
        let (label, default_reason) = describe(&kind);
        let mut reason = data
            .and_then(|d| field(d, "reason"))
            .unwrap_or_else(|| default_reason.to_owned());
        if let Some(len) = original_length {
            let _ = write!(reason, " (original length {len})");
        }
        out.push(ProcessingErrorView {
            kind: label.to_owned(),
            path: path.to_owned(),
            reason,
            value: value.clone(),
        });
    }
    let removed = node
        .get("rem")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if removed > 0 && original_length.is_some() {
        out.push(ProcessingErrorView {
            kind: "Trimmed".to_owned(),
            path: path.to_owned(),
            reason: format!(
                "{removed} part(s) removed or masked (original length {})",
                original_length.unwrap_or_default()
            ),
            value: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errata_errors_are_described() {
        let list = ProcessingErrorView::list(
            Some(&json!([
                {"type": "trimmed", "name": "exception.values.0.stacktrace.frames",
                 "reason": "vars and source context were removed from 12 frames"},
                {"type": "invalid_data", "name": "level", "value": {"x": 1}},
                "junk",
            ])),
            None,
        );
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].kind, "Trimmed");
        assert!(list[0].reason.contains("12 frames"));
        assert_eq!(list[1].reason, "the value had a shape that cannot be used");
        assert!(list[1].value.as_deref().unwrap().contains("\"x\": 1"));
    }

    #[test]
    fn relay_meta_is_walked() {
        let meta = json!({"message": {"": {"err": ["value_too_long"], "len": 9000}},
            "extra": {"big": {"": {"err": [["invalid_data", {"reason": "expected a string"}]],
            "val": 5}}}, "x": 3});
        let list = ProcessingErrorView::list(None, Some(&meta));
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].path, "extra.big");
        assert_eq!(list[0].reason, "expected a string");
        assert_eq!(list[0].value.as_deref(), Some("5"));
        assert_eq!(list[1].path, "message");
        assert!(list[1].reason.ends_with("(original length 9000)"));
    }
}
