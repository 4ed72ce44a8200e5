//! Turns `rusqlite` errors into the store's one error type: uniqueness violations become
//! conflicts, everything else a backend error carrying the cause.

use rusqlite::ErrorCode;

use errata_store::StoreError;

/// Maps a `SQLite` error.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            StoreError::conflict(e.to_string()).with_source(e)
        }
        _ => StoreError::backend(e.to_string()).with_source(e),
    }
}
