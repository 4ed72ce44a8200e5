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

/// Which items of a list an SDK sent are kept when there are more than the list's limit.
/// The others are dropped unread, and the cut is recorded once at the list's path (as
/// `trimmed`, with how many were dropped). Items are counted as sent, `null`s included.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Keep {
    /// The first `n`.
    First(usize),
    /// The last `n` (the newest, in lists kept oldest first).
    Last(usize),
    /// The first `.0` and the last `.1` (stack frames: the entry point and the crash).
    Ends(usize, usize),
    /// At most `.0`: first those for which `.1` holds, then the others, in the order
    /// sent (threads: the crashed and current ones first).
    Preferring(usize, fn(&Value) -> bool),
}

impl Keep {
    /// The most items kept.
    pub(crate) fn max(self) -> usize {
        match self {
            Self::First(n) | Self::Last(n) | Self::Preferring(n, _) => n,
            Self::Ends(oldest, newest) => oldest + newest,
        }
    }

    /// Which of `items` are kept, or `None` when all are. One pass, whatever `self` is.
    fn mask(self, items: &[Value]) -> Option<Vec<bool>> {
        let total = items.len();
        if total <= self.max() {
            return None;
        }
        let mask = match self {
            Self::First(n) => (0..total).map(|i| i < n).collect(),
            Self::Last(n) => (0..total).map(|i| i >= total - n).collect(),
            Self::Ends(oldest, newest) => (0..total)
                .map(|i| i < oldest || i >= total - newest)
                .collect(),
            Self::Preferring(n, preferred) => {
                let preferred: Vec<bool> = items.iter().map(preferred).collect();
                let mut slots_for_others =
                    n.saturating_sub(preferred.iter().filter(|p| **p).count());
                let mut slots_for_preferred = n;
                preferred
                    .into_iter()
                    .map(|p| {
                        let slots = if p {
                            &mut slots_for_preferred
                        } else {
                            &mut slots_for_others
                        };
                        let keep = *slots > 0;
                        *slots = slots.saturating_sub(1);
                        keep
                    })
                    .collect()
            }
        };
        Some(mask)
    }

    fn describe(self) -> String {
        match self {
            Self::First(n) => format!("kept the first {n}"),
            Self::Last(n) => format!("kept the last {n}"),
            Self::Ends(oldest, newest) => {
                format!("kept the first {oldest} and the last {newest}")
            }
            Self::Preferring(n, _) => format!("kept {n}"),
        }
    }
}

/// Records that a list or map of `total` items at `path` was cut to `kept`.
pub(crate) fn record_cut(path: &Path<'_>, total: usize, kept: usize, how: &str, meta: &mut Meta) {
    meta.push(
        ErrorKind::Trimmed,
        path,
        format!(
            "{} of {total} items were dropped (over the limit of {kept}): {how}",
            total - kept
        ),
    );
}

