//! Free-form JSON bags (`extra`, frame `vars`, `request.data`, context and breadcrumb
//! data) kept within a depth and a byte budget, so one event cannot carry unbounded
//! nested data into storage and the UI. Every item costs budget (an empty array or object
//! too), so the budget also bounds how many items a bag keeps, and trimming is one pass
//! over the bag.

use crate::meta::{ErrorKind, Meta, Path, truncate_str};
use serde_json::{Map, Value};

/// Limits for one bag.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BagLimits {
    /// Containers nested deeper than this are removed.
    pub(crate) max_depth: usize,
    /// Approximate JSON size budget in bytes; what does not fit is removed or cut.
    pub(crate) max_bytes: usize,
}

/// Frame `vars`: 5 levels, 2 KiB (Relay's defaults).
pub(crate) const FRAME_VARS: BagLimits = BagLimits {
    max_depth: 5,
    max_bytes: 2048,
};
/// One value of `extra`: 7 levels, 16 KiB.
pub(crate) const EXTRA_VALUE: BagLimits = BagLimits {
    max_depth: 7,
    max_bytes: 16 * 1024,
};
/// `request.data`: 8 KiB.
pub(crate) const REQUEST_DATA: BagLimits = BagLimits {
    max_depth: 7,
    max_bytes: 8 * 1024,
};
/// Log message parameters, all together: 5 levels, 4 KiB.
pub(crate) const LOG_PARAMS: BagLimits = BagLimits {
    max_depth: 5,
    max_bytes: 4096,
};
/// One SDK package (`{"name": ..., "version": ...}`): 3 levels, 1 KiB.
pub(crate) const SDK_PACKAGE: BagLimits = BagLimits {
    max_depth: 3,
    max_bytes: 1024,
};
/// `modules`, all together: 2 levels, 64 KiB.
pub(crate) const MODULES: BagLimits = BagLimits {
    max_depth: 2,
    max_bytes: 64 * 1024,
};
/// Context objects and breadcrumb data.
pub(crate) const CONTEXT: BagLimits = BagLimits {
    max_depth: 7,
    max_bytes: 16 * 1024,
};

/// Trims `value` in place to `limits`; records one `trimmed` error at `path` if it did.
pub(crate) fn trim(value: &mut Value, limits: BagLimits, path: &Path<'_>, meta: &mut Meta) {
    let mut budget = limits.max_bytes;
    if trim_value(value, limits.max_depth, &mut budget) {
        meta.push(
            ErrorKind::Trimmed,
            path,
            format!(
                "data over {} levels deep or {} bytes was removed",
                limits.max_depth, limits.max_bytes
            ),
        );
    }
}

/// The exact size of `value` as compact JSON, counted without writing it anywhere.
pub(crate) fn json_size(value: &Value) -> usize {
    /// A writer that only counts.
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// [`trim`] for a bag that is an object.
pub(crate) fn trim_map(
    map: Map<String, Value>,
    limits: BagLimits,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Map<String, Value> {
    let mut bag = Value::Object(map);
    trim(&mut bag, limits, path, meta);
    match bag {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Returns whether anything was removed or cut.
fn trim_value(value: &mut Value, depth_left: usize, budget: &mut usize) -> bool {
    match value {
        Value::Null | Value::Bool(_) => {
            *budget = budget.saturating_sub(4);
            false
        }
        Value::Number(_) => {
            *budget = budget.saturating_sub(8);
            false
        }
        Value::String(s) => {
            if s.len() + 2 > *budget {
                let keep = truncate_str(s, budget.saturating_sub(5)).len();
                s.truncate(keep);
                s.push_str("...");
                *budget = 0;
                true
            } else {
                *budget -= s.len() + 2;
                false
            }
        }
        Value::Array(items) => {
            if depth_left == 0 {
                *value = Value::String("[...]".into());
                *budget = budget.saturating_sub(7);
                return true;
            }
            *budget = budget.saturating_sub(2);
            let mut trimmed = false;
            let mut keep = items.len();
            for (i, item) in items.iter_mut().enumerate() {
                if *budget == 0 {
                    keep = i;
                    trimmed = true;
                    break;
                }
                *budget -= 1;
                trimmed |= trim_value(item, depth_left - 1, budget);
            }
            items.truncate(keep);
            trimmed
        }
        Value::Object(map) => {
            if depth_left == 0 {
                *value = Value::String("{...}".into());
                *budget = budget.saturating_sub(7);
                return true;
            }
            *budget = budget.saturating_sub(2);
            let mut trimmed = false;
            // One pass: entries past the budget are removed as they are met.
            map.retain(|key, item| {
                if *budget <= key.len() + 4 {
                    trimmed = true;
                    return false;
                }
                *budget -= key.len() + 4;
                trimmed |= trim_value(item, depth_left - 1, budget);
                true
            });
            trimmed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mut v: Value, limits: BagLimits) -> (Value, usize) {
        let mut meta = Meta::default();
        trim(&mut v, limits, &Path::Root.key("vars"), &mut meta);
        (v, meta.into_errors().len())
    }

    #[test]
    fn small_bags_are_untouched() {
        let v = json!({"a": 1, "b": ["x", {"c": null}]});
        assert_eq!(run(v.clone(), FRAME_VARS), (v, 0));
    }

    #[test]
    fn deep_bags_are_cut_at_the_depth_limit() {
        let v = json!({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}});
        let (out, errors) = run(v, FRAME_VARS);
        assert_eq!(out, json!({"a": {"b": {"c": {"d": {"e": "{...}"}}}}}));
        assert_eq!(errors, 1);
    }

    #[test]
    fn empty_containers_cost_budget_so_breadth_is_bounded() {
        for empty in [json!([]), json!({})] {
            let wide = Value::Array(vec![empty; 100_000]);
            let (out, errors) = run(wide, FRAME_VARS);
            let kept = out.as_array().unwrap().len();
            assert!(kept < FRAME_VARS.max_bytes / 2, "{kept}");
            assert_eq!(errors, 1);
        }
        let keys: serde_json::Map<String, Value> =
            (0..100_000).map(|i| (i.to_string(), json!({}))).collect();
        let (out, _) = run(Value::Object(keys), FRAME_VARS);
        assert!(out.to_string().len() <= FRAME_VARS.max_bytes + 64);
    }

    #[test]
    fn json_size_is_exact() {
        let v = json!({"a": [1, "x\"y", null, {"b": true}], "é": 1.5});
        assert_eq!(json_size(&v), serde_json::to_string(&v).unwrap().len());
    }

    #[test]
    fn large_bags_fit_the_budget() {
        let big: serde_json::Map<String, Value> = (0..1000)
            .map(|i| (format!("key{i}"), json!("x".repeat(50))))
            .collect();
        let (out, errors) = run(Value::Object(big), FRAME_VARS);
        assert!(
            out.to_string().len() <= FRAME_VARS.max_bytes + 64,
            "{}",
            out.to_string().len()
        );
        assert_eq!(errors, 1);
    }
}
