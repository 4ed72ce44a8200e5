//! The breadcrumb trail as a timeline, oldest first so it reads towards the event.

use serde_json::Value;

use super::moment::Moment;
use super::value::{field, items, number, text};

/// One breadcrumb.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BreadcrumbView {
    /// When, if the SDK said.
    pub time: Option<Moment>,
    /// `default`, `http`, `navigation`, `query`...
    pub ty: String,
    /// A dotted category such as `ui.click`.
    pub category: Option<String>,
    /// One of the five levels (anything else shows as `info`); safe as a class suffix.
    pub level: &'static str,
    /// Free text.
    pub message: Option<String>,
    /// Structured data as `(key, value text)`.
    pub data: Vec<(String, String)>,
}

impl BreadcrumbView {
    /// The trail of `breadcrumbs.values`, as stored (oldest first).
    pub(crate) fn trail(breadcrumbs: Option<&Value>) -> Vec<Self> {
        items(breadcrumbs)
            .iter()
            .filter(|b| b.is_object())
            .map(|b| Self {
                time: number(b, "timestamp").map(Moment::from_secs),
                ty: field(b, "type").unwrap_or_else(|| "default".to_owned()),
                category: field(b, "category"),
                level: level(b.get("level"), "info"),
                message: field(b, "message"),
                data: match b.get("data") {
                    Some(Value::Object(map)) => {
                        map.iter().map(|(k, v)| (k.clone(), text(v))).collect()
                    }
                    _ => Vec::new(),
                },
            })
            .collect()
    }
}

/// A level from an event, limited to the five known names so it can go into a class.
pub(crate) fn level(value: Option<&Value>, fallback: &'static str) -> &'static str {
    match value.and_then(Value::as_str) {
        Some("debug") => "debug",
        Some("info") => "info",
        Some("warning") => "warning",
        Some("error") => "error",
        Some("fatal") => "fatal",
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn trail_keeps_order_and_limits_levels() {
        let crumbs = json!({"values": [
            {"timestamp": 1_795_288_517.3, "category": "auth", "message": "hi", "level": "info"},
            {"type": "http", "data": {"status_code": 200}, "level": "\" onmouseover=x"},
            "junk",
        ]});
        let trail = BreadcrumbView::trail(Some(&crumbs));
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[0].category.as_deref(), Some("auth"));
        assert!(trail[0].time.is_some());
        assert_eq!(trail[1].level, "info");
        assert_eq!(trail[1].data, vec![("status_code".into(), "200".into())]);
    }
}
