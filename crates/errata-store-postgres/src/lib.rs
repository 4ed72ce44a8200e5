//! The `PostgreSQL` backend of `errata-store`, for several stateless `errata serve` nodes
//! sharing one database: [`PgStore`] implements [`errata_store::Store`] over
//! [`PgStoreConfig`] (a `postgres://` URL plus pool and timeout settings), [`PgPool`] (a
//! `deadpool-postgres` pool of `tokio-postgres` connections behind a synchronous API), the
//! crate's error type [`PgError`] (which converts into [`errata_store::StoreError`]), and
//! embedded forward-only migrations applied at open under an advisory lock so nodes may
//! start together.
//!
//! The `Store` trait is synchronous; the pool owns a small tokio runtime and runs every
//! query with `block_on`. Its methods must therefore be called from plain or blocking
//! threads (as the server already does for `SQLite`), never from inside an async context:
//! there `block_on` panics.
//!
//! The per-concern modules (`project.rs`, `issue.rs`, `outbox.rs`...) port the `SQLite`
//! backend's queries one for one over a sync per-call connection (`db.rs`); ingest is
//! `errata_store::file_batch` over this backend's row operations (`ingest.rs`). Every
//! write is one READ COMMITTED transaction, retried as a whole when it loses a race
//! (deadlock, serialization failure, or a race ingest detects itself). Where several nodes
//! write at once, rows are locked in one order (ingest: a batch's new hashes, then its
//! issues by id, then its project), counters are database-side increments, unique rows
//! are inserted with `ON CONFLICT`, and dispatchers claim deliveries with
//! `FOR UPDATE SKIP LOCKED`.
//!
//! Connections are encrypted with rustls as libpq's `sslmode` says (`tls.rs`: `prefer` by
//! default; `verify-full` with `sslrootcert` to check the server's certificate).

mod alerting;
mod channel;
mod config;
mod db;
mod dictionary;
mod error;
mod event;
mod ingest;
mod issue;
mod migration;
mod node;
mod outbox;
mod outcome;
mod pool;
mod project;
mod retention;
mod rule;
mod session;
mod store;
#[doc(hidden)]
pub mod testing;
mod tls;
mod token;
mod user;
mod user_report;
mod workflow;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{SystemTime, UNIX_EPOCH};

use errata_store::{PayloadCodec, Result};
use tracing::{info, warn};

pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_STATEMENT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT, PgStoreConfig,
};
pub use error::PgError;
pub use migration::latest_version;
pub use pool::{PgClient, PgPool};
pub use tls::{TlsMode, TlsOptions};

use db::Db;

/// How many times a write transaction that lost a race (serialization failure, deadlock)
/// is run in all before its error is returned.
const WRITE_ATTEMPTS: usize = 5;

/// Errata's store on `PostgreSQL`.
pub struct PgStore {
    pool: PgPool,
    /// Whether firing rules queue email to members (see `Store::set_member_email`).
    member_email: AtomicBool,
    /// Payload compression with the stored dictionaries: loaded at open, refreshed by the
    /// server and on a read that names one it lacks (another node trained it).
    codec: Arc<PayloadCodec>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects and applies pending migrations.
    pub fn open(config: &PgStoreConfig) -> Result<Self> {
        let pool = PgPool::open(config)?;
        info!(database = %pool.dbname(), "opened PostgreSQL store");
        let codec = Arc::new(PayloadCodec::new());
        codec.install(&dictionary::all(&Db::new(&pool)?)?);
        Ok(Self {
            pool,
            member_email: AtomicBool::new(false),
            codec,
        })
    }

    /// What opening the database would migrate, without migrating (`errata migrate
    /// --check`): connects, reads `schema_migrations`, disconnects.
    pub fn migration_plan(config: &PgStoreConfig) -> Result<errata_store::MigrationPlan> {
        Ok(PgPool::connect(config)?.migration_plan()?)
    }

