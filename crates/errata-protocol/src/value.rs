//! Tolerant readers: the shapes SDKs send for one field, turned into one Rust type.
//!
//! Every reader takes the JSON value by ownership (so strings move instead of copying),
//! accepts each shape some SDK is known to send, and on anything else records a
//! [`ProcessingError`](crate::meta::ProcessingError) at the field's path and returns
//! `None`. `null` is always "absent", never an error.
//!
//! These readers take `serde_json::Value`s: the fields the parser builds as values
//! (request, user, contexts, tags, SDK...) are read with them directly. The hot fields
//! (exceptions, stack traces, threads, breadcrumbs) are never built as values: their
//! readers decode wire objects ([`crate::wire`]) and lists ([`crate::list`]) from the raw
//! payload, and hand each scalar field to the reader here as a small `Value` (a string
//! moved from the payload, a number, a boolean), so a field reads the same either way.

use crate::list::{Keep, record_cut};
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
    if value.is_null() {
        return None;
    }
    let parsed = as_bool(&value);
    if parsed.is_none() {
        meta.invalid(path, "expected a boolean", &value);
    }
    parsed
}

/// The boolean [`boolean`] reads from `value`, without recording anything.
pub(crate) fn as_bool(value: &Value) -> Option<bool> {
    match value {
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
    }
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

/// A map cut to its first `max` keys (in key order), recording the cut.
pub(crate) fn cut_map(
    map: Map<String, Value>,
    max: usize,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Map<String, Value> {
    if map.len() <= max {
        return map;
    }
    record_cut(path, map.len(), max, "kept the first keys in order", meta);
    map.into_iter().take(max).collect()
}

/// An object of at most `max` keys (the first in key order); anything else than an
/// object is recorded and dropped.
pub(crate) fn bounded_object(
    value: Value,
    max: usize,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Option<Map<String, Value>> {
    object(value, path, meta).map(|map| cut_map(map, max, path, meta))
}

/// A list of items given as a plain array, of which `keep` keeps some (for lists read
/// from a `Value`; the hot lists are read from raw JSON by [`crate::list`]).
pub(crate) fn array<T>(
    value: Value,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    mut read: impl FnMut(Value, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    let items = match value {
        Value::Null => return Vec::new(),
        Value::Array(items) => items,
        other => {
            meta.invalid(path, "expected a list", &other);
            return Vec::new();
        }
    };
    let total = items.len();
    let mask = keep.mask(total, |i| {
        serde_json::value::to_raw_value(&items[i]).is_ok_and(|raw| keep.prefers(&raw))
    });
    if total > keep.max() {
        record_cut(path, total, keep.max(), &keep.describe(), meta);
    }
    let mut out = Vec::with_capacity(total.min(keep.max()));
    for (i, item) in items.into_iter().enumerate() {
        if mask.as_ref().is_some_and(|m| !m[i]) {
            continue;
        }
        if let Some(v) = read(item, &path.index(i), meta) {
            out.push(v);
        }
    }
    out
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
/// At most `max` pairs are kept (the first); the entries after those are dropped unread
/// and counted in one `trimmed` error.
pub(crate) fn pairs(
    value: Value,
    max: usize,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Vec<(String, String)> {
    let total = match &value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    let mut dropped = 0;
    let out = match value {
        Value::Null => Vec::new(),
        Value::Object(map) => {
            let mut out = Vec::with_capacity(map.len().min(max));
            for (key, v) in map {
                if v.is_null() {
                    continue;
                }
                if out.len() == max {
                    dropped += 1;
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
            let mut out = Vec::with_capacity(items.len().min(max));
            for (i, item) in items.into_iter().enumerate() {
                if item.is_null() {
                    continue;
                }
                if out.len() == max {
                    dropped += 1;
                    continue;
                }
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
    };
    if dropped > 0 {
        meta.push(
            ErrorKind::Trimmed,
            path,
            format!(
                "{dropped} of {total} entries were dropped unread (over the limit of {max}): \
                 kept the first {max}"
            ),
        );
    }
    out
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

    fn all_pairs(v: Value, p: &Path<'_>, m: &mut Meta) -> Vec<(String, String)> {
        pairs(v, usize::MAX, p, m)
    }

    #[test]
    fn pairs_accept_objects_and_lists() {
        let pairs = all_pairs;
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
    fn pairs_and_maps_are_cut_to_their_first_entries() {
        const N: usize = 4;
        let list = |n: usize| Value::Array((0..n).map(|i| json!([format!("k{i}"), "v"])).collect());
        let object =
            |n: usize| Value::Object((0..n).map(|i| (format!("k{i}"), json!("v"))).collect());
        for n in [N - 1, N] {
            for v in [list(n), object(n)] {
                let (out, meta) = read(|v, p, m| pairs(v, N, p, m), v);
                assert_eq!((out.len(), meta.into_errors().len()), (n, 0));
            }
            let (out, meta) = read(|v, p, m| bounded_object(v, N, p, m), object(n));
            assert_eq!((out.unwrap().len(), meta.into_errors().len()), (n, 0));
        }
        for v in [list(N + 1), object(N + 1)] {
            let (out, meta) = read(|v, p, m| pairs(v, N, p, m), v);
            assert_eq!(out.len(), N);
            assert_eq!(out[N - 1].0, format!("k{}", N - 1));
            let errors = meta.into_errors();
            assert_eq!(errors.len(), 1);
            assert!(
                errors[0].reason.starts_with("1 of 5 entries"),
                "{}",
                errors[0].reason
            );
        }
        let (out, meta) = read(|v, p, m| bounded_object(v, N, p, m), object(N + 1));
        assert_eq!(out.unwrap().len(), N);
        assert!(meta.into_errors()[0].reason.starts_with("1 of 5 items"));
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
