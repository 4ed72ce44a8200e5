//! Contexts (`os`, `runtime`, `browser`, `device`, `trace`, and whatever else the SDK
//! sent) and the user, each as a titled key/value table.

use serde_json::Value;

use super::value::{scalar, text};

/// The well-known contexts, shown first in this order.
const FIRST: [&str; 4] = ["os", "runtime", "browser", "device"];

/// One context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextView {
    /// The key it was sent under (`os`, `trace`, `my_feature`).
    pub name: String,
    /// Its declared `type`, when it differs from the name.
    pub ty: Option<String>,
    /// Its fields, without `type`.
    pub rows: Vec<(String, String)>,
}

impl ContextView {
    /// Every context that is an object with fields, the well-known ones first.
    pub(crate) fn list(contexts: Option<&Value>) -> Vec<Self> {
        let Some(Value::Object(map)) = contexts else {
            return Vec::new();
        };
        let mut list: Vec<Self> = map
            .iter()
            .filter_map(|(name, value)| {
                let Value::Object(fields) = value else {
                    return None;
                };
                let rows: Vec<(String, String)> = fields
                    .iter()
                    .filter(|(k, v)| k.as_str() != "type" && !v.is_null())
                    .map(|(k, v)| (k.clone(), text(v)))
                    .collect();
                (!rows.is_empty()).then(|| Self {
                    name: name.clone(),
                    ty: fields.get("type").and_then(scalar).filter(|t| t != name),
                    rows,
                })
            })
            .collect();
        list.sort_by_key(|c| {
            FIRST
                .iter()
                .position(|f| *f == c.name)
                .unwrap_or(FIRST.len())
        });
        list
    }
}

/// The user's fields as labelled rows (the known ones first, then the SDK's others).
pub(crate) fn user_rows(user: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = user else {
        return Vec::new();
    };
    let known = [
        ("id", "ID"),
        ("email", "Email"),
        ("username", "Username"),
        ("name", "Name"),
        ("ip_address", "IP address"),
        ("segment", "Segment"),
    ];
    let mut rows: Vec<(String, String)> = known
        .iter()
        .filter_map(|(key, label)| Some(((*label).to_owned(), scalar(map.get(*key)?)?)))
        .collect();
    if let Some(Value::Object(geo)) = map.get("geo") {
        rows.extend(geo.iter().map(|(k, v)| (format!("geo.{k}"), text(v))));
    }
    let others = |(k, v): (&String, &Value)| {
        (!known.iter().any(|(key, _)| key == k) && k != "geo" && k != "data")
            .then(|| (k.clone(), text(v)))
    };
    rows.extend(map.iter().filter_map(others));
    if let Some(Value::Object(data)) = map.get("data") {
        rows.extend(data.iter().map(|(k, v)| (k.clone(), text(v))));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn well_known_contexts_come_first() {
        let list = ContextView::list(Some(&json!({
            "trace": {"type": "trace", "trace_id": "ab"},
            "runtime": {"type": "runtime", "name": "CPython", "version": "3.11.7"},
            "app": {"type": "other", "x": [1, 2]},
            "empty": {"type": "empty"},
            "bad": 3,
        })));
        let names: Vec<_> = list.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["runtime", "app", "trace"]);
        assert_eq!(list[1].ty.as_deref(), Some("other"));
        assert_eq!(list[0].ty, None);
        assert_eq!(list[0].rows[0], ("name".into(), "CPython".into()));
    }

    #[test]
    fn user_rows_are_labelled() {
        let rows = user_rows(Some(
            &json!({"id": 7, "email": "a@b", "geo": {"city": "Oslo"},
            "data": {"plan": "pro"}, "ip_address": "127.0.0.1"}),
        ));
        assert_eq!(rows[0], ("ID".into(), "7".into()));
        assert!(rows.contains(&("geo.city".into(), "Oslo".into())));
        assert!(rows.contains(&("plan".into(), "pro".into())));
        assert!(user_rows(Some(&json!([1]))).is_empty());
    }
}
