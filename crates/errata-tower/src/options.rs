//! [`Options`]: hertzsentry's options and defaults, plus Errata's body limit, report policy,
//! hub source, event-id header and panic responder.
//!
//! Defaults are hertzsentry's: every switch off, timeout 2 s, and (`WithTimeout` parity) a zero
//! timeout keeps 2 s. Options are per layer (hertzsentry keeps them in a package-level variable,
//! so a second `NewSentry` overwrites the first; here two layers are independent).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;
use sentry_core::Hub;

use crate::{DefaultResponder, Outcome, Responder};

/// The default flush timeout (hertzsentry's `2 * time.Second`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// The default body capture limit (sentry-go's `MaxBodyBytes`, 10 KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024;

/// Which requests with recorded errors produce an event. Panics are always reported.
///
/// ```
/// use errata_tower::{Options, ReportPolicy};
/// let opts = Options::new().report(ReportPolicy::custom(|o| o.status.as_u16() >= 502));
/// # let _ = opts;
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum ReportPolicy {
    /// Only panics (hertzsentry exactly: `ctx.Errors` is never reported).
    PanicsOnly,
    /// Panics, and responses with status ≥ 500 that carry recorded errors (the default).
    ServerErrors,
    /// Panics, and every response that carries recorded errors (4xx too).
    AllRecorded,
    /// Panics, and responses with recorded errors for which the function returns true.
    Custom(Arc<dyn Fn(&Outcome) -> bool + Send + Sync>),
}

impl ReportPolicy {
    /// A [`ReportPolicy::Custom`] from a closure.
    pub fn custom(f: impl Fn(&Outcome) -> bool + Send + Sync + 'static) -> Self {
        Self::Custom(Arc::new(f))
    }

    /// Whether an outcome with recorded errors (and no panic) is reported.
    pub(crate) fn reports_errors(&self, outcome: &Outcome) -> bool {
        if outcome.errors.is_empty() {
            return false;
        }
        match self {
            Self::PanicsOnly => false,
            Self::ServerErrors => outcome.status.is_server_error(),
            Self::AllRecorded => true,
            Self::Custom(f) => f(outcome),
        }
    }
}

impl fmt::Debug for ReportPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PanicsOnly => "PanicsOnly",
            Self::ServerErrors => "ServerErrors",
            Self::AllRecorded => "AllRecorded",
            Self::Custom(_) => "Custom(..)",
        })
    }
}

/// The layer's configuration (hertzsentry's `Option`s plus Errata's extensions).
///
/// ```
/// use std::time::Duration;
/// use errata_tower::Options;
///
/// let opts = Options::new();
/// assert!(!opts.is_re_panic() && !opts.is_wait_for_delivery());
/// assert!(!opts.is_send_request() && !opts.is_send_body());
/// assert_eq!(opts.get_timeout(), Duration::from_secs(2));
///
/// let opts = Options::new().timeout(Duration::ZERO); // WithTimeout(0) keeps 2 s
/// assert_eq!(opts.get_timeout(), Duration::from_secs(2));
/// let opts = Options::new().send_body(true).max_body_bytes(1024).timeout(Duration::from_millis(300));
/// assert_eq!(opts.get_max_body_bytes(), 1024);
/// ```
#[derive(Clone)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "hertzsentry's options are independent switches"
)]
pub struct Options {
    pub(crate) re_panic: bool,
    pub(crate) wait_for_delivery: bool,
    pub(crate) send_request: bool,
    pub(crate) send_body: bool,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: usize,
    pub(crate) report: ReportPolicy,
    pub(crate) hub: Option<Arc<Hub>>,
    pub(crate) event_id_header: Option<HeaderName>,
    pub(crate) responder: Arc<dyn Responder>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            re_panic: false,
            wait_for_delivery: false,
            send_request: false,
            send_body: false,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            report: ReportPolicy::ServerErrors,
            hub: None,
            event_id_header: Some(HeaderName::from_static("x-sentry-event")),
            responder: Arc::new(DefaultResponder),
        }
    }
}

impl Options {
    /// hertzsentry's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `WithRePanic`: after reporting (and delivery, when waiting), resume the panic with the
    /// same payload instead of answering 500. Use it when an outer layer recovers panics.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use axum::{Router, body::Body, routing::get};
    /// # use errata_tower::sentry_core::{Client, ClientOptions, Hub, Scope, test::TestTransport};
    /// # use errata_tower::{ErrataLayer, Options, Outcome};
    /// # use tower::ServiceExt;
    /// # let transport = TestTransport::new();
    /// # let client = Client::from(ClientOptions::new().dsn("https://k@e.example/1").transport(transport.clone()));
    /// # let hub = Arc::new(Hub::new(Some(Arc::new(client)), Arc::new(Scope::default())));
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let app = Router::new()
    ///     .route("/", get(|| async { std::panic::panic_any("original"); #[allow(unreachable_code)] "" }))
    ///     .layer(ErrataLayer::new(Options::new().hub(hub).re_panic(true)));
    /// let req = http::Request::get("/").body(Body::empty()).unwrap();
    /// let joined = rt.block_on(async { tokio::spawn(app.oneshot(req)).await });
    /// let payload = joined.unwrap_err().into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"original")); // the same payload
    /// assert_eq!(transport.fetch_and_clear_events().len(), 1);      // captured first
    /// ```
    #[must_use]
    pub fn re_panic(mut self, on: bool) -> Self {
        self.re_panic = on;
        self
    }

