//! Liveness and readiness: `/healthz` answers while the process serves HTTP; `/readyz`
//! also checks that the writer thread is alive, that the database answers a read and that
//! its schema is this binary's (migrations current), and says how many nodes this one
//! counts as live on its database (the rate limits' share).

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
        Ok(_) => match migrations_current(&state).await {
            Ok(()) => (
                StatusCode::OK,
                axum::Json(json!({ "status": "ready", "nodes": state.limiter.nodes() })),
            ),
            Err(status) => (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": status })),
            ),
        },
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "database unavailable" })),
            )
        }
    }
}

/// The "migrations current" check: the database's schema version is the one this binary
/// writes. On `PostgreSQL` another node running a newer Errata may have migrated the
/// shared database beyond this one, which then must not take traffic.
async fn migrations_current(state: &AppState) -> Result<(), String> {
    match state.store_call(|state| state.store.schema_status()).await {
        Ok(schema) if schema.is_current() => Ok(()),
        Ok(schema) => {
            tracing::warn!(%schema, "readiness check failed: migrations not current");
            Err(format!("migrations not current: {schema}"))
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check failed: schema version unreadable");
            Err("database unavailable".to_owned())
        }
    }
}
