//! `GET /api/0/`: who the token belongs to (what `sentry-cli info` reads: `auth.scopes`
//! and `user`, which must be `null` or have a string `id` and `email`).

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::auth::Authenticated;
use crate::state::AppState;

/// Every token can do everything: Errata has no per-token scopes yet.
const SCOPES: &[&str] = &[
    "org:read",
    "project:read",
    "project:write",
    "event:read",
    "event:write",
    "event:admin",
];

/// The answer.
#[derive(Debug, Serialize)]
pub(super) struct RootView {
    version: &'static str,
    auth: AuthView,
    user: Option<UserView>,
}

/// The token.
#[derive(Debug, Serialize)]
struct AuthView {
    scopes: &'static [&'static str],
}

/// The token's user.
#[derive(Debug, Serialize)]
struct UserView {
    id: String,
    email: String,
}

/// `GET /api/0/`.
pub(super) async fn index(auth: Authenticated, State(state): State<AppState>) -> Json<RootView> {
    Json(RootView {
        version: "0",
        auth: AuthView { scopes: SCOPES },
        // Tokens of `errata token create` have no user. Errata has one account, the
        // admin, so a token with a user is the admin's (the store has no user lookup).
        user: auth.token.user_id.map(|id| UserView {
            id: id.to_string(),
            email: state.config.admin_email.clone(),
        }),
    })
}
