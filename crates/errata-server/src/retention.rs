//! The retention task: every `retention.period_secs` it enforces the three limits of
//! [`RetentionConfig`] on the store, in short deletions with a pause between them so the
//! ingest writer never waits long, and gives freed space back to the filesystem.
//!
//! 1. **Age**: events received more than `retention.days` ago go, oldest first.
//! 2. **Per project**: a project over `retention.project_max_events` is thinned down to it.
//! 3. **Disk budget**: when the store's live bytes pass [`HIGH_WATER`] of
//!    `retention.max_bytes`, the whole installation is thinned down to [`LOW_WATER`] of it.
//!
//! Thinning keeps what matters most (the first and latest event of every issue, one event
//! per issue and hour, the newest events whole): see `errata_store::retention`. A pass
//! deletes at most [`MAX_EVENTS_PER_PASS`] events, so one pass never runs for long; the
//! next one continues. Each node of a shared database runs the task; deletions skip rows
//! another node deleted first. What the passes did is kept in [`RetentionStatus`] for the
//! storage page, the Web API and the logs.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use errata_store::{Deleted, Footprint, RetentionScope, Store, Thinner, Tier, Want};

use crate::config::RetentionConfig;
use crate::state::AppState;

/// The share of the disk budget past which thinning starts. Under load the WAL grows by
/// a few percent of a budget between passes (and is measured at its length, which it
/// keeps), so the files reach about the budget when the live bytes are at this share.
pub const HIGH_WATER: f64 = 0.92;
/// The share of the disk budget thinning brings the live bytes down to.
pub const LOW_WATER: f64 = 0.88;
/// Events one pass deletes at most (per limit).
pub const MAX_EVENTS_PER_PASS: u64 = 50_000;
/// Bytes of free pages given back to the filesystem per call.
const RECLAIM_STEP: u64 = 8 << 20;
/// Free bytes kept for new events to reuse (or 5% of the budget, or of the disk, if more).
const RECLAIM_SLACK: u64 = 16 << 20;

/// Why events were deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeleteReason {
    /// Older than `retention.days`.
    Age,
    /// Over the project's `retention.project_max_events`.
    ProjectLimit,
    /// Over the disk budget.
    DiskBudget,
}

impl DeleteReason {
    /// The name used in logs, the API and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Age => "age",
            Self::ProjectLimit => "project_limit",
            Self::DiskBudget => "disk_budget",
        }
    }

    /// Every reason.
    pub const ALL: [DeleteReason; 3] = [Self::Age, Self::ProjectLimit, Self::DiskBudget];
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// When it ran.
    pub at_ms: i64,
    /// Deleted, per reason.
    pub deleted: Vec<(DeleteReason, Deleted)>,
    /// The deepest thinning tier the disk budget needed.
    pub budget_tier: Option<Tier>,
    /// Bytes of free space given back to the filesystem.
    pub reclaimed_bytes: u64,
    /// The footprint after the pass.
    pub footprint: Footprint,
}

impl PassReport {
    /// Events deleted in all.
    pub fn events(&self) -> u64 {
        self.deleted.iter().map(|(_, d)| d.events).sum()
    }
}

/// What the passes did since the server started: the latest pass and totals per reason.
#[derive(Debug, Default)]
pub struct RetentionStatus {
    inner: Mutex<StatusInner>,
}

#[derive(Debug, Default, Clone)]
struct StatusInner {
    last: Option<PassReport>,
    totals: HashMap<DeleteReason, Deleted>,
    reclaimed_bytes: u64,
}

/// A copy of [`RetentionStatus`].
#[derive(Debug, Clone, Default)]
pub struct StatusSnapshot {
    /// The latest pass, if one ran.
    pub last: Option<PassReport>,
    /// Deleted since start, per reason (every reason present).
    pub totals: Vec<(DeleteReason, Deleted)>,
    /// Bytes given back since start.
    pub reclaimed_bytes: u64,
}

