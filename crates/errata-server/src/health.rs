//! Liveness and readiness: `/healthz` answers while the process serves HTTP; `/readyz`
//! also checks that the writer thread is alive and that the database answers a read, and
//! says how many nodes this one counts as live on its database (the rate limits' share).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::state::AppState;

/// `GET /healthz`.
pub(crate) async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// `GET /readyz`.
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if !state.writer.is_alive() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "writer stopped" })),
        );
    }
    match state.store_call(|state| state.store.organizations()).await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(json!({ "status": "ready", "nodes": state.limiter.nodes() })),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "database unavailable" })),
            )
        }
    }
}
