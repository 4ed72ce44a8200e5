//! [`UreqTransportFactory`] (feature `ureq`): `sentry`'s ureq HTTP transport with connect and
//! request timeouts, whose shutdown keeps to the client's `shutdown_timeout`.
//!
//! `sentry`'s own HTTP transports build their HTTP client without timeouts. Against an error
//! server that accepts connections and never answers, the transport's worker thread then waits
//! on its request forever; flushes still return on time, but closing the client (dropping
//! `sentry::init`'s guard at exit) joins that thread, so the process hangs at exit for good.
//! This factory builds the same transport (`sentry::transports::UreqHttpTransport`, with the
//! DSN's proxy and `accept_invalid_certs` settings) on an agent with timeouts, and wraps it so
//! that closing the client returns by the shutdown deadline even while a request is in flight.
//! [`prepare_client_options`](crate::prepare_client_options) installs it when no transport is
//! set.

use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use sentry::transports::UreqHttpTransportOptions;
use sentry_core::types::Scheme;
use sentry_core::{ClientOptions, Envelope, Transport, TransportFactory, TransportOptions};
use ureq::config::ConfigBuilder;
use ureq::typestate::AgentScope;

/// The builder of the ureq agent's configuration, as [`UreqTransportFactory::agent_config`]
/// gets it.
pub type AgentConfigBuilder = ConfigBuilder<AgentScope>;

/// Default bound on establishing the connection to the error server (DNS excluded, TLS
/// handshake and proxy included): 2 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Default bound on one whole envelope delivery (resolve, connect, send, and read the answer):
/// 5 s, generous for an envelope of a few kilobytes on a healthy server.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`TransportFactory`] for `sentry`'s ureq transport with timeouts and a bounded shutdown.
///
/// Two bounds apply, and together they make a service stop within its `shutdown_timeout` when
/// the error server accepts connections and never answers:
///
/// - **Each delivery** is bounded: connecting by [`connect_timeout`](Self::connect_timeout)
///   (default [`DEFAULT_CONNECT_TIMEOUT`]) and the whole request, connect included, by
///   [`request_timeout`](Self::request_timeout) (default [`DEFAULT_REQUEST_TIMEOUT`]). After
///   that the envelope counts as lost (a network error) and the worker thread takes the next one,
///   so a black-holed server costs at most one request timeout per envelope, never a thread.
/// - **Closing the client** (`Client::close(timeout)`, which `sentry::init`'s guard does with
///   `shutdown_timeout` when dropped) waits for queued envelopes until `timeout`, as the plain
///   transport does, and then returns even if a request is still in flight: the transport is
///   released on a helper thread, which ends within the request timeout (or with the process).
///
/// So the close takes at most `shutdown_timeout` (plus a few milliseconds) whatever the two
/// timeouts are; with the plain transport it joins a request that has no bound. How they relate:
/// a request stuck at the close gives up `request_timeout` after it started, and the worker then
/// tries the envelopes queued behind it. With `request_timeout` at or below `shutdown_timeout`,
/// a stuck request ends before the close's deadline, so the worker thread is done by then unless
/// it started another envelope; with a longer one (the defaults against `sentry`'s 2 s
/// `shutdown_timeout`), the close returns at its deadline anyway and the request is left to end
/// on its own, or with the process at exit. Either way, what is not delivered by the deadline is
/// lost, as with any transport.
///
/// The agent is built like `sentry`'s own: the HTTP/HTTPS proxy of the options, and ureq's
/// default TLS settings (the rustls provider, which `sentry`'s `rustls` feature compiles in). TLS
/// settings need ureq's TLS module, compiled only with a TLS feature, so they are the
/// application's to pass with [`agent_config`](Self::agent_config): the `native-tls` provider, or
/// turning certificate checks off for `accept_invalid_certs` (which this factory cannot apply
/// itself).
///
/// ```
/// use std::time::Duration;
/// use errata_tower::transport::UreqTransportFactory;
///
/// let options = sentry::ClientOptions::new()
///     .dsn("http://key@127.0.0.1:9/1")
///     .shutdown_timeout(Duration::from_secs(2))
///     .transport(UreqTransportFactory::new().request_timeout(Duration::from_secs(2)));
/// // `prepare_client_options` installs `UreqTransportFactory::new()` when no transport is set.
/// let _client = sentry::Client::from(errata_tower::prepare_client_options(options));
/// ```
#[derive(Clone)]
#[must_use]
pub struct UreqTransportFactory {
    connect_timeout: Duration,
    request_timeout: Duration,
    agent_config: Option<AgentConfig>,
}

type AgentConfig = Arc<dyn Fn(AgentConfigBuilder) -> AgentConfigBuilder + Send + Sync>;

impl std::fmt::Debug for UreqTransportFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UreqTransportFactory")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("agent_config", &self.agent_config.is_some())
            .finish()
    }
}

impl Default for UreqTransportFactory {
    fn default() -> Self {
        Self::new()
    }
}