impl RetentionStatus {
    fn record(&self, report: PassReport) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        for (reason, deleted) in &report.deleted {
            inner.totals.entry(*reason).or_default().add(*deleted);
        }
        inner.reclaimed_bytes += report.reclaimed_bytes;
        inner.last = Some(report);
    }

    /// What the passes did so far.
    pub fn snapshot(&self) -> StatusSnapshot {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        StatusSnapshot {
            totals: DeleteReason::ALL
                .iter()
                .map(|r| (*r, inner.totals.get(r).copied().unwrap_or_default()))
                .collect(),
            last: inner.last,
            reclaimed_bytes: inner.reclaimed_bytes,
        }
    }
}

/// The walks of the thinning tiers, per scope, kept between passes.
#[derive(Debug, Default)]
pub struct Retention {
    thinners: HashMap<RetentionScope, Thinner>,
}

impl Retention {
    /// One pass over the three limits at `now_ms`; `pause` runs after every deletion.
    pub fn pass(
        &mut self,
        store: &dyn Store,
        config: &RetentionConfig,
        now_ms: i64,
        mut pause: impl FnMut(),
    ) -> errata_store::Result<PassReport> {
        let mut report = PassReport {
            at_ms: now_ms,
            ..PassReport::default()
        };
        if let Some(age) = config.max_age_ms() {
            let mut expired = Deleted::default();
            while expired.events < MAX_EVENTS_PER_PASS {
                let step =
                    store.expire_events(now_ms - age, errata_store::retention::DELETE_BATCH)?;
                if step.events == 0 {
                    break;
                }
                expired.add(step);
                pause();
            }
            report.deleted.push((DeleteReason::Age, expired));
        }
        if let Some(max) = config.project_max_events {
            let mut thinned = Deleted::default();
            for usage in store.project_usage()? {
                let excess = usage.events.saturating_sub(max).min(MAX_EVENTS_PER_PASS);
                if excess == 0 {
                    continue;
                }
                let scope = RetentionScope::Project(usage.project_id);
                let (deleted, tier) =
                    self.thinner(scope)
                        .free(store, scope, Want::Events(excess), &mut pause)?;
                tracing::info!(
                    project = usage.project_id.0,
                    events = deleted.events,
                    tier = tier.as_str(),
                    "retention: project over its event limit thinned"
                );
                thinned.add(deleted);
            }
            report.deleted.push((DeleteReason::ProjectLimit, thinned));
        }
        if let Some(budget) = config.max_bytes {
            // A few rounds of measure and thin: the bytes an event frees are estimated, so
            // each round measures again what is left to free.
            let mut thinned = Deleted::default();
            for _ in 0..4 {
                let footprint = store.footprint()?;
                let Some(events) = budget_excess(store, footprint, budget.0)? else {
                    break;
                };
                let want = events.min(MAX_EVENTS_PER_PASS.saturating_sub(thinned.events));
                if want == 0 {
                    break;
                }
                // Every issue keeps its latest event, whatever the budget: a budget too
                // small for that is warned about, not obeyed by deleting everything.
                let (deleted, tier) = self.thinner(RetentionScope::All).free_up_to(
                    store,
                    RetentionScope::All,
                    Want::Events(want),
                    Tier::Firsts,
                    &mut pause,
                )?;
                if deleted.events < want && tier == Tier::Firsts {
                    tracing::warn!(
                        live_bytes = footprint.live_bytes,
                        budget = budget.0,
                        "the disk budget is too small to keep the latest event of every issue: \
                         only those are left; raise retention.max_bytes"
                    );
                }
                tracing::info!(
                    live_bytes = footprint.live_bytes,
                    budget = budget.0,
                    events = deleted.events,
                    tier = tier.as_str(),
                    "retention: over the disk budget, thinned"
                );
                thinned.add(deleted);
                report.budget_tier = Some(tier);
                if deleted.events == 0 {
                    break;
                }
            }
            report.deleted.push((DeleteReason::DiskBudget, thinned));
        }
        report.reclaimed_bytes = give_back(store, config, &mut pause)?;
        report.footprint = store.footprint()?;
        Ok(report)
    }

    fn thinner(&mut self, scope: RetentionScope) -> &mut Thinner {
        self.thinners.entry(scope).or_default()
    }
}

