//! Request ids: every request gets one, and every log line written while it is served
//! carries it. The [`RequestIdLayer`] takes a valid incoming `X-Request-Id` (a proxy's or
//! a load balancer's: at most [`MAX_LEN`] characters of `A-Z a-z 0-9 - _ . :`) or makes
//! one, opens the `tracing` span `request{id, method, path}` around the handler (the
//! query string stays out: it may carry a DSN key), puts the [`RequestId`] in the
//! request's extensions, and returns it as `X-Request-Id` on the response. At `debug`
//! (`ERRATA_LOG=info,errata_server::request_id=debug`) it also writes an access log line,
//! `request finished` with the status and the milliseconds taken.
//!
//! On the ingest path it costs a counter increment, a mix of the counter with a
//! per-process random seed (so ids are unique within the process and do not repeat
//! across restarts), 16 hex digits written on the stack, one header value and the span.
//! Work the handler sends elsewhere keeps the span: [`crate::AppState::store_call`] and
//! the worker pool enter it on their threads.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::http::{HeaderName, HeaderValue, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument as _;
use tracing::instrument::Instrumented;

/// The request and response header.
pub static HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest incoming id kept; a longer one is replaced.
pub const MAX_LEN: usize = 64;

/// The longest path written into the span (a longer one is cut at a character boundary).
const MAX_PATH_LEN: usize = 200;

/// A request's id: a valid incoming `X-Request-Id`, or 16 hex digits made here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

static SEED: LazyLock<u64> = LazyLock::new(|| {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
});
static COUNTER: AtomicU64 = AtomicU64::new(0);

impl RequestId {
    /// A new id, unique within this process (a bijective mix of a counter and the seed).
    pub fn generate() -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut x = n.wrapping_add(*SEED);
        // splitmix64's finalizer: a bijection, so distinct counters give distinct ids.
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        let mut text = [0u8; 16];
        for (i, slot) in text.iter_mut().enumerate() {
            *slot = HEX[((x >> (60 - 4 * i)) & 0xf) as usize];
        }
        Self(HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("0")))
    }

    /// The id an incoming header names, when it is acceptable: 1 to [`MAX_LEN`]
    /// characters of `A-Z a-z 0-9 - _ . :`.
    pub fn from_header(value: &HeaderValue) -> Option<Self> {
        let bytes = value.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= MAX_LEN
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        valid.then(|| Self(value.clone()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Both constructors admit ASCII only.
        self.0.to_str().unwrap_or_default()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The layer that gives requests their id and span (installed in [`crate::router`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestIdService { inner }
    }
}

/// See [`RequestIdLayer`].
#[derive(Debug, Clone)]
pub struct RequestIdService<S> {
    inner: S,
}

impl<S, B, ResBody> Service<Request<B>> for RequestIdService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = RequestIdFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let started = Instant::now();
        let id = request
            .headers()
            .get(&HEADER)
            .and_then(RequestId::from_header)
            .unwrap_or_else(RequestId::generate);
        let span = tracing::info_span!(
            "request",
            id = id.as_str(),
            method = request.method().as_str(),
            path = cut(request.uri().path(), MAX_PATH_LEN),
        );
        request.extensions_mut().insert(id.clone());
        let inner = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        RequestIdFuture {
            inner: inner.instrument(span),
            id: Some(id),
            started,
        }
    }
}

pin_project! {
    /// The handler's future inside the request's span; adds `X-Request-Id` to its answer.
    #[derive(Debug)]
    pub struct RequestIdFuture<F> {
        #[pin]
        inner: Instrumented<F>,
        id: Option<RequestId>,
        started: Instant,
    }
}

impl<F, ResBody, E> Future for RequestIdFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let mut response = ready!(this.inner.as_mut().poll(cx))?;
        // Entering the span costs something: only when the line is written.
        if tracing::enabled!(tracing::Level::DEBUG) {
            this.inner.span().in_scope(|| {
                tracing::debug!(
                    status = response.status().as_u16(),
                    ms = this.started.elapsed().as_secs_f64() * 1000.0,
                    "request finished"
                );
            });
        }
        if let Some(RequestId(value)) = this.id.take() {
            response.headers_mut().insert(HEADER.clone(), value);
        }
        Poll::Ready(Ok(response))
    }
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_ids_are_kept_only_when_short_and_plain() {
        let header = |text: &str| HeaderValue::from_str(text).unwrap();
        for good in ["abc", "0f2c-11:ee.9_x", &"a".repeat(MAX_LEN)] {
            assert_eq!(
                RequestId::from_header(&header(good)).map(|id| id.as_str().to_owned()),
                Some(good.to_owned())
            );
        }
        for bad in [
            "",
            "a b",
            "<script>",
            "id\"x",
            "é",
            &"a".repeat(MAX_LEN + 1),
        ] {
            let Ok(value) = HeaderValue::from_str(bad) else {
                continue;
            };
            assert_eq!(RequestId::from_header(&value), None, "{bad:?}");
        }
        // Non-UTF-8 bytes are refused too.
        let binary = HeaderValue::from_bytes(&[0x66, 0xff]).unwrap();
        assert_eq!(RequestId::from_header(&binary), None);
    }

    #[test]
    fn generated_ids_are_distinct_hex() {
        let ids: std::collections::HashSet<String> = (0..10_000)
            .map(|_| RequestId::generate().as_str().to_owned())
            .collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(10) {
            assert_eq!(id.len(), 16);
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
            // A generated id is a valid incoming one (a proxy may pass ours on).
            assert!(RequestId::from_header(&HeaderValue::from_str(id).unwrap()).is_some());
        }
    }

    #[test]
    fn paths_are_cut_at_a_character_boundary() {
        assert_eq!(cut("/short", 10), "/short");
        assert_eq!(cut("/ééé", 4), "/é");
        assert_eq!(cut("/ééé", 3), "/é");
    }
}
