//! Events: an issue's events (`GET /api/0/issues/{issue_id}/events/`, paged, newest
//! first), its latest event (`.../events/latest/`), and one event by id
//! (`GET /api/0/projects/{org}/{project}/events/{event_id}/`).
//!
//! One event is its full normalized payload (the fields of `errata_protocol::Event`)
//! merged into Sentry's event shape: `id`/`eventID`, `groupID`, `projectID`, `title`,
//! `message`, `dateCreated`, `dateReceived`, `tags` as `[{key, value}]` and `entries`
//! (the interfaces as Sentry's UI lists them); the normalized fields keep their names.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use errata_store::{EventRow, StoredEvent, Uuid};
use serde::Serialize;
use serde_json::{Map, Value, json};

use errata_store::Scope;

use super::date::iso8601;
use super::organization::param;
use super::pagination::{PageRequest, link_header};
use super::{ApiError, blocking, issue, project};
use crate::auth::Viewer;
use crate::state::AppState;

/// An event in a list (no payload).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EventSummaryView {
    id: String,
    #[serde(rename = "eventID")]
    event_id: String,
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "projectID")]
    project_id: String,
    title: String,
    #[serde(rename = "event.type")]
    event_type: String,
    level: &'static str,
    date_created: String,
    date_received: String,
    release: Option<String>,
    environment: Option<String>,
    user: Option<Value>,
    size: u64,
}

impl EventSummaryView {
    fn new(row: &EventRow) -> Self {
        let id = row.event_id.simple().to_string();
        Self {
            event_id: id.clone(),
            id,
            group_id: row.issue_id.to_string(),
            project_id: row.project_id.to_string(),
            title: row.title.clone(),
            event_type: row.event_type.clone(),
            level: row.level.as_str(),
            date_created: iso8601(row.timestamp_ms),
            date_received: iso8601(row.received_ms),
            release: row.release.clone(),
            environment: row.environment.clone(),
            user: row.user.as_deref().map(user_view),
            size: row.payload_len,
        }
    }
}

/// The store's user identity (`id:42`, `email:a@b.c`, `username:x`, `ip:1.2.3.4`) as
/// Sentry's user object.
fn user_view(identity: &str) -> Value {
    let (kind, value) = identity.split_once(':').unwrap_or(("id", identity));
    let field = match kind {
        "email" => "email",
        "username" => "username",
        "ip" => "ip_address",
        _ => "id",
    };
    json!({ field: value })
}

/// One event with its payload, in Sentry's shape.
pub(super) fn detail_view(event: &StoredEvent) -> Result<Value, ApiError> {
    let payload: Map<String, Value> = serde_json::from_slice(&event.payload)
        .map_err(|e| ApiError::Internal(format!("stored payload is not a JSON object: {e}")))?;
    let row = &event.row;
    let id = row.event_id.simple().to_string();
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("eventID".into(), json!(id));
    out.insert("groupID".into(), json!(row.issue_id.to_string()));
    out.insert("projectID".into(), json!(row.project_id.to_string()));
    out.insert("title".into(), json!(row.title));
    out.insert("message".into(), json!(message(&payload)));
    out.insert("dateCreated".into(), json!(iso8601(row.timestamp_ms)));
    out.insert("dateReceived".into(), json!(iso8601(row.received_ms)));
    out.insert("size".into(), json!(row.payload_len));
    out.insert("tags".into(), tags(&payload));
    out.insert("entries".into(), entries(&payload));
    for (key, value) in payload {
        out.entry(key).or_insert(value);
    }
    Ok(Value::Object(out))
}

