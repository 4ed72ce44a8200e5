//! Opening `SQLite` connections with the pragmas Errata relies on (WAL, the chosen
//! `synchronous` level, busy timeout, statement cache), and the small pool of read-only
//! connections the API readers share while the single writer connection commits batches.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use errata_store::Result;

use crate::error::db;

/// How far a committed batch survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: the WAL is fsynced at every commit, so a committed batch
    /// survives power loss and OS crashes. One fsync per batch: cheap with group commit.
    #[default]
    PowerLoss,
    /// `synchronous=NORMAL`: a commit is in the OS page cache, so it survives the process
    /// being killed (SIGKILL) but not power loss; fsync happens at checkpoints only.
    ProcessCrash,
}

/// How long a connection waits for a lock held by another before giving up (`SQLITE_BUSY`).
pub(crate) const BUSY_WAIT: Duration = Duration::from_secs(5);

/// Statements kept prepared per connection.
const STATEMENT_CACHE: usize = 64;

/// Opens (creating if needed) the writer connection.
/// With `background_checkpoints`, the writer checkpoints only as a safety net (every
/// 256 MB of WAL), the checkpointer thread doing the regular work.
pub(crate) fn open_writer(
    path: &Path,
    durability: Durability,
    background_checkpoints: bool,
) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db)?;
    conn.busy_timeout(BUSY_WAIT).map_err(db)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(db)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(errata_store::StoreError::backend(format!(
            "SQLite refused WAL mode (journal_mode is {mode})"
        )));
    }
    let synchronous = match durability {
        Durability::PowerLoss => "FULL",
        Durability::ProcessCrash => "NORMAL",
    };
    // A 32 MB WAL between automatic checkpoints: index pages that every batch touches are
    // copied into the database once per checkpoint instead of once per few batches.
    let autocheckpoint = if background_checkpoints {
        65_536
    } else {
        8_192
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {synchronous};
         PRAGMA foreign_keys = OFF;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8000;
         PRAGMA wal_autocheckpoint = {autocheckpoint};
         PRAGMA journal_size_limit = 67108864;"
    ))
    .map_err(db)?;
    Ok(conn)
}

/// A read-only look at an existing database (never created, never migrated): for
/// `migration_plan`, `backup` and `verify`, which may run beside a server. Opened
/// read-write (a WAL database needs its `-shm` index) with `query_only` on.
pub(crate) fn open_inspector(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.busy_timeout(BUSY_WAIT).map_err(db)?;
    conn.execute_batch("PRAGMA query_only = ON;").map_err(db)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(db)?;
    conn.busy_timeout(BUSY_WAIT).map_err(db)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -8000;")
        .map_err(db)?;
    Ok(conn)
}

/// Read connections, opened on demand and kept (up to `max_idle`) for reuse. In WAL mode
/// readers never block the writer nor each other.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
}

impl Readers {
    pub(crate) fn new(path: PathBuf, max_idle: usize) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    /// Runs `f` on an idle reader (or a new one), then returns it to the pool.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
        result
    }
}
