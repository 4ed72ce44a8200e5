//! The state every handler shares: configuration, the store, the writer's queue, the key
//! cache, the rate limiter and quotas, the outcome counters, the byte budget, the
//! worker pool and the metrics. Cheap to clone (one `Arc`). [`AppState::store_call`] is
//! the one way handlers call the (blocking) store.

use std::ops::Deref;
use std::sync::Arc;

use errata_protocol::intake::IntakeLimits;
use errata_protocol::limits::Limits;
use errata_store::{Store, StoreError};

use crate::alert::Alerts;
use crate::auth::LoginThrottle;
use crate::budget::ByteBudget;
use crate::config::Config;
use crate::keys::KeyCache;
use crate::metrics::Metrics;
use crate::outcome::Outcomes;
use crate::quota::Quotas;
use crate::ratelimit::RateLimiter;
use crate::retention::RetentionStatus;
use crate::workers::Workers;
use crate::writer::WriterHandle;

/// Shared server state.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Inner {
    /// The configuration the server started with.
    pub config: Config,
    /// The database.
    pub store: Arc<dyn Store>,
    /// The queue to the writer thread.
    pub writer: WriterHandle,
    /// DSN keys by public key.
    pub keys: KeyCache,
    /// Ingest rate limits.
    pub limiter: RateLimiter,
    /// Outcome counts waiting for the writer.
    pub outcomes: Arc<Outcomes>,
    /// Per-item size limits (from the configuration).
    pub limits: Limits,
    /// The public base URL (no trailing slash).
    pub public_url: String,
    /// Permits for ingest requests in flight.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// The limits of reading a request (from the configuration).
    pub intake_limits: IntakeLimits,
    /// The memory request bodies may take.
    pub budget: ByteBudget,
    /// The threads that do ingest's CPU work.
    pub workers: Workers,
    /// Per-project event quotas.
    pub quotas: Quotas,
    /// Failed-login counters (this node's).
    pub login_throttle: LoginThrottle,
    /// Alert sending and the dispatcher's wake-up.
    pub alerts: Arc<Alerts>,
    /// What the retention passes did (see [`crate::retention`]).
    pub retention: RetentionStatus,
    /// What `/metrics` shows.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Builds the state.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        writer: WriterHandle,
        outcomes: Arc<Outcomes>,
        workers: Workers,
        alerts: Arc<Alerts>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let limits = Limits {
            max_envelope_size: config.limits.max_envelope_bytes,
            max_event_size: config.limits.max_event_bytes,
            max_attachment_size: config.limits.max_attachment_bytes,
            ..Limits::default()
        };
        let public_url = config.public_base_url();
        let max_in_flight = config.queue.max_in_flight;
        let intake_limits = IntakeLimits {
            max_request_bytes: config.limits.max_request_bytes,
            max_envelope_bytes: config.limits.max_envelope_bytes,
            max_unauthenticated_bytes: config.limits.max_unauthenticated_bytes,
        };
        let budget = ByteBudget::new(config.limits.max_bytes_in_flight);
        Self(Arc::new(Inner {
            limiter: RateLimiter::new(config.rate_limits),
            keys: KeyCache::default(),
            config,
            store,
            writer,
            outcomes,
            limits,
            public_url,
            in_flight: Arc::new(tokio::sync::Semaphore::new(max_in_flight)),
            intake_limits,
            budget,
            workers,
            quotas: Quotas::default(),
            login_throttle: LoginThrottle::default(),
            alerts,
            retention: RetentionStatus::default(),
            metrics,
        }))
    }

    /// Runs a blocking store call off the async runtime: the one way handlers reach the
    /// store. A call that panics is a backend error. The call runs in the caller's
    /// `tracing` span (a request's logs keep its id).
    pub async fn store_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppState) -> errata_store::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let state = self.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| f(&state)))
            .await
            .map_err(|e| {
                StoreError::new(
                    errata_store::ErrorKind::Backend,
                    format!("the store call failed: {e}"),
                )
            })?
    }

    /// The DSN of a key: `{proto}://{public_key}@{host}{path}/{project_id}`.
    pub fn dsn(&self, public_key: &str, project_id: i64) -> String {
        dsn_for(&self.public_url, public_key, project_id)
    }
}

/// The DSN for a key under a public base URL.
pub fn dsn_for(public_url: &str, public_key: &str, project_id: i64) -> String {
    let (scheme, rest) = public_url.split_once("://").unwrap_or(("http", public_url));
    format!(
        "{scheme}://{public_key}@{}/{project_id}",
        rest.trim_end_matches('/')
    )
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
