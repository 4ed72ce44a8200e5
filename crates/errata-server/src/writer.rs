//! The writer: dedicated threads that own all event and user-report writes (one for a
//! store with one writer, as `SQLite`; [`Store::parallel_writes`] for a store whose
//! transactions commit in parallel, as `PostgreSQL`, so one batch's round trips overlap
//! another's).
//!
//! HTTP handlers hand processed events and user reports to the writer through a bounded
//! queue and wait for the commit before answering 200, so an acknowledged event is on
//! disk. The writer takes everything queued (up to `max_batch` events) and commits it in
//! ONE transaction (group commit: one fsync for many events), writes the batch's user
//! reports in one more, then answers every waiting handler. A full queue is refused at
//! once ([`Submit::Overloaded`]), so memory stays bounded under any load. With several
//! threads, each in turn takes what is queued (holding the queue only while it takes)
//! and commits it while the next one gathers the next batch. Outcome
//! counters ride along with each batch; a counter write that fails is retried once at
//! the next flush when the database was only unavailable, and otherwise logged and
//! dropped, never retried forever. On shutdown the writer drains what is queued, commits
//! it, and stops (the other threads finish their batch and stop too). If a thread dies (a
//! panic), [`WriterHandle::is_alive`] turns false and [`WriterHandle::died`] resolves, so
//! the server can stop and exit non-zero.

use crate::outcome::{Outcomes, Reason};
use errata_protocol::envelope::DataCategory;
use errata_store::{
    IngestKind, IngestResult, NewEvent, NewUserReport, OutcomeDelta, Store, StoreError,
};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
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
    died: Arc<watch::Sender<bool>>,
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

/// The writer's threads, joined on shutdown.
#[derive(Debug)]
pub struct WriterThreads(Vec<JoinHandle<()>>);

impl WriterThreads {
    /// Waits for every thread; answers whether one panicked.
    pub fn join(self) -> bool {
        let mut panicked = false;
        for thread in self.0 {
            panicked |= thread.join().is_err();
        }
        panicked
    }
}

/// Starts `threads` writer threads (at least one) on one queue.
pub fn spawn(
    store: &Arc<dyn Store>,
    outcomes: &Arc<Outcomes>,
    capacity: usize,
    max_batch: usize,
    threads: usize,
) -> std::io::Result<(WriterHandle, WriterThreads)> {
    let (tx, rx) = sync_channel(capacity);
    let queue = Arc::new(Queue {
        rx: Mutex::new(rx),
        stopping: AtomicBool::new(false),
    });
    let alive = Arc::new(AtomicBool::new(true));
    let (died_tx, died) = watch::channel(false);
    let died_tx = Arc::new(died_tx);
    let mut handles = Vec::new();
    for n in 0..threads.max(1) {
        let liveness = Liveness {
            alive: alive.clone(),
            died: died_tx.clone(),
            stopped_cleanly: false,
        };
        let (store, outcomes, queue) = (store.clone(), outcomes.clone(), queue.clone());
        let thread = std::thread::Builder::new()
            .name(if n == 0 {
                "errata-writer".into()
            } else {
                format!("errata-writer-{n}")
            })
            .spawn(move || {
                let mut liveness = liveness;
                run(&*store, &outcomes, &queue, max_batch);
                liveness.stopped_cleanly = true;
            })?;
        handles.push(thread);
    }
    Ok((WriterHandle { tx, alive, died }, WriterThreads(handles)))
}

/// The queue the writer threads share.
struct Queue {
    /// Held by one thread at a time while it takes a batch.
    rx: Mutex<Receiver<Job>>,
    /// Set by the thread that took the shutdown request: the others stop after their batch.
    stopping: AtomicBool,
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

fn run(store: &dyn Store, outcomes: &Outcomes, queue: &Queue, max_batch: usize) {
    let mut flusher = OutcomeFlusher::default();
    loop {
        if queue.stopping.load(Ordering::Acquire) {
            return;
        }
        let mut jobs: Vec<Work> = Vec::new();
        let mut queued = 0;
        let mut stopping = false;
        {
            let rx = queue
                .rx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if queue.stopping.load(Ordering::Acquire) {
                return;
            }
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
            if stopping {
                queue.stopping.store(true, Ordering::Release);
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
/// bad job cannot fail the others), then the user reports of the committed jobs in one
/// more, and counts what was stored. The answers are sent after the outcome counters are
/// written, so counts are visible once the 200 is.
fn commit(store: &dyn Store, outcomes: &Outcomes, jobs: Vec<Work>) -> Answers {
    // One batch, moved (not copied) out of the jobs; each job is a range of it.
    let mut all: Vec<NewEvent> = Vec::with_capacity(jobs.iter().map(|w| w.events.len()).sum());
    let mut pending = Vec::with_capacity(jobs.len());
    for work in jobs {
        let start = all.len();
        all.extend(work.events);
        pending.push((work.reply, start..all.len(), work.user_reports));
    }
    let ranges: Vec<Range<usize>> = pending.iter().map(|(_, r, _)| r.clone()).collect();
    let results = commit_events(store, outcomes, &all, &ranges);

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

/// The events of every job (`ranges` of `all`) in one transaction, or job by job when
/// the batch fails; one result per job.
fn commit_events(
    store: &dyn Store,
    outcomes: &Outcomes,
    all: &[NewEvent],
    ranges: &[Range<usize>],
) -> Vec<JobResult> {
    if all.is_empty() {
        return ranges.iter().map(|_| Ok(Vec::new())).collect();
    }
    match store.ingest(all) {
        Ok(results) => ranges
            .iter()
            .map(|range| {
                let mine = results[range.clone()].to_vec();
                count(outcomes, &all[range.clone()], &mine);
                Ok(mine)
            })
            .collect(),
        Err(batch_error) if ranges.len() > 1 => {
            tracing::warn!(error = %batch_error, jobs = ranges.len(), "batch failed; committing jobs one by one");
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
        Err(error) => {
            tracing::error!(%error, "commit failed");
            let error = Arc::new(error);
            ranges.iter().map(|_| Err(error.clone())).collect()
        }
    }
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
