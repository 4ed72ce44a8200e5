//! The pool under load and trouble: many blocking threads share a few connections; a
//! caller that cannot get one within the wait timeout gets "unavailable" (503), not a
//! hang; a connection the server killed is replaced; dropping a pool inside an async
//! context does not panic.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use errata_store_postgres::PgPool;
use errata_store_postgres::testing::TestDatabase;

#[test]
fn many_threads_share_few_connections() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let pool = PgPool::open(&db.config().with_max_connections(2)).unwrap();
    let sums: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8_i64)
            .map(|i| {
                let pool = &pool;
                s.spawn(move || {
                    (0..20_i64)
                        .map(|j| {
                            pool.with_client(async |c| {
                                Ok(c.query_one("SELECT $1::BIGINT + $2::BIGINT", &[&i, &j])
                                    .await?
                                    .get::<_, i64>(0))
                            })
                            .unwrap()
                        })
                        .sum()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let expected: Vec<i64> = (0..8).map(|i| 20 * i + 190).collect();
    assert_eq!(sums, expected);
}

#[test]
fn an_exhausted_pool_is_unavailable_after_the_wait_timeout() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let config = db
        .config()
        .with_max_connections(1)
        .with_wait_timeout(Duration::from_millis(200));
    let pool = PgPool::open(&config).unwrap();
    let (holding, held) = mpsc::channel();
    std::thread::scope(|s| {
        let pool = &pool;
        s.spawn(move || {
            pool.with_client(async |c| {
                holding.send(()).unwrap();
                Ok(c.execute("SELECT pg_sleep(1.5)", &[]).await?)
            })
            .unwrap();
        });
        held.recv().unwrap();
        let started = Instant::now();
        let e = pool.with_client(async |_| Ok(())).unwrap_err();
        assert!(e.is_unavailable(), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    });
    // The connection is back once its holder is done.
    pool.with_client(async |_| Ok(())).unwrap();
}

#[test]
fn a_connection_the_server_killed_is_replaced() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let pool = PgPool::open(&db.config().with_max_connections(1)).unwrap();
    let admin = PgPool::connect(&db.config().with_max_connections(1)).unwrap();
    let pid = |pool: &PgPool| -> i32 {
        pool.with_client(async |c| Ok(c.query_one("SELECT pg_backend_pid()", &[]).await?.get(0)))
            .unwrap()
    };
    let before = pid(&pool);
    let terminated: bool = admin
        .with_client(async |c| {
            Ok(c.query_one("SELECT pg_terminate_backend($1)", &[&before])
                .await?
                .get(0))
        })
        .unwrap();
    assert!(terminated);
    std::thread::sleep(Duration::from_millis(200));
    // The first use may still meet the dead connection: that is "unavailable" (retry).
    if let Err(e) = pool.with_client(async |c| Ok(c.execute("SELECT 1", &[]).await?)) {
        assert!(e.is_unavailable(), "{e}");
    }
    assert_ne!(pid(&pool), before);
}

#[test]
fn dropping_a_pool_inside_an_async_context_does_not_panic() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let pool = PgPool::open(&db.config()).unwrap();
    let outer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    outer.block_on(async move { drop(pool) });
}
