//! Gathering one batch (group commit): a writer thread takes the first job from the
//! queue (waiting up to the idle flush period for one), then everything already queued,
//! up to `max_batch` events. When that found more than one job, the server is under load,
//! and the thread keeps gathering for up to `window` after the first job: every job that
//! arrives in that time joins this commit instead of paying for one of its own, and a
//! bigger batch writes fewer pages per event (the issues, tag counts and index pages its
//! events share are written once). A lone job is committed at once, so a quiet server adds
//! no latency; under load a request waits at most `window` more, while every commit is
//! cheaper per event. On a shutdown request the thread takes everything queued.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::{Job, Work};

/// One gathered batch.
#[derive(Default)]
pub(super) struct Gathered {
    /// The jobs to commit together (none when the idle period passed without one).
    pub(super) jobs: Vec<Work>,
    /// A shutdown was requested (or every sender is gone): commit and stop.
    pub(super) stopping: bool,
    /// Events in `jobs` (a job without events counts as one).
    queued: usize,
}

impl Gathered {
    /// Adds `job`.
    fn take(&mut self, job: Job) {
        match job {
            Job::Work(work) => {
                self.queued += work.events.len().max(1);
                self.jobs.push(work);
            }
            Job::Shutdown => self.stopping = true,
        }
    }

    /// Takes what is queued now, up to `max_batch` events (everything when stopping).
    fn drain(&mut self, rx: &Receiver<Job>, max_batch: usize) {
        while self.stopping || self.queued < max_batch {
            match rx.try_recv() {
                Ok(job) => self.take(job),
                Err(_) => break,
            }
        }
    }
}

/// Gathers one batch from `rx`; see the module docs.
pub(super) fn gather(
    rx: &Receiver<Job>,
    max_batch: usize,
    window: Duration,
    idle: Duration,
) -> Gathered {
    let mut batch = Gathered::default();
    match rx.recv_timeout(idle) {
        Ok(job) => batch.take(job),
        Err(RecvTimeoutError::Timeout) => return batch,
        Err(RecvTimeoutError::Disconnected) => batch.stopping = true,
    }
    let first = Instant::now();
    batch.drain(rx, max_batch);
    if batch.jobs.len() < 2 || window.is_zero() {
        return batch;
    }
    let deadline = first + window;
    while !batch.stopping && batch.queued < max_batch {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match rx.recv_timeout(left) {
            Ok(job) => {
                batch.take(job);
                batch.drain(rx, max_batch);
            }
            Err(RecvTimeoutError::Timeout) => break,
            Err(RecvTimeoutError::Disconnected) => batch.stopping = true,
        }
    }
    batch
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;
    use tokio::sync::oneshot;

    fn job() -> Job {
        let (reply, _) = oneshot::channel();
        Job::Work(Work {
            events: Vec::new(),
            user_reports: Vec::new(),
            reply,
        })
    }

    const IDLE: Duration = Duration::from_millis(50);

    #[test]
    fn a_lone_job_is_taken_at_once() {
        let (tx, rx) = sync_channel(16);
        tx.send(job()).unwrap();
        let started = Instant::now();
        let batch = gather(&rx, 100, Duration::from_secs(5), IDLE);
        assert_eq!(batch.jobs.len(), 1);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a lone job waited"
        );
    }

    #[test]
    fn under_load_jobs_arriving_within_the_window_join_the_batch() {
        let (tx, rx) = sync_channel(16);
        tx.send(job()).unwrap();
        tx.send(job()).unwrap();
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            tx.send(job()).unwrap();
            std::thread::sleep(Duration::from_millis(30));
            tx.send(job()).unwrap();
            tx
        });
        let batch = gather(&rx, 100, Duration::from_secs(2), IDLE);
        assert_eq!(batch.jobs.len(), 4);
        // The window closes at `max_batch` too: nothing waits once the batch is full.
        let tx = late.join().unwrap();
        for _ in 0..3 {
            tx.send(job()).unwrap();
        }
        let started = Instant::now();
        let batch = gather(&rx, 3, Duration::from_secs(5), IDLE);
        assert_eq!(batch.jobs.len(), 3);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a full batch waited"
        );
    }

    #[test]
    fn the_window_ends_the_gathering() {
        let (tx, rx) = sync_channel(16);
        tx.send(job()).unwrap();
        tx.send(job()).unwrap();
        let started = Instant::now();
        let batch = gather(&rx, 100, Duration::from_millis(40), IDLE);
        assert_eq!(batch.jobs.len(), 2);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(40), "left after {waited:?}");
        drop(tx);
    }

    #[test]
    fn a_shutdown_takes_everything_queued() {
        let (tx, rx) = sync_channel(16);
        for _ in 0..5 {
            tx.send(job()).unwrap();
        }
        tx.send(Job::Shutdown).unwrap();
        tx.send(job()).unwrap();
        // Past the shutdown request, everything is taken, `max_batch` or not.
        let batch = gather(&rx, 6, Duration::from_secs(5), IDLE);
        assert!(batch.stopping);
        assert_eq!(batch.jobs.len(), 6);
        // Nothing queued: the idle period passes with no batch.
        let batch = gather(&rx, 2, Duration::from_secs(5), IDLE);
        assert!(batch.jobs.is_empty() && !batch.stopping);
    }
}