/// The formatted message (or template) of the event, else empty.
fn message(payload: &Map<String, Value>) -> String {
    let log = payload.get("logentry");
    log.and_then(|l| l.get("formatted"))
        .or_else(|| log.and_then(|l| l.get("message")))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The normalized pair list as `[{key, value}]`.
fn tags(payload: &Map<String, Value>) -> Value {
    let pairs = payload.get("tags").and_then(Value::as_array);
    Value::Array(
        pairs
            .into_iter()
            .flatten()
            .filter_map(|pair| {
                let key = pair.get(0)?.as_str()?;
                let value = pair.get(1)?.as_str()?;
                Some(json!({ "key": key, "value": value }))
            })
            .collect(),
    )
}

/// Sentry's `entries`: one `{type, data}` per interface present, in the UI's order.
fn entries(payload: &Map<String, Value>) -> Value {
    let interfaces = [
        ("exception", "exception"),
        ("threads", "threads"),
        ("stacktrace", "stacktrace"),
        ("logentry", "message"),
        ("request", "request"),
        ("breadcrumbs", "breadcrumbs"),
    ];
    Value::Array(
        interfaces
            .iter()
            .filter_map(|(field, ty)| {
                let data = payload.get(*field)?;
                Some(json!({ "type": ty, "data": data }))
            })
            .collect(),
    )
}

/// Reads an event id (32 hex digits, dashes allowed); anything else is a 404.
pub(super) fn parse_event_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text).map_err(|_| ApiError::NotFound(format!("event {text:?} not found")))
}

/// `GET /api/0/issues/{issue_id}/events/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Query(pairs): Query<Vec<(String, String)>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (_, _, issue) = issue::resolve(&state, &params).await?;
    let page = PageRequest::from_query(&pairs)?;
    let found = blocking(&state, move |store| {
        store.issue_events(issue.id, page.cursor.as_deref(), page.limit)
    })
    .await?;
    let views: Vec<EventSummaryView> = found.items.iter().map(EventSummaryView::new).collect();
    let link = link_header(&state, &uri, &pairs, found.next_cursor.as_deref());
    Ok(([(header::LINK, link)], Json(views)).into_response())
}

/// `GET /api/0/issues/{issue_id}/events/latest/`.
pub(super) async fn latest(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (_, _, issue) = issue::resolve(&state, &params).await?;
    let event = blocking(&state, move |store| store.latest_event(issue.id)).await?;
    Ok(Json(detail_view(&event)?))
}

/// The event named by `{event_id}` in the project named by `{org}/{project}`.
pub(super) async fn find(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<StoredEvent, ApiError> {
    let (_, project) = project::resolve(state, params).await?;
    let raw = param(params, "event_id");
    let event_id = parse_event_id(raw)?;
    let missing = format!("event {raw:?} not found");
    blocking(state, move |store| store.event(project.id, event_id))
        .await
        .map_err(|e| super::organization::not_found_as(e, missing))
}

/// `GET /api/0/projects/{org}/{project}/events/{event_id}/`.
pub(super) async fn detail(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    viewer.require(Scope::EventRead)?;
    let event = find(&state, &params).await?;
    Ok(Json(detail_view(&event)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_identities_become_user_objects() {
        assert_eq!(user_view("id:42"), json!({"id": "42"}));
        assert_eq!(user_view("email:a@b.c"), json!({"email": "a@b.c"}));
        assert_eq!(user_view("ip:1.2.3.4"), json!({"ip_address": "1.2.3.4"}));
        assert_eq!(user_view("username:x:y"), json!({"username": "x:y"}));
    }

    #[test]
    fn tags_and_entries_follow_sentry() {
        let payload: Map<String, Value> = serde_json::from_value(json!({
            "tags": [["browser", "Chrome"], ["bad"]],
            "logentry": {"formatted": "hello"},
            "exception": {"values": []},
        }))
        .unwrap();
        assert_eq!(
            tags(&payload),
            json!([{"key": "browser", "value": "Chrome"}])
        );
        assert_eq!(message(&payload), "hello");
        let types: Vec<Value> = entries(&payload)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].clone())
            .collect();
        assert_eq!(types, vec![json!("exception"), json!("message")]);
    }
}