    /// `WithWaitForDelivery`: hold the response until the event is flushed or
    /// [`timeout`](Self::timeout) elapses (on the blocking pool, never on a runtime worker).
    /// Nothing waits when no event was sent (none captured, or `before_send` dropped it).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use axum::{Router, body::Body, routing::get};
    /// # use errata_tower::sentry_core::{Client, ClientOptions, Hub, Scope, test::TestTransport};
    /// # use errata_tower::{ErrataLayer, Options, Outcome};
    /// # use tower::ServiceExt;
    /// # let transport = TestTransport::new();
    /// # let client = Client::from(ClientOptions::new().dsn("https://k@e.example/1").transport(transport.clone()));
    /// # let hub = Arc::new(Hub::new(Some(Arc::new(client)), Arc::new(Scope::default())));
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let app = Router::new()
    ///     .route("/", get(|| async { if true { panic!("boom") } "" }))
    ///     .layer(ErrataLayer::new(Options::new().hub(hub).wait_for_delivery(true)));
    /// let req = http::Request::get("/").body(Body::empty()).unwrap();
    /// let res = rt.block_on(app.oneshot(req)).unwrap();
    /// assert_eq!(res.extensions().get::<Outcome>().unwrap().delivered, Some(true));
    /// ```
    #[must_use]
    pub fn wait_for_delivery(mut self, on: bool) -> Self {
        self.wait_for_delivery = on;
        self
    }

    /// `WithSendRequest`: attach method, URL (credentials scrubbed), query and headers (minus
    /// `Authorization`, `Cookie`, `X-Api-Key`, `X-Forwarded-For` and similar, unless the
    /// client's `send_default_pii`) to every event of the request.
    #[must_use]
    pub fn send_request(mut self, on: bool) -> Self {
        self.send_request = on;
        self
    }

    /// `WithSendBody`: attach the request body when its size is known and at most
    /// [`max_body_bytes`](Self::max_body_bytes); otherwise a note with its size. The handler
    /// still receives the identical body.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use axum::{Router, body::Body, routing::get};
    /// # use errata_tower::sentry_core::{Client, ClientOptions, Hub, Scope, test::TestTransport};
    /// # use errata_tower::{ErrataLayer, Options, Outcome};
    /// # use tower::ServiceExt;
    /// # let transport = TestTransport::new();
    /// # let client = Client::from(ClientOptions::new().dsn("https://k@e.example/1").transport(transport.clone()));
    /// # let hub = Arc::new(Hub::new(Some(Arc::new(client)), Arc::new(Scope::default())));
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let app = Router::new()
    ///     .route("/", axum::routing::post(|body: String| async move {
    ///         errata_errors::Error::private(format!("rejected {body}")) // a 500
    ///     }))
    ///     .layer(ErrataLayer::new(Options::new().hub(hub).send_request(true).send_body(true)));
    /// let req = http::Request::post("/?page=2").header("authorization", "secret")
    ///     .body(Body::from("{\"qty\":3}")).unwrap();
    /// rt.block_on(app.oneshot(req)).unwrap();
    /// let event = transport.fetch_and_clear_events().remove(0);
    /// let request = event.request.unwrap();
    /// assert_eq!(request.data.as_deref(), Some("{\"qty\":3}"));
    /// assert_eq!(request.query_string.as_deref(), Some("page=2"));
    /// assert!(!request.headers.contains_key("authorization"));
    /// assert_eq!(event.exception.values[0].value.as_deref(), Some("rejected {\"qty\":3}"));
    /// ```
    #[must_use]
    pub fn send_body(mut self, on: bool) -> Self {
        self.send_body = on;
        self
    }

    /// `WithTimeout`: the delivery wait bound; `Duration::ZERO` keeps the 2 s default.
    #[must_use]
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = if t.is_zero() { DEFAULT_TIMEOUT } else { t };
        self
    }

    /// The largest body attached by [`send_body`](Self::send_body) (default 10 KiB).
    #[must_use]
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Which outcomes with recorded errors are reported (default [`ReportPolicy::ServerErrors`]).
    #[must_use]
    pub fn report(mut self, policy: ReportPolicy) -> Self {
        self.report = policy;
        self
    }

    /// Derive per-request hubs from this hub instead of `Hub::main()`.
    #[must_use]
    pub fn hub(mut self, hub: Arc<Hub>) -> Self {
        self.hub = Some(hub);
        self
    }

    /// The response header carrying the event id (default `x-sentry-event`; `None` disables it).
    #[must_use]
    pub fn event_id_header(mut self, name: Option<HeaderName>) -> Self {
        self.event_id_header = name;
        self
    }

    /// Renders the friendly 500 after a caught panic (default [`DefaultResponder`]).
    #[must_use]
    pub fn responder(mut self, responder: impl Responder) -> Self {
        self.responder = Arc::new(responder);
        self
    }

    /// Whether `re_panic` is on.
    pub fn is_re_panic(&self) -> bool {
        self.re_panic
    }

    /// Whether `wait_for_delivery` is on.
    pub fn is_wait_for_delivery(&self) -> bool {
        self.wait_for_delivery
    }

    /// Whether `send_request` is on.
    pub fn is_send_request(&self) -> bool {
        self.send_request
    }

    /// Whether `send_body` is on.
    pub fn is_send_body(&self) -> bool {
        self.send_body
    }

    /// The effective delivery timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The body capture limit.
    pub fn get_max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("re_panic", &self.re_panic)
            .field("wait_for_delivery", &self.wait_for_delivery)
            .field("send_request", &self.send_request)
            .field("send_body", &self.send_body)
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("report", &self.report)
            .field("event_id_header", &self.event_id_header)
            .finish_non_exhaustive()
    }
}