impl UreqTransportFactory {
    /// The factory with [`DEFAULT_CONNECT_TIMEOUT`] and [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn new() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            agent_config: None,
        }
    }

    /// Bounds establishing the connection (TCP, proxy and TLS handshakes).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Bounds one whole delivery, from resolving the host to reading the server's answer.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Adjusts the agent's configuration after the factory's settings (proxy and timeouts),
    /// e.g. its TLS settings: `|b| b.tls_config(TlsConfig::builder().provider(TlsProvider::NativeTls).build())`.
    /// Timeouts set here replace the factory's.
    pub fn agent_config(
        mut self,
        f: impl Fn(AgentConfigBuilder) -> AgentConfigBuilder + Send + Sync + 'static,
    ) -> Self {
        self.agent_config = Some(Arc::new(f));
        self
    }

    /// The ureq agent: `sentry`'s settings plus the timeouts.
    fn agent(&self, options: &TransportOptions) -> ureq::Agent {
        if options.accept_invalid_certs && self.agent_config.is_none() {
            tracing::warn!(
                "accept_invalid_certs needs UreqTransportFactory::agent_config to take effect"
            );
        }
        let proxy = match (
            options.dsn.scheme(),
            &options.http_proxy,
            &options.https_proxy,
        ) {
            (Scheme::Https, _, Some(proxy)) | (_, Some(proxy), _) => ureq::Proxy::new(proxy)
                .inspect_err(|e| tracing::debug!("invalid proxy for the sentry transport: {e}"))
                .ok(),
            _ => None,
        };
        let builder = ureq::Agent::config_builder()
            .proxy(proxy)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_global(Some(self.request_timeout));
        match &self.agent_config {
            Some(f) => f(builder),
            None => builder,
        }
        .build()
        .new_agent()
    }
}

impl TransportFactory for UreqTransportFactory {
    fn create_transport_with_options(&self, options: TransportOptions) -> Arc<dyn Transport> {
        let agent = self.agent(&options);
        let inner = UreqHttpTransportOptions::from(options)
            .with_agent(agent)
            .build();
        Arc::new(BoundedClose::new(inner))
    }
}

/// Installs [`UreqTransportFactory::new()`] when `options` has no transport yet (what
/// [`prepare_client_options`](crate::prepare_client_options) does with the feature on).
pub(crate) fn install_default(options: &mut ClientOptions) {
    if options.transport.is_none() {
        options.transport = Some(Arc::new(UreqTransportFactory::new()));
    }
}

/// A transport whose release returns by the deadline of its last `shutdown`.
///
/// The client calls `shutdown(timeout)` and then drops the transport; `sentry`'s transport
/// joins its worker thread on drop, which waits for the request in flight. Here the drop runs on
/// a helper thread, and waiting for it stops at the deadline.
struct BoundedClose<T: Transport> {
    inner: Option<T>,
    deadline: Mutex<Option<Instant>>,
}

impl<T: Transport> BoundedClose<T> {
    fn new(inner: T) -> Self {
        Self {
            inner: Some(inner),
            deadline: Mutex::new(None),
        }
    }
}

impl<T: Transport> Transport for BoundedClose<T> {
    fn send_envelope(&self, envelope: Envelope) {
        if let Some(inner) = &self.inner {
            inner.send_envelope(envelope);
        }
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.inner.as_ref().is_none_or(|inner| inner.flush(timeout))
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        *self.deadline.lock().unwrap_or_else(PoisonError::into_inner) = Some(deadline);
        self.inner
            .as_ref()
            .is_none_or(|inner| inner.shutdown(timeout))
    }
}

impl<T: Transport> Drop for BoundedClose<T> {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let deadline = *self
            .deadline
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        // Never shut down: dropping joins the worker, which the request timeout bounds.
        let Some(deadline) = deadline else {
            drop(inner);
            return;
        };
        let (done, released) = mpsc::sync_channel::<()>(1);
        // If no thread can be started, the closure (and the transport) is dropped right here.
        let spawned = std::thread::Builder::new()
            .name("errata-transport-close".to_owned())
            .spawn(move || {
                drop(inner);
                let _ = done.send(());
            });
        if spawned.is_ok()
            && released
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .is_err()
        {
            tracing::debug!(
                "the sentry transport is still sending at the shutdown deadline; left to its request timeout"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A transport whose drop blocks for `hold`, like a worker stuck in a request.
    struct SlowDrop {
        hold: Duration,
        dropped: Arc<AtomicBool>,
    }

    impl Transport for SlowDrop {
        fn send_envelope(&self, _: Envelope) {}
    }

    impl Drop for SlowDrop {
        fn drop(&mut self) {
            std::thread::sleep(self.hold);
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    fn slow(hold: Duration) -> (BoundedClose<SlowDrop>, Arc<AtomicBool>) {
        let dropped = Arc::new(AtomicBool::new(false));
        let transport = BoundedClose::new(SlowDrop {
            hold,
            dropped: dropped.clone(),
        });
        (transport, dropped)
    }

    #[test]
    fn release_after_shutdown_returns_by_the_deadline() {
        let (transport, dropped) = slow(Duration::from_secs(3));
        let started = Instant::now();
        assert!(transport.shutdown(Duration::from_millis(200)));
        drop(transport);
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(190), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
        assert!(!dropped.load(Ordering::SeqCst), "left to the helper thread");
    }

    #[test]
    fn a_quick_release_is_waited_for() {
        let (transport, dropped) = slow(Duration::from_millis(50));
        assert!(transport.shutdown(Duration::from_secs(5)));
        let started = Instant::now();
        drop(transport);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn without_shutdown_the_release_is_inline() {
        let (transport, dropped) = slow(Duration::from_millis(50));
        drop(transport);
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn install_default_keeps_an_existing_transport() {
        let mut options = ClientOptions::new();
        install_default(&mut options);
        assert!(options.transport.is_some());
        let transport = sentry_core::test::TestTransport::new();
        let mut options = ClientOptions::new().transport(transport);
        let before = options.transport.clone().unwrap();
        install_default(&mut options);
        assert!(Arc::ptr_eq(&before, &options.transport.unwrap()));
    }
}
