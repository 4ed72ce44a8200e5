//! Outcome counters: every item the server does not store, and every event it does, is
//! counted per project, data category and named reason (`accepted`, `rate_limited`,
//! `too_large`, `invalid`, `overloaded`, `not_stored`, `client_discard:<reason>`...).
//! Counts are aggregated in memory and written by the writer with each batch, so
//! counting costs the hot path one short lock.

use errata_store::{OutcomeDelta, ProjectId};
use rustc_hash::FxHashMap;
use std::sync::Mutex;

/// In-memory outcome counts waiting to be written.
#[derive(Debug, Default)]
pub struct Outcomes {
    pending: Mutex<FxHashMap<(i64, String, String), u64>>,
}

impl Outcomes {
    /// Counts `quantity` items of `category` for `project` with `reason`.
    pub fn add(&self, project: ProjectId, category: &str, reason: &str, quantity: u64) {
        if quantity == 0 {
            return;
        }
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *pending
            .entry((project.0, category.to_owned(), reason.to_owned()))
            .or_default() += quantity;
    }

    /// Takes every pending count, stamped `now_ms`.
    pub fn drain(&self, now_ms: i64) -> Vec<OutcomeDelta> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending
            .drain()
            .map(|((project, category, reason), quantity)| OutcomeDelta {
                project_id: ProjectId(project),
                timestamp_ms: now_ms,
                category,
                reason,
                quantity,
            })
            .collect()
    }

    /// Puts counts back after a failed write, so none are lost.
    pub fn restore(&self, deltas: Vec<OutcomeDelta>) {
        for d in deltas {
            self.add(d.project_id, &d.category, &d.reason, d.quantity);
        }
    }
}
