//! A synchronous face for one pooled connection: the store's per-concern modules are
//! straight ports of the `SQLite` backend's sync code, so each statement here is prepared
//! once per connection (`prepare_cached`), run with `block_on` on the pool's runtime, and
//! its error mapped to a [`StoreError`]. A [`Db`] left inside a transaction (an early `?`
//! or a panic) rolls it back before the connection goes back to the pool.

use std::cell::Cell;

use errata_store::{Result, StoreError};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use crate::error::PgError;
use crate::pool::{PgClient, PgPool};

/// Parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One connection held for the length of a store call.
pub(crate) struct Db<'p> {
    pool: &'p PgPool,
    client: PgClient,
    in_tx: Cell<bool>,
    /// Whether a statement failed on a serialization failure or a deadlock (the whole
    /// transaction may be retried).
    retryable: Cell<bool>,
}

impl<'p> Db<'p> {
    pub(crate) fn new(pool: &'p PgPool) -> Result<Self> {
        Ok(Self {
            pool,
            client: pool.get()?,
            in_tx: Cell::new(false),
            retryable: Cell::new(false),
        })
    }

    fn run<T>(
        &self,
        f: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        self.pool.block_on(f).map_err(|e| {
            if e.code().is_some_and(|c| {
                *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
            }) {
                self.retryable.set(true);
            }
            StoreError::from(PgError::Db(e))
        })
    }

    /// Marks the transaction as having lost a race the caller detected itself (it is
    /// retried as a whole, as after a serialization failure).
    pub(crate) fn lost_race(&self) {
        self.retryable.set(true);
    }

    /// Whether the last failure was a lost race worth retrying the transaction for.
    pub(crate) fn take_retryable(&self) -> bool {
        self.retryable.replace(false)
    }

    /// Every row of a statement.
    pub(crate) fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.query(&statement, params).await
        })
    }

    /// At most one row (more is a backend error).
    pub(crate) fn query_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.query_opt(&statement, params).await
        })
    }

    /// Exactly one row.
    pub(crate) fn query_one(&self, sql: &str, params: Params<'_>) -> Result<Row> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.query_one(&statement, params).await
        })
    }

    /// Rows changed.
    pub(crate) fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64> {
        self.run(async {
            let statement = self.client.prepare_cached(sql).await?;
            self.client.execute(&statement, params).await
        })
    }

    /// Whether the statement returns a row.
    pub(crate) fn exists(&self, sql: &str, params: Params<'_>) -> Result<bool> {
        Ok(self.query_opt(sql, params)?.is_some())
    }

    fn batch(&self, sql: &str) -> Result<()> {
        self.run(self.client.batch_execute(sql))
    }

    /// Runs `f` in a transaction (READ COMMITTED): committed when it returns `Ok`, rolled
    /// back otherwise.
    pub(crate) fn transaction<T>(&self, f: impl FnOnce(&Self) -> Result<T>) -> Result<T> {
        self.batch("BEGIN")?;
        self.in_tx.set(true);
        let result = f(self);
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = self.batch(end);
        self.in_tx.set(false);
        let value = result?;
        ended?;
        Ok(value)
    }
}

impl Drop for Db<'_> {
    fn drop(&mut self) {
        if self.in_tx.get() {
            // A panic inside a transaction: never hand an open one to the next caller.
            let _ = self.pool.block_on(self.client.batch_execute("ROLLBACK"));
        }
    }
}

/// An `i64` column read as a count (negative values read as 0).
pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A count written as a `BIGINT` (saturating at `i64::MAX`).
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A `BIGINT` column read as a count.
pub(crate) fn get_u64(r: &Row, idx: usize) -> u64 {
    to_u64(r.get(idx))
}

/// A nullable `BIGINT` column read as a count.
pub(crate) fn get_opt_u64(r: &Row, idx: usize) -> Option<u64> {
    r.get::<_, Option<i64>>(idx).map(to_u64)
}
