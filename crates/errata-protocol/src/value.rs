//! Tolerant readers: the shapes SDKs send for one field, turned into one Rust type.
//!
//! Every reader takes the JSON value by ownership (so strings move instead of copying),
//! accepts each shape some SDK is known to send, and on anything else records a
//! [`ProcessingError`](crate::meta::ProcessingError) at the field's path and returns
//! `None`. `null` is always "absent", never an error.

use crate::meta::{ErrorKind, Meta, Path, truncate_str};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Removes `key` from `map`, giving `null` when it is absent.
pub(crate) fn take(map: &mut Map<String, Value>, key: &str) -> Value {
    map.remove(key).unwrap_or(Value::Null)
}

/// A string field. Numbers and booleans are accepted and written as text.
pub(crate) fn string(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => {
            meta.invalid(path, "expected a string", &other);
            None
        }
    }
}

/// A string field cut to `max` bytes (on a char boundary), recording the cut.
pub(crate) fn bounded_string(
    value: Value,
    max: usize,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Option<String> {
    string(value, path, meta).map(|s| limit(s, max, path, meta))
}

/// Cuts `s` to `max` bytes, appending `...`, and records a `value_too_long` error.
pub(crate) fn limit(mut s: String, max: usize, path: &Path<'_>, meta: &mut Meta) -> String {
    if s.len() > max {
        let original = s.len();
        let keep = truncate_str(&s, max.saturating_sub(3)).len();
        s.truncate(keep);
        s.push_str("...");
        meta.push(
            ErrorKind::ValueTooLong,
            path,
            format!("{original} bytes is over the limit of {max}"),
        );
    }
    s
}

/// A non-negative integer: a JSON number or a numeric string.
#[allow(
    clippy::needless_pass_by_value,
    reason = "readers share one signature: they take the value they read"
)]
pub(crate) fn uint(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<u64> {
    let parsed = match &value {
        Value::Null => return None,
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
                .map(|f| {
                    #[allow(clippy::cast_sign_loss, reason = "checked non-negative above")]
                    let whole = f as u64;
                    whole
                })
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    if parsed.is_none() {
        meta.invalid(path, "expected a non-negative integer", &value);
    }
    parsed
}

/// A boolean: `true`/`false`, the strings `"true"`/`"false"`, or 0/1.
#[allow(
    clippy::needless_pass_by_value,
    reason = "readers share one signature: they take the value they read"
)]
pub(crate) fn boolean(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<bool> {
    let parsed = match &value {
        Value::Null => return None,
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" | "True" | "1" => Some(true),
            "false" | "False" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        _ => None,
    };
    if parsed.is_none() {
        meta.invalid(path, "expected a boolean", &value);
    }
    parsed
}

/// An object; anything else is recorded and dropped.
pub(crate) fn object(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Map<String, Value>> {
    match value {
        Value::Null => None,
        Value::Object(map) => Some(map),
        other => {
            meta.invalid(path, "expected an object", &other);
            None
        }
    }
}

/// A list of items that SDKs send as `{"values": [...]}`, as a bare array, or as one
/// single object. Each element is read by `read`; elements it rejects are skipped.
pub(crate) fn values<T>(
    value: Value,
    path: &Path<'_>,
    meta: &mut Meta,
    mut read: impl FnMut(Value, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    let (items, list_path_key) = match value {
        Value::Null => return Vec::new(),
        Value::Array(items) => (items, false),
        Value::Object(mut map) => match map.remove("values") {
            Some(Value::Array(items)) => (items, true),
            Some(Value::Null) => return Vec::new(),
            Some(other) => {
                meta.invalid(&path.key("values"), "expected a list", &other);
                return Vec::new();
            }
            None if map.is_empty() => return Vec::new(),
            None => (vec![Value::Object(map)], false),
        },
        other => {
            meta.invalid(path, "expected a list or an object with `values`", &other);
            return Vec::new();
        }
    };
    let values_path = path.key("values");
    let list_path = if list_path_key { &values_path } else { path };
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| {
            if item.is_null() {
                return None;
            }
            read(item, &list_path.index(i), meta)
        })
        .collect()
}

/// A list of items given as a plain array.
pub(crate) fn array<T>(
    value: Value,
    path: &Path<'_>,
    meta: &mut Meta,
    mut read: impl FnMut(Value, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| read(item, &path.index(i), meta))
            .collect(),
        other => {
            meta.invalid(path, "expected a list", &other);
            Vec::new()
        }
    }
}

/// A value written as a pair-list entry: strings stay, scalars become text, arrays are
/// joined with `,` (as for repeated HTTP headers).
fn pair_value(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.into_iter().map(pair_value).collect();
            parts.map(|p| p.join(","))
        }
        Value::Null | Value::Object(_) => None,
    }
}

