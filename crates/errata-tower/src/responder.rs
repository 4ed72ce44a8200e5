//! [`Responder`]: the friendly body a client gets after a caught panic.
//!
//! The default never contains the panic message, a path or a backtrace: only a generic text (or
//! JSON when the client's `Accept` asks for it) and the event id, which is safe to show and lets
//! support find the event.

use std::fmt::Write as _;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use sentry_core::types::Uuid;

/// Renders the response for a caught panic. It sees the request's `Accept` header and the
/// event id, deliberately not the panic itself.
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::Full;
/// struct Teapot;
/// impl errata_tower::Responder for Teapot {
///     fn panic_response(&self, _accept: Option<&http::HeaderValue>, _id: Option<errata_tower::sentry_core::types::Uuid>)
///         -> http::Response<Full<Bytes>> {
///         http::Response::builder().status(500).body(Full::new(Bytes::from("oops"))).unwrap()
///     }
/// }
/// let opts = errata_tower::Options::new().responder(Teapot);
/// # let _ = opts;
/// ```
pub trait Responder: Send + Sync + 'static {
    /// The response to send instead of the panicked handler's.
    fn panic_response(
        &self,
        accept: Option<&HeaderValue>,
        event_id: Option<Uuid>,
    ) -> Response<Full<Bytes>>;
}

/// `500 Internal Server Error` as text, or `{"error": ..., "event_id": ...}` for JSON clients.
///
/// ```
/// use errata_tower::{DefaultResponder, Responder};
/// let json = http::HeaderValue::from_static("application/json");
/// let res = DefaultResponder.panic_response(Some(&json), None);
/// assert_eq!(res.status(), 500);
/// assert_eq!(res.headers()["content-type"], "application/json");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultResponder;

impl Responder for DefaultResponder {
    fn panic_response(
        &self,
        accept: Option<&HeaderValue>,
        event_id: Option<Uuid>,
    ) -> Response<Full<Bytes>> {
        let wants_json = accept
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let (content_type, body) = if wants_json {
            let mut body = serde_json::json!({"error": "Internal Server Error"});
            if let Some(id) = event_id {
                body["event_id"] = serde_json::Value::from(id.simple().to_string());
            }
            ("application/json", body.to_string())
        } else {
            let mut body = String::from("Internal Server Error\n");
            if let Some(id) = event_id {
                let _ = writeln!(body, "Event ID: {}", id.simple());
            }
            ("text/plain; charset=utf-8", body)
        };
        let mut res = Response::new(Full::new(Bytes::from(body)));
        *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        res
    }
}