    /// Opens the database of a `postgres://` URL with the default pool settings.
    pub fn open_url(url: &str) -> Result<Self> {
        Self::open(&PgStoreConfig::from_url(url)?)
    }

    /// The connection pool (for maintenance and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `f` in one transaction on a pooled connection; a transaction that failed on a
    /// serialization failure or a deadlock is run again, as a whole.
    fn write<T>(&self, f: impl Fn(&Db<'_>) -> Result<T>) -> Result<T> {
        let mut attempt = 1;
        loop {
            let db = Db::new(&self.pool)?;
            match db.transaction(&f) {
                Err(e) if db.take_retryable() && attempt < WRITE_ATTEMPTS => {
                    warn!(attempt, error = %e, "write transaction lost a race; retrying");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Runs `f` on a pooled connection, outside a transaction.
    fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        f(&Db::new(&self.pool)?)
    }
}

/// The wall clock in Unix milliseconds, for creation times.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::testing::TestDatabase;

    /// Fails the statement with a serialization failure (SQLSTATE 40001).
    const LOSE_A_RACE: &str =
        "DO $$ BEGIN RAISE EXCEPTION 'lost a race' USING ERRCODE = '40001'; END $$";

    fn organizations(store: &PgStore) -> Vec<String> {
        store
            .read(|c| {
                Ok(c.query("SELECT slug FROM organizations ORDER BY id", &[])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect())
            })
            .unwrap()
    }

    #[test]
    fn a_write_that_lost_a_race_is_retried_as_a_whole() {
        let Some(db) = TestDatabase::create() else {
            return;
        };
        let store = PgStore::open(&db.config()).unwrap();
        let runs = AtomicUsize::new(0);
        let value = store
            .write(|c| {
                let run = runs.fetch_add(1, Ordering::Relaxed);
                c.execute(
                    "INSERT INTO organizations (slug, name, created_ms) VALUES ($1, '', 0)",
                    &[&format!("run-{run}")],
                )?;
                if run < 2 {
                    c.execute(LOSE_A_RACE, &[])?;
                }
                Ok(run)
            })
            .unwrap();
        assert_eq!(value, 2);
        // The failed runs' writes were rolled back; the connection is usable again.
        assert_eq!(organizations(&store), ["run-2"]);

        let runs = AtomicUsize::new(0);
        let e = store
            .write(|c| {
                runs.fetch_add(1, Ordering::Relaxed);
                c.execute(LOSE_A_RACE, &[])
            })
            .unwrap_err();
        assert!(e.is_unavailable(), "{e}");
        assert_eq!(runs.load(Ordering::Relaxed), WRITE_ATTEMPTS);

        // Other failures are not retried.
        let runs = AtomicUsize::new(0);
        let e = store
            .write(|c| {
                runs.fetch_add(1, Ordering::Relaxed);
                c.execute("SELECT no_such_column FROM organizations", &[])
            })
            .unwrap_err();
        assert!(e.is_backend(), "{e}");
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        assert_eq!(organizations(&store), ["run-2"]);
    }

    #[test]
    fn a_panic_inside_a_write_rolls_it_back_before_the_connection_is_reused() {
        let Some(db) = TestDatabase::create() else {
            return;
        };
        // One connection: the next call gets the one the panicking write held.
        let store = PgStore::open(&db.config().with_max_connections(1)).unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.write(|c| {
                c.execute(
                    "INSERT INTO organizations (slug, name, created_ms) VALUES ('half', '', 0)",
                    &[],
                )?;
                panic!("deliberate panic inside a write");
                #[allow(unreachable_code)]
                Ok(())
            })
        }));
        assert!(panicked.is_err());
        // Inside the panicked write's transaction an id would be assigned (it inserted).
        let in_transaction: bool = store
            .read(|c| {
                Ok(
                    c.query_one("SELECT txid_current_if_assigned() IS NOT NULL", &[])?
                        .get(0),
                )
            })
            .unwrap();
        assert!(
            !in_transaction,
            "the connection came back inside a transaction"
        );
        assert!(organizations(&store).is_empty());
    }
}