/// A map of strings SDKs send as an object `{k: v}` or as a list of pairs `[[k, v]]`.
/// Object input is sorted by key (`serde_json`'s map is ordered); list input keeps order.
pub(crate) fn pairs(value: Value, path: &Path<'_>, meta: &mut Meta) -> Vec<(String, String)> {
    match value {
        Value::Null => Vec::new(),
        Value::Object(map) => {
            let mut out = Vec::with_capacity(map.len());
            for (key, v) in map {
                if v.is_null() {
                    continue;
                }
                if matches!(v, Value::Object(_)) {
                    meta.invalid(&path.key(&key), "expected a string value", &v);
                    continue;
                }
                match pair_value(v) {
                    Some(text) => out.push((key, text)),
                    None => meta.push(
                        ErrorKind::InvalidData,
                        &path.key(&key),
                        "expected a string value",
                    ),
                }
            }
            out
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let item_path = path.index(i);
                let pair = match item {
                    Value::Array(mut kv) if kv.len() == 2 => {
                        let v = kv.pop().unwrap_or_default();
                        let k = kv.pop().unwrap_or_default();
                        if v.is_null() {
                            continue;
                        }
                        pair_value(k).zip(pair_value(v))
                    }
                    Value::Null => continue,
                    other => {
                        meta.invalid(&item_path, "expected a [key, value] pair", &other);
                        continue;
                    }
                };
                match pair {
                    Some(p) => out.push(p),
                    None => meta.push(
                        ErrorKind::InvalidData,
                        &item_path,
                        "expected a [key, value] pair of strings",
                    ),
                }
            }
            out
        }
        other => {
            meta.invalid(path, "expected an object or a list of pairs", &other);
            Vec::new()
        }
    }
}

/// A point in time as Unix seconds: a number, or a string in RFC 3339, or a naive
/// `YYYY-MM-DDTHH:MM:SS[.f]` taken as UTC, or a numeric string.
#[allow(
    clippy::needless_pass_by_value,
    reason = "readers share one signature: they take the value they read"
)]
pub(crate) fn timestamp(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<f64> {
    let parsed = match &value {
        Value::Null => return None,
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite() && *f >= 0.0),
        Value::String(s) => parse_timestamp(s),
        _ => None,
    };
    if parsed.is_none() {
        meta.invalid(
            path,
            "expected a Unix timestamp or an RFC 3339 date",
            &value,
        );
    }
    parsed
}

/// Parses an RFC 3339 or naive ISO 8601 date-time (UTC), or a number, into Unix seconds.
pub fn parse_timestamp(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then_some(secs);
    }
    let datetime = OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let naive = format_description!(
            version = 2,
            "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(s, naive)
            .ok()
            .map(PrimitiveDateTime::assume_utc)
    })?;
    Some(unix_seconds(datetime))
}

/// A date-time as Unix seconds with its fraction.
pub(crate) fn unix_seconds(datetime: OffsetDateTime) -> f64 {
    datetime.unix_timestamp() as f64 + f64::from(datetime.nanosecond()) / 1e9
}

