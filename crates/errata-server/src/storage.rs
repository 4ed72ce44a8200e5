//! Storage use and its forecast: what each project stores, the installation's footprint
//! against its disk budget, how fast it grows, and how many days the budget lasts at that
//! rate. The Web API (`/api/0/organizations/{org}/storage/`) and the storage page render
//! the same [`StorageReport`].
//!
//! The rate is the events accepted over the last 24 hours (the outcome counters; over a
//! younger installation, since its oldest stored event, at least an hour), times the bytes
//! an event adds: its project's average stored bytes per event plus its row and index
//! entries. A project's share of the live bytes is by what it stores.

use errata_store::{Footprint, Project, ProjectId, Store};

use crate::config::RetentionConfig;
use crate::retention::{DeleteReason, StatusSnapshot};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// One project's storage.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectStorage {
    pub id: ProjectId,
    pub slug: String,
    pub name: String,
    /// Events stored.
    pub events: u64,
    /// Compressed payload and attachment bytes stored.
    pub stored_bytes: u64,
    /// Its share of the installation's live bytes (by stored bytes).
    pub live_bytes: u64,
    /// When its oldest stored event arrived.
    pub oldest_received_ms: Option<i64>,
    /// Events accepted per day at the current rate.
    pub events_per_day: f64,
    /// Bytes it adds per day at the current rate.
    pub bytes_per_day: f64,
}

/// The installation's storage and forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageReport {
    pub footprint: Footprint,
    /// `retention.max_bytes`.
    pub budget_bytes: Option<u64>,
    /// `retention.days` (`None`: kept forever).
    pub retention_days: Option<u32>,
    /// `retention.project_max_events`.
    pub project_max_events: Option<u64>,
    pub events: u64,
    pub stored_bytes: u64,
    /// Bytes added per day at the current rate.
    pub bytes_per_day: f64,
    /// Days until the live bytes reach the budget at the current rate (`Some(0.0)` when
    /// already there; `None` without a budget or without growth).
    pub days_until_full: Option<f64>,
    /// Days of events the budget holds at the current rate (`None` without a budget or
    /// without growth): with the age limit, how far back events reach is the smaller of the
    /// two.
    pub days_held: Option<f64>,
    pub projects: Vec<ProjectStorage>,
    /// What retention deleted since the server started, per reason.
    pub deleted: Vec<(DeleteReason, errata_store::Deleted)>,
    /// When retention last ran.
    pub last_pass_ms: Option<i64>,
}

/// Builds the report of `projects` (blocking: several store calls).
pub fn report(
    store: &dyn Store,
    projects: &[Project],
    config: &RetentionConfig,
    status: &StatusSnapshot,
    now_ms: i64,
) -> errata_store::Result<StorageReport> {
    let footprint = store.footprint()?;
    let usage = store.project_usage()?;
    let total_stored: u64 = usage.iter().map(|u| u.stored_bytes).sum();
    let total_events: u64 = usage.iter().map(|u| u.events).sum();
    let oldest = usage.iter().filter_map(|u| u.oldest_received_ms).min();
    let window_ms = oldest.map_or(DAY_MS, |o| (now_ms - o).clamp(HOUR_MS, DAY_MS));
    let per_day = DAY_MS as f64 / window_ms as f64;
    let since = errata_store::bucket_start(now_ms - window_ms);
    let mut rows = Vec::with_capacity(projects.len());
    for project in projects {
        let mine = usage.iter().find(|u| u.project_id == project.id);
        let (events, stored_bytes) = mine.map_or((0, 0), |u| (u.events, u.stored_bytes));
        let live_bytes = share(footprint.live_bytes, stored_bytes, total_stored);
        let accepted: u64 = store
            .outcomes(project.id, since)?
            .iter()
            .filter(|o| o.reason == "accepted" && is_event_category(&o.category))
            .map(|o| o.quantity)
            .sum();
        let events_per_day = accepted as f64 * per_day;
        // What an event adds: its stored bytes (the project's average, or the
        // installation's) and its row and index entries; not the live bytes per event,
        // which include the tables that do not grow with events.
        let overhead = crate::retention::EVENT_OVERHEAD_BYTES as f64;
        let per_event = if events > 0 {
            stored_bytes as f64 / events as f64 + overhead
        } else if total_events > 0 {
            total_stored as f64 / total_events as f64 + overhead
        } else {
            0.0
        };
        rows.push(ProjectStorage {
            id: project.id,
            slug: project.slug.clone(),
            name: project.name.clone(),
            events,
            stored_bytes,
            live_bytes,
            oldest_received_ms: mine.and_then(|u| u.oldest_received_ms),
            events_per_day,
            bytes_per_day: events_per_day * per_event,
        });
    }
    let bytes_per_day: f64 = rows.iter().map(|r| r.bytes_per_day).sum();
    let budget_bytes = config.max_bytes.map(|b| b.0);
    let (days_until_full, days_held) = forecast(footprint.live_bytes, budget_bytes, bytes_per_day);
    Ok(StorageReport {
        footprint,
        budget_bytes,
        retention_days: (config.days > 0).then_some(config.days),
        project_max_events: config.project_max_events,
        events: total_events,
        stored_bytes: total_stored,
        bytes_per_day,
        days_until_full,
        days_held,
        projects: rows,
        deleted: status.totals.clone(),
        last_pass_ms: status.last.as_ref().map(|p| p.at_ms),
    })
}

/// Days until full and days held, for `live` bytes growing by `per_day` under `budget`.
pub fn forecast(live: u64, budget: Option<u64>, per_day: f64) -> (Option<f64>, Option<f64>) {
    let Some(budget) = budget else {
        return (None, None);
    };
    if per_day <= 0.0 || !per_day.is_finite() {
        return (None, None);
    }
    let until_full = budget.saturating_sub(live) as f64 / per_day;
    (Some(until_full), Some(budget as f64 / per_day))
}

/// `part / whole` of `total`, in integers.
fn share(total: u64, part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return 0;
    }
    u64::try_from(u128::from(total) * u128::from(part) / u128::from(whole)).unwrap_or(u64::MAX)
}

/// Whether outcomes of this category are events (not attachments, sessions, feedback...).
fn is_event_category(category: &str) -> bool {
    matches!(category, "error" | "default" | "security" | "transaction")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecasts_days_until_full_and_held() {
        assert_eq!(forecast(10, None, 5.0), (None, None));
        assert_eq!(forecast(10, Some(100), 0.0), (None, None));
        assert_eq!(forecast(40, Some(100), 20.0), (Some(3.0), Some(5.0)));
        assert_eq!(forecast(140, Some(100), 20.0), (Some(0.0), Some(5.0)));
    }

    #[test]
    fn shares_are_proportional_and_safe() {
        assert_eq!(share(1_000, 1, 4), 250);
        assert_eq!(share(1_000, 0, 0), 0);
        assert_eq!(share(u64::MAX, u64::MAX, u64::MAX), u64::MAX);
    }
}
