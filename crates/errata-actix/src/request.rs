//! `send_request`/`send_body` for actix requests: the description and scrubbing are
//! errata-tower's (`adapter::describe_request`, `adapter::body_plan`); this module only converts
//! actix's head (`http` 0.2 types) and reads the payload.
//!
//! As in sentry-actix, the body is read only when the request is not chunked and its
//! `Content-Length` is at most `max_body_bytes`; the payload is then put back
//! (`ServiceRequest::set_payload`) from the same bytes, so the handler reads the identical body.

use std::future::poll_fn;
use std::pin::Pin;

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::header;
use bytes::{Bytes, BytesMut};
use errata_tower::Options;
use errata_tower::adapter::{self, BodyPlan};
use futures_core::Stream;
use sentry_core::Hub;

/// Describes the request (and reads the body) into an event processor of the request's hub.
pub(crate) async fn attach(opts: &Options, hub: &Hub, req: &mut ServiceRequest) {
    let mut info = if opts.is_send_request() {
        adapter::describe_request(hub, &head_of(req))
    } else {
        sentry_core::protocol::Request::default()
    };
    if opts.is_send_body() {
        info.data = match adapter::body_plan(known_size(req), opts.get_max_body_bytes()) {
            BodyPlan::Read => Some(read_body(req, opts.get_max_body_bytes()).await),
            BodyPlan::Omit(note) => Some(note),
            _ => None,
        };
    }
    adapter::attach_request(hub, info);
}

/// The request's head as an `http` 1 request: method, absolute URL and headers.
fn head_of(req: &ServiceRequest) -> http::Request<()> {
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let host = req.app_config().host();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or(host);
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", actix_web::http::uri::PathAndQuery::as_str);
    let mut head = http::Request::builder()
        .method(req.method().as_str())
        .uri(format!("{scheme}://{host}{path}"));
    for (name, value) in req.headers() {
        head = head.header(name.as_str(), value.as_bytes());
    }
    head.body(()).unwrap_or_else(|_| http::Request::new(()))
}

/// `Content-Length` unless the body is chunked; no length and no chunking means no body.
fn known_size(req: &ServiceRequest) -> Option<u64> {
    let headers = req.headers();
    if let Some(te) = headers.get(header::TRANSFER_ENCODING) {
        if te.as_bytes().eq_ignore_ascii_case(b"identity") {
            return Some(0);
        }
        return None;
    }
    match headers.get(header::CONTENT_LENGTH) {
        Some(len) => len.to_str().ok().and_then(|v| v.trim().parse().ok()),
        None => Some(0),
    }
}

/// Reads the whole payload (at most `max` bytes), puts the same bytes back, and returns what to
/// attach: the body lossily decoded, or a note if reading failed.
async fn read_body(req: &mut ServiceRequest, max: usize) -> String {
    let mut payload = req.take_payload();
    let mut buf = BytesMut::new();
    let mut failed = false;
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        match chunk {
            Ok(bytes) if buf.len() + bytes.len() <= max => buf.extend_from_slice(&bytes),
            Ok(_) => {
                failed = true;
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "errata-actix: reading the request body failed");
                failed = true;
                break;
            }
        }
    }
    if failed {
        req.set_payload(Payload::from(Bytes::new()));
        return adapter::BODY_READ_FAILED.to_owned();
    }
    let bytes = buf.freeze();
    let data = String::from_utf8_lossy(&bytes).into_owned();
    req.set_payload(Payload::from(bytes));
    data
}
