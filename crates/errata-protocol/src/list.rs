//! Lists as SDKs send them, and which of their items are kept.
//!
//! A list field (exceptions, threads, breadcrumbs, frames, context lines) arrives as raw
//! JSON text (a [`Loose::Raw`]). Its items are first only delimited, as raw text each
//! (the parser validates them but builds nothing); [`Keep`] then picks the items a list
//! keeps when it is over its limit, and only those are decoded and read. A stack of
//! 100,000 frames builds 250; a trail of 50,000 breadcrumbs builds 100.

use crate::meta::{ErrorKind, Meta, Path};
use crate::wire::{Items, Key, Loose};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

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
    /// sent (threads: the crashed and current ones first). `.1` sees the raw item.
    Preferring(usize, fn(&RawValue) -> bool),
}

impl Keep {
    /// The most items kept.
    pub(crate) fn max(self) -> usize {
        match self {
            Self::First(n) | Self::Last(n) | Self::Preferring(n, _) => n,
            Self::Ends(oldest, newest) => oldest + newest,
        }
    }

    /// Whether item `raw` is preferred (only with [`Keep::Preferring`]).
    pub(crate) fn prefers(self, raw: &RawValue) -> bool {
        match self {
            Self::Preferring(_, preferred) => preferred(raw),
            _ => false,
        }
    }

    /// Which of `total` items are kept, or `None` when all are; `preferred(i)` tells
    /// whether item `i` is preferred (asked only with [`Keep::Preferring`], and only
    /// when the list is over its limit). One pass, whatever `self` is.
    pub(crate) fn mask(self, total: usize, preferred: impl Fn(usize) -> bool) -> Option<Vec<bool>> {
        if total <= self.max() {
            return None;
        }
        let mask = match self {
            Self::First(n) => (0..total).map(|i| i < n).collect(),
            Self::Last(n) => (0..total).map(|i| i >= total - n).collect(),
            Self::Ends(oldest, newest) => (0..total)
                .map(|i| i < oldest || i >= total - newest)
                .collect(),
            Self::Preferring(n, _) => {
                let preferred: Vec<bool> = (0..total).map(preferred).collect();
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

    /// How the cut is described in its error.
    pub(crate) fn describe(self) -> String {
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

/// The items of a raw array, each as raw text (delimited and validated, not decoded).
fn items<'a>(text: &'a str, meta: &mut Meta) -> Vec<&'a RawValue> {
    serde_json::from_str(text).unwrap_or_else(|e| {
        meta.fail(e);
        Vec::new()
    })
}

/// Reads the items of `items` that `keep` keeps, in order, recording the cut.
fn read_kept<'a, T>(
    items: &[&'a RawValue],
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    skip_nulls: bool,
    mut read: impl FnMut(Loose<'a>, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    let total = items.len();
    let mask = keep.mask(total, |i| keep.prefers(items[i]));
    if total > keep.max() {
        record_cut(path, total, keep.max(), &keep.describe(), meta);
    }
    let mut out = Vec::with_capacity(total.min(keep.max()));
    for (i, item) in items.iter().enumerate() {
        if mask.as_ref().is_some_and(|m| !m[i]) {
            continue;
        }
        let item = Loose::from_raw_in(item, meta);
        if skip_nulls && item.is_null() {
            continue;
        }
        if let Some(v) = read(item, &path.index(i), meta) {
            out.push(v);
        }
    }
    out
}

/// A list of items given as a plain array, of which `keep` keeps some.
pub(crate) fn array<'a, T>(
    value: Items<'a>,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    read: impl FnMut(Loose<'a>, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    array_counted(value, path, meta, keep, read).0
}

/// [`array`], and how many items were sent.
pub(crate) fn array_counted<'a, T>(
    value: Items<'a>,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    read: impl FnMut(Loose<'a>, &Path<'_>, &mut Meta) -> Option<T>,
) -> (Vec<T>, usize) {
    match value {
        Items::List(items) => (
            read_kept(&items, path, meta, keep, false, read),
            items.len(),
        ),
        Items::Other(other) => {
            if !other.is_null() {
                let other = other.into_value(meta);
                meta.invalid(path, "expected a list", &other);
            }
            (Vec::new(), 0)
        }
    }
}

/// A list of items that SDKs send as `{"values": [...]}`, as a bare array, or as one
/// single object. Each element `keep` keeps is read by `read` (`null`s are skipped);
/// elements it rejects are skipped.
pub(crate) fn values<'a, T>(
    value: Loose<'a>,
    path: &Path<'_>,
    meta: &mut Meta,
    keep: Keep,
    read: impl FnMut(Loose<'a>, &Path<'_>, &mut Meta) -> Option<T>,
) -> Vec<T> {
    if let Some(text) = value.as_array_text() {
        let items = items(text, meta);
        return read_kept(&items, path, meta, keep, true, read);
    }
    let Some(text) = value.as_object_text() else {
        if !value.is_null() {
            let value = value.into_value(meta);
            meta.invalid(path, "expected a list or an object with `values`", &value);
        }
        return Vec::new();
    };
    let container = match serde_json::Deserializer::from_str(text).deserialize_map(Container {
        values: None,
        any_key: false,
    }) {
        Ok(container) => container,
        Err(e) => {
            meta.fail(e);
            return Vec::new();
        }
    };
    let values_path = path.key("values");
    match container.values {
        None if !container.any_key => Vec::new(),
        // One single object: the whole object is the only item.
        None => match value {
            Loose::Raw(raw) => read_kept(&[raw], path, meta, keep, true, read),
            _ => Vec::new(),
        },
        Some(Items::List(items)) => read_kept(&items, &values_path, meta, keep, true, read),
        Some(Items::Other(Loose::Null)) => Vec::new(),
        Some(Items::Other(other)) => {
            let other = other.into_value(meta);
            meta.invalid(&values_path, "expected a list", &other);
            Vec::new()
        }
    }
}

/// What [`values`] needs of an object: its `values` entry (the last, if repeated), its
/// items delimited in the same pass, and whether it has any key at all.
struct Container<'a> {
    values: Option<Items<'a>>,
    any_key: bool,
}

