//! `SQLite`-specific behaviour the generic suite cannot see: the database file in the data
//! dir, WAL journaling, the migrations table, and refusing a newer schema.

use errata_store::Store;
use errata_store_sqlite::{DATABASE_FILE, Durability, SqliteOptions, SqliteStore};

#[test]
fn creates_the_data_dir_and_uses_wal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/data");
    let store = SqliteStore::open(&dir).unwrap();
    assert_eq!(store.path(), dir.join(DATABASE_FILE));
    assert!(store.path().exists());
    drop(store);
    let conn = rusqlite::Connection::open(dir.join(DATABASE_FILE)).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(version >= 1);
}

#[test]
fn refuses_a_database_from_a_newer_binary() {
    let tmp = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(tmp.path()).unwrap());
    let conn = rusqlite::Connection::open(tmp.path().join(DATABASE_FILE)).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations VALUES (9999, 'future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    assert!(SqliteStore::open(tmp.path()).unwrap_err().is_invalid());
}

#[test]
fn process_crash_durability_opens_and_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        durability: Durability::ProcessCrash,
        max_idle_readers: 1,
    };
    let store = SqliteStore::open_with(tmp.path(), options).unwrap();
    assert!(store.organizations().unwrap().is_empty());
    store.checkpoint().unwrap();
    assert!(store.disk_usage() > 0);
}
