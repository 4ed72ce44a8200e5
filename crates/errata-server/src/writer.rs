//! The writer: one dedicated thread that owns all event and user-report writes.
//!
//! HTTP handlers hand processed events and user reports to the writer through a bounded
//! queue and wait for the commit before answering 200, so an acknowledged event is on
//! disk. The writer takes everything queued (up to `max_batch` events) and commits it in
//! ONE transaction (group commit: one fsync for many events), writes the batch's user
//! reports in one more, then answers every waiting handler. A full queue is refused at
//! once ([`Submit::Overloaded`]), so memory stays bounded under any load. Outcome
//! counters ride along with each batch; a counter write that fails is retried once at
//! the next flush when the database was only unavailable, and otherwise logged and
//! dropped, never retried forever. On shutdown the writer drains what is queued, commits
//! it, and stops. If the thread dies (a panic), [`WriterHandle::is_alive`] turns false
//! and [`WriterHandle::died`] resolves, so the server can stop and exit non-zero.

use crate::outcome::{Outcomes, Reason};
use errata_protocol::envelope::DataCategory;
use errata_store::{
    IngestKind, IngestResult, NewEvent, NewUserReport, OutcomeDelta, Store, StoreError,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// How often outcome counts are written when no events arrive.
const IDLE_FLUSH: Duration = Duration::from_secs(1);

/// The result of one job, as its handler sees it.
pub type JobResult = Result<Vec<IngestResult>, Arc<StoreError>>;

struct Work {
    events: Vec<NewEvent>,
    user_reports: Vec<NewUserReport>,
    reply: oneshot::Sender<JobResult>,
}

enum Job {
    Work(Work),
    Shutdown,
}

/// Why a submission was not queued.
#[derive(Debug)]
pub enum Submit {
    /// The queue is full: answer 503 with `Retry-After`.
    Overloaded,
    /// The writer has stopped (shutting down, or dead).
    Stopped,
}

/// The handlers' side of the writer.
#[derive(Debug, Clone)]
pub struct WriterHandle {
    tx: SyncSender<Job>,
    alive: Arc<AtomicBool>,
    died: watch::Receiver<bool>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Work(work) => write!(
                f,
                "Work({} events, {} user reports)",
                work.events.len(),
                work.user_reports.len()
            ),
            Job::Shutdown => f.write_str("Shutdown"),
        }
    }
}

impl WriterHandle {
    /// Queues `events` and `user_reports`; the receiver resolves after they are committed.
    pub fn submit(
        &self,
        events: Vec<NewEvent>,
        user_reports: Vec<NewUserReport>,
    ) -> Result<oneshot::Receiver<JobResult>, Submit> {
        let (reply, rx) = oneshot::channel();
        let job = Job::Work(Work {
            events,
            user_reports,
            reply,
        });
        match self.tx.try_send(job) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(Submit::Overloaded),
            Err(TrySendError::Disconnected(_)) => Err(Submit::Stopped),
        }
    }

    /// Asks the writer to commit what is queued and stop (blocks while the queue is full).
    pub fn shutdown(&self) {
        let _ = self.tx.send(Job::Shutdown);
    }

    /// False once the writer thread has ended (stopped or died).
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// Resolves when the writer thread ends without having been asked to stop.
    pub async fn died(&self) {
        let mut died = self.died.clone();
        let _ = died.wait_for(|dead| *dead).await;
    }
}

/// Marks the writer dead when its thread unwinds (a panic) or returns.
struct Liveness {
    alive: Arc<AtomicBool>,
    died: watch::Sender<bool>,
    stopped_cleanly: bool,
}

impl Drop for Liveness {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::Release);
        if !self.stopped_cleanly {
            tracing::error!(
                "THE WRITER THREAD DIED: no event can be stored; the server stops so that a \
                 supervisor restarts it (nothing acknowledged is lost: a 200 means committed)"
            );
            let _ = self.died.send(true);
        }
    }
}

/// Starts the writer thread.
pub fn spawn(
    store: Arc<dyn Store>,
    outcomes: Arc<Outcomes>,
    capacity: usize,
    max_batch: usize,
) -> std::io::Result<(WriterHandle, JoinHandle<()>)> {
    let (tx, rx) = sync_channel(capacity);
    let alive = Arc::new(AtomicBool::new(true));
    let (died_tx, died) = watch::channel(false);
    let liveness = Liveness {
        alive: alive.clone(),
        died: died_tx,
        stopped_cleanly: false,
    };
    let thread = std::thread::Builder::new()
        .name("errata-writer".into())
        .spawn(move || {
            let mut liveness = liveness;
            run(&*store, &outcomes, &rx, max_batch);
            liveness.stopped_cleanly = true;
        })?;
    Ok((WriterHandle { tx, alive, died }, thread))
}

/// Adds `job` to `jobs`; returns true for a shutdown request.
fn take(job: Job, jobs: &mut Vec<Work>, queued: &mut usize) -> bool {
    match job {
        Job::Work(work) => {
            *queued += work.events.len().max(1);
            jobs.push(work);
            false
        }
        Job::Shutdown => true,
    }
}

