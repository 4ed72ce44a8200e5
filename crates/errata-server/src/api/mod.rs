//! The Web API under `/api/0/`: a Sentry-compatible subset, with Sentry's field names, so
//! existing tools (sentry-cli, integrations) work. Every route needs
//! `Authorization: Bearer <token>` ([`auth::Authenticated`]); errors are [`ApiError`]s.
//! View models are built by hand from store rows (see each module).

pub mod auth;
pub mod error;
mod root;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;
pub use error::ApiError;

/// The routes, relative to `/api/0`.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(root::index))
}

/// Runs a blocking store call off the async runtime.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn errata_store::Store) -> errata_store::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&*store))
        .await
        .map_err(|e| ApiError::Internal(format!("task failed: {e}")))?
        .map_err(ApiError::from)
}
