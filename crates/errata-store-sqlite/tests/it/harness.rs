//! The suite's harness for `SQLite`: each store lives in its own temporary data dir, kept
//! alive (and removed at the end) by the harness.

use std::sync::Mutex;

use errata_store::BootstrapSpec;
use errata_store::suite::Harness;
use errata_store_sqlite::SqliteStore;
use tempfile::TempDir;

#[derive(Debug, Default)]
pub(crate) struct TempHarness {
    dirs: Mutex<Vec<TempDir>>,
}

impl Harness for TempHarness {
    type Store = SqliteStore;

    fn fresh(&self) -> SqliteStore {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path()).expect("open");
        self.dirs.lock().unwrap().push(dir);
        store
    }

    fn reopen(&self, store: SqliteStore) -> SqliteStore {
        let dir = store.path().parent().expect("data dir").to_owned();
        drop(store);
        SqliteStore::open(&dir).expect("reopen")
    }
}

/// The first organization, admin, project and key of the `SQLite`-specific tests.
pub(crate) fn spec() -> BootstrapSpec {
    BootstrapSpec {
        organization_slug: "o".into(),
        organization_name: "O".into(),
        admin_email: "a@example.com".into(),
        admin_password_hash: "x".into(),
        project_slug: "p".into(),
        project_name: "P".into(),
    }
}
