//! Errors of the Web API: one enum rendering Sentry's `{"detail": ...}` bodies with the
//! right status; internal details go to the log, never to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A Web API failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or bad token: 401.
    #[error("{0}")]
    Unauthorized(String),
    /// Not allowed: 403.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing: 404.
    #[error("{0}")]
    NotFound(String),
    /// Malformed request: 400.
    #[error("{0}")]
    BadRequest(String),
    /// Conflicts with existing data: 409.
    #[error("{0}")]
    Conflict(String),
    /// Anything else: 500 (the detail is logged, not shown).
    #[error("internal error")]
    Internal(String),
}

impl From<errata_store::StoreError> for ApiError {
    fn from(error: errata_store::StoreError) -> Self {
        if error.is_not_found() {
            Self::NotFound("The requested resource does not exist".into())
        } else if error.is_conflict() {
            Self::Conflict(error.to_string())
        } else if error.is_invalid() {
            Self::BadRequest(error.to_string())
        } else {
            Self::Internal(error.to_string())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Internal(detail) => {
                tracing::error!(%detail, "API request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, axum::Json(json!({ "detail": self.to_string() }))).into_response()
    }
}
