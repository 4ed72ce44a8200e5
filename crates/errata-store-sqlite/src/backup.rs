//! Online backup of a live installation: a consistent copy of the database taken while
//! the server keeps ingesting (`errata backup`).
//!
//! # Locking
//!
//! The copy is made with `SQLite`'s online backup API (`sqlite3_backup_step(-1)`: every
//! page in one step) from a separate read-only connection of its own, never through the
//! server's store. In WAL mode a reader does not block the writer, nor the writer a
//! reader: the step reads one snapshot (the last commit before it started) from the
//! database file plus the WAL frames up to that commit, while the server's writer keeps
//! appending new commits to the WAL. Stepping the copy in chunks instead would release
//! the snapshot between chunks, and `SQLite` restarts a backup from the first page
//! whenever another connection writes the source in between: under continuous ingest it
//! would never finish. The price of the one long snapshot: checkpoints cannot copy frames
//! past it into the database file nor start the WAL over, so for the duration of the copy
//! the WAL grows by what is ingested meanwhile, and the writer's occasional RESTART
//! checkpoint gives up after its short wait (`checkpoint.rs`) instead of resetting the
//! WAL; both resume once the copy ends. No commit waits for the backup.
//!
//! The copy is written to a `.partial` file, switched to the rollback journal (a backup
//! is one self-contained file, readable anywhere, read-only media included), checked
//! with `PRAGMA integrity_check`, synced, and only then renamed into place: a file at the
//! destination's name is always a complete, verified backup.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use tracing::info;

use errata_store::{Result, StoreError};

use crate::connection::{BUSY_WAIT, open_inspector};
use crate::error::db;
use crate::{DATABASE_FILE, migration};

/// One row of `schema_migrations`: a migration applied to a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedMigration {
    /// Its number.
    pub version: i64,
    /// Its name.
    pub name: String,
    /// When it was applied (Unix milliseconds).
    pub applied_ms: i64,
}

/// What a backup (or a verification) found in a database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The file written (or checked).
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Events stored in it.
    pub events: u64,
    /// The migrations it records, in order (the last is its schema version).
    pub migrations: Vec<RecordedMigration>,
    /// How long the copy took (the snapshot was held that long); zero for a verification.
    pub copy_time: Duration,
}

impl BackupReport {
    /// The schema version: the highest migration recorded (0: none).
    pub fn schema_version(&self) -> i64 {
        self.migrations.last().map_or(0, |m| m.version)
    }
}

/// Copies the database of the installation in `data_dir` (running or not) to `dest`, a
/// file that must not exist yet, verifies the copy, and reports what it holds. The
/// source is never migrated nor written to.
///
/// # Errors
///
/// Not found when `data_dir` holds no database; conflict when `dest` exists; unavailable
/// when the database stayed locked (a long exclusive transaction); corrupt when the copy
/// fails its integrity check; backend errors for IO.
pub fn backup(data_dir: &Path, dest: &Path) -> Result<BackupReport> {
    let source = data_dir.join(DATABASE_FILE);
    if !source.exists() {
        return Err(StoreError::not_found(format!(
            "a database in {}",
            data_dir.display()
        )));
    }
    if dest.exists() {
        return Err(StoreError::conflict(format!(
            "{} already exists",
            dest.display()
        )));
    }
    let partial = dest.with_extension("partial");
    remove_if_exists(&partial)?;
    let src = open_inspector(&source)?;
    let started = Instant::now();
    let copied = copy(&src, &partial);
    let copy_time = started.elapsed();
    drop(src);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let mut report = match verify_file(&partial) {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    sync_file(&partial)?;
    std::fs::rename(&partial, dest).map_err(|e| io("cannot rename the backup into place", e))?;
    if let Some(dir) = dest.parent() {
        sync_dir(dir);
    }
    dest.clone_into(&mut report.path);
    report.copy_time = copy_time;
    info!(dest = %dest.display(), bytes = report.bytes, events = report.events,
          copy_ms = copy_time.as_millis(), "backup written");
    Ok(report)
}

/// Checks a database file as restore does before putting it back: `SQLite`'s full
/// `integrity_check`, a schema this binary can open (not newer), and what it holds. The
/// file is opened read-only and not changed.
///
/// # Errors
///
/// Not found when `file` does not exist; corrupt when it is not a sound `SQLite`
/// database; newer schema when a newer Errata wrote it.
pub fn verify(file: &Path) -> Result<BackupReport> {
    if !file.exists() {
        return Err(StoreError::not_found(file.display()));
    }
    let report = verify_file(file)?;
    let latest = migration::latest_version();
    if report.schema_version() > latest {
        return Err(StoreError::newer_schema(report.schema_version(), latest));
    }
    Ok(report)
}

/// Every page of `src` (one snapshot) into a new database at `dest`, then the rollback
/// journal for the copy.
fn copy(src: &Connection, dest: &Path) -> Result<()> {
    let mut out = Connection::open(dest).map_err(db)?;
    {
        let backup = Backup::new(src, &mut out).map_err(db)?;
        match backup.step(-1).map_err(db)? {
            StepResult::Done => {}
            StepResult::Busy | StepResult::Locked => {
                return Err(StoreError::unavailable(
                    "the database stayed locked during the backup; try again",
                ));
            }
            other => {
                return Err(StoreError::backend(format!(
                    "the backup stopped before the end ({other:?})"
                )));
            }
        }
    }
    let mode: String = out
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(db)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::backend(format!(
            "the backup kept journal mode {mode}"
        )));
    }
    out.close().map_err(|(_, e)| db(e))
}

