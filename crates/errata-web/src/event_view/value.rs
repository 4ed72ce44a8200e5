//! Reading the stored event's JSON tolerantly: every accessor accepts any shape and
//! answers `None` or an empty list for what it cannot use, and every value becomes plain
//! text (strings as sent, other values as JSON) for the templates to escape.

use serde_json::Value;

/// A value as display text: strings as they are, objects and arrays as pretty JSON,
/// scalars as JSON.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => {
            serde_json::to_string_pretty(value).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// `value[key]` as text when it is a non-empty string or a number or boolean.
pub(crate) fn field(value: &Value, key: &str) -> Option<String> {
    scalar(value.get(key)?)
}

/// A string, number or boolean as text; `None` for empty strings and other shapes.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `value[key]` as a number of seconds or an unsigned integer.
pub(crate) fn number(value: &Value, key: &str) -> Option<f64> {
    value.get(key)?.as_f64()
}

/// The items of Sentry's `{"values": [...]}` container, or of a bare array.
pub(crate) fn items(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Object(map)) => match map.get("values") {
            Some(Value::Array(items)) => items,
            _ => &[],
        },
        _ => &[],
    }
}

/// Key/value rows from a pair list (`[["k", "v"], ...]`), an object, or a
/// `k=v&k2=v2` string (split, not decoded).
pub(crate) fn pairs(value: Option<&Value>) -> Vec<(String, String)> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item.as_array()?.as_slice() {
                [k, v, ..] => Some((scalar(k).unwrap_or_default(), text(v))),
                [k] => Some((scalar(k).unwrap_or_default(), String::new())),
                [] => None,
            })
            .collect(),
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        Some(Value::String(s)) => s
            .split(['&', ';'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| match part.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (part.to_owned(), String::new()),
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_shapes_give_empty_answers() {
        assert_eq!(field(&json!(3), "x"), None);
        assert_eq!(field(&json!({"x": ""}), "x"), None);
        assert_eq!(field(&json!({"x": 4}), "x").as_deref(), Some("4"));
        assert!(items(Some(&json!({"values": 3}))).is_empty());
        assert_eq!(items(Some(&json!([1, 2]))).len(), 2);
        assert!(pairs(Some(&json!(7))).is_empty());
    }

    #[test]
    fn pairs_come_from_lists_objects_and_strings() {
        let rows = pairs(Some(&json!([["a", "1"], ["b", {"c": 2}], [], ["d"]])));
        assert_eq!(rows[0], ("a".into(), "1".into()));
        assert!(rows[1].1.contains("\"c\": 2"));
        assert_eq!(rows[2], ("d".into(), String::new()));
        assert_eq!(
            pairs(Some(&json!("x=1&y"))),
            vec![("x".into(), "1".into()), ("y".into(), String::new())]
        );
        assert_eq!(pairs(Some(&json!({"k": true})))[0].1, "true");
    }
}
