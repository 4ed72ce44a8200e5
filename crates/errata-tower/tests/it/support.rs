//! Test support: a recording transport with delivery/failure knobs, per-test hubs, and request
//! helpers. Each test gets its own client and hub (passed with `Options::hub`), so tests running
//! in parallel in this binary never see each other's events.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use errata_tower::sentry_core::protocol::Event;
use errata_tower::sentry_core::{ClientOptions, Envelope, Hub, Scope, Transport};
use errata_tower::{ErrataLayer, Options};
use http::{Request, Response};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// How the transport's `flush` behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlushMode {
    /// Returns at once (delivered).
    Instant,
    /// Blocks until `release()` or the flush timeout, whichever first.
    UntilReleased,
    /// Fails at once (a broken transport).
    Fail,
    /// Ignores the flush timeout: blocks until `release()` (a misbehaving custom transport).
    IgnoresTimeout,
}

#[derive(Debug)]
pub(crate) struct RecordingTransport {
    envelopes: Mutex<Vec<Envelope>>,
    flushes: Mutex<Vec<Duration>>,
    released: Mutex<bool>,
    cond: Condvar,
    mode: FlushMode,
}

impl RecordingTransport {
    pub(crate) fn new(mode: FlushMode) -> Arc<Self> {
        Arc::new(Self {
            envelopes: Mutex::new(Vec::new()),
            flushes: Mutex::new(Vec::new()),
            released: Mutex::new(false),
            cond: Condvar::new(),
            mode,
        })
    }

    pub(crate) fn events(&self) -> Vec<Event<'static>> {
        self.envelopes
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| e.event().cloned())
            .collect()
    }

    /// The events recorded so far, clearing them.
    pub(crate) fn take_events(&self) -> Vec<Event<'static>> {
        std::mem::take(&mut *self.envelopes.lock().unwrap())
            .iter()
            .filter_map(|e| e.event().cloned())
            .collect()
    }

    /// The timeouts `flush` was called with.
    pub(crate) fn flushes(&self) -> Vec<Duration> {
        self.flushes.lock().unwrap().clone()
    }

    pub(crate) fn release(&self) {
        *self.released.lock().unwrap() = true;
        self.cond.notify_all();
    }
}

impl Transport for RecordingTransport {
    fn send_envelope(&self, envelope: Envelope) {
        if self.mode != FlushMode::Fail {
            self.envelopes.lock().unwrap().push(envelope);
        }
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.flushes.lock().unwrap().push(timeout);
        match self.mode {
            FlushMode::Instant => true,
            FlushMode::Fail => false,
            FlushMode::UntilReleased => {
                let guard = self.released.lock().unwrap();
                let (guard, _) = self
                    .cond
                    .wait_timeout_while(guard, timeout, |released| !*released)
                    .unwrap();
                *guard
            }
            FlushMode::IgnoresTimeout => {
                let guard = self.released.lock().unwrap();
                drop(self.cond.wait_while(guard, |released| !*released).unwrap());
                true
            }
        }
    }
}

/// A hub with its own client on a recording transport.
pub(crate) fn hub_with(transport: &Arc<RecordingTransport>, options: ClientOptions) -> Arc<Hub> {
    let options = options
        .dsn("http://key@127.0.0.1:1/1")
        .transport(transport.clone());
    let client = errata_tower::sentry_core::Client::from(options);
    Arc::new(Hub::new(Some(Arc::new(client)), Arc::new(Scope::default())))
}

/// A recording transport and a hub on it, with default client options.
pub(crate) fn recording() -> (Arc<RecordingTransport>, Arc<Hub>) {
    let transport = RecordingTransport::new(FlushMode::Instant);
    let hub = hub_with(&transport, ClientOptions::new());
    (transport, hub)
}

/// The app wrapped in the layer with `options` (bound to `hub`).
pub(crate) fn layered(app: Router, hub: &Arc<Hub>, options: Options) -> Router {
    app.layer(ErrataLayer::new(options.hub(hub.clone())))
}

/// Sends one request and returns the response with its body collected.
pub(crate) async fn send(app: &Router, req: Request<Body>) -> (Response<()>, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        Response::from_parts(parts, ()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

pub(crate) fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// Asserts the text exposes none of the given secrets nor anything path- or stack-like.
pub(crate) fn assert_no_leak(body: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!body.contains(s), "{s:?} leaked in {body:?}");
    }
    for marker in [".rs", "src/", "panicked", "backtrace", "at "] {
        assert!(!body.contains(marker), "{marker:?} leaked in {body:?}");
    }
}
