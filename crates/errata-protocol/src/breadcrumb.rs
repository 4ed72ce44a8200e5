//! Breadcrumbs: the trail of log lines, navigations and requests that led to an event.
//! An event keeps the newest [`MAX_BREADCRUMBS`]; older ones are dropped unread.

use crate::databag::{self, CONTEXT};
use crate::event::Level;
use crate::meta::{Meta, Path};
use crate::value::{bounded_string, object, string, take, timestamp};
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

impl Breadcrumb {
    pub(crate) fn read(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let mut map = object(value, path, meta)?;
        let level = Level::read(take(&mut map, "level"), &path.key("level"), meta);
        let data = object(take(&mut map, "data"), &path.key("data"), meta).unwrap_or_default();
        let data = databag::trim_map(data, CONTEXT, &path.key("data"), meta);
        Some(Breadcrumb {
            timestamp: timestamp(take(&mut map, "timestamp"), &path.key("timestamp"), meta),
            ty: string(take(&mut map, "type"), &path.key("type"), meta)
                .unwrap_or_else(|| "default".to_owned()),
            category: string(take(&mut map, "category"), &path.key("category"), meta),
            level: level.unwrap_or(Level::Info),
            message: bounded_string(take(&mut map, "message"), 8192, &path.key("message"), meta),
            data,
        })
    }
}
