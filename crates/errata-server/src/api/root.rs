//! `GET /api/0/`: who the token (or session) belongs to (what `sentry-cli info` reads: `auth.scopes`
//! and `user`, which must be `null` or have a string `id` and `email`).

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::auth::Viewer;
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize)]
pub(super) struct RootView {
    version: &'static str,
    auth: AuthView,
    user: Option<UserView>,
}

/// The token (or session): its effective scopes.
#[derive(Debug, Serialize)]
struct AuthView {
    scopes: Vec<&'static str>,
}

/// The token's user.
#[derive(Debug, Serialize)]
struct UserView {
    id: String,
    email: String,
}

/// `GET /api/0/`: any authenticated caller may ask who it is.
pub(super) async fn index(viewer: Viewer, State(_state): State<AppState>) -> Json<RootView> {
    Json(RootView {
        version: "0",
        auth: AuthView {
            scopes: viewer
                .scopes
                .iter()
                .map(errata_store::Scope::as_str)
                .collect(),
        },
        user: Some(UserView {
            id: viewer.user.id.to_string(),
            email: viewer.user.email,
        }),
    })
}
