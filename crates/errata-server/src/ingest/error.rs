//! Every way an ingest request can fail, as one enum that renders itself: the status
//! code SDKs act on, a `{"detail": ...}` body that says what was wrong (safe to show:
//! it never contains stored data), the protocol's rate-limit headers, and a log line
//! with the detail. Storage failures keep their [`StoreError`]: an unavailable database
//! is a 503 with `Retry-After` (the SDK retries; nothing was acknowledged).

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use errata_store::StoreError;
use serde_json::json;

use crate::deadline::TooSlow;

/// One refused category, as `X-Sentry-Rate-Limits` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Seconds until the SDK may send this category again (at least 1).
    pub retry_after_secs: u64,
    /// The data categories, `;`-separated.
    pub categories: &'static str,
    /// `key`, `project` or `organization`.
    pub scope: &'static str,
    /// Why, when it is not a plain rate limit (`quota_exceeded`).
    pub reason: Option<&'static str>,
}

impl Refusal {
    /// The header entry: `secs:categories:scope[:reason]`.
    pub fn header_entry(&self) -> String {
        match self.reason {
            Some(reason) => format!(
                "{}:{}:{}:{reason}",
                self.retry_after_secs, self.categories, self.scope
            ),
            None => format!(
                "{}:{}:{}",
                self.retry_after_secs, self.categories, self.scope
            ),
        }
    }
}

/// The `X-Sentry-Rate-Limits` value for `refusals` (`None` when empty).
pub fn rate_limits_header(refusals: &[Refusal]) -> Option<HeaderValue> {
    if refusals.is_empty() {
        return None;
    }
    let value = refusals
        .iter()
        .map(Refusal::header_entry)
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::from_str(&value).ok()
}

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
    /// The body arrived too slowly: 408.
    #[error("{0}")]
    TooSlow(TooSlow),
    /// Over a size limit: 413.
    #[error("{0}")]
    TooLarge(String),
    /// Everything storable was refused by a rate limit or quota: 429 with `Retry-After`
    /// and `X-Sentry-Rate-Limits`.
    #[error("{}", describe(.0))]
    RateLimited(Vec<Refusal>),
    /// The writer's queue, the worker pool or the byte budget is full, or the server is
    /// stopping: 503 with `Retry-After`.
    #[error("{0}")]
    Overloaded(String),
    /// The database failed: 503 with `Retry-After` (the SDK retries).
    #[error("storage unavailable")]
    Storage(Arc<StoreError>),
    /// A bug (a processing job panicked): 500.
    #[error("internal error")]
    Internal(String),
}

fn describe(refusals: &[Refusal]) -> String {
    let parts: Vec<String> = refusals
        .iter()
        .map(|r| match r.reason {
            Some(reason) => format!(
                "{} refused ({reason}, {} limit); retry after {} s",
                r.categories, r.scope, r.retry_after_secs
            ),
            None => format!(
                "{} rate limited ({} limit); retry after {} s",
                r.categories, r.scope, r.retry_after_secs
            ),
        })
        .collect();
    parts.join("; ")
}

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

impl From<StoreError> for IngestError {
    fn from(error: StoreError) -> Self {
        Self::Storage(Arc::new(error))
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
            Self::TooSlow(_) => StatusCode::REQUEST_TIMEOUT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            // Any storage failure may be transient (busy, locked, full disk): the SDK
            // keeps the event and retries.
            Self::Overloaded(_) | Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = self.to_string();
        match &self {
            Self::Storage(error) => tracing::error!(%error, "ingest failed: storage"),
            Self::Internal(cause) => tracing::error!(%cause, "ingest failed: internal"),
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
            Self::RateLimited(refusals) => {
                let secs = refusals
                    .iter()
                    .map(|r| r.retry_after_secs)
                    .min()
                    .unwrap_or(1);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
                if let Some(value) = rate_limits_header(refusals) {
                    headers.insert("x-sentry-rate-limits", value);
                }
            }
            Self::Overloaded(_) | Self::Storage(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::TooSlow(_) => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        (status, headers, axum::Json(json!({ "detail": detail }))).into_response()
    }
}
