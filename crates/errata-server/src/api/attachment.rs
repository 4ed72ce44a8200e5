//! An event's attachments, at Sentry's paths:
//! `GET /api/0/projects/{org}/{project}/events/{event_id}/attachments/` lists them, and
//! `.../attachments/{attachment_id}/` describes one, or with `?download=1` answers its
//! bytes with its content type and file name.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use errata_store::{Attachment, AttachmentId};
use serde::Serialize;
use serde_json::json;

use errata_store::Scope;

use super::date::iso8601;
use super::event::parse_event_id;
use super::organization::param;
use super::pagination::{encode, query_value};
use super::{ApiError, blocking, project};
use crate::auth::Viewer;
use crate::state::AppState;

/// What an attachment without a content type is served as.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// An attachment as the API shows it (Sentry's event attachment fields).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AttachmentView {
    id: String,
    #[serde(rename = "event_id")]
    event_id: String,
    #[serde(rename = "type")]
    ty: &'static str,
    name: String,
    mimetype: String,
    size: u64,
    date_created: String,
    headers: serde_json::Value,
    sha1: Option<String>,
}

impl AttachmentView {
    fn new(attachment: &Attachment) -> Self {
        let mimetype = content_type(attachment).to_owned();
        Self {
            id: attachment.id.to_string(),
            event_id: attachment.event_id.simple().to_string(),
            ty: "event.attachment",
            name: attachment.name.clone(),
            headers: json!({ "Content-Type": mimetype }),
            mimetype,
            size: attachment.size,
            date_created: iso8601(attachment.created_ms),
            sha1: None,
        }
    }
}

fn content_type(attachment: &Attachment) -> &str {
    attachment
        .content_type
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_CONTENT_TYPE)
}

/// `Content-Disposition: attachment` with the file name (quotes, backslashes and
/// control or non-ASCII characters replaced, plus the RFC 5987 UTF-8 form).
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = encode(name);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /api/0/projects/{org}/{project}/events/{event_id}/attachments/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<AttachmentView>>, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let event_id = parse_event_id(param(&params, "event_id"))?;
    let (event, attachments) = blocking(&state, move |store| {
        let event = match store.event(project.id, event_id) {
            Ok(_) => true,
            Err(e) if e.is_not_found() => false,
            Err(e) => return Err(e),
        };
        Ok((event, store.attachments(project.id, event_id)?))
    })
    .await?;
    if !event {
        return Err(ApiError::NotFound(format!(
            "event {:?} not found",
            param(&params, "event_id")
        )));
    }
    Ok(Json(attachments.iter().map(AttachmentView::new).collect()))
}

/// `GET /api/0/projects/{org}/{project}/events/{event_id}/attachments/{attachment_id}/`,
/// `?download=1` for the bytes.
pub(super) async fn detail(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let event_id = parse_event_id(param(&params, "event_id"))?;
    let raw = param(&params, "attachment_id");
    let missing = || ApiError::NotFound(format!("attachment {raw:?} not found"));
    let id: i64 = raw.parse().map_err(|_| missing())?;
    let found = blocking(&state, move |store| {
        match store.attachment_data(project.id, AttachmentId(id)) {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await?;
    let (attachment, data) = found
        .filter(|(a, _)| a.event_id == event_id)
        .ok_or_else(missing)?;
    let download = query_value(&pairs, "download").is_some_and(|v| !matches!(v, "0" | "false"));
    if !download {
        return Ok(Json(AttachmentView::new(&attachment)).into_response());
    }
    let content_type = HeaderValue::from_str(content_type(&attachment))
        .unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_CONTENT_TYPE));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition(&attachment.name)),
        ],
        data,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_in_the_header() {
        assert_eq!(
            disposition("log.txt"),
            "attachment; filename=\"log.txt\"; filename*=UTF-8''log.txt"
        );
        assert_eq!(
            disposition("a\"b\r\né.txt"),
            "attachment; filename=\"a_b___.txt\"; filename*=UTF-8''a%22b%0D%0A%C3%A9.txt"
        );
    }
}
