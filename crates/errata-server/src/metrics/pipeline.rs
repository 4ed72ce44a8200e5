//! The ingest pipeline's metrics: items by outcome (counted where every outcome is
//! counted, [`crate::outcome::Outcomes::add`], and for committed batches after their
//! commit), the depth of the worker pool's and the writer's queues (tracked as jobs go in
//! and out), the requests and request bytes in flight (read from their semaphores at
//! scrape time), ingest's processing time on the worker pool, and the writer's commit
//! time and batch sizes.

use std::fmt;

use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use super::gauge_value;
use crate::outcome::{Category, Reason};
use crate::state::AppState;

/// `{category, reason}` of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutcomeLabels {
    /// The data category.
    pub category: Category,
    /// Why it was (not) stored.
    pub reason: Reason,
}

impl EncodeLabelSet for OutcomeLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        [
            ("category", self.category.as_str()),
            ("reason", self.reason.as_str()),
        ]
        .encode(encoder)
    }
}

/// The queues whose depth is a gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// The worker pool's jobs (ingest processing, page rendering).
    Workers,
    /// The writer's jobs (one per request with something to store).
    Writer,
}

/// `{queue}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueueLabels {
    /// Which queue.
    pub queue: Queue,
}

impl EncodeLabelSet for QueueLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        let queue = match self.queue {
            Queue::Workers => "workers",
            Queue::Writer => "writer",
        };
        [("queue", queue)].encode(encoder)
    }
}

/// Seconds from 0.1 ms to ~6.5 s, doubling.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.0, 17))
}

/// The writer's handles (the writer threads hold a clone).
#[derive(Debug, Clone)]
pub struct WriterMetrics {
    /// Jobs waiting in the writer's queue.
    pub queued: Gauge,
    /// Seconds each batch's events transaction took.
    pub commit_seconds: Histogram,
    /// Events per committed batch.
    pub batch_events: Histogram,
}

/// The pipeline's metrics.
#[derive(Debug, Clone)]
pub struct PipelineMetrics {
    /// `errata_outcomes_total{category, reason}`.
    pub outcomes: Family<OutcomeLabels, Counter>,
    /// `errata_queue_depth{queue}`: jobs waiting.
    pub queue_depth: Family<QueueLabels, Gauge>,
    /// `errata_queue_capacity{queue}`: the most jobs that may wait.
    pub queue_capacity: Family<QueueLabels, Gauge>,
    /// `errata_ingest_in_flight_requests`.
    pub in_flight_requests: Gauge,
    /// `errata_ingest_in_flight_requests_limit`.
    pub in_flight_requests_limit: Gauge,
    /// `errata_ingest_in_flight_bytes`: request bytes held (raw and decoded).
    pub in_flight_bytes: Gauge,
    /// `errata_ingest_in_flight_limit_bytes`: the byte budget.
    pub in_flight_limit_bytes: Gauge,
    /// `errata_ingest_processing_duration_seconds`: one request's CPU work on the pool.
    pub processing_seconds: Histogram,
    /// The writer's.
    pub writer: WriterMetrics,
}

impl PipelineMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let queue_depth: Family<QueueLabels, Gauge> = Family::default();
        // The writer threads hold the family's own gauge (a `Gauge` is a shared atomic).
        let writer_queued = queue_depth
            .get_or_create(&QueueLabels {
                queue: Queue::Writer,
            })
            .clone();
        let metrics = Self {
            outcomes: Family::default(),
            queue_depth,
            queue_capacity: Family::default(),
            in_flight_requests: Gauge::default(),
            in_flight_requests_limit: Gauge::default(),
            in_flight_bytes: Gauge::default(),
            in_flight_limit_bytes: Gauge::default(),
            processing_seconds: duration_histogram(),
            writer: WriterMetrics {
                queued: writer_queued,
                commit_seconds: duration_histogram(),
                batch_events: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            },
        };
        registry.register(
            "outcomes",
            "Items by data category and outcome (accepted, or why they were not stored)",
            metrics.outcomes.clone(),
        );
        registry.register(
            "queue_depth",
            "Jobs waiting in a queue (workers: ingest processing and page rendering; writer: \
             requests waiting for a commit)",
            metrics.queue_depth.clone(),
        );
        registry.register(
            "queue_capacity",
            "The most jobs a queue holds; a full queue is answered 503",
            metrics.queue_capacity.clone(),
        );
        registry.register(
            "ingest_in_flight_requests",
            "Ingest requests being served",
            metrics.in_flight_requests.clone(),
        );
        registry.register(
            "ingest_in_flight_requests_limit",
            "The most ingest requests served at once (queue.max_in_flight)",
            metrics.in_flight_requests_limit.clone(),
        );
        registry.register_with_unit(
            "ingest_in_flight",
            "Request body bytes held by ingest, read and decoded",
            Unit::Bytes,
            metrics.in_flight_bytes.clone(),
        );
        registry.register_with_unit(
            "ingest_in_flight_limit",
            "The byte budget of request bodies in flight (limits.max_bytes_in_flight)",
            Unit::Bytes,
            metrics.in_flight_limit_bytes.clone(),
        );
        registry.register_with_unit(
            "ingest_processing_duration",
            "CPU time of one ingest request on the worker pool (decode, parse, normalize, \
             scrub, group, compress)",
            Unit::Seconds,
            metrics.processing_seconds.clone(),
        );
        registry.register_with_unit(
            "writer_commit_duration",
            "Time of one writer batch's events transaction",
            Unit::Seconds,
            metrics.writer.commit_seconds.clone(),
        );
        registry.register(
            "writer_batch_events",
            "Events per writer batch (group commit)",
            metrics.writer.batch_events.clone(),
        );
        metrics
    }

    /// Counts `quantity` items of `category` with `reason`.
    pub fn count_outcome(&self, category: Category, reason: Reason, quantity: u64) {
        self.outcomes
            .get_or_create(&OutcomeLabels { category, reason })
            .inc_by(quantity);
    }

    /// The depth gauge of `queue`, to hand to whoever tracks it.
    pub fn depth(&self, queue: Queue) -> Gauge {
        self.queue_depth
            .get_or_create(&QueueLabels { queue })
            .clone()
    }

    /// Reads what is cheaper to read than to track.
    pub(super) fn sample(&self, state: &AppState) {
        let max_in_flight = state.config.queue.max_in_flight;
        self.in_flight_requests_limit
            .set(gauge_value(max_in_flight));
        self.in_flight_requests.set(gauge_value(
            max_in_flight.saturating_sub(state.in_flight.available_permits()),
        ));
        let budget = &state.budget;
        self.in_flight_limit_bytes.set(gauge_value(budget.total()));
        self.in_flight_bytes.set(gauge_value(
            budget.total().saturating_sub(budget.available()),
        ));
        for (queue, capacity) in [
            (Queue::Workers, state.config.workers.queue),
            (Queue::Writer, state.config.queue.capacity),
        ] {
            self.queue_capacity
                .get_or_create(&QueueLabels { queue })
                .set(gauge_value(capacity));
        }
    }
}
