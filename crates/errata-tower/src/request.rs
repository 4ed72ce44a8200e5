//! Describing the request for events: method, URL, query and scrubbed headers, and the body.
//!
//! Scrubbing follows sentry-go and sentry-rust: URL credentials are removed and sensitive
//! headers dropped unless the client's `send_default_pii`. Body capture follows sentry-go and
//! sentry-actix: a body is buffered only when its size is known and at most the limit, then
//! handed to the handler rebuilt from the same bytes; a larger or streamed body is not read, and
//! the event gets a note with its size instead (never a truncated body, which would be invalid
//! and more prone to leak).
//!
//! The layer accepts any request body type, but only some can be rebuilt from bytes: those
//! `replay` knows (axum's `Body`, `Full<Bytes>`, `String`, and the boxed bodies with a
//! boxed error). Others, hyper's `Incoming` among them, are never read; the event says so. The
//! check is a `TypeId` comparison (axum's `Body::new` does the same to avoid double boxing),
//! because a trait bound would exclude `Incoming` and coherence forbids one impl per case.

use std::any::Any;
use std::collections::BTreeMap;

use bytes::{Buf, Bytes};
use http::{HeaderMap, Request, header};
use http_body::Body;
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{BodyExt, Full, Limited};
use sentry_core::protocol::Request as EventRequest;
use sentry_core::protocol::Url;

use crate::adapter::{self, BodyPlan};

/// Headers that never leave the process unless `send_default_pii`.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
];

/// Method, URL (credentials scrubbed), query and headers (scrubbed unless `pii`).
pub(crate) fn describe<B>(req: &Request<B>, pii: bool) -> EventRequest {
    let uri = req.uri();
    let host = uri
        .authority()
        .map(|a| a.as_str().rsplit('@').next().unwrap_or_default().to_owned())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(ToOwned::to_owned)
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let scheme = uri.scheme_str().unwrap_or("http");
    let url = Url::parse(&format!("{scheme}://{host}{}", uri.path())).ok();
    EventRequest {
        url,
        method: Some(req.method().to_string()),
        query_string: uri.query().map(ToOwned::to_owned),
        headers: headers(req.headers(), pii),
        cookies: if pii {
            req.headers()
                .get(header::COOKIE)
                .and_then(|c| c.to_str().ok())
                .map(ToOwned::to_owned)
        } else {
            None
        },
        ..EventRequest::default()
    }
}

fn headers(map: &HeaderMap, pii: bool) -> BTreeMap<String, String> {
    map.iter()
        .filter(|(name, _)| pii || !SENSITIVE_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The body's size if known: the exact size hint, else `Content-Length`.
fn known_size<B: Body>(req: &Request<B>) -> Option<u64> {
    req.body().size_hint().exact().or_else(|| {
        req.headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    })
}

/// Buffers the body when its known size is at most `max`, returning the request rebuilt with
/// the identical bytes and what to attach to events (the body, lossily decoded, or a note).
pub(crate) async fn capture_body<B>(req: Request<B>, max: usize) -> (Request<B>, Option<String>)
where
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // Proves the type can be rebuilt, and is the fallback body if reading fails.
    let Some(empty) = replay::<B>(Bytes::new()) else {
        return (
            req,
            Some(format!(
                "[body omitted: a {} cannot be rebuilt for the handler]",
                std::any::type_name::<B>()
            )),
        );
    };
    match adapter::body_plan(known_size(&req), max) {
        BodyPlan::Empty => (req, None),
        BodyPlan::Omit(note) => (req, Some(note)),
        BodyPlan::Read => {
            let (parts, body) = req.into_parts();
            match Limited::new(body, max).collect().await {
                Ok(collected) => {
                    let mut buf = collected.aggregate();
                    let bytes = buf.copy_to_bytes(buf.remaining());
                    let data = String::from_utf8_lossy(&bytes).into_owned();
                    let body = replay(bytes).unwrap_or(empty);
                    (Request::from_parts(parts, body), Some(data))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "errata-tower: reading the request body failed");
                    (
                        Request::from_parts(parts, empty),
                        Some(adapter::BODY_READ_FAILED.to_owned()),
                    )
                }
            }
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Rebuilds a body of type `B` from bytes, for the types that allow it (see the module docs).
fn replay<B: 'static>(bytes: Bytes) -> Option<B> {
    fn cast<T: 'static, B: 'static>(value: T) -> Option<B> {
        let boxed: Box<dyn Any> = Box::new(value);
        boxed.downcast::<B>().ok().map(|b| *b)
    }
    let full = || Full::new(bytes.clone());
    #[cfg(feature = "axum")]
    if std::any::TypeId::of::<B>() == std::any::TypeId::of::<axum::body::Body>() {
        return cast(axum::body::Body::from(bytes));
    }
    cast(full())
        .or_else(|| cast(String::from_utf8_lossy(&bytes).into_owned()))
        .or_else(|| {
            cast(BoxBody::<Bytes, BoxError>::new(
                full().map_err(|e| match e {}),
            ))
        })
        .or_else(|| {
            cast(UnsyncBoxBody::<Bytes, BoxError>::new(
                full().map_err(|e| match e {}),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    #[test]
    fn credentials_and_sensitive_headers_are_scrubbed_without_pii() {
        let req = Request::builder()
            .uri("http://user:secret@shop.example/cart?id=3")
            .header("authorization", "Bearer t")
            .header("cookie", "s=1")
            .header("x-api-key", "k")
            .header("x-forwarded-for", "10.0.0.1")
            .header("accept", "text/html")
            .body(())
            .unwrap();
        let r = describe(&req, false);
        assert_eq!(r.url.unwrap().as_str(), "http://shop.example/cart");
        assert_eq!(r.query_string.as_deref(), Some("id=3"));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.headers.keys().collect::<Vec<_>>(), vec!["accept"]);
        assert!(r.cookies.is_none());
        let r = describe(&req, true);
        assert_eq!(r.headers.len(), 5);
        assert_eq!(r.cookies.as_deref(), Some("s=1"));
    }

    #[tokio::test]
    async fn bodies_at_the_limit_are_kept_and_over_it_noted() {
        let body = |n: usize| Request::new(Full::new(Bytes::from(vec![b'a'; n])));
        let (req, data) = capture_body(body(4), 4).await;
        assert_eq!(data.as_deref(), Some("aaaa"));
        let bytes = req.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"aaaa");
        let (_, data) = capture_body(body(5), 4).await;
        assert_eq!(
            data.as_deref(),
            Some("[body omitted: 5 bytes, over the 4-byte limit]")
        );
    }
}
