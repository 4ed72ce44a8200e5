//! The writer: one dedicated thread that owns all event writes.
//!
//! HTTP handlers hand processed events to the writer through a bounded queue and wait
//! for the commit before answering 200, so an acknowledged event is on disk. The writer
//! takes everything queued (up to `max_batch`) and commits it in ONE transaction (group
//! commit: one fsync for many events), then answers every waiting handler. A full queue
//! is refused at once ([`Submit::Overloaded`]), so memory stays bounded under any load.
//! Outcome counters ride along with each batch. On shutdown the writer drains what is
//! queued, commits it, and stops.

use crate::outcome::Outcomes;
use errata_protocol::envelope::DataCategory;
use errata_store::{IngestKind, IngestResult, NewEvent, Store};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// How often outcome counts are written when no events arrive.
const IDLE_FLUSH: Duration = Duration::from_secs(1);

/// The result of one job, as its handler sees it.
pub type JobResult = Result<Vec<IngestResult>, String>;

enum Job {
    Events {
        events: Vec<NewEvent>,
        reply: oneshot::Sender<JobResult>,
    },
    Shutdown,
}

/// Why a submission was not queued.
#[derive(Debug)]
pub enum Submit {
    /// The queue is full: answer 503 with `Retry-After`.
    Overloaded,
    /// The writer has stopped (shutting down).
    Stopped,
}

/// The handlers' side of the writer.
#[derive(Debug, Clone)]
pub struct WriterHandle {
    tx: SyncSender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Events { events, .. } => write!(f, "Events({})", events.len()),
            Job::Shutdown => f.write_str("Shutdown"),
        }
    }
}

impl WriterHandle {
    /// Queues `events`; the receiver resolves after they are committed.
    pub fn submit(&self, events: Vec<NewEvent>) -> Result<oneshot::Receiver<JobResult>, Submit> {
        let (reply, rx) = oneshot::channel();
        match self.tx.try_send(Job::Events { events, reply }) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(Submit::Overloaded),
            Err(TrySendError::Disconnected(_)) => Err(Submit::Stopped),
        }
    }

    /// Asks the writer to commit what is queued and stop (blocks while the queue is full).
    pub fn shutdown(&self) {
        let _ = self.tx.send(Job::Shutdown);
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
    let thread = std::thread::Builder::new()
        .name("errata-writer".into())
        .spawn(move || run(&*store, &outcomes, &rx, max_batch))?;
    Ok((WriterHandle { tx }, thread))
}

type Pending = Vec<(Vec<NewEvent>, oneshot::Sender<JobResult>)>;

/// Adds `job` to `jobs`; returns true for a shutdown request.
fn take(job: Job, jobs: &mut Pending, queued: &mut usize) -> bool {
    match job {
        Job::Events { events, reply } => {
            *queued += events.len();
            jobs.push((events, reply));
            false
        }
        Job::Shutdown => true,
    }
}

fn run(store: &dyn Store, outcomes: &Outcomes, rx: &Receiver<Job>, max_batch: usize) {
    let mut stopping = false;
    loop {
        let mut jobs: Pending = Vec::new();
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
            flush_outcomes(store, outcomes);
        } else {
            commit(store, outcomes, jobs);
        }
        if stopping {
            tracing::info!("writer stopped after committing everything queued");
            return;
        }
    }
}

/// Commits the jobs in one transaction (when that fails, each job alone, so one bad job
/// cannot fail the others), counts what was stored, writes the outcome counters, and only
/// then answers the handlers, so counts are visible once the 200 is.
fn commit(store: &dyn Store, outcomes: &Outcomes, jobs: Pending) {
    // One batch, moved (not copied) out of the jobs; each job is a range of it.
    let mut all: Vec<NewEvent> = Vec::with_capacity(jobs.iter().map(|(e, _)| e.len()).sum());
    let mut replies = Vec::with_capacity(jobs.len());
    for (events, reply) in jobs {
        let start = all.len();
        all.extend(events);
        replies.push((reply, start..all.len()));
    }
    let answers: Vec<(oneshot::Sender<JobResult>, JobResult)> = match store.ingest(&all) {
        Ok(results) => replies
            .into_iter()
            .map(|(reply, range)| {
                let mine = results[range.clone()].to_vec();
                count(outcomes, &all[range], &mine);
                (reply, Ok(mine))
            })
            .collect(),
        Err(batch_error) if replies.len() > 1 => {
            tracing::warn!(error = %batch_error, jobs = replies.len(), "batch failed; committing jobs one by one");
            replies
                .into_iter()
                .map(|(reply, range)| {
                    let events = &all[range];
                    let result = store.ingest(events).map_err(|e| e.to_string());
                    if let Ok(mine) = &result {
                        count(outcomes, events, mine);
                    }
                    (reply, result)
                })
                .collect()
        }
        Err(error) => {
            tracing::error!(%error, "commit failed");
            replies
                .into_iter()
                .map(|(reply, _)| (reply, Err(error.to_string())))
                .collect()
        }
    };
    flush_outcomes(store, outcomes);
    for (reply, result) in answers {
        let _ = reply.send(result);
    }
}

/// Counts committed events as `accepted` and skipped ones as `duplicate`.
fn count(outcomes: &Outcomes, events: &[NewEvent], results: &[IngestResult]) {
    for (event, result) in events.iter().zip(results) {
        let category = DataCategory::from_event_type(&event.event_type).as_str();
        let reason = if result.kind == IngestKind::Duplicate {
            "duplicate"
        } else {
            "accepted"
        };
        outcomes.add(event.project_id, category, reason, 1);
    }
}

fn flush_outcomes(store: &dyn Store, outcomes: &Outcomes) {
    let deltas = outcomes.drain(crate::now_ms());
    if deltas.is_empty() {
        return;
    }
    if let Err(error) = store.add_outcomes(&deltas) {
        tracing::warn!(%error, "outcome counters not written; keeping them for the next flush");
        outcomes.restore(deltas);
    }
}
