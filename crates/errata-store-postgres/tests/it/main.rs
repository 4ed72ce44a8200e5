//! Integration tests of the `PostgreSQL` backend: `errata-store`'s conformance suite run
//! against `PgStore` (one fresh database per store, `harness`); migrations on a fresh database, on
//! reopen and under concurrent opens; schema parity with the `SQLite` backend (`schema`);
//! the hot queries' plans read through their indexes (`plan`);
//! the pool under load, exhaustion and killed connections (`pool`);
//! connection failures and password hygiene (`connect`); TLS modes against the server's
//! certificate (`tls`). Each test that needs a server
//! makes its own database (`TestDatabase`), skipped without a server unless `CI` is set,
//! and dropped afterwards, also when the test panics (tested here too).

mod connect;
mod harness;
mod plan;
mod pool;
mod schema;
mod tls;
mod writers;

errata_store::conformance_tests!(harness::PgHarness::default());

use std::sync::{Arc, Barrier};

use errata_store_postgres::testing::TestDatabase;
use errata_store_postgres::{PgPool, latest_version};

/// `(version, name)` rows of `schema_migrations`.
fn recorded(pool: &PgPool) -> Vec<(i64, String)> {
    pool.with_client(async |c| {
        let rows = c
            .query(
                "SELECT version, name FROM schema_migrations ORDER BY version",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    })
    .unwrap()
}

#[test]
fn migrations_apply_on_an_empty_database_and_once() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let all: Vec<i64> = (1..=latest_version()).collect();
    let pool = PgPool::connect(&db.config()).unwrap();
    assert_eq!(pool.dbname(), db.name());
    assert_eq!(pool.migrate().unwrap(), all);
    assert!(pool.migrate().unwrap().is_empty());
    assert_eq!(recorded(&pool)[0], (1, "initial".to_owned()));
    drop(pool);

    // Reopening finds the schema current and keeps the data.
    let pool = PgPool::open(&db.config()).unwrap();
    assert_eq!(recorded(&pool).len(), all.len());
    let id: i64 = pool
        .with_client(async |c| {
            c.execute(
                "INSERT INTO organizations (slug, name, created_ms) VALUES ('o', 'O', 1)",
                &[],
            )
            .await?;
            Ok(c.query_one("SELECT id FROM organizations", &[])
                .await?
                .get(0))
        })
        .unwrap();
    drop(pool);
    let pool = PgPool::open(&db.config()).unwrap();
    let again: i64 = pool
        .with_client(async |c| {
            Ok(c.query_one("SELECT id FROM organizations", &[])
                .await?
                .get(0))
        })
        .unwrap();
    assert_eq!(again, id);
}

#[test]
fn a_newer_schema_is_refused() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let pool = PgPool::open(&db.config()).unwrap();
    pool.with_client(async |c| {
        Ok(c.execute(
            "INSERT INTO schema_migrations VALUES (999, 'future', 0)",
            &[],
        )
        .await?)
    })
    .unwrap();
    let e = PgPool::open(&db.config()).unwrap_err();
    let e = errata_store::StoreError::from(e);
    assert!(e.is_newer_schema(), "{e}");
    assert!(
        e.to_string().contains(&format!(
            "this database was written by a newer Errata (schema 999, this binary knows up \
             to {}); upgrade Errata or restore a backup",
            latest_version()
        )),
        "{e}"
    );
    let e = errata_store_postgres::PgStore::open(&db.config()).unwrap_err();
    assert!(e.is_newer_schema(), "{e}");
    let plan = errata_store_postgres::PgStore::migration_plan(&db.config()).unwrap();
    assert!(
        plan.status.is_newer() && plan.pending.is_empty(),
        "{plan:?}"
    );
}

