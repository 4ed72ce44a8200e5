//! Errors of the Web API: one enum rendering Sentry's `{"detail": ...}` bodies with the
//! right status. Store failures keep their [`StoreError`] and are mapped by its
//! predicates: not found 404, conflict 409, invalid 400, busy or unavailable 503 with
//! `Retry-After` (as on ingest), anything else 500. Internal details go to the log,
//! never to the client.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use errata_store::StoreError;

use crate::auth::AuthError;
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
    /// The server is overloaded: 503 with `Retry-After`.
    #[error("{0}")]
    Unavailable(String),
    /// The store failed; the status follows the error's kind.
    #[error("{}", store_detail(.0))]
    Store(#[source] StoreError),
    /// Anything else: 500 (the detail is logged, not shown).
    #[error("internal error")]
    Internal(String),
    /// Not authenticated (401), lacking a scope or failing the CSRF check (403).
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// What a client may read of a store error.
fn store_detail(error: &StoreError) -> String {
    if error.is_not_found() {
        "The requested resource does not exist".into()
    } else if error.is_conflict() || error.is_invalid() {
        error.to_string()
    } else if error.is_unavailable() {
        "the database is busy; retry later".into()
    } else {
        "internal error".into()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(e) if e.is_not_found() => StatusCode::NOT_FOUND,
            Self::Store(e) if e.is_conflict() => StatusCode::CONFLICT,
            Self::Store(e) if e.is_invalid() => StatusCode::BAD_REQUEST,
            Self::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Auth(e) => e.status(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Auth(error) = self {
            return error.into_response();
        }
        let status = self.status();
        match &self {
            Self::Store(error) if status.is_server_error() => {
                tracing::error!(%error, "API request failed: storage");
            }
            Self::Internal(detail) => tracing::error!(%detail, "API request failed"),
            Self::Unavailable(detail) => tracing::warn!(%detail, "API request refused"),
            _ => {}
        }
        let body = axum::Json(json!({ "detail": self.to_string() }));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return (status, [(header::RETRY_AFTER, "1")], body).into_response();
        }
        (status, body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_store::ErrorKind;

    #[test]
    fn store_errors_map_by_kind_and_hide_details() {
        let cases = [
            (ErrorKind::NotFound, 404),
            (ErrorKind::Conflict, 409),
            (ErrorKind::Invalid, 400),
            (ErrorKind::Unavailable, 503),
            (ErrorKind::Backend, 500),
            (ErrorKind::Corrupt, 500),
        ];
        for (kind, status) in cases {
            let error = ApiError::from(StoreError::new(kind, "secret path /var/db"));
            assert_eq!(error.status().as_u16(), status, "{kind:?}");
            let response = error.into_response();
            assert_eq!(
                response.headers().contains_key(header::RETRY_AFTER),
                status == 503,
                "{kind:?}"
            );
            if status >= 500 || status == 404 {
                let shown = ApiError::from(StoreError::new(kind, "secret path /var/db"));
                assert!(!shown.to_string().contains("secret"), "{kind:?}");
            }
        }
    }
}
