//! The worker pool: a fixed set of threads that do ingest's CPU work (decoding, parsing,
//! normalizing, scrubbing, grouping, compressing), so that the async runtime's threads
//! only wait and `/healthz` and the Web API answer within milliseconds whatever is being
//! processed. Jobs wait in a bounded queue; a full queue is refused at once ([`JobFailed::Busy`]),
//! never more memory. A panicking job is caught: its caller gets
//! [`JobFailed::Panicked`] and the thread lives on. A job runs inside its caller's
//! `tracing` span (the request's, see [`crate::request_id`]), and the queue's depth is a
//! gauge of [`crate::metrics`].

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why a job did not run to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JobFailed {
    /// The queue is full: answer 503.
    #[error("the worker pool is busy")]
    Busy,
    /// The job panicked (a bug; logged).
    #[error("the job panicked")]
    Panicked,
}

/// The pool's handle (cheap to clone).
#[derive(Debug, Clone)]
pub struct Workers {
    tx: SyncSender<Job>,
    /// Jobs queued and not started.
    depth: Gauge,
}

impl Workers {
    /// Starts `threads` workers sharing a queue of `queue` jobs; `depth` tracks how many
    /// wait.
    pub fn start(threads: usize, queue: usize, depth: Gauge) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("errata-worker-{i}"))
                .spawn(move || work(&rx))?;
        }
        Ok(Self { tx, depth })
    }

    /// Runs `job` on a worker and waits for its result.
    pub async fn run<T, F>(&self, job: F) -> Result<T, JobFailed>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        let span = tracing::Span::current();
        let depth = self.depth.clone();
        let boxed: Job = Box::new(move || {
            depth.dec();
            let _entered = span.enter();
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(job));
            if outcome.is_err() {
                tracing::error!("a worker job panicked");
            }
            let _ = reply.send(outcome);
        });
        // Counted before it can start (and be counted out).
        self.depth.inc();
        match self.tx.try_send(boxed) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.depth.dec();
                return Err(JobFailed::Busy);
            }
        }
        match result.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) | Err(_) => Err(JobFailed::Panicked),
        }
    }
}

fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let rx = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            rx.recv()
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_runtime_and_a_full_queue_is_refused() {
        let depth = Gauge::default();
        let workers = Workers::start(1, 1, depth.clone()).unwrap();
        let name = workers
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("errata-worker-0"));

        // Block the only worker, fill the one queue slot, and the next job is refused.
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let workers = workers.clone();
            async move {
                workers
                    .run(move || {
                        started.send(()).ok();
                        blocked.recv().ok()
                    })
                    .await
            }
        });
        while running.try_recv().is_err() {
            tokio::task::yield_now().await;
        }
        assert_eq!(depth.get(), 0, "a running job is not queued");
        let second = tokio::spawn({
            let workers = workers.clone();
            async move { workers.run(|| 2).await }
        });
        while depth.get() < 1 {
            tokio::task::yield_now().await;
        }
        assert_eq!(workers.run(|| 1).await, Err(JobFailed::Busy));
        assert_eq!(depth.get(), 1, "a refused job is not counted");
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(Some(())));
        assert_eq!(second.await.unwrap(), Ok(2));
        assert_eq!(depth.get(), 0);
    }

    #[tokio::test]
    async fn a_panicking_job_does_not_kill_its_worker() {
        let workers = Workers::start(1, 4, Gauge::default()).unwrap();
        let failed = workers.run(|| panic!("boom")).await;
        assert_eq!(failed, Err::<(), _>(JobFailed::Panicked));
        assert_eq!(workers.run(|| 2).await, Ok(2));
    }
}
