//! Breadcrumbs: the trail of log lines, navigations and requests that led to an event.
//! An event keeps the newest [`MAX_BREADCRUMBS`]; older ones are dropped unread.

use crate::databag::{self, CONTEXT};
use crate::event::Level;
use crate::meta::{Meta, Path};
use crate::wire::{self, Loose, wire_object};
use serde::Serialize;
use serde_json::{Map, Value};

/// Most breadcrumbs an event keeps: the newest (the last sent), as Sentry does. The
/// older ones are skipped without being read, so a trail of 50,000 costs little.
pub const MAX_BREADCRUMBS: usize = 100;

/// One breadcrumb.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breadcrumb {
    /// When it happened, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<f64>,
    /// Its kind (`default`, `http`, `navigation`, `query`...); `default` when missing.
    #[serde(rename = "type")]
    pub ty: String,
    /// A dotted category such as `ui.click` or the logger name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Severity; `info` when missing.
    pub level: Level,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Structured data.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub data: Map<String, Value>,
}

wire_object!(
    /// A breadcrumb as sent.
    WireBreadcrumb<'a> {
        timestamp: "timestamp" => Loose<'a>,
        ty: "type" => Loose<'a>,
        category: "category" => Loose<'a>,
        level: "level" => Loose<'a>,
        message: "message" => Loose<'a>,
        data: "data" => Loose<'a>,
    }
);

impl Breadcrumb {
    pub(crate) fn read(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let wire: WireBreadcrumb<'_> = wire::object(value, path, meta)?;
        let level = wire.level.into_value(meta);
        let level = Level::read(level, &path.key("level"), meta);
        let data_path = path.key("data");
        let data = wire::bag(wire.data, &data_path, meta).unwrap_or_default();
        let data = databag::trim_map(data, CONTEXT, &data_path, meta);
        Some(Breadcrumb {
            timestamp: wire::timestamp(wire.timestamp, &path.key("timestamp"), meta),
            ty: wire::string(wire.ty, &path.key("type"), meta)
                .unwrap_or_else(|| "default".to_owned()),
            category: wire::string(wire.category, &path.key("category"), meta),
            level: level.unwrap_or(Level::Info),
            message: wire::bounded_string(wire.message, 8192, &path.key("message"), meta),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: &Value) -> (Option<Breadcrumb>, Vec<crate::ProcessingError>) {
        let text = v.to_string();
        let mut meta = Meta::default();
        let crumb = Breadcrumb::read(serde_json::from_str(&text).unwrap(), &Path::Root, &mut meta);
        (crumb, meta.into_errors())
    }

    #[test]
    fn breadcrumb_fields_of_every_shape() {
        let (crumb, errors) = read(&json!({
            "timestamp": "2023-11-14T22:13:20Z", "type": 3, "category": null,
            "level": 30, "message": "line\n\"quoted\"", "data": {"url": "/x"}, "x": [1]
        }));
        let crumb = crumb.unwrap();
        assert_eq!(crumb.timestamp, Some(1_700_000_000.0));
        assert_eq!((crumb.ty.as_str(), crumb.level), ("3", Level::Warning));
        assert_eq!(crumb.message.as_deref(), Some("line\n\"quoted\""));
        assert_eq!(crumb.data["url"], "/x");
        assert!(errors.is_empty());
        let (crumb, errors) = read(&json!({
            "timestamp": "soon", "type": null, "level": "loud", "message": {"m": 1},
            "data": "d"
        }));
        let crumb = crumb.unwrap();
        assert_eq!((crumb.ty.as_str(), crumb.level), ("default", Level::Info));
        let names: Vec<_> = errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["level", "data", "timestamp", "message"]);
        assert!(read(&json!(null)).0.is_none());
        assert_eq!(read(&json!(["m"])).1.len(), 1);
    }
}