/// Integrity, size, events and migrations of a database file (opened read-only).
fn verify_file(file: &Path) -> Result<BackupReport> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| corrupt(file, &e.to_string()))?;
    conn.busy_timeout(BUSY_WAIT).map_err(db)?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check(10)")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(|e| corrupt(file, &e.to_string()))?;
    if problems != ["ok"] {
        return Err(corrupt(file, &problems.join("; ")));
    }
    let migrations = recorded_migrations(&conn)?;
    let has_events: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'events'",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    let events: i64 = if has_events {
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .map_err(db)?
    } else {
        0
    };
    let bytes = std::fs::metadata(file)
        .map_err(|e| io("cannot read the backup's size", e))?
        .len();
    Ok(BackupReport {
        path: file.to_owned(),
        bytes,
        events: u64::try_from(events).unwrap_or(0),
        migrations,
        copy_time: Duration::ZERO,
    })
}

fn recorded_migrations(conn: &Connection) -> Result<Vec<RecordedMigration>> {
    if migration::current_version(conn)? == 0 {
        return Ok(Vec::new());
    }
    conn.prepare("SELECT version, name, applied_ms FROM schema_migrations ORDER BY version")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(RecordedMigration {
                    version: r.get(0)?,
                    name: r.get(1)?,
                    applied_ms: r.get(2)?,
                })
            })?
            .collect()
        })
        .map_err(db)
}

fn corrupt(file: &Path, why: &str) -> StoreError {
    StoreError::corrupt(format!(
        "{} is not a sound SQLite database: {why}",
        file.display()
    ))
}

pub(crate) fn io(what: &str, e: std::io::Error) -> StoreError {
    StoreError::backend(what.to_owned()).with_source(e)
}

pub(crate) fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(io(&format!("cannot remove {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

pub(crate) fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&format!("cannot sync {}", path.display()), e))
}

/// Makes a rename in `dir` durable (best effort: not every file system syncs directories).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    #[test]
    fn a_backup_is_one_verified_file_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = SqliteStore::open(&data).unwrap();
        let dest = dir.path().join("copy.sqlite3");
        let report = backup(&data, &dest).unwrap();
        drop(store);
        assert_eq!(report.events, 0);
        assert_eq!(report.schema_version(), migration::latest_version());
        assert_eq!(report.bytes, std::fs::metadata(&dest).unwrap().len());
        assert!(!dest.with_extension("partial").exists());
        assert!(!dir.path().join("copy.sqlite3-wal").exists());
        assert_eq!(verify(&dest).unwrap().migrations, report.migrations);
        assert!(backup(&data, &dest).unwrap_err().is_conflict());
        let missing = backup(&dir.path().join("none"), &dir.path().join("x")).unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
    }

    #[test]
    fn verify_refuses_garbage_and_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.sqlite3");
        std::fs::write(&garbage, vec![7u8; 8192]).unwrap();
        assert_eq!(
            verify(&garbage).unwrap_err().kind(),
            errata_store::ErrorKind::Corrupt
        );
        let newer = dir.path().join("newer.sqlite3");
        let mut conn = Connection::open(&newer).unwrap();
        migration::migrate(&mut conn, 1).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (9999, 'future', 0)",
            [],
        )
        .unwrap();
        drop(conn);
        assert!(verify(&newer).unwrap_err().is_newer_schema());
    }
}
