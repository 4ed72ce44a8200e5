//! The writer: dedicated threads that own all event and user-report writes (one for a
//! store with one writer, as `SQLite`; [`Store::parallel_writes`] for a store whose
//! transactions commit in parallel, as `PostgreSQL`, so one batch's round trips overlap
//! another's).
//!
//! HTTP handlers hand processed events and user reports to the writer through a bounded
//! queue and wait for the commit before answering 200, so an acknowledged event is on
//! disk. A writer thread gathers a batch ([`gather`]: everything queued, up to
//! `max_batch` events, and under load whatever arrives within the group-commit window),
//! commits it in ONE transaction with the pending outcome counters (group commit: one
//! fsync for many events; [`commit`]), writes the batch's user reports in one more, then
//! answers every waiting handler. A full queue is refused at once ([`Submit::Overloaded`]),
//! so memory stays bounded under any load. With several threads, each in turn gathers
//! (holding the queue only while it gathers) and commits while the next one gathers the
//! next batch. On shutdown the writer drains what is queued, commits it, and stops (the
//! other threads finish their batch and stop too). If a thread dies (a panic),
//! [`WriterHandle::is_alive`] turns false and [`WriterHandle::died`] resolves, so the
//! server can stop and exit non-zero. The queue's depth, each commit's time and each
//! batch's size go to [`WriterMetrics`].

mod commit;
mod gather;

use crate::metrics::WriterMetrics;
use crate::outcome::Outcomes;
use commit::{OutcomeFlusher, commit};
use errata_store::{IngestResult, NewEvent, NewUserReport, Store, StoreError};
use gather::{Gathered, gather};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// How often outcome counts are written when no events arrive.
const IDLE_FLUSH: Duration = Duration::from_secs(1);

/// How the writer threads gather their batches.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    /// Most events committed in one transaction.
    pub max_batch: usize,
    /// How long a thread keeps gathering after the first job of a batch when it found
    /// more than one queued (the group-commit window; zero: never waits).
    pub window: Duration,
}

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
    events: Arc<AtomicU64>,
    metrics: WriterMetrics,
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
            Ok(()) => {
                self.metrics.queued.inc();
                Ok(rx)
            }
            Err(TrySendError::Full(_)) => Err(Submit::Overloaded),
            Err(TrySendError::Disconnected(_)) => Err(Submit::Stopped),
        }
    }

    /// Asks the writer to commit what is queued and stop (blocks while the queue is full).
    pub fn shutdown(&self) {
        let _ = self.tx.send(Job::Shutdown);
    }

    /// Events this node's writer has committed (or tried to) since it started.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
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
    batching: Batching,
    threads: usize,
    metrics: &WriterMetrics,
) -> std::io::Result<(WriterHandle, WriterThreads)> {
    let (tx, rx) = sync_channel(capacity);
    let events = Arc::new(AtomicU64::new(0));
    let queue = Arc::new(Queue {
        rx: Mutex::new(rx),
        stopping: AtomicBool::new(false),
        events: events.clone(),
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
        let metrics = metrics.clone();
        let thread = std::thread::Builder::new()
            .name(if n == 0 {
                "errata-writer".into()
            } else {
                format!("errata-writer-{n}")
            })
            .spawn(move || {
                let mut liveness = liveness;
                run(&*store, &outcomes, &queue, batching, &metrics);
                liveness.stopped_cleanly = true;
            })?;
        handles.push(thread);
    }
    let handle = WriterHandle {
        tx,
        alive,
        died,
        events,
        metrics: metrics.clone(),
    };
    Ok((handle, WriterThreads(handles)))
}

/// The queue the writer threads share.
struct Queue {
    /// Held by one thread at a time while it takes a batch.
    rx: Mutex<Receiver<Job>>,
    /// Set by the thread that took the shutdown request: the others stop after their batch.
    stopping: AtomicBool,
    /// Events committed (or tried) since the start, shared with [`WriterHandle`].
    events: Arc<AtomicU64>,
}

fn run(
    store: &dyn Store,
    outcomes: &Outcomes,
    queue: &Queue,
    batching: Batching,
    metrics: &WriterMetrics,
) {
    let mut flusher = OutcomeFlusher::default();
    loop {
        if queue.stopping.load(Ordering::Acquire) {
            return;
        }
        let Gathered { jobs, stopping, .. } = {
            let rx = queue
                .rx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if queue.stopping.load(Ordering::Acquire) {
                return;
            }
            let batch = gather(&rx, batching.max_batch, batching.window, IDLE_FLUSH);
            if batch.stopping {
                queue.stopping.store(true, Ordering::Release);
            }
            batch
        };
        metrics
            .queued
            .dec_by(crate::metrics::gauge_value(jobs.len()));
        if jobs.is_empty() {
            flusher.flush(store, outcomes);
        } else {
            let events: usize = jobs.iter().map(|work| work.events.len()).sum();
            queue.events.fetch_add(events as u64, Ordering::Relaxed);
            metrics.batch_events.observe(events as f64);
            for (reply, result) in commit(store, outcomes, &mut flusher, jobs, metrics) {
                let _ = reply.send(result);
            }
        }
        if stopping {
            flusher.flush(store, outcomes);
            tracing::info!("writer stopped after committing everything queued");
            return;
        }
    }
}
