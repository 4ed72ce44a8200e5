//! Per-project event quotas (events per UTC day or month, as hosted plans and their free
//! tiers count them), enforced at ingest. The count of the current window is loaded once
//! from the outcome counters (events accepted since the window began, so a restart keeps
//! it), then counted in memory as events are admitted.

use std::sync::Mutex;

use errata_protocol::envelope::DataCategory;
use errata_store::{EventQuota, ProjectId, Store};

use crate::outcome::Reason;
use rustc_hash::FxHashMap;

/// The quota of a project is used up until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    /// Seconds until the next window begins (at least 1).
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    used: u64,
}

/// The quota counters of every project with a quota.
#[derive(Debug, Default)]
pub struct Quotas {
    windows: Mutex<FxHashMap<i64, Window>>,
}

/// The data categories a quota counts (events), as the outcome counters name them.
const EVENT_CATEGORIES: [&str; 3] = [
    DataCategory::Error.as_str(),
    DataCategory::Default.as_str(),
    DataCategory::Security.as_str(),
];

impl Quotas {
    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<i64, Window>> {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admits `n` events of `project` under `quota` at `now_ms`, reading the window's count
    /// from `store` the first time (blocking: call off the async runtime).
    pub fn admit(
        &self,
        store: &dyn Store,
        project: ProjectId,
        quota: EventQuota,
        n: u64,
        now_ms: i64,
    ) -> Result<(), QuotaExceeded> {
        let (start_ms, end_ms) = quota.window.bounds(now_ms);
        let known = self
            .lock()
            .get(&project.0)
            .is_some_and(|w| w.start_ms == start_ms);
        // Read outside the lock; a window another request set up meanwhile is kept.
        let used = if known {
            0
        } else {
            accepted_since(store, project, start_ms)
        };
        let fresh = Window { start_ms, used };
        let mut windows = self.lock();
        let window = windows.entry(project.0).or_insert(fresh);
        if window.start_ms != start_ms {
            *window = fresh;
        }
        if window.used.saturating_add(n) > quota.limit {
            let secs = ((end_ms - now_ms).max(0) + 999) / 1000;
            return Err(QuotaExceeded {
                retry_after_secs: u64::try_from(secs).unwrap_or(1).max(1),
            });
        }
        window.used += n;
        Ok(())
    }
}

/// Events of `project` accepted since `start_ms`, from the outcome counters (0, logged,
/// when they cannot be read: counting from zero is better than refusing everything).
fn accepted_since(store: &dyn Store, project: ProjectId, start_ms: i64) -> u64 {
    match store.outcomes(project, start_ms) {
        Ok(counts) => counts
            .iter()
            .filter(|c| {
                c.reason == Reason::Accepted.as_str()
                    && EVENT_CATEGORIES.contains(&c.category.as_str())
            })
            .fold(0u64, |sum, c| sum.saturating_add(c.quantity)),
        Err(error) => {
            tracing::warn!(%error, project = project.0, "quota count not read; counting from now");
            0
        }
    }
}