/// Reads the items of `items` that `keep` keeps, in order, recording the cut. `skipped`
/// items before these were already dropped unparsed (see [`crate::parse`]): they count
/// toward the total and shift the indices.
fn read_kept<T>(
    items: Vec<Value>,
    skipped: usize,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    skip_nulls: bool,
    mut read: impl FnMut(Value, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    let mask = keep.mask(&items);
    let total = skipped + items.len();
    if total > keep.max() {
        record_cut(path, total, keep.max(), &keep.describe(), meta);
    }
    let mut out = Vec::with_capacity(items.len().min(keep.max()));
    for (i, item) in items.into_iter().enumerate() {
        if mask.as_ref().is_some_and(|m| !m[i]) || (skip_nulls && item.is_null()) {
            continue;
        }
        if let Some(v) = read(item, &path.index(skipped + i), meta) {
            out.push(v);
        }
    }
    out
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

/// A list of items that SDKs send as `{"values": [...]}`, as a bare array, or as one
/// single object. Each element `keep` keeps is read by `read`; elements it rejects are
/// skipped.
pub(crate) fn values<T>(
    value: Value,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    read: impl FnMut(Value, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    values_after(value, 0, path, meta, keep, read)
}

/// [`values`] for a list whose first `skipped` items the parser already dropped (only
/// with [`Keep::Last`]).
pub(crate) fn values_after<T>(
    value: Value,
    skipped: usize,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    read: impl FnMut(Value, &Path<'_>, &mut Meta) -> Option<T>,
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
    read_kept(items, skipped, list_path, meta, keep, true, read)
}

/// A list of items given as a plain array, of which `keep` keeps some.
pub(crate) fn array<T>(
    value: Value,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    read: impl FnMut(Value, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => read_kept(items, 0, path, meta, keep, false, read),
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

    #[test]
    fn values_accepts_three_shapes() {
        let as_str = |v: Value, p: &Path<'_>, m: &mut Meta| string(v, p, m);
        let all = Keep::First(usize::MAX);
        let wrap = |v: Value, p: &Path<'_>, m: &mut Meta| values(v, p, m, all, as_str);
        assert_eq!(read(wrap, json!({"values": ["a", "b"]})).0, vec!["a", "b"]);
        assert_eq!(read(wrap, json!(["a", "b"])).0, vec!["a", "b"]);
        let single = |v: Value, p: &Path<'_>, m: &mut Meta| {
            values(v, p, m, all, |v, p, m| object(v, p, m).map(|o| o.len()))
        };
        assert_eq!(read(single, json!({"type": "x", "value": "y"})).0, vec![2]);
        assert!(read(wrap, json!(null)).0.is_empty());
        let (out, meta) = read(wrap, json!("nope"));
        assert!(out.is_empty());
        assert_eq!(meta.into_errors()[0].name, "field");
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

    /// `n` numbers, read as a list with `keep`: the values kept and the errors.
    fn cut_list(n: usize, keep: Keep) -> (Vec<u64>, Vec<crate::ProcessingError>) {
        let items: Vec<Value> = (0..n as u64).map(Value::from).collect();
        let (out, meta) = read(|v, p, m| values(v, p, m, keep, uint), Value::Array(items));
        (out, meta.into_errors())
    }

    #[test]
    fn lists_are_cut_at_their_limit_and_only_past_it() {
        const N: usize = 10;
        for n in [N - 1, N] {
            for keep in [Keep::First(N), Keep::Last(N), Keep::Ends(3, 7)] {
                let (out, errors) = cut_list(n, keep);
                assert_eq!((out.len(), errors.len()), (n, 0), "{keep:?}");
            }
        }
        let (first, errors) = cut_list(N + 1, Keep::First(N));
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].kind, errors[0].name.as_str()),
            (ErrorKind::Trimmed, "field")
        );
        assert!(
            errors[0].reason.starts_with("1 of 11 items"),
            "{}",
            errors[0].reason
        );
        let (last, _) = cut_list(N + 1, Keep::Last(N));
        assert_eq!(last, (1..11).collect::<Vec<_>>());
        let (ends, _) = cut_list(N + 1, Keep::Ends(3, 7));
        assert_eq!(ends, [0, 1, 2, 4, 5, 6, 7, 8, 9, 10]);
    }

    #[test]
    fn dropped_items_are_not_read() {
        // Invalid items past the cut would each record an error if they were read.
        let items: Vec<Value> = (0..1000).map(|_| json!({"not": "a number"})).collect();
        let (out, meta) = read(
            |v, p, m| array(v, p, m, Keep::Last(2), uint),
            Value::Array(items),
        );
        assert!(out.is_empty());
        let errors = meta.into_errors();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[1].name, "field.998");
    }

    #[test]
    fn preferred_items_are_kept_first_in_the_order_sent() {
        let items = json!([{"id": 0}, {"id": 1, "crashed": true}, {"id": 2}, {"id": 3, "current": "true"}, {"id": 4}]);
        let ids = |keep| {
            read(
                |v, p, m| values(v, p, m, keep, |v, _, _| v.get("id").and_then(Value::as_u64)),
                items.clone(),
            )
            .0
        };
        let preferred = crate::thread::Thread::is_crashed_or_current;
        assert_eq!(ids(Keep::Preferring(1, preferred)), [1]);
        assert_eq!(ids(Keep::Preferring(3, preferred)), [0, 1, 3]);
        assert_eq!(ids(Keep::Preferring(4, preferred)), [0, 1, 2, 3]);
        assert_eq!(ids(Keep::Preferring(5, preferred)), [0, 1, 2, 3, 4]);
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
