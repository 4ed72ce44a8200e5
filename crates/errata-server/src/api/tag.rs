//! An issue's tags: `GET /api/0/issues/{issue_id}/tags/`, the value counts behind the
//! UI's tag panels, in Sentry's shape (`[{key, name, totalValues, topValues: [...]}]`,
//! keys in the store's order, values most seen first).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use errata_store::TagValueCount;
use serde::Serialize;

use errata_store::Scope;

use super::date::iso8601;
use super::{ApiError, blocking, issue};
use crate::auth::Viewer;
use crate::state::AppState;

/// One tag key with its values.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TagView {
    key: String,
    name: String,
    /// How many events had the key (the sum of the value counts).
    total_values: u64,
    top_values: Vec<TagValueView>,
}

/// One value of a tag key.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TagValueView {
    key: String,
    name: String,
    value: String,
    count: u64,
    first_seen: String,
    last_seen: String,
}

/// Groups the store's rows (sorted by key) into one view per key.
fn group(rows: &[TagValueCount]) -> Vec<TagView> {
    let mut out: Vec<TagView> = Vec::new();
    for row in rows {
        let value = TagValueView {
            key: row.key.clone(),
            name: row.value.clone(),
            value: row.value.clone(),
            count: row.times_seen,
            first_seen: iso8601(row.first_seen_ms),
            last_seen: iso8601(row.last_seen_ms),
        };
        match out.last_mut() {
            Some(tag) if tag.key == row.key => {
                tag.total_values += row.times_seen;
                tag.top_values.push(value);
            }
            _ => out.push(TagView {
                key: row.key.clone(),
                name: row.key.clone(),
                total_values: row.times_seen,
                top_values: vec![value],
            }),
        }
    }
    out
}

/// `GET /api/0/issues/{issue_id}/tags/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<TagView>>, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (_, _, issue) = issue::resolve(&state, &params).await?;
    let rows = blocking(&state, move |store| store.issue_tags(issue.id)).await?;
    Ok(Json(group(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, value: &str, n: u64) -> TagValueCount {
        TagValueCount {
            key: key.into(),
            value: value.into(),
            times_seen: n,
            first_seen_ms: 0,
            last_seen_ms: 0,
        }
    }

    #[test]
    fn groups_values_by_key() {
        let tags = group(&[row("a", "1", 3), row("a", "2", 1), row("b", "x", 2)]);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].total_values, 4);
        assert_eq!(tags[0].top_values.len(), 2);
        assert_eq!(tags[1].key, "b");
        assert_eq!(tags[1].top_values[0].count, 2);
    }
}
