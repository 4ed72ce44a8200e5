//! Outcome counters: every item the server does not store, and every event it does, is
//! counted per project, data category and named [`Reason`]. Reasons and categories are
//! enums, so a client cannot invent new rows: what an SDK reports in a client report is
//! checked against the discard reasons and data categories the SDKs use, and anything
//! else is counted under [`ClientDiscard::Other`]. Quantities are clamped and sums
//! saturate. Counts are aggregated in memory and written by the writer with each batch,
//! so counting costs the hot path one short lock. Every count also goes to the
//! `errata_outcomes_total` counter of [`crate::metrics`] (project-less, so it never
//! drains): [`Outcomes::add`] is where outcomes are counted, and [`Outcomes::observe`]
//! counts for the metrics alone what a batch's transaction stored itself.

use errata_protocol::envelope::DataCategory;
use errata_store::{OutcomeDelta, ProjectId};

use crate::filter::FilterReason;
use crate::metrics::PipelineMetrics;
use rustc_hash::FxHashMap;
use std::sync::Mutex;

/// The most one client-report entry may count: more is a made-up number.
pub const MAX_REPORTED_QUANTITY: u64 = 1 << 32;

/// The data category an outcome is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// One of the protocol's categories.
    Data(DataCategory),
    /// An item of a type the server does not know.
    Unknown,
}

impl Category {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data(category) => category.as_str(),
            Self::Unknown => "unknown",
        }
    }
}

impl From<DataCategory> for Category {
    fn from(category: DataCategory) -> Self {
        Self::Data(category)
    }
}

/// Why an item was or was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Stored.
    Accepted,
    /// An event id already stored.
    Duplicate,
    /// Refused by a rate limit.
    RateLimited,
    /// Refused because the project's event quota for the day or month is used up.
    QuotaExceeded,
    /// Over its size limit.
    TooLarge,
    /// Unreadable.
    Invalid,
    /// The writer's queue or the worker pool was full.
    Overloaded,
    /// An item type the server accepts but does not keep (sessions, spans...).
    NotStored,
    /// An attachment whose envelope had no event.
    NoEvent,
    /// A client report that was not JSON.
    InvalidClientReport,
    /// Dropped by the SDK itself, for this reason.
    ClientDiscard(ClientDiscard),
    /// Dropped by one of the project's inbound filters (before quotas and rate limits).
    Filtered(FilterReason),
}

impl Reason {
    /// The stored name (`client_discard:<reason>` for SDK discards, `filtered:<filter>`
    /// for inbound filters).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Duplicate => "duplicate",
            Self::RateLimited => "rate_limited",
            Self::QuotaExceeded => "quota_exceeded",
            Self::TooLarge => "too_large",
            Self::Invalid => "invalid",
            Self::Overloaded => "overloaded",
            Self::NotStored => "not_stored",
            Self::NoEvent => "no_event",
            Self::InvalidClientReport => "invalid_client_report",
            Self::ClientDiscard(reason) => reason.as_str(),
            Self::Filtered(reason) => reason.as_str(),
        }
    }
}

/// The discard reasons SDKs report in client reports (the Sentry client-report spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientDiscard {
    /// The SDK's send queue was full.
    QueueOverflow,
    /// The SDK's offline cache was full.
    CacheOverflow,
    /// A buffer (spans, logs) was full.
    BufferOverflow,
    /// The server's rate limits told the SDK to back off.
    RatelimitBackoff,
    /// The request failed on the network.
    NetworkError,
    /// Dropped by sampling.
    SampleRate,
    /// Dropped by `before_send`.
    BeforeSend,
    /// Dropped by an event processor.
    EventProcessor,
    /// The server answered with an error.
    SendError,
    /// The SDK failed.
    InternalSdkError,
    /// Not enough data to send.
    InsufficientData,
    /// The SDK's backpressure handling.
    Backpressure,
    /// Anything else an SDK claims: one row, whatever was sent.
    Other,
}

impl ClientDiscard {
    const KNOWN: [(&'static str, Self); 12] = [
        ("queue_overflow", Self::QueueOverflow),
        ("cache_overflow", Self::CacheOverflow),
        ("buffer_overflow", Self::BufferOverflow),
        ("ratelimit_backoff", Self::RatelimitBackoff),
        ("network_error", Self::NetworkError),
        ("sample_rate", Self::SampleRate),
        ("before_send", Self::BeforeSend),
        ("event_processor", Self::EventProcessor),
        ("send_error", Self::SendError),
        ("internal_sdk_error", Self::InternalSdkError),
        ("insufficient_data", Self::InsufficientData),
        ("backpressure", Self::Backpressure),
    ];

    /// The reason an SDK named; unknown names are [`Self::Other`].
    pub fn parse(name: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(known, _)| *known == name)
            .map_or(Self::Other, |(_, reason)| *reason)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QueueOverflow => "client_discard:queue_overflow",
            Self::CacheOverflow => "client_discard:cache_overflow",
            Self::BufferOverflow => "client_discard:buffer_overflow",
            Self::RatelimitBackoff => "client_discard:ratelimit_backoff",
            Self::NetworkError => "client_discard:network_error",
            Self::SampleRate => "client_discard:sample_rate",
            Self::BeforeSend => "client_discard:before_send",
            Self::EventProcessor => "client_discard:event_processor",
            Self::SendError => "client_discard:send_error",
            Self::InternalSdkError => "client_discard:internal_sdk_error",
            Self::InsufficientData => "client_discard:insufficient_data",
            Self::Backpressure => "client_discard:backpressure",
            Self::Other => "client_discard:other",
        }
    }
}

