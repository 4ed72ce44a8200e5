//! The background checkpointer: copies committed WAL pages into the database file on its
//! own thread and connection, so that the writer's commits (and the HTTP 200s waiting on
//! them) never pay for a checkpoint. The writer only signals "committed"; the checkpointer
//! coalesces signals and runs a PASSIVE checkpoint at most every `interval`, which never
//! blocks the writer or the readers.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tracing::{debug, warn};

use errata_store::{Result, StoreError};

use crate::error::db;

#[derive(Debug, Default)]
struct State {
    commits: u64,
    stop: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// Handle to the checkpointer thread; dropping it stops the thread after a last
/// checkpoint.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    shared: Shared,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread with its own connection to `path`.
    pub(crate) fn start(path: &Path, interval: Duration) -> Result<Self> {
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(db)?;
        let shared: Shared = Arc::default();
        let thread = std::thread::Builder::new()
            .name("errata-checkpoint".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || run(&conn, &shared, interval)
            })
            .map_err(|e| StoreError::backend("cannot start the checkpointer").with_source(e))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Tells the checkpointer that a transaction committed.
    pub(crate) fn committed(&self) {
        let (state, wake) = &*self.shared;
        state.lock().unwrap_or_else(PoisonError::into_inner).commits += 1;
        wake.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (state, wake) = &*self.shared;
        state.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            warn!("the checkpointer thread panicked");
        }
    }
}

fn run(conn: &Connection, shared: &Shared, interval: Duration) {
    let (state, wake) = &**shared;
    loop {
        let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
        while guard.commits == 0 && !guard.stop {
            guard = wake.wait(guard).unwrap_or_else(PoisonError::into_inner);
        }
        if guard.stop {
            drop(guard);
            checkpoint(conn);
            return;
        }
        // Coalesce the commits of the next `interval` into one checkpoint.
        let (mut guard, _) = wake
            .wait_timeout_while(guard, interval, |s| !s.stop)
            .unwrap_or_else(PoisonError::into_inner);
        let stop = guard.stop;
        guard.commits = 0;
        drop(guard);
        checkpoint(conn);
        if stop {
            return;
        }
    }
}

fn checkpoint(conn: &Connection) {
    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    match result {
        Ok((busy, wal_pages, copied)) => debug!(busy, wal_pages, copied, "checkpoint"),
        Err(e) => warn!(error = %e, "checkpoint failed"),
    }
}
