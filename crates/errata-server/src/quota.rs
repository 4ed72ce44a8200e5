//! Per-project event quotas (events per UTC day or month, as hosted plans and their free
//! tiers count them), enforced at ingest. The count of the current window comes from the
//! outcome counters in the store (events accepted since the window began, so a restart
//! keeps it) and is counted in memory as events are admitted.
//!
//! Several nodes on one database: the outcome counters are shared, so every [`SYNC`] a
//! node reads the window's count again and keeps the larger of it and its own tally. What
//! the installation accepts beyond a quota is bounded by what the other nodes admit in
//! one [`SYNC`] (plus their batches not yet committed); on one node the count is exact.

use std::sync::Mutex;
use std::time::Duration;

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

/// How often a node reads a window's count again from the shared outcome counters.
pub const SYNC: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    used: u64,
    /// When the count was last read from the store (`i64::MIN`: never).
    synced_ms: i64,
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
    /// from `store` the first time and every [`SYNC`] (blocking: call off the async
    /// runtime).
    pub fn admit(
        &self,
        store: &dyn Store,
        project: ProjectId,
        quota: EventQuota,
        n: u64,
        now_ms: i64,
    ) -> Result<(), QuotaExceeded> {
        let (start_ms, end_ms) = quota.window.bounds(now_ms);
        #[allow(clippy::cast_possible_truncation, reason = "2 s in ms fits i64")]
        let sync_ms = SYNC.as_millis() as i64;
        // Until a window's count was read once, every request reads it (none may admit on
        // a guess). Later, the request that finds it stale claims the next read under the
        // lock, so concurrent requests do not all read. Reads run outside the lock.
        let read = {
            let mut windows = self.lock();
            let window = current(&mut windows, project, start_ms);
            match window.synced_ms {
                i64::MIN => true,
                at if now_ms - at >= sync_ms => {
                    window.synced_ms = now_ms;
                    true
                }
                _ => false,
            }
        };
        let stored = read.then(|| accepted_since(store, project, start_ms));
        let mut windows = self.lock();
        let window = current(&mut windows, project, start_ms);
        if let Some(stored) = stored {
            window.synced_ms = window.synced_ms.max(now_ms);
            window.used = window.used.max(stored);
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

/// The project's window starting at `start_ms` (a new, unread one when the project had
/// none or an older one).
fn current(windows: &mut FxHashMap<i64, Window>, project: ProjectId, start_ms: i64) -> &mut Window {
    let window = windows.entry(project.0).or_insert(Window {
        start_ms,
        used: 0,
        synced_ms: i64::MIN,
    });
    if window.start_ms != start_ms {
        *window = Window {
            start_ms,
            used: 0,
            synced_ms: i64::MIN,
        };
    }
    window
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