type Key = (i64, Category, Reason);

/// In-memory outcome counts waiting to be written.
#[derive(Debug, Default)]
pub struct Outcomes {
    pending: Mutex<FxHashMap<Key, u64>>,
    /// Where counts are also exported (none for a scratch batch's counts).
    metrics: Option<PipelineMetrics>,
}

impl Outcomes {
    /// Counts that also go to `metrics`' `errata_outcomes_total`.
    pub fn with_metrics(metrics: PipelineMetrics) -> Self {
        Self {
            pending: Mutex::default(),
            metrics: Some(metrics),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<Key, u64>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts `quantity` items of `category` for `project` with `reason`; sums saturate.
    pub fn add(
        &self,
        project: ProjectId,
        category: impl Into<Category>,
        reason: Reason,
        quantity: u64,
    ) {
        if quantity == 0 {
            return;
        }
        let category = category.into();
        {
            let mut pending = self.lock();
            let count = pending.entry((project.0, category, reason)).or_default();
            *count = count.saturating_add(quantity);
        }
        self.observe(category, reason, quantity);
    }

    /// Counts `quantity` items for the metrics only (their stored count was written
    /// elsewhere: a batch's transaction).
    pub fn observe(&self, category: impl Into<Category>, reason: Reason, quantity: u64) {
        if let Some(metrics) = &self.metrics {
            metrics.count_outcome(category.into(), reason, quantity);
        }
    }

    /// Takes every pending count, stamped `now_ms` (quantities clamped to `i64::MAX`,
    /// what the store can hold).
    pub fn drain(&self, now_ms: i64) -> Vec<OutcomeDelta> {
        self.lock()
            .drain()
            .map(|((project, category, reason), quantity)| OutcomeDelta {
                project_id: ProjectId(project),
                timestamp_ms: now_ms,
                category: category.as_str().to_owned(),
                reason: reason.as_str().to_owned(),
                quantity: quantity.min(i64::MAX as u64),
            })
            .collect()
    }

    /// The number of distinct pending counts.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reach_the_metrics_and_observe_counts_only_there() {
        let metrics = crate::metrics::Metrics::new();
        let outcomes = Outcomes::with_metrics(metrics.pipeline.clone());
        let p = ProjectId(1);
        outcomes.add(p, DataCategory::Error, Reason::RateLimited, 3);
        outcomes.add(ProjectId(2), DataCategory::Error, Reason::RateLimited, 2);
        outcomes.observe(DataCategory::Error, Reason::Accepted, 5);
        let exported = |reason| {
            metrics
                .pipeline
                .outcomes
                .get_or_create(&crate::metrics::pipeline::OutcomeLabels {
                    category: Category::Data(DataCategory::Error),
                    reason,
                })
                .get()
        };
        assert_eq!(exported(Reason::RateLimited), 5);
        assert_eq!(exported(Reason::Accepted), 5);
        // Only `add` is stored.
        let stored: u64 = outcomes.drain(0).iter().map(|d| d.quantity).sum();
        assert_eq!(stored, 5);
        // A scratch batch's counts go nowhere else.
        let scratch = Outcomes::default();
        scratch.add(p, DataCategory::Error, Reason::Accepted, 1);
        assert_eq!(exported(Reason::Accepted), 5);
    }

    #[test]
    fn sums_saturate_and_reasons_are_closed() {
        let outcomes = Outcomes::default();
        let p = ProjectId(1);
        outcomes.add(p, DataCategory::Error, Reason::Accepted, u64::MAX - 1);
        outcomes.add(p, DataCategory::Error, Reason::Accepted, 5);
        for made_up in ["a", "b", "queue_overflowx", ""] {
            outcomes.add(
                p,
                DataCategory::Error,
                Reason::ClientDiscard(ClientDiscard::parse(made_up)),
                1,
            );
        }
        outcomes.add(
            p,
            DataCategory::Error,
            Reason::ClientDiscard(ClientDiscard::parse("queue_overflow")),
            1,
        );
        let mut drained = outcomes.drain(0);
        drained.sort_by(|a, b| a.reason.cmp(&b.reason));
        let rows: Vec<(&str, u64)> = drained
            .iter()
            .map(|d| (d.reason.as_str(), d.quantity))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("accepted", i64::MAX as u64),
                ("client_discard:other", 4),
                ("client_discard:queue_overflow", 1)
            ]
        );
        assert!(outcomes.is_empty());
    }
}
