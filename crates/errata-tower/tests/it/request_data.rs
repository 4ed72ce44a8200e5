//! `send_request` / `send_body`: what is attached to events, what is scrubbed, and that the
//! handler still receives the identical body at N-1, N and N+1 bytes.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::post;
use errata_errors::Error;
use errata_tower::Options;
use errata_tower::sentry_core::ClientOptions;

use crate::support::{FlushMode, RecordingTransport, hub_with, layered, recording, send};

const LIMIT: usize = 64;

/// Echoes the body in a private error (a 500, so that an event is sent).
async fn echo(body: Bytes) -> Error {
    Error::private(format!(
        "got {} bytes: {}",
        body.len(),
        String::from_utf8_lossy(&body)
    ))
}

fn post_req(body: Vec<u8>) -> http::Request<Body> {
    http::Request::post("http://user:pw@shop.test/cart?coupon=X")
        .header("authorization", "Bearer secret-token")
        .header("cookie", "session=abc")
        .header("x-api-key", "k-123")
        .header("x-forwarded-for", "10.0.0.9")
        .header("x-request-id", "r-1")
        .header("content-length", body.len().to_string())
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn off_by_default() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/cart", post(echo)),
        &hub,
        Options::new(),
    );
    send(&app, post_req(b"hello".to_vec())).await;
    let ev = &transport.events()[0];
    assert!(ev.request.is_none(), "{:?}", ev.request);
}

#[tokio::test]
async fn request_is_attached_and_scrubbed() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/cart", post(echo)),
        &hub,
        Options::new().send_request(true),
    );
    send(&app, post_req(b"hello".to_vec())).await;
    let req = transport.events()[0].request.clone().unwrap();
    assert_eq!(req.method.as_deref(), Some("POST"));
    assert_eq!(req.url.unwrap().as_str(), "http://shop.test/cart");
    assert_eq!(req.query_string.as_deref(), Some("coupon=X"));
    assert_eq!(
        req.headers.get("x-request-id").map(String::as_str),
        Some("r-1")
    );
    for h in ["authorization", "cookie", "x-api-key", "x-forwarded-for"] {
        assert!(!req.headers.contains_key(h), "{h} not scrubbed");
    }
    assert!(req.data.is_none(), "send_body is off");
}

#[tokio::test]
async fn pii_keeps_sensitive_headers() {
    let transport = RecordingTransport::new(FlushMode::Instant);
    let hub = hub_with(&transport, ClientOptions::new().send_default_pii(true));
    let app = layered(
        Router::new().route("/cart", post(echo)),
        &hub,
        Options::new().send_request(true),
    );
    send(&app, post_req(b"x".to_vec())).await;
    let req = transport.events()[0].request.clone().unwrap();
    assert_eq!(
        req.headers.get("authorization").map(String::as_str),
        Some("Bearer secret-token")
    );
}

#[tokio::test]
async fn body_at_n_minus_1_n_and_n_plus_1_bytes() {
    for (size, attached) in [(LIMIT - 1, true), (LIMIT, true), (LIMIT + 1, false)] {
        let (transport, hub) = recording();
        let app = layered(
            Router::new().route("/cart", post(echo)),
            &hub,
            Options::new().send_body(true).max_body_bytes(LIMIT),
        );
        let body: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        let expected = String::from_utf8(body.clone()).unwrap();
        send(&app, post_req(body)).await;
        let ev = &transport.events()[0];
        // The handler saw the identical body (its error message echoes it).
        assert_eq!(
            ev.exception.values[0].value.as_deref(),
            Some(format!("got {size} bytes: {expected}").as_str())
        );
        let data = ev.request.as_ref().unwrap().data.clone().unwrap();
        if attached {
            assert_eq!(data, expected, "size {size}");
        } else {
            assert_eq!(
                data,
                format!("[body omitted: {size} bytes, over the {LIMIT}-byte limit]")
            );
        }
    }
}

#[tokio::test]
async fn streamed_body_is_not_buffered_and_non_utf8_is_lossy() {
    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/cart", post(echo)),
        &hub,
        Options::new().send_body(true).max_body_bytes(LIMIT),
    );
    let req = http::Request::post("/cart")
        .body(Body::from_stream(tokio_stream_of(vec![
            b"ab".to_vec(),
            b"cd".to_vec(),
        ])))
        .unwrap();
    send(&app, req).await;
    let ev = &transport.events()[0];
    assert_eq!(
        ev.exception.values[0].value.as_deref(),
        Some("got 4 bytes: abcd")
    );
    assert_eq!(
        ev.request.as_ref().unwrap().data.as_deref(),
        Some("[body omitted: streamed, size unknown]")
    );

    let (transport, hub) = recording();
    let app = layered(
        Router::new().route("/cart", post(echo)),
        &hub,
        Options::new().send_body(true),
    );
    send(&app, post_req(vec![0xff, b'o', b'k'])).await;
    let ev = &transport.events()[0];
    assert_eq!(
        ev.request.as_ref().unwrap().data.as_deref(),
        Some("\u{fffd}ok")
    );
}

/// A minimal chunk stream (no `futures` dependency needed).
fn tokio_stream_of(
    chunks: Vec<Vec<u8>>,
) -> impl futures_core_stream::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_core_stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))))
}

mod futures_core_stream {
    //! Just enough of a `Stream` for `Body::from_stream`.
    pub(super) use futures_core::Stream;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub(super) struct Iter<I>(I);

    pub(super) fn iter<I: Iterator>(i: I) -> Iter<I> {
        Iter(i)
    }

    impl<I: Iterator + Unpin> Stream for Iter<I> {
        type Item = I::Item;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
            Poll::Ready(self.0.next())
        }
    }
}