/// Gives free space back to the filesystem, past a slack; returns the bytes.
fn give_back(
    store: &dyn Store,
    config: &RetentionConfig,
    mut pause: impl FnMut(),
) -> errata_store::Result<u64> {
    let mut reclaimed = 0;
    // Free space goes back to the filesystem only past a slack: new events reuse free
    // pages, and giving back what the next minutes of ingest take again only costs
    // (SQLite moves pages to shrink its file). Over the budget on disk (free pages, or a
    // WAL that grew), it goes back whatever the slack.
    let footprint = store.footprint()?;
    let free = footprint.disk_bytes.saturating_sub(footprint.live_bytes);
    let budget = config.max_bytes.map(|b| b.0);
    let slack = (budget.unwrap_or(footprint.disk_bytes) / 20).max(RECLAIM_SLACK);
    let over = budget.is_some_and(|b| footprint.disk_bytes > b);
    if free > slack || over {
        let mut want = if free > slack {
            free - slack
        } else {
            RECLAIM_STEP
        };
        for _ in 0..4 {
            let given = store.reclaim_space(want.clamp(1, RECLAIM_STEP))?;
            reclaimed += given;
            want = want.saturating_sub(given);
            if given == 0 || want == 0 {
                break;
            }
            pause();
        }
    }
    Ok(reclaimed)
}

/// What deleting one event frees beyond its stored bytes (its row, index entries and page
/// slack), for the disk budget's estimate: `SQLite` measured 250 to 400 bytes here.
pub const EVENT_OVERHEAD_BYTES: u64 = 400;

/// How many events must go for the live bytes to fall from past [`HIGH_WATER`] of
/// `budget` to [`LOW_WATER`] of it; `None` when under [`HIGH_WATER`] (or nothing is
/// stored). An event is counted at its average stored bytes plus
/// [`EVENT_OVERHEAD_BYTES`] (what deleting it frees), not at the live bytes per event,
/// which include the tables that do not shrink with events.
fn budget_excess(
    store: &dyn Store,
    footprint: Footprint,
    budget: u64,
) -> errata_store::Result<Option<u64>> {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let at = |share: f64| (budget as f64 * share) as u64;
    if footprint.live_bytes <= at(HIGH_WATER) {
        return Ok(None);
    }
    let usage = store.project_usage()?;
    let events: u64 = usage.iter().map(|u| u.events).sum();
    let stored: u64 = usage.iter().map(|u| u.stored_bytes).sum();
    if events == 0 {
        return Ok(None);
    }
    let per_event = (stored / events + EVENT_OVERHEAD_BYTES)
        .min(footprint.live_bytes / events)
        .max(1);
    let excess = footprint.live_bytes - at(LOW_WATER);
    Ok(Some(excess.div_ceil(per_event)))
}

/// Runs until the task is aborted: a pass every `retention.period_secs`, on a blocking
/// thread (a pass is a sequence of short store calls with pauses between them).
pub(crate) async fn run(state: AppState) {
    let config = state.config.retention;
    let mut tick = tokio::time::interval(config.period());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut retention = Some(Retention::default());
    loop {
        tick.tick().await;
        let mut walk = retention.take().unwrap_or_default();
        let result = state
            .store_call(move |s| {
                let pause = config.pause();
                let report = walk
                    .pass(s.store.as_ref(), &config, crate::now_ms(), || {
                        std::thread::sleep(pause);
                    })
                    .and_then(|report| Ok((report, s.store.project_usage()?)));
                Ok((walk, report))
            })
            .await;
        match result {
            Ok((walk, Ok((report, usage)))) => {
                state
                    .metrics
                    .retention
                    .record(&report, &usage, config.max_bytes.map(|b| b.0));
                retention = Some(walk);
                if report.events() > 0 || report.reclaimed_bytes > 0 {
                    tracing::info!(
                        deleted = report.events(),
                        reclaimed_bytes = report.reclaimed_bytes,
                        live_bytes = report.footprint.live_bytes,
                        disk_bytes = report.footprint.disk_bytes,
                        "retention pass"
                    );
                }
                state.retention.record(report);
            }
            Ok((walk, Err(error))) => {
                retention = Some(walk);
                tracing::warn!(%error, "retention pass failed; retried at the next tick");
            }
            Err(error) => tracing::warn!(%error, "retention pass failed; retried at the next tick"),
        }
    }
}
