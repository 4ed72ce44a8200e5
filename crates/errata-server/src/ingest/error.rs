//! Every way an ingest request can fail, as one enum that renders itself: the status
//! code SDKs act on, a `{"detail": ...}` body that says what was wrong (safe to show:
//! it never contains stored data), the protocol's rate-limit headers, and a log line
//! with the detail.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ratelimit::Limited;

/// An ingest failure.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Malformed request or payload: 400.
    #[error("{0}")]
    BadRequest(String),
    /// Missing, duplicated or unknown auth: 401.
    #[error("{0}")]
    Unauthorized(String),
    /// A disabled key, or a key of another project: 403.
    #[error("{0}")]
    Forbidden(String),
    /// No such project: 404.
    #[error("{0}")]
    NotFound(String),
    /// Over a size limit: 413.
    #[error("{0}")]
    TooLarge(String),
    /// Over a rate limit: 429 with `Retry-After` and `X-Sentry-Rate-Limits`.
    #[error("rate limited ({scope} limit); retry after {retry_after} s", scope = .0.scope.as_str(), retry_after = .0.retry_after_secs)]
    RateLimited(Limited),
    /// The queue to the writer is full, or the server is stopping: 503 with `Retry-After`.
    #[error("{0}")]
    Overloaded(String),
    /// The database failed: 503 (the SDK will retry; nothing was acknowledged).
    #[error("storage unavailable")]
    Storage(String),
}

/// Data categories an event rate limit applies to.
const EVENT_CATEGORIES: &str = "error;default;security";

impl From<errata_protocol::Error> for IngestError {
    fn from(error: errata_protocol::Error) -> Self {
        let message = error.to_string();
        if error.is_auth() {
            Self::Unauthorized(message)
        } else if error.is_too_large() {
            Self::TooLarge(message)
        } else {
            Self::BadRequest(message)
        }
    }
}

impl IngestError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Overloaded(_) | Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = self.to_string();
        match &self {
            Self::Storage(cause) => tracing::error!(%cause, "ingest failed: storage"),
            Self::Overloaded(_) | Self::RateLimited(_) => {
                tracing::debug!(%detail, "ingest refused");
            }
            _ => tracing::info!(status = status.as_u16(), %detail, "ingest rejected"),
        }
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&detail) {
            headers.insert("x-sentry-error", value);
        }
        match &self {
            Self::RateLimited(limited) => {
                let secs = limited.retry_after_secs;
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
                let limits = format!("{secs}:{EVENT_CATEGORIES}:{}", limited.scope.as_str());
                if let Ok(value) = HeaderValue::from_str(&limits) {
                    headers.insert("x-sentry-rate-limits", value);
                }
            }
            Self::Overloaded(_) | Self::Storage(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        (status, headers, axum::Json(json!({ "detail": detail }))).into_response()
    }
}