#[test]
fn a_migration_plan_changes_nothing() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let plan = errata_store_postgres::PgStore::migration_plan(&db.config()).unwrap();
    assert_eq!(plan.status.database, 0);
    let pending: Vec<i64> = plan.pending.iter().map(|m| m.version).collect();
    assert_eq!(pending, (1..=latest_version()).collect::<Vec<_>>());
    assert_eq!(
        plan.pending[0].summary.as_deref().map(|s| !s.is_empty()),
        Some(true)
    );
    let pool = PgPool::connect(&db.config()).unwrap();
    let tables: i64 = pool
        .with_client(async |c| {
            Ok(c.query_one(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                &[],
            )
            .await?
            .get(0))
        })
        .unwrap();
    assert_eq!(tables, 0, "planning created nothing");
    assert_eq!(pool.migrate().unwrap(), pending);
    let store = errata_store_postgres::PgStore::open(&db.config()).unwrap();
    let status = errata_store::Store::schema_status(&store).unwrap();
    assert!(status.is_current(), "{status}");
    assert_eq!(status.database, latest_version());
}

#[test]
fn concurrent_opens_of_a_fresh_database_migrate_once() {
    const NODES: usize = 4;
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let barrier = Arc::new(Barrier::new(NODES));
    let nodes: Vec<_> = (0..NODES)
        .map(|_| {
            let config = db.config();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let pool = PgPool::connect(&config).unwrap();
                barrier.wait();
                let applied = pool.migrate();
                (pool, applied)
            })
        })
        .collect();
    let mut applied = Vec::new();
    let mut pools = Vec::new();
    for node in nodes {
        let (pool, result) = node.join().unwrap();
        applied.extend(result.expect("every node opens"));
        pools.push(pool);
    }
    applied.sort_unstable();
    assert_eq!(applied, (1..=latest_version()).collect::<Vec<_>>());
    let rows = recorded(&pools[0]);
    assert_eq!(rows.len(), usize::try_from(latest_version()).unwrap());
}

#[test]
fn statement_timeout_is_unavailable() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let config = db
        .config()
        .with_statement_timeout(Some(std::time::Duration::from_millis(50)));
    let pool = PgPool::open(&config).unwrap();
    let e = pool
        .with_client(async |c| Ok(c.execute("SELECT pg_sleep(5)", &[]).await?))
        .unwrap_err();
    assert!(e.is_unavailable(), "{e}");
    assert!(e.to_string().contains("statement timeout"), "{e}");
    // A constraint violation is a conflict.
    let e = pool
        .with_client(async |c| {
            for _ in 0..2 {
                c.execute(
                    "INSERT INTO organizations (slug, name, created_ms) VALUES ('o', 'O', 1)",
                    &[],
                )
                .await?;
            }
            Ok(())
        })
        .unwrap_err();
    // The server's message is in the text, not only the driver's "db error".
    assert!(e.to_string().contains("duplicate key"), "{e}");
    let e = errata_store::StoreError::from(e);
    assert!(e.is_conflict());
    assert!(e.to_string().contains("organizations_slug_key"), "{e}");
}

#[test]
fn a_test_database_is_dropped_even_when_its_test_panics() {
    let Some(probe) = TestDatabase::create() else {
        return;
    };
    let (sender, receiver) = std::sync::mpsc::channel();
    let outcome = std::thread::spawn(move || {
        // Declared first, dropped last: the database goes while this pool is connected.
        let connected: PgPool;
        let db = TestDatabase::create().unwrap();
        connected = PgPool::open(&db.config()).unwrap();
        sender.send(db.name().to_owned()).unwrap();
        assert_ne!(
            connected.dbname(),
            db.name(),
            "deliberate panic, pool connected"
        );
    })
    .join();
    assert!(outcome.is_err());
    let name = receiver.recv().unwrap();
    let pool = PgPool::connect(&probe.config()).unwrap();
    let exists: bool = pool
        .with_client(async |c| {
            Ok(c.query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                &[&name],
            )
            .await?
            .get(0))
        })
        .unwrap();
    assert!(!exists, "{name} was left behind");
}
