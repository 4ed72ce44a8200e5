//! Bearer-token authentication for the Web API: the `Authenticated` extractor verifies
//! `Authorization: Bearer <token>` against the store (only hashes are stored).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use errata_store::ApiToken;

use super::{ApiError, blocking};
use crate::state::AppState;

/// A request with a valid API token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The token used.
    pub token: ApiToken,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::Unauthorized("Authentication credentials were not provided.".into())
            })?;
        let secret = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("Expected `Authorization: Bearer <token>`.".into())
            })?
            .to_owned();
        let token = blocking(state, move |store| store.verify_token(&secret)).await?;
        token
            .map(|token| Self { token })
            .ok_or_else(|| ApiError::Unauthorized("Invalid token.".into()))
    }
}
