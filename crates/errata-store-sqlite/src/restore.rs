//! Putting a backup back (`errata restore`): the verified file replaces the data dir's
//! database while the data dir's exclusive lock is held, so no store (a running server, a
//! CLI command) has the database open during the swap and none can open it half-copied
//! (see `lock.rs`).
//!
//! Order of the swap: the backup is copied next to the database as `.restoring` and
//! synced; the old database's `-wal` and `-shm` are removed (a WAL left beside a different
//! database file would be replayed into it: `SQLite` has no way to tell it belongs to
//! another file); the copy is renamed over the database and the directory synced. A
//! crash before the rename leaves the old database (without its WAL, when replacing was
//! forced); after it, the restored one. Migrating the restored database forward is left
//! to the next open, like any store.

use std::path::{Path, PathBuf};

use tracing::info;

use errata_store::{Result, StoreError};

use crate::backup::{BackupReport, io, remove_if_exists, sync_dir, sync_file};
use crate::{DATABASE_FILE, DataDirLock};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The database file written.
    pub path: PathBuf,
    /// What the restored file holds (checked before the copy).
    pub backup: BackupReport,
    /// Whether an existing database was replaced (`force`).
    pub replaced: bool,
}

/// Replaces (or creates) the database of `data_dir` with the backup file `verified`
/// describes: what [`crate::verify`] returned for it (so the caller can compare it with
/// what it expects before anything is touched).
///
/// # Errors
///
/// Unavailable while a store has `data_dir` open, whatever `force` says; conflict when
/// `data_dir` holds a database and `force` is false; backend errors for IO.
pub fn restore(verified: &BackupReport, data_dir: &Path, force: bool) -> Result<Restored> {
    let backup = verified.path.as_path();
    std::fs::create_dir_all(data_dir)
        .map_err(|e| io(&format!("cannot create {}", data_dir.display()), e))?;
    let lock = DataDirLock::exclusive(data_dir)?;
    let database = data_dir.join(DATABASE_FILE);
    let replaced = database.exists();
    if replaced && !force {
        return Err(StoreError::conflict(format!(
            "{} already holds a database; pass --force to replace it (it is lost: back it \
             up first)",
            data_dir.display()
        )));
    }
    let restoring = database.with_extension("sqlite3.restoring");
    std::fs::copy(backup, &restoring).map_err(|e| {
        io(
            &format!(
                "cannot copy {} to {}",
                backup.display(),
                restoring.display()
            ),
            e,
        )
    })?;
    sync_file(&restoring)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = database.clone().into_os_string();
        side.push(suffix);
        remove_if_exists(Path::new(&side))?;
    }
    std::fs::rename(&restoring, &database)
        .map_err(|e| io("cannot rename the restored database into place", e))?;
    sync_dir(data_dir);
    drop(lock);
    info!(backup = %backup.display(), database = %database.display(), replaced,
          "backup restored");
    Ok(Restored {
        path: database,
        backup: verified.clone(),
        replaced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use errata_store::Store as _;

    #[test]
    fn restore_refuses_a_live_data_dir_and_an_existing_database_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        let store = SqliteStore::open(&source).unwrap();
        let org = store.organizations().unwrap();
        let file = dir.path().join("backup.sqlite3");
        crate::backup(&source, &file).unwrap();
        let file = crate::verify(&file).unwrap();

        // A live data dir is refused, forced or not.
        let refused = restore(&file, &source, true).unwrap_err();
        assert!(refused.is_unavailable(), "{refused}");
        drop(store);
        // An existing database needs --force.
        let refused = restore(&file, &source, false).unwrap_err();
        assert!(refused.is_conflict(), "{refused}");
        let restored = restore(&file, &source, true).unwrap();
        assert!(restored.replaced);

        // A fresh data dir needs nothing, and opens.
        let fresh = dir.path().join("fresh");
        let restored = restore(&file, &fresh, false).unwrap();
        assert!(!restored.replaced);
        assert_eq!(
            SqliteStore::open(&fresh).unwrap().organizations().unwrap(),
            org
        );
    }
}
