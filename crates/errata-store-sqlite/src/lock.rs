//! The data dir's lock: how `errata restore` knows no process is using the database it is
//! about to replace.
//!
//! Every [`crate::SqliteStore`] (the server, and the CLI commands that run beside it)
//! holds a shared advisory lock (`flock(2)`, through `File::try_lock_shared`) on
//! `errata.lock` in the data dir for as long as it is open; a restore takes the exclusive
//! lock, which the kernel grants only while no store holds the shared one, and keeps it
//! while it replaces the database, so no store opens a half-copied file. The kernel
//! releases a lock when its holder exits, however it exits (`kill -9` included): unlike a
//! pid file, a lock never goes stale, and unlike probing `SQLite`'s own locks it does not
//! depend on the journal mode or on a connection being in a transaction at that instant.
//! The lock file is separate from the database because `SQLite` uses POSIX record locks
//! on the database file, which `flock` emulation may conflict with on network file
//! systems. It is advisory: a process that opens the database without the store (the
//! `sqlite3` shell) is not seen. On a file system without `flock` a store opens anyway,
//! with a warning (restore then cannot tell whether it runs), and restore refuses.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use errata_store::{Result, StoreError};
use tracing::warn;

/// The lock file's name inside the data dir.
pub const LOCK_FILE: &str = "errata.lock";

/// A held lock on a data dir; released when dropped (or when the process exits).
#[derive(Debug)]
pub struct DataDirLock {
    _file: Option<File>,
}

impl DataDirLock {
    /// The shared lock every open store holds. Fails as unavailable while a restore holds
    /// the exclusive one.
    pub(crate) fn shared(data_dir: &Path) -> Result<Self> {
        let file = open(data_dir)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Self { _file: Some(file) }),
            Err(TryLockError::WouldBlock) => Err(StoreError::unavailable(format!(
                "{} is being restored (errata restore holds {LOCK_FILE}); start again when \
                 it is done",
                data_dir.display()
            ))),
            Err(TryLockError::Error(e)) => {
                warn!(path = %data_dir.join(LOCK_FILE).display(), error = %e,
                      "cannot lock the data dir (no flock here?); errata restore will refuse it");
                Ok(Self { _file: None })
            }
        }
    }

    /// The exclusive lock: granted only while no store has the data dir open. Fails as
    /// unavailable, naming the reason, when one does.
    pub fn exclusive(data_dir: &Path) -> Result<Self> {
        let file = open(data_dir)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: Some(file) }),
            Err(TryLockError::WouldBlock) => Err(StoreError::unavailable(format!(
                "{} is in use: an errata server (or another errata command) has it open \
                 (it holds a lock on {LOCK_FILE}); stop it first",
                data_dir.display()
            ))),
            Err(TryLockError::Error(e)) => Err(StoreError::backend(format!(
                "cannot lock {}",
                data_dir.join(LOCK_FILE).display()
            ))
            .with_source(e)),
        }
    }
}

fn open(data_dir: &Path) -> Result<File> {
    let path = data_dir.join(LOCK_FILE);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::backend(format!("cannot open {}", path.display())).with_source(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_holders_coexist_and_exclude_the_exclusive_one() {
        let dir = tempfile::tempdir().unwrap();
        let a = DataDirLock::shared(dir.path()).unwrap();
        let b = DataDirLock::shared(dir.path()).unwrap();
        let refused = DataDirLock::exclusive(dir.path()).unwrap_err();
        assert!(refused.is_unavailable());
        assert!(refused.to_string().contains("in use"), "{refused}");
        drop((a, b));
        let exclusive = DataDirLock::exclusive(dir.path()).unwrap();
        let refused = DataDirLock::shared(dir.path()).unwrap_err();
        assert!(refused.to_string().contains("being restored"), "{refused}");
        drop(exclusive);
        DataDirLock::shared(dir.path()).unwrap();
    }
}
