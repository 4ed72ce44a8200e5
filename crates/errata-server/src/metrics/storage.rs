//! The database's size and its disk. [`Store::storage_usage`](errata_store::Store) is
//! not cheap (`SQLite` reads every page of the events table), so a scrape refreshes it
//! only when the last figure is older than [`REFRESH_EVERY`] (or ten times as long as the
//! last refresh took, on a big database), one refresh at a time, and waits for it at most
//! [`WAIT_AT_SCRAPE`]: a slower one finishes in the background and the scrape shows the
//! previous figure. The free space of a local database's filesystem is a `statvfs`, read
//! at every scrape.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::gauge_value;
use crate::state::AppState;

/// How old the storage figures may get before a scrape refreshes them.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

/// How long a scrape waits for a refresh it started.
pub const WAIT_AT_SCRAPE: Duration = Duration::from_secs(2);

/// The storage metrics.
#[derive(Debug, Clone)]
pub struct StorageMetrics {
    /// `errata_storage_bytes`: the database's size, WAL excluded.
    pub database_bytes: Gauge,
    /// `errata_storage_events_bytes`: the events table's rows and payloads.
    pub events_bytes: Gauge,
    /// `errata_storage_events_index_bytes`: the events table's indexes.
    pub events_index_bytes: Gauge,
    /// `errata_disk_free_bytes`: free space of the local database's filesystem.
    pub disk_free_bytes: Gauge,
    /// `errata_disk_size_bytes`: that filesystem's size.
    pub disk_size_bytes: Gauge,
    refresh: Arc<Refresh>,
}

/// When the storage figures are next due, and whether a refresh runs.
#[derive(Debug)]
struct Refresh {
    due: Mutex<Option<Instant>>,
    running: AtomicBool,
}

impl StorageMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            database_bytes: Gauge::default(),
            events_bytes: Gauge::default(),
            events_index_bytes: Gauge::default(),
            disk_free_bytes: Gauge::default(),
            disk_size_bytes: Gauge::default(),
            refresh: Arc::new(Refresh {
                due: Mutex::new(None),
                running: AtomicBool::new(false),
            }),
        };
        for (name, help, gauge) in [
            (
                "storage",
                "The database's size on disk, WAL excluded (refreshed at most every 10 s)",
                &metrics.database_bytes,
            ),
            (
                "storage_events",
                "The events table's rows and payloads, indexes excluded",
                &metrics.events_bytes,
            ),
            (
                "storage_events_index",
                "The events table's indexes",
                &metrics.events_index_bytes,
            ),
            (
                "disk_free",
                "Bytes free on the local database's filesystem (absent for PostgreSQL)",
                &metrics.disk_free_bytes,
            ),
            (
                "disk_size",
                "The size of the local database's filesystem",
                &metrics.disk_size_bytes,
            ),
        ] {
            registry.register_with_unit(name, help, Unit::Bytes, gauge.clone());
        }
        metrics
    }

    /// Refreshes the storage figures when due (see the module docs), and reads the disk.
    pub(super) async fn sample(&self, state: &AppState) {
        if self.claim_refresh(Instant::now()) {
            let task = tokio::spawn({
                let (metrics, state) = (self.clone(), state.clone());
                async move { metrics.refresh_usage(&state).await }
            });
            let _ = tokio::time::timeout(WAIT_AT_SCRAPE, task).await;
        }
        let Some(dir) = state.config.local_database_dir() else {
            return;
        };
        match tokio::task::spawn_blocking(move || crate::disk::space(&dir)).await {
            Ok(Ok(space)) => {
                self.disk_free_bytes.set(gauge_value(space.free_bytes));
                self.disk_size_bytes.set(gauge_value(space.total_bytes));
            }
            Ok(Err(error)) => tracing::warn!(%error, "reading the free disk space failed"),
            Err(error) => tracing::warn!(%error, "reading the free disk space failed"),
        }
    }

    /// True when the caller should refresh now (due, and no refresh running).
    fn claim_refresh(&self, now: Instant) -> bool {
        let due = self
            .refresh
            .due
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_none_or(|due| now >= due);
        due && !self.refresh.running.swap(true, Ordering::AcqRel)
    }

    async fn refresh_usage(&self, state: &AppState) {
        let started = Instant::now();
        match state.store_call(|s| s.store.storage_usage()).await {
            Ok(usage) => {
                self.database_bytes.set(gauge_value(usage.total_bytes));
                self.events_bytes.set(gauge_value(usage.events_bytes));
                self.events_index_bytes
                    .set(gauge_value(usage.events_index_bytes));
            }
            Err(error) => tracing::warn!(%error, "measuring the database's size failed"),
        }
        let took = started.elapsed();
        *self
            .refresh
            .due
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Instant::now() + REFRESH_EVERY.max(took * 10));
        self.refresh.running.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_refresh_at_a_time_and_not_before_it_is_due() {
        let metrics = StorageMetrics::register(&mut Registry::default());
        let now = Instant::now();
        assert!(metrics.claim_refresh(now), "the first scrape refreshes");
        assert!(!metrics.claim_refresh(now), "one refresh at a time");
        *metrics.refresh.due.lock().unwrap() = Some(now + REFRESH_EVERY);
        metrics.refresh.running.store(false, Ordering::Release);
        assert!(!metrics.claim_refresh(now), "not due yet");
        assert!(metrics.claim_refresh(now + REFRESH_EVERY));
    }
}
