//! Helpers for upgrade tests in other crates: a data dir holding the database an older
//! Errata would have written, built by applying only the first migrations.

use std::path::Path;

use errata_store::{Result, StoreError};

use crate::error::db;
use crate::{DATABASE_FILE, migration, now_ms};

/// Creates the database in `data_dir` with migrations 1 to `version` only, as an Errata
/// whose latest migration was `version` left it (no rows besides `schema_migrations`).
///
/// # Errors
///
/// Invalid when `version` is not one this binary has; backend errors for IO.
pub fn create_at_schema(data_dir: &Path, version: i64) -> Result<()> {
    if !(1..=migration::latest_version()).contains(&version) {
        return Err(StoreError::invalid(format!(
            "no migration {version} (this binary knows 1 to {})",
            migration::latest_version()
        )));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        StoreError::backend(format!("cannot create {}", data_dir.display())).with_source(e)
    })?;
    let mut conn = rusqlite::Connection::open(data_dir.join(DATABASE_FILE)).map_err(db)?;
    migration::migrate_to(&mut conn, now_ms(), version)?;
    Ok(())
}

/// The schema version this binary writes.
pub fn latest_version() -> i64 {
    migration::latest_version()
}
