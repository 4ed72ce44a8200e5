//! Turns `rusqlite` errors into the store's one error type: uniqueness violations become
//! conflicts, a busy or locked database "unavailable" (retry later), everything else a
//! backend error carrying the cause.

use rusqlite::ErrorCode;

use errata_store::StoreError;

/// Maps a `SQLite` error.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            StoreError::conflict(e.to_string()).with_source(e)
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
        {
            StoreError::unavailable(e.to_string()).with_source(e)
        }
        _ => StoreError::backend(e.to_string()).with_source(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_is_unavailable_and_unique_is_conflict() {
        let a = rusqlite::Connection::open_in_memory().unwrap();
        a.execute_batch("CREATE TABLE t (x UNIQUE); INSERT INTO t VALUES (1)")
            .unwrap();
        assert!(db(a.execute("INSERT INTO t VALUES (1)", []).unwrap_err()).is_conflict());
        assert!(db(a.execute("SELEC", []).unwrap_err()).is_backend());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder
            .execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE")
            .unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let busy = other.execute_batch("BEGIN IMMEDIATE").unwrap_err();
        assert!(db(busy).is_unavailable());
    }
}
