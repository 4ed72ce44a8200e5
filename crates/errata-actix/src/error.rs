//! The two actix error types: [`HttpError`], how a handler returns an `errata_errors::Error`,
//! and [`RecoveredPanic`], how the middleware hands actix the friendly 500 after a panic.
//!
//! `errata_errors::Error` cannot implement actix's `ResponseError` here (both are foreign to this
//! crate), so [`HttpError`] wraps it: `?` converts, the response is rendered by the same rules as
//! the tower layer (status from the error, public messages only), and the middleware reads the
//! original `Error` back from the response (`HttpResponse::error`) to record it with its
//! location and stack.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use bytes::Bytes;
use errata_errors::Error;
use errata_tower::Outcome;
use http_body_util::{BodyExt, Full};

/// An `errata_errors::Error` returned from an actix handler (`Result<T, HttpError>`).
///
/// The client sees `Error::client_json()` with `Error::http_status()` (a PRIVATE error renders
/// only the status's reason phrase); the [`Errata`](crate::Errata) middleware records the error,
/// so a 5xx becomes one event with its chain.
///
/// ```
/// use actix_web::ResponseError;
/// use errata_actix::HttpError;
/// use errata_errors::Error;
///
/// fn load() -> Result<u32, Error> { Err(Error::private("db password rejected")) }
/// async fn handler() -> Result<String, HttpError> {
///     Ok(load()?.to_string()) // `?` converts
/// }
/// let err = HttpError::from(Error::private("db password rejected"));
/// assert_eq!(err.status_code(), 500);
/// # let _ = handler;
/// ```
#[derive(Clone)]
pub struct HttpError(pub Error);

impl From<Error> for HttpError {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

impl std::ops::Deref for HttpError {
    type Target = Error;

    fn deref(&self) -> &Error {
        &self.0
    }
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.http_status().as_u16())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type("application/json")
            .body(self.0.client_json().to_string())
    }
}

/// A panic the middleware caught and reported, as the service's error: actix renders it with
/// [`error_response`](ResponseError::error_response), i.e. the configured `Responder`'s friendly
/// 500 with the event-id header and the [`Outcome`] in its extensions.
///
/// Outer middleware sees it as `Err(e)`; `e.as_error::<RecoveredPanic>()` gives the outcome.
/// Its `Display` never contains the panic message.
#[derive(Clone)]
pub struct RecoveredPanic {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    outcome: Option<Outcome>,
}

impl RecoveredPanic {
    /// Converts the `Responder`'s response (`http` 1 types) into actix's.
    pub(crate) async fn from_response(res: http::Response<Full<Bytes>>) -> Self {
        let (mut parts, body) = res.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(never) => match never {},
        };
        let headers = parts
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_bytes(name.as_str().as_bytes()).ok()?,
                    HeaderValue::from_bytes(value.as_bytes()).ok()?,
                ))
            })
            .collect();
        Self {
            status: StatusCode::from_u16(parts.status.as_u16())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body,
            outcome: parts.extensions.remove::<Outcome>(),
        }
    }

    /// What happened: the panic report, the event id and whether it was delivered.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }
}

impl fmt::Debug for RecoveredPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveredPanic")
            .field("status", &self.status)
            .field("event_id", &self.outcome.as_ref().and_then(|o| o.event_id))
            .finish_non_exhaustive()
    }
}

impl fmt::Display for RecoveredPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("handler panicked (recovered and reported)")
    }
}

impl ResponseError for RecoveredPanic {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::with_body(self.status, self.body.clone());
        for (name, value) in &self.headers {
            res.headers_mut().insert(name.clone(), value.clone());
        }
        if let Some(outcome) = &self.outcome {
            res.extensions_mut().insert(outcome.clone());
        }
        res.map_into_boxed_body()
    }
}