impl<'de> Visitor<'de> for Container<'de> {
    type Value = Self;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut access: A) -> Result<Self, A::Error> {
        while let Some(Key(key)) = access.next_key()? {
            self.any_key = true;
            if key == "values" {
                self.values = Some(access.next_value()?);
            } else {
                access.next_value::<IgnoredAny>()?;
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::uint;
    use serde_json::{Value, json};

    /// Reads `v` (as JSON text) with `f` at path `field`: the output and the errors.
    fn read<T>(
        f: impl FnOnce(Loose<'_>, &Path<'_>, &mut Meta) -> T,
        v: &Value,
    ) -> (T, Vec<crate::ProcessingError>) {
        let text = v.to_string();
        let mut meta = Meta::default();
        let loose: Loose<'_> = serde_json::from_str(&text).unwrap();
        let out = f(loose, &Path::Root.key("field"), &mut meta);
        assert!(meta.take_failure().is_none());
        (out, meta.into_errors())
    }

    /// A value read as a list field is.
    fn as_items(v: Loose<'_>) -> Items<'_> {
        match v {
            Loose::Raw(raw) => serde_json::from_str(raw.get()).unwrap(),
            other => Items::Other(other),
        }
    }

    fn number(v: Loose<'_>, p: &Path<'_>, m: &mut Meta) -> Option<u64> {
        let v = v.into_value(m);
        uint(v, p, m)
    }

    fn as_str(v: Loose<'_>, _: &Path<'_>, _: &mut Meta) -> Option<String> {
        match v {
            Loose::Str(s) => Some(s.into_owned()),
            _ => None,
        }
    }

    #[test]
    fn values_accepts_three_shapes() {
        let all = Keep::First(usize::MAX);
        let wrap = |v: Loose<'_>, p: &Path<'_>, m: &mut Meta| values(v, p, m, all, as_str);
        assert_eq!(read(wrap, &json!({"values": ["a", "b"]})).0, vec!["a", "b"]);
        assert_eq!(read(wrap, &json!(["a", null, "b"])).0, vec!["a", "b"]);
        let single = |v: Loose<'_>, p: &Path<'_>, m: &mut Meta| {
            values(v, p, m, all, |v, _, _| v.as_object_text().map(str::len))
        };
        assert_eq!(read(single, &json!({"type": "x"})).0, vec![12]);
        assert!(read(single, &json!({})).0.is_empty());
        assert!(read(wrap, &json!(null)).0.is_empty());
        assert!(read(wrap, &json!({"values": null})).0.is_empty());
        let (out, errors) = read(wrap, &json!("nope"));
        assert!(out.is_empty());
        assert_eq!(errors[0].name, "field");
        let (out, errors) = read(wrap, &json!({"values": {"a": 1}}));
        assert!(out.is_empty());
        assert_eq!(errors[0].name, "field.values");
        assert_eq!(errors[0].value, Some(json!({"a": 1})));
        // A repeated `values` keeps its last list, even when written with escapes.
        let text = r#"{"values": ["a"], "\u0076alues": ["b"]}"#;
        let mut meta = Meta::default();
        let loose: Loose<'_> = serde_json::from_str(text).unwrap();
        assert_eq!(
            values(loose, &Path::Root, &mut meta, all, as_str),
            vec!["b"]
        );
    }

    /// `n` numbers, read as a list with `keep`: the values kept and the errors.
    fn cut_list(n: usize, keep: Keep) -> (Vec<u64>, Vec<crate::ProcessingError>) {
        let items: Vec<Value> = (0..n as u64).map(Value::from).collect();
        read(
            |v, p, m| values(v, p, m, keep, number),
            &Value::Array(items),
        )
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
        let (out, errors) = read(
            |v, p, m| array(as_items(v), p, m, Keep::Last(2), number),
            &Value::Array(items),
        );
        assert!(out.is_empty());
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[1].name, "field.998");
        // Nor decoded: JSON a `Value` would refuse, past the cut, does not fail the event.
        let text = format!("[\"\\ud800\", {}]", "1,".repeat(5) + "1");
        let mut meta = Meta::default();
        let loose: Loose<'_> = serde_json::from_str(&text).unwrap();
        let kept = array(
            as_items(loose),
            &Path::Root,
            &mut meta,
            Keep::Last(2),
            number,
        );
        assert_eq!(kept, [1, 1]);
        assert!(meta.take_failure().is_none());
    }

    #[test]
    fn a_list_of_the_wrong_type_is_recorded() {
        let all = Keep::First(usize::MAX);
        let (out, errors) = read(
            |v, p, m| array(as_items(v), p, m, all, as_str),
            &json!({"a": 1}),
        );
        assert!(out.is_empty());
        assert_eq!(errors[0].reason, "expected a list");
        assert_eq!(errors[0].value, Some(json!({"a": 1})));
        let (out, errors) = read(
            |v, p, m| array(as_items(v), p, m, all, as_str),
            &json!(null),
        );
        assert!(out.is_empty() && errors.is_empty());
    }

    #[test]
    fn preferred_items_are_kept_first_in_the_order_sent() {
        let items = json!([{"id": 0}, {"id": 1, "crashed": true}, {"id": 2}, {"id": 3, "current": "true"}, {"id": 4}]);
        let ids = |keep| {
            read(
                |v, p, m| {
                    values(v, p, m, keep, |v, _, _| {
                        let v: Value = serde_json::from_str(v.as_object_text()?).ok()?;
                        v.get("id").and_then(Value::as_u64)
                    })
                },
                &items,
            )
            .0
        };
        let preferred = crate::thread::Thread::is_crashed_or_current;
        assert_eq!(ids(Keep::Preferring(1, preferred)), [1]);
        assert_eq!(ids(Keep::Preferring(3, preferred)), [0, 1, 3]);
        assert_eq!(ids(Keep::Preferring(4, preferred)), [0, 1, 2, 3]);
        assert_eq!(ids(Keep::Preferring(5, preferred)), [0, 1, 2, 3, 4]);
    }
}
