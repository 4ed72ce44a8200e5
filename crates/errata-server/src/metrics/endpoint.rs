//! `GET /metrics`. On the main listener it needs `Authorization: Bearer <token>`: the
//! configured `metrics.token`, or a Web API token whose scopes (within its user's role)
//! include `org:read`, the scope Sentry asks for the organization's stats. The figures are
//! the installation's (every project's counts, queues, storage), which any member of the
//! organization may already read, and no event data. A session cookie is not enough: a
//! scraper carries a token, and a page opened in a browser needs no metrics. On the
//! separate `metrics.bind` listener the same text is served to anyone who reaches it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use errata_store::Scope;

use crate::auth::{AuthError, Viewer};
use crate::state::AppState;

/// `GET /metrics` on the main listener: a token first.
pub(crate) async fn scrape_authorized(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    match authorize(&state, &headers).await {
        Ok(()) => exposition(&state).await,
        Err(error) => error.into_response(),
    }
}

/// `GET /metrics` on the metrics listener: no token.
pub(crate) async fn scrape_open(State(state): State<AppState>) -> Response {
    exposition(&state).await
}

async fn exposition(state: &AppState) -> Response {
    let text = state.metrics.render(state).await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::CONTENT_TYPE),
        )],
        text,
    )
        .into_response()
}

fn unauthenticated(detail: &'static str) -> AuthError {
    AuthError::Unauthenticated {
        detail,
        login_next: None,
    }
}

/// Ok for the configured metrics token or an API token with `org:read`.
async fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), AuthError> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthenticated("Expected `Authorization: Bearer <token>`."))?
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| unauthenticated("Expected `Authorization: Bearer <token>`."))?
        .to_owned();
    if let Some(configured) = &state.config.metrics.token
        && same_secret(configured.expose().as_bytes(), secret.as_bytes())
    {
        return Ok(());
    }
    let now = crate::now_ms();
    let found = state
        .store_call(move |state| {
            let Some(token) = state.store.verify_token(&secret)? else {
                return Ok(None);
            };
            let user = state.store.user(token.user_id)?;
            if token.needs_touch(now) {
                state.store.touch_token(token.id, now)?;
            }
            Ok(Some((token, user)))
        })
        .await?;
    let (token, user) = found.ok_or_else(|| unauthenticated("Invalid token."))?;
    Viewer::from_token(token, user).require(Scope::OrgRead)
}

/// Compares two secrets in time that depends on their lengths only.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_exactly() {
        assert!(same_secret(b"scrape-secret-123", b"scrape-secret-123"));
        assert!(!same_secret(b"scrape-secret-123", b"scrape-secret-124"));
        assert!(!same_secret(b"scrape-secret-123", b"scrape-secret-12"));
        assert!(!same_secret(b"", b"x"));
    }
}
