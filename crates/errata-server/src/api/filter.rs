//! Inbound filters through Sentry's API: `GET /api/0/projects/{org}/{project}/filters/`
//! lists the built-in filters (`browser-extensions`, `localhost`, `web-crawlers`) with
//! whether each is `active`, `PUT .../filters/{filter_id}/` with `{"active": bool}` turns
//! one on or off (204), and the project's `options` carry the pattern lists as Sentry's
//! project details do: `filters:releases` and `filters:error_messages` (one glob per line),
//! plus Errata's own `errata:filters:environments` (one environment name per line). A
//! change applies to the next ingest request (the key cache is cleared).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use errata_store::{FilterPatch, InboundFilters, ProjectSettings, Scope};
use serde::Serialize;
use serde_json::Value;

use super::organization::param;
use super::{ApiError, blocking, project};
use crate::auth::Viewer;
use crate::filter::BuiltIn;
use crate::state::AppState;

/// Sentry's option: release glob patterns, one per line.
const RELEASES: &str = "filters:releases";
/// Sentry's option: error message glob patterns, one per line.
const ERROR_MESSAGES: &str = "filters:error_messages";
/// Errata's option (Sentry has none): environment names, one per line.
const ENVIRONMENTS: &str = "errata:filters:environments";

/// The filter options of a project as its details show them.
pub(super) fn options_view(filters: &InboundFilters) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (RELEASES, filters.releases.join("\n")),
        (ERROR_MESSAGES, filters.error_messages.join("\n")),
        (ENVIRONMENTS, filters.environments.join("\n")),
    ])
}

/// The filter changes of a project `PUT`'s `options` object: each option a string of one
/// entry per line (or an array of strings); any other option is a 400 naming it.
pub(super) fn options_patch(options: &Value) -> Result<FilterPatch, ApiError> {
    let Some(options) = options.as_object() else {
        return Err(ApiError::BadRequest("options must be an object".into()));
    };
    let mut patch = FilterPatch::default();
    for (name, value) in options {
        let slot = match name.as_str() {
            RELEASES => &mut patch.releases,
            ERROR_MESSAGES => &mut patch.error_messages,
            ENVIRONMENTS => &mut patch.environments,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown or unsupported option {other:?}; settable: \
                     {RELEASES}, {ERROR_MESSAGES}, {ENVIRONMENTS}"
                )));
            }
        };
        *slot = Some(lines(name, value)?);
    }
    Ok(patch)
}

/// A list option: a string of lines, an array of strings, or `null` (empty).
fn lines(name: &str, value: &Value) -> Result<Vec<String>, ApiError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(text) => Ok(text.lines().map(str::to_owned).collect()),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad_list(name)),
        _ => Err(bad_list(name)),
    }
}

fn bad_list(name: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "{name} must be a string with one entry per line (or an array of strings)"
    ))
}

/// One built-in filter as the list shows it.
#[derive(Debug, Serialize)]
pub(super) struct FilterView {
    id: &'static str,
    active: bool,
    description: &'static str,
}

/// `GET /api/0/projects/{org}/{project}/filters/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<FilterView>>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (_, project) = project::resolve(&state, &params).await?;
    Ok(Json(
        BuiltIn::ALL
            .into_iter()
            .map(|filter| FilterView {
                id: filter.id(),
                active: filter.is_on(&project.filters),
                description: filter.description(),
            })
            .collect(),
    ))
}

/// `PUT /api/0/projects/{org}/{project}/filters/{filter_id}/` with `{"active": bool}`.
pub(super) async fn update(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let id = param(&params, "filter_id");
    let filter = BuiltIn::parse(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no filter {id:?}; Errata has browser-extensions, localhost and web-crawlers"
        ))
    })?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let active = value
        .get("active")
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::BadRequest("expected {\"active\": true or false}".into()))?;
    let mut patch = FilterPatch::default();
    match filter {
        BuiltIn::BrowserExtensions => patch.browser_extensions = Some(active),
        BuiltIn::Localhost => patch.localhost = Some(active),
        BuiltIn::WebCrawlers => patch.web_crawlers = Some(active),
    }
    let settings = ProjectSettings {
        filters: patch,
        ..ProjectSettings::default()
    };
    let id = project.id;
    blocking(&state, move |store| {
        store.update_project_settings(id, &settings)
    })
    .await?;
    state.keys.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_are_lines_or_arrays() {
        let patch = options_patch(&json!({
            "filters:releases": "1.0.*\n2.0.0",
            "filters:error_messages": ["*Timeout*"],
            "errata:filters:environments": null,
        }))
        .unwrap();
        assert_eq!(patch.releases.unwrap(), ["1.0.*", "2.0.0"]);
        assert_eq!(patch.error_messages.unwrap(), ["*Timeout*"]);
        assert_eq!(patch.environments.unwrap(), Vec::<String>::new());
        assert_eq!(patch.web_crawlers, None);
        assert!(options_patch(&json!({"filters:blacklisted_ips": ""})).is_err());
        assert!(options_patch(&json!({"filters:releases": 3})).is_err());
        assert!(options_patch(&json!([])).is_err());
        let view = options_view(&InboundFilters {
            releases: vec!["a".into(), "b".into()],
            ..InboundFilters::default()
        });
        assert_eq!(view[RELEASES], "a\nb");
        assert_eq!(view[ENVIRONMENTS], "");
    }
}
