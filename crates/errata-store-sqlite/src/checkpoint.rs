//! The background checkpointer: copies committed WAL pages into the database file on its
//! own thread and connection, so that the writer's commits (and the HTTP 200s waiting on
//! them) never pay for a whole checkpoint. The writer only signals "committed"; the
//! checkpointer coalesces signals and runs a PASSIVE checkpoint at most every `interval`,
//! which never blocks the writer or the readers.
//!
//! A PASSIVE checkpoint alone cannot keep the WAL small under continuous load: `SQLite`
//! starts the WAL over only when a write transaction begins while every frame has been
//! copied, and with commits every few milliseconds some always arrive during the copy. The
//! WAL then grew until the writer's own safety-net checkpoint (every 65,536 pages, 256 MiB)
//! copied the rest and truncated the file inside one commit: a stall of 100 to 250 ms every
//! ~7,000 events, which `errata bench ingest --slow-ms` showed at a steady rate. So once a
//! PASSIVE pass finds the WAL past [`RESTART_FRAMES`], the checkpointer asks the writer
//! for a RESTART ([`Checkpointer::take_restart`]): before its next transaction the writer
//! copies the few frames committed since that pass (it waits for that short copy, not
//! for the whole WAL) and the next commit writes from the start of the WAL file again, so
//! the file stays within [`RESTART_FRAMES`] plus one interval's commits. The writer does
//! it rather than the checkpointer because a RESTART needs the write lock, which a busy
//! writer, committing back to back, would almost never leave free for another connection
//! polling for it.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use tracing::{debug, warn};

use errata_store::{Result, StoreError};

use crate::connection::BUSY_WAIT;
use crate::error::db;

/// WAL frames (pages) past which a PASSIVE pass asks the writer for a RESTART one:
/// 16 MiB of 4 KiB pages. Smaller means more frequent short writer waits; larger, a
/// bigger WAL (and WAL index) for readers to search.
pub(crate) const RESTART_FRAMES: i64 = 4096;

/// How long the writer's RESTART pass waits for the readers to leave the WAL's old frames;
/// past it the pass gives up, and the next PASSIVE pass asks again.
const RESTART_WAIT: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
struct State {
    commits: u64,
    stop: bool,
    /// The last PASSIVE pass found the WAL past [`RESTART_FRAMES`].
    restart: bool,
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
        conn.busy_timeout(BUSY_WAIT).map_err(db)?;
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

    /// True, once, when the last PASSIVE pass found the WAL past [`RESTART_FRAMES`]: the
    /// writer should call [`restart`] before its next transaction.
    pub(crate) fn take_restart(&self) -> bool {
        let (state, _) = &*self.shared;
        std::mem::take(&mut state.lock().unwrap_or_else(PoisonError::into_inner).restart)
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
            run_checkpoint(conn, Mode::Passive);
            return;
        }
        // Coalesce the commits of the next `interval` into one checkpoint.
        let (mut guard, _) = wake
            .wait_timeout_while(guard, interval, |s| !s.stop)
            .unwrap_or_else(PoisonError::into_inner);
        let stop = guard.stop;
        guard.commits = 0;
        drop(guard);
        let frames = run_checkpoint(conn, Mode::Passive);
        if stop {
            return;
        }
        if frames.is_some_and(|frames| frames > RESTART_FRAMES) {
            state.lock().unwrap_or_else(PoisonError::into_inner).restart = true;
        }
    }
}

/// The writer's RESTART pass, on its own connection between two transactions: copies
/// what the last PASSIVE pass left and makes the next commit start the WAL over.
pub(crate) fn restart(writer: &Connection) {
    if let Err(e) = writer.busy_timeout(RESTART_WAIT) {
        warn!(error = %e, "cannot set the writer's busy timeout");
    }
    run_checkpoint(writer, Mode::Restart);
    if let Err(e) = writer.busy_timeout(BUSY_WAIT) {
        warn!(error = %e, "cannot set the writer's busy timeout");
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Passive,
    Restart,
}

/// Runs one checkpoint; the WAL's size in frames when it ran, `None` when it failed.
fn run_checkpoint(conn: &Connection, mode: Mode) -> Option<i64> {
    let sql = match mode {
        Mode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
        Mode::Restart => "PRAGMA wal_checkpoint(RESTART)",
    };
    let started = std::time::Instant::now();
    let result = conn.query_row(sql, [], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    });
    match result {
        Ok((busy, wal_pages, copied)) => {
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            debug!(?mode, busy, wal_pages, copied, micros, "checkpoint");
            Some(wal_pages)
        }
        Err(e) => {
            warn!(?mode, error = %e, "checkpoint failed");
            None
        }
    }
}
