//! One writer commit: the events of every gathered job in ONE transaction, with the
//! outcome counters that are pending (and the batch's own accepted and duplicate counts)
//! written in that same transaction where the store can (`SQLite`: one WAL write and one
//! fsync per batch instead of two), then the jobs' user reports; then one answer per job.
//!
//! When the batch fails, each job is committed alone, so one bad job cannot fail the
//! others; the counters then go through the [`OutcomeFlusher`], as they do for a store
//! that hands them back. A counter write that fails is retried once at the next flush when
//! the database was only unavailable, and otherwise logged and dropped, never retried
//! forever.

use std::ops::Range;
use std::sync::Arc;

use errata_protocol::envelope::DataCategory;
use errata_store::{
    IngestKind, IngestResult, NewEvent, NewUserReport, OutcomeDelta, Store, StoreError,
};
use tokio::sync::oneshot;

use super::{JobResult, Work};
use crate::metrics::WriterMetrics;
use crate::outcome::{Outcomes, Reason};

pub(super) type Answers = Vec<(oneshot::Sender<JobResult>, JobResult)>;

/// Commits the jobs' events in one transaction (when that fails, each job alone), then the
/// user reports of the committed jobs in one more, and counts what was stored. The answers
/// are sent after the outcome counters are written, so counts are visible once the 200 is.
pub(super) fn commit(
    store: &dyn Store,
    outcomes: &Outcomes,
    flusher: &mut OutcomeFlusher,
    jobs: Vec<Work>,
    metrics: &WriterMetrics,
) -> Answers {
    // One batch, moved (not copied) out of the jobs; each job is a range of it.
    let mut all: Vec<NewEvent> = Vec::with_capacity(jobs.iter().map(|w| w.events.len()).sum());
    let mut pending = Vec::with_capacity(jobs.len());
    for work in jobs {
        let start = all.len();
        all.extend(work.events);
        pending.push((work.reply, start..all.len(), work.user_reports));
    }
    let ranges: Vec<Range<usize>> = pending.iter().map(|(_, r, _)| r.clone()).collect();
    let (results, counted_apart) = commit_events(store, outcomes, flusher, &all, &ranges, metrics);

    // The reports of the committed jobs, moved into one batch.
    let mut reports = Vec::new();
    let mut has_reports = Vec::with_capacity(pending.len());
    for ((_, _, mine), result) in pending.iter_mut().zip(&results) {
        has_reports.push(!mine.is_empty());
        if result.is_ok() {
            reports.append(mine);
        }
    }
    let reports_failed = commit_reports(store, outcomes, &reports);
    // Counts of this batch not written with it (events committed one by one, reports)
    // are written before the answers. Other pending counts wait for the next batch's
    // transaction, or the idle flush.
    if counted_apart || !reports.is_empty() {
        flusher.flush(store, outcomes);
    }
    pending
        .into_iter()
        .zip(results)
        .zip(has_reports)
        .map(|(((reply, _, _), result), has_reports)| {
            let result = match (&reports_failed, result) {
                (Some(error), Ok(_)) if has_reports => Err(error.clone()),
                (_, result) => result,
            };
            (reply, result)
        })
        .collect()
}

/// The events of every job (`ranges` of `all`) and the pending counters in one
/// transaction, or job by job when the batch fails; one result per job, and whether the
/// batch's counts were left in `outcomes` (job by job) rather than written. The
/// transaction's time goes to `metrics`, and the batch's counts, which the transaction
/// writes itself, to the outcome metrics once it committed.
fn commit_events(
    store: &dyn Store,
    outcomes: &Outcomes,
    flusher: &mut OutcomeFlusher,
    all: &[NewEvent],
    ranges: &[Range<usize>],
    metrics: &WriterMetrics,
) -> (Vec<JobResult>, bool) {
    if all.is_empty() {
        return (ranges.iter().map(|_| Ok(Vec::new())).collect(), false);
    }
    let now = crate::now_ms();
    let waiting = flusher.take(outcomes, now);
    let counters = |results: &[IngestResult]| {
        let batch = Outcomes::default();
        count(&batch, all, results);
        let mut deltas = waiting.clone();
        deltas.extend(batch.drain(now));
        deltas
    };
    let started = std::time::Instant::now();
    let committed = store.ingest_counted(all, &counters);
    metrics
        .commit_seconds
        .observe(started.elapsed().as_secs_f64());
    match committed {
        Ok((results, unwritten)) => {
            tracing::debug!(events = all.len(), jobs = ranges.len(), "batch committed");
            for (event, result) in all.iter().zip(&results) {
                let (category, reason) = classify(event, result);
                outcomes.observe(category, reason, 1);
            }
            flusher.write(store, unwritten);
            let results = ranges
                .iter()
                .map(|range| Ok(results[range.clone()].to_vec()))
                .collect();
            (results, false)
        }
        Err(batch_error) => {
            flusher.failed(waiting, &batch_error);
            if ranges.len() > 1 {
                tracing::warn!(error = %batch_error, jobs = ranges.len(), "batch failed; committing jobs one by one");
                return (one_by_one(store, outcomes, all, ranges), true);
            }
            tracing::error!(error = %batch_error, "commit failed");
            let error = Arc::new(batch_error);
            (ranges.iter().map(|_| Err(error.clone())).collect(), false)
        }
    }
}

