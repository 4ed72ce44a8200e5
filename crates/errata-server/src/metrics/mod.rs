//! Prometheus metrics: what `GET /metrics` answers, in the Prometheus text format
//! (version 0.0.4), through `prometheus-client` (no global recorder: every server in a
//! process, as in the tests, has its own [`Metrics`]).
//!
//! Each area owns a struct of metric handles, registered under the `errata_` prefix and
//! held by [`Metrics`] in the [`crate::AppState`]: [`HttpMetrics`] (requests by route and
//! status class, counted by a tower layer), [`PipelineMetrics`] (outcomes, queue depths,
//! bytes and requests in flight, processing and commit latency, writer batch sizes),
//! [`AlertMetrics`] (deliveries by channel kind and result) and [`StorageMetrics`] (the
//! database's size, refreshed at most every [`storage::REFRESH_EVERY`], and the free
//! space of its filesystem). Handles are cheap clones of shared atomics, so the writer
//! threads and the worker pool hold their own. Labels are enums or `&'static str`s:
//! counting never allocates once a label set has been seen.
//!
//! Adding a metric: add a field (`Counter`, `Gauge`, `Histogram`, or a `Family` of them
//! keyed by a label struct that implements `EncodeLabelSet`, as [`http::HttpLabels`]) to
//! the area's struct, register it in that struct's `register` (one line: the name without
//! the prefix, the `_total` suffix or the unit, which the encoder appends), and update it
//! where the thing happens (`state.metrics.storage.my_gauge.set(..)`). A value that is
//! cheaper to read than to track (a semaphore's free permits) is set in [`Metrics::render`]
//! through the area's `sample`. A new area is a new file with a struct like those, one
//! field here and one line in [`Metrics::new`].

pub mod alerts;
pub mod endpoint;
pub mod http;
pub mod pipeline;
pub mod retention;
pub mod storage;

use std::fmt;

use prometheus_client::registry::Registry;

pub use alerts::AlertMetrics;
pub use http::{HttpMetrics, HttpMetricsLayer};
pub use pipeline::{PipelineMetrics, WriterMetrics};
pub use retention::RetentionMetrics;
pub use storage::StorageMetrics;

use crate::state::AppState;

/// Every metric of one server, and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    /// HTTP requests.
    pub http: HttpMetrics,
    /// Ingest, the queues and the writer.
    pub pipeline: PipelineMetrics,
    /// Alert deliveries.
    pub alerts: AlertMetrics,
    /// The database's size and its disk.
    pub storage: StorageMetrics,
    /// Retention and what projects store.
    pub retention: RetentionMetrics,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers every metric, at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("errata");
        let http = HttpMetrics::register(&mut registry);
        let pipeline = PipelineMetrics::register(&mut registry);
        let alerts = AlertMetrics::register(&mut registry);
        let storage = StorageMetrics::register(&mut registry);
        let retention = RetentionMetrics::register(&mut registry);
        Self {
            registry,
            http,
            pipeline,
            alerts,
            storage,
            retention,
        }
    }

    /// The exposition: samples what is read rather than tracked (bytes and requests in
    /// flight, free disk; the database's size when its cached figure is due), then
    /// encodes every metric.
    pub async fn render(&self, state: &AppState) -> String {
        self.pipeline.sample(state);
        self.storage.sample(state).await;
        let mut text = String::with_capacity(16 * 1024);
        if let Err(error) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        {
            tracing::error!(%error, "encoding the metrics failed");
        }
        text
    }
}

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A byte or item count as a gauge value (saturating).
pub(crate) fn gauge_value(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}
