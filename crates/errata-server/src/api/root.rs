//! `GET /api/0/`: who the token belongs to (what `sentry-cli info` reads).

use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::json;

use super::auth::Authenticated;
use crate::state::AppState;

/// `GET /api/0/`.
pub(super) async fn index(
    State(_state): State<AppState>,
    auth: Authenticated,
) -> impl IntoResponse {
    axum::Json(json!({
        "version": "0",
        // Every token can do everything: Errata has no per-token scopes yet.
        "auth": { "scopes": ["org:read", "project:read", "project:write", "event:read", "event:write", "event:admin"] },
        "user": { "id": auth.token.user_id.map(|id| id.to_string()) },
    }))
}