/// Formats Unix seconds as RFC 3339 in UTC with microseconds (for display and headers).
pub fn format_timestamp(secs: f64) -> String {
    // Round to microseconds first so 0.25 s prints as .250000, not .249999.
    let nanos = i128::from((secs * 1e6).round() as i64) * 1000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read<T>(f: impl FnOnce(Value, &Path<'_>, &mut Meta) -> T, v: Value) -> (T, Meta) {
        let mut meta = Meta::default();
        let out = f(v, &Path::Root.key("field"), &mut meta);
        (out, meta)
    }

    #[test]
    fn values_accepts_three_shapes() {
        let as_str = |v: Value, p: &Path<'_>, m: &mut Meta| string(v, p, m);
        let wrap = |v: Value, p: &Path<'_>, m: &mut Meta| values(v, p, m, as_str);
        assert_eq!(read(wrap, json!({"values": ["a", "b"]})).0, vec!["a", "b"]);
        assert_eq!(read(wrap, json!(["a", "b"])).0, vec!["a", "b"]);
        let single = |v: Value, p: &Path<'_>, m: &mut Meta| {
            values(v, p, m, |v, p, m| object(v, p, m).map(|o| o.len()))
        };
        assert_eq!(read(single, json!({"type": "x", "value": "y"})).0, vec![2]);
        assert!(read(wrap, json!(null)).0.is_empty());
        let (out, meta) = read(wrap, json!("nope"));
        assert!(out.is_empty());
        assert_eq!(meta.into_errors()[0].name, "field");
    }

    #[test]
    fn pairs_accept_objects_and_lists() {
        let (out, _) = read(pairs, json!({"b": "2", "a": 1, "c": true}));
        assert_eq!(
            out,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("c".into(), "true".into())
            ]
        );
        let (out, _) = read(pairs, json!([["b", "2"], ["a", "1"]]));
        assert_eq!(
            out,
            vec![("b".into(), "2".into()), ("a".into(), "1".into())]
        );
        let (out, _) = read(pairs, json!({"accept": ["a", "b"]}));
        assert_eq!(out, vec![("accept".into(), "a,b".into())]);
        let (out, meta) = read(pairs, json!([["a"], "x", ["k", {"o": 1}]]));
        assert!(out.is_empty());
        assert_eq!(meta.into_errors().len(), 3);
    }

    #[test]
    fn timestamps_in_every_shape() {
        let (t, _) = read(timestamp, json!(1_700_000_000.5));
        assert_eq!(t, Some(1_700_000_000.5));
        let (t, _) = read(timestamp, json!("2023-11-14T22:13:20Z"));
        assert_eq!(t, Some(1_700_000_000.0));
        let (t, _) = read(timestamp, json!("2023-11-14T22:13:20.250000"));
        assert_eq!(t, Some(1_700_000_000.25));
        let (t, _) = read(timestamp, json!("2023-11-14T23:13:20+01:00"));
        assert_eq!(t, Some(1_700_000_000.0));
        let (t, meta) = read(timestamp, json!("yesterday"));
        assert_eq!(t, None);
        assert_eq!(meta.into_errors().len(), 1);
        assert_eq!(
            format_timestamp(1_700_000_000.25),
            "2023-11-14T22:13:20.250000Z"
        );
    }

    #[test]
    fn scalars_are_lenient() {
        assert_eq!(read(string, json!(42)).0.as_deref(), Some("42"));
        assert_eq!(read(uint, json!("17")).0, Some(17));
        assert_eq!(read(uint, json!(17.0)).0, Some(17));
        assert_eq!(read(uint, json!(-1)).0, None);
        assert_eq!(read(boolean, json!("true")).0, Some(true));
        assert_eq!(read(boolean, json!(0)).0, Some(false));
        let (s, meta) = read(|v, p, m| bounded_string(v, 8, p, m), json!("abcdefghijk"));
        assert_eq!(s.as_deref(), Some("abcde..."));
        assert_eq!(meta.into_errors()[0].kind, ErrorKind::ValueTooLong);
    }
}