fn run(store: &dyn Store, outcomes: &Outcomes, rx: &Receiver<Job>, max_batch: usize) {
    let mut stopping = false;
    let mut flusher = OutcomeFlusher::default();
    loop {
        let mut jobs: Vec<Work> = Vec::new();
        let mut queued = 0;
        match rx.recv_timeout(IDLE_FLUSH) {
            Ok(job) => stopping |= take(job, &mut jobs, &mut queued),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => stopping = true,
        }
        // Everything already queued joins this commit (all of it when stopping).
        while stopping || queued < max_batch {
            match rx.try_recv() {
                Ok(job) => stopping |= take(job, &mut jobs, &mut queued),
                Err(_) => break,
            }
        }
        if jobs.is_empty() {
            flusher.flush(store, outcomes);
        } else {
            let answers = commit(store, outcomes, jobs);
            flusher.flush(store, outcomes);
            for (reply, result) in answers {
                let _ = reply.send(result);
            }
        }
        if stopping {
            tracing::info!("writer stopped after committing everything queued");
            return;
        }
    }
}

type Answers = Vec<(oneshot::Sender<JobResult>, JobResult)>;

/// Commits the jobs' events in one transaction (when that fails, each job alone, so one
/// bad job cannot fail the others), then their user reports in one more, and counts what
/// was stored. The answers are sent after the outcome counters are written, so counts
/// are visible once the 200 is.
fn commit(store: &dyn Store, outcomes: &Outcomes, jobs: Vec<Work>) -> Answers {
    // One batch, moved (not copied) out of the jobs; each job is a range of it.
    let mut all: Vec<NewEvent> = Vec::with_capacity(jobs.iter().map(|w| w.events.len()).sum());
    let mut reports: Vec<NewUserReport> = Vec::new();
    let mut replies = Vec::with_capacity(jobs.len());
    for work in jobs {
        let start = all.len();
        all.extend(work.events);
        let report_start = reports.len();
        reports.extend(work.user_reports);
        replies.push((work.reply, start..all.len(), report_start..reports.len()));
    }
    let mut answers: Vec<(oneshot::Sender<JobResult>, JobResult)> = Vec::new();
    let event_results: Vec<(usize, JobResult)> = if all.is_empty() {
        (0..replies.len()).map(|i| (i, Ok(Vec::new()))).collect()
    } else {
        match store.ingest(&all) {
            Ok(results) => replies
                .iter()
                .enumerate()
                .map(|(i, (_, range, _))| {
                    let mine = results[range.clone()].to_vec();
                    count(outcomes, &all[range.clone()], &mine);
                    (i, Ok(mine))
                })
                .collect(),
            Err(batch_error) if replies.len() > 1 => {
                tracing::warn!(error = %batch_error, jobs = replies.len(), "batch failed; committing jobs one by one");
                replies
                    .iter()
                    .enumerate()
                    .map(|(i, (_, range, _))| {
                        let events = &all[range.clone()];
                        if events.is_empty() {
                            return (i, Ok(Vec::new()));
                        }
                        let result = store.ingest(events).map_err(Arc::new);
                        if let Ok(mine) = &result {
                            count(outcomes, events, mine);
                        }
                        (i, result)
                    })
                    .collect()
            }
            Err(error) => {
                tracing::error!(%error, "commit failed");
                let error = Arc::new(error);
                (0..replies.len())
                    .map(|i| (i, Err(error.clone())))
                    .collect()
            }
        }
    };
    // User reports: those of jobs whose events were committed, in one transaction.
    let ok: Vec<bool> = event_results.iter().map(|(_, r)| r.is_ok()).collect();
    let batch: Vec<NewUserReport> = replies
        .iter()
        .zip(&ok)
        .filter(|(_, ok)| **ok)
        .flat_map(|((_, _, range), _)| reports[range.clone()].iter().cloned())
        .collect();
    let report_error = if batch.is_empty() {
        None
    } else {
        match store.add_user_reports(&batch) {
            Ok(_) => {
                for report in &batch {
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
                tracing::error!(%error, reports = batch.len(), "user reports not written");
                Some(Arc::new(error))
            }
        }
    };
    for ((reply, _, report_range), (_, result)) in replies.into_iter().zip(event_results) {
        let result = match (&report_error, result) {
            (Some(error), Ok(_)) if !report_range.is_empty() => Err(error.clone()),
            (_, result) => result,
        };
        answers.push((reply, result));
    }
    answers
}

/// Counts committed events as `accepted` and skipped ones as `duplicate`.
fn count(outcomes: &Outcomes, events: &[NewEvent], results: &[IngestResult]) {
    for (event, result) in events.iter().zip(results) {
        let category = DataCategory::from_event_type(&event.event_type);
        let reason = if result.kind == IngestKind::Duplicate {
            Reason::Duplicate
        } else {
            Reason::Accepted
        };
        outcomes.add(event.project_id, category, reason, 1);
    }
}

/// Writes outcome counters; keeps a failed write for one more try when the database
/// was only unavailable, and drops it (logged) otherwise.
#[derive(Debug, Default)]
struct OutcomeFlusher {
    retry: Vec<OutcomeDelta>,
}

/// The most deltas kept for a retry.
const MAX_RETRY_DELTAS: usize = 10_000;

impl OutcomeFlusher {
    fn flush(&mut self, store: &dyn Store, outcomes: &Outcomes) {
        let retrying = std::mem::take(&mut self.retry);
        let had_retry = !retrying.is_empty();
        let mut deltas = outcomes.drain(crate::now_ms());
        if deltas.is_empty() && !had_retry {
            return;
        }
        deltas.extend(retrying);
        if let Err(error) = store.add_outcomes(&deltas) {
            if error.is_unavailable() && !had_retry && deltas.len() <= MAX_RETRY_DELTAS {
                tracing::warn!(%error, deltas = deltas.len(), "outcome counters not written; retrying once");
                self.retry = deltas;
            } else {
                tracing::error!(%error, deltas = deltas.len(), "outcome counters not written; dropped");
            }
        }
    }
}
