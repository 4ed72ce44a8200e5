//! The `SQLite` backend of [`errata_store::Store`]: one database file in the data dir the
//! caller passes, WAL mode, one writer connection (the server's writer thread commits
//! whole batches through it) and a pool of reader connections for the API.
//!
//! # Durability
//!
//! The contract is "a 200 means committed": the server answers only after
//! [`Store::ingest`](errata_store::Store::ingest) returned. In WAL mode a commit appends
//! to the `-wal` file; with `synchronous=NORMAL` that append reaches the OS page cache, so
//! it survives the process being killed (SIGKILL) but not a power cut or a kernel crash.
//! With `synchronous=FULL` the WAL is also fsynced at every commit, which survives both.
//! Errata defaults to [`Durability::PowerLoss`] (FULL): because the writer commits many
//! events per transaction (group commit) the cost is one fsync per batch, not per event.
//! [`Durability::ProcessCrash`] (NORMAL) is available for disposable data dirs and tests.
//!
//! # Performance
//!
//! `cargo bench -p errata-store-sqlite --bench ingest` (4.4 KB events over 200 groups, 7
//! tags and a user each; 2-core development VM shared with other builds, load ~5): the
//! writer thread spends 40 us of CPU per event in batches of 512 on a 20k-event database
//! (25k events/s per core), 52 us on a 100k-event one (19k/s), and 26 us in batches of
//! 2048 (39k/s). Cost grows with the database because random-key indexes (event ids,
//! per-issue tag values) dirty pages that every commit writes: bigger batches amortize
//! it, so the server's writer should commit everything queued at once. On disk an event
//! takes 1.45 KB, 33% of its raw JSON (zstd alone: 1.08 KB).
//!
//! # Schema
//!
//! Forward-only migrations in `migrations/*.sql`, embedded and applied at open (see
//! `migration.rs`). Payloads are stored as the zstd bytes [`errata_store::Payload`] made.

mod alerting;
mod backup;
mod channel;
mod checkpoint;
mod connection;
mod dictionary;
mod error;
mod event;
mod ingest;
mod issue;
mod lock;
mod migration;
mod node;
mod outbox;
mod outcome;
mod project;
mod restore;
mod retention;
mod rule;
mod session;
mod store;
pub mod testing;
mod token;
mod user;
mod user_report;
mod workflow;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use tracing::info;

pub use backup::{BackupReport, RecordedMigration, backup, verify};
use checkpoint::Checkpointer;
pub use connection::Durability;
use connection::Readers;
use errata_store::{MigrationPlan, PayloadCodec, Result, StoreError};
pub use lock::{DataDirLock, LOCK_FILE};
pub use restore::{Restored, restore};

use crate::error::db;

/// The database's file name inside the data dir.
pub const DATABASE_FILE: &str = "errata.sqlite3";

/// How to open the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    pub durability: Durability,
    /// Reader connections kept open between reads.
    pub max_idle_readers: usize,
    /// Checkpoint on a background thread at most this often after commits (`None`: the
    /// writer checkpoints inline, every 32 MB of WAL).
    pub checkpoint_interval: Option<Duration>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            durability: Durability::PowerLoss,
            max_idle_readers: 4,
            checkpoint_interval: Some(Duration::from_millis(500)),
        }
    }
}

/// Errata's store on `SQLite`.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Readers,
    checkpointer: Option<Checkpointer>,
    /// Whether firing rules queue email to members (see `Store::set_member_email`).
    member_email: AtomicBool,
    /// Payload compression with the stored dictionaries (loaded at open).
    codec: Arc<PayloadCodec>,
    /// The data dir's shared lock, held while open (see `lock.rs`: restore checks it).
    _lock: DataDirLock,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating the dir and the database if needed) with the default options.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with(data_dir, SqliteOptions::default())
    }

    /// Opens with `options`, applying pending migrations.
    pub fn open_with(data_dir: &Path, options: SqliteOptions) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::backend(format!("cannot create {}", data_dir.display())).with_source(e)
        })?;
        let lock = DataDirLock::shared(data_dir)?;
        let path = data_dir.join(DATABASE_FILE);
        let background = options.checkpoint_interval.is_some();
        let mut writer = connection::open_writer(&path, options.durability, background)?;
        retention::prepare_new(&writer)?;
        migration::migrate(&mut writer, now_ms())?;
        retention::convert_old(&writer)?;
        let codec = Arc::new(PayloadCodec::new());
        codec.install(&dictionary::all(&writer)?);
        let checkpointer = match options.checkpoint_interval {
            Some(interval) => Some(Checkpointer::start(&path, interval)?),
            None => None,
        };
        info!(path = %path.display(), durability = ?options.durability, "opened SQLite store");
        Ok(Self {
            readers: Readers::new(path.clone(), options.max_idle_readers),
            path,
            writer: Mutex::new(writer),
            checkpointer,
            member_email: AtomicBool::new(false),
            codec,
            _lock: lock,
        })
    }

    /// What opening the database in `data_dir` would migrate, without opening it as a
    /// store nor changing anything (`errata migrate --check`). A data dir without a
    /// database plans every migration (opening would create it).
    pub fn migration_plan(data_dir: &Path) -> Result<MigrationPlan> {
        let path = data_dir.join(DATABASE_FILE);
        if !path.exists() {
            return Ok(MigrationPlan::of(0, migration::MIGRATIONS));
        }
        migration::plan(&connection::open_inspector(&path)?)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes on disk: the database file plus its WAL.
    pub fn disk_usage(&self) -> u64 {
        let wal = self.path.with_extension("sqlite3-wal");
        [&self.path, &wal]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Copies the WAL into the database file and truncates the WAL.
    pub fn checkpoint(&self) -> Result<()> {
        self.write(|conn| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(db)
        })
    }

    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(checkpointer) = &self.checkpointer
            && checkpointer.take_restart()
        {
            checkpoint::restart(&conn);
        }
        let result = f(&mut conn);
        drop(conn);
        if result.is_ok()
            && let Some(checkpointer) = &self.checkpointer
        {
            checkpointer.committed();
        }
        result
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.readers.with(f)
    }
}

/// The wall clock in Unix milliseconds, for creation times.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
