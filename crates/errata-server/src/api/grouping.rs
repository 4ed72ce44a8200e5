//! Why an event is in its issue:
//! `GET /api/0/projects/{org}/{project}/events/{event_id}/grouping-info/` recomputes the
//! grouping of the stored (normalized) event with its explanation trees: the hashes,
//! every variant with its component tree, title, culprit and metadata, plus
//! `explanation`, the same as indented text. `?format=text` answers the text alone.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use errata_protocol::{NormalizeContext, normalize};
use serde_json::Value;

use errata_store::Scope;

use super::pagination::query_value;
use super::{ApiError, event};
use crate::auth::Viewer;
use crate::state::AppState;

/// `GET .../events/{event_id}/grouping-info/`.
pub(super) async fn info(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    viewer.require(Scope::EventRead)?;
    let stored = event::find(&state, &params).await?;
    let text = query_value(&pairs, "format") == Some("text");
    // CPU work: on the worker pool, as ingest's.
    let (json, explanation) = state
        .workers
        .run(move || explain(&stored.payload, stored.row.received_ms))
        .await
        .map_err(|e| match e {
            crate::workers::JobFailed::Busy => {
                ApiError::Unavailable("the server is busy; retry later".into())
            }
            crate::workers::JobFailed::Panicked => ApiError::Internal("grouping failed".into()),
        })?
        .map_err(ApiError::Internal)?;
    if text {
        return Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            explanation,
        )
            .into_response());
    }
    let mut json = json;
    if let Value::Object(map) = &mut json {
        map.insert("explanation".into(), Value::String(explanation));
    }
    Ok(Json(json).into_response())
}

/// The grouping of a stored event recomputed with its explanation: the JSON of every
/// variant and the same as indented text. CPU work: call it on the worker pool.
pub(crate) fn explain(payload: &[u8], received_ms: i64) -> Result<(Value, String), String> {
    let ctx = NormalizeContext::new(received_ms as f64 / 1000.0);
    let normalized =
        normalize(payload, &ctx).map_err(|e| format!("stored event does not normalize: {e}"))?;
    let grouping = errata_grouping::group_with_explanation(&normalized);
    let explanation = grouping.render_explanation();
    let json =
        serde_json::to_value(&grouping).map_err(|e| format!("grouping does not serialize: {e}"))?;
    Ok((json, explanation))
}
