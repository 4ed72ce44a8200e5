//! The suite's harness for `PostgreSQL`: each store gets its own fresh database
//! (`TestDatabase`), kept alive by the harness and dropped with it at the end of the test.
//! The suite cannot skip a test, so without a reachable server `fresh` panics.

use std::sync::Mutex;

use errata_store::suite::Harness;
use errata_store_postgres::PgStore;
use errata_store_postgres::testing::TestDatabase;

#[derive(Debug, Default)]
pub(crate) struct PgHarness {
    databases: Mutex<Vec<TestDatabase>>,
}

impl Harness for PgHarness {
    type Store = PgStore;

    fn fresh(&self) -> PgStore {
        let db = TestDatabase::create()
            .expect("the conformance suite needs a PostgreSQL server (ERRATA_TEST_POSTGRES_URL)");
        let store = PgStore::open(&db.config()).expect("open");
        self.databases.lock().unwrap().push(db);
        store
    }

    fn reopen(&self, store: PgStore) -> PgStore {
        let name = store.pool().dbname().to_owned();
        drop(store);
        let databases = self.databases.lock().unwrap();
        let db = databases
            .iter()
            .find(|db| db.name() == name)
            .expect("a database of this harness");
        PgStore::open(&db.config()).expect("reopen")
    }
}