/// Each job's events in a transaction of their own, counted in `outcomes`.
fn one_by_one(
    store: &dyn Store,
    outcomes: &Outcomes,
    all: &[NewEvent],
    ranges: &[Range<usize>],
) -> Vec<JobResult> {
    ranges
        .iter()
        .map(|range| {
            let events = &all[range.clone()];
            if events.is_empty() {
                return Ok(Vec::new());
            }
            let result = store.ingest(events).map_err(Arc::new);
            if let Ok(mine) = &result {
                count(outcomes, events, mine);
            }
            result
        })
        .collect()
}

/// The user reports in one transaction, counted as accepted; the error when that fails.
fn commit_reports(
    store: &dyn Store,
    outcomes: &Outcomes,
    reports: &[NewUserReport],
) -> Option<Arc<StoreError>> {
    if reports.is_empty() {
        return None;
    }
    match store.add_user_reports(reports) {
        Ok(_) => {
            for report in reports {
                outcomes.add(
                    report.project_id,
                    DataCategory::Feedback,
                    Reason::Accepted,
                    1,
                );
            }
            None
        }
        Err(error) => {
            tracing::error!(%error, reports = reports.len(), "user reports not written");
            Some(Arc::new(error))
        }
    }
}

/// Counts committed events as `accepted` and skipped ones as `duplicate`.
fn count(outcomes: &Outcomes, events: &[NewEvent], results: &[IngestResult]) {
    for (event, result) in events.iter().zip(results) {
        let (category, reason) = classify(event, result);
        outcomes.add(event.project_id, category, reason, 1);
    }
}

/// A committed event's category, and `accepted` or `duplicate`.
fn classify(event: &NewEvent, result: &IngestResult) -> (DataCategory, Reason) {
    let reason = if result.kind == IngestKind::Duplicate {
        Reason::Duplicate
    } else {
        Reason::Accepted
    };
    (DataCategory::from_event_type(&event.event_type), reason)
}

/// Writes outcome counters; keeps a failed write for one more try when the database
/// was only unavailable, and drops it (logged) otherwise.
#[derive(Debug, Default)]
pub(super) struct OutcomeFlusher {
    retry: Vec<OutcomeDelta>,
    /// True when `retry` holds deltas whose write already failed once.
    retrying: bool,
}

/// The most deltas kept for a retry.
const MAX_RETRY_DELTAS: usize = 10_000;

impl OutcomeFlusher {
    /// Writes every pending count (and the one kept for a retry).
    pub(super) fn flush(&mut self, store: &dyn Store, outcomes: &Outcomes) {
        let deltas = self.take(outcomes, crate::now_ms());
        self.write(store, deltas);
    }

    /// Takes the pending counts and the one kept for a retry, to be written now.
    fn take(&mut self, outcomes: &Outcomes, now_ms: i64) -> Vec<OutcomeDelta> {
        let mut deltas = outcomes.drain(now_ms);
        deltas.append(&mut self.retry);
        deltas
    }

    /// Writes `deltas` (taken with [`OutcomeFlusher::take`]).
    fn write(&mut self, store: &dyn Store, deltas: Vec<OutcomeDelta>) {
        if deltas.is_empty() {
            self.retrying = false;
            return;
        }
        if let Err(error) = store.add_outcomes(&deltas) {
            self.failed(deltas, &error);
        } else {
            self.retrying = false;
        }
    }

    /// `deltas` (taken with [`OutcomeFlusher::take`]) were not written because of `error`.
    fn failed(&mut self, deltas: Vec<OutcomeDelta>, error: &StoreError) {
        if deltas.is_empty() {
            return;
        }
        if error.is_unavailable() && !self.retrying && deltas.len() <= MAX_RETRY_DELTAS {
            tracing::warn!(%error, deltas = deltas.len(), "outcome counters not written; retrying once");
            self.retry = deltas;
            self.retrying = true;
        } else {
            tracing::error!(%error, deltas = deltas.len(), "outcome counters not written; dropped");
            self.retrying = false;
        }
    }
}
