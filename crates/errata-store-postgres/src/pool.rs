//! The connection pool behind a synchronous API. A [`PgPool`] owns a dedicated tokio
//! runtime (one worker thread, built once at open) that drives the pooled connections;
//! callers on plain or blocking threads run their queries with [`PgPool::with_client`],
//! which blocks on the runtime. Never call it from inside an async context (a tokio
//! worker): `block_on` panics there — the store's callers already use blocking threads.

use std::fmt;
use std::time::Instant;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tracing::debug;

use crate::config::PgStoreConfig;
use crate::error::PgError;
use crate::migration;

/// A pooled connection (derefs to [`tokio_postgres::Client`], adds `prepare_cached`).
pub type PgClient = deadpool_postgres::Client;

/// A pool of connections to one database and the runtime that drives them.
pub struct PgPool {
    /// `Some` until drop, which shuts it down without blocking (drop may happen anywhere).
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    dbname: String,
}

impl fmt::Debug for PgPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgPool")
            .field("dbname", &self.dbname)
            .field("max_size", &status.max_size)
            .field("size", &status.size)
            .field("available", &status.available)
            .finish_non_exhaustive()
    }
}

impl PgPool {
    /// Connects (one connection is opened to check the server, the credentials and the
    /// database) without touching the schema.
    pub fn connect(config: &PgStoreConfig) -> Result<Self, PgError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("errata-pg")
            .enable_all()
            .build()
            .map_err(PgError::Runtime)?;
        let manager = Manager::from_config(
            config.driver_config(),
            config.tls.connector()?,
            ManagerConfig {
                // `is_closed` only: a dead connection fails its next statement, which is
                // "unavailable" (retry), instead of a probe query on every checkout.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.max_connections)
            .runtime(Runtime::Tokio1)
            // The driver's connect_timeout covers TCP only; these bound the startup
            // handshake and authentication too, so a silent server cannot hang us.
            .create_timeout(Some(config.connect_timeout))
            .recycle_timeout(Some(config.connect_timeout))
            .wait_timeout(Some(config.wait_timeout))
            .build()
            .map_err(|e| PgError::Config(format!("building the connection pool: {e}")))?;
        let this = Self {
            runtime: Some(runtime),
            pool,
            dbname: config.dbname().to_owned(),
        };
        let started = Instant::now();
        this.with_client(async |_| Ok(()))?;
        debug!(database = %this.dbname, elapsed = ?started.elapsed(), "connected to PostgreSQL");
        Ok(this)
    }

    /// Connects and brings the schema up to date (see [`PgPool::migrate`]).
    pub fn open(config: &PgStoreConfig) -> Result<Self, PgError> {
        let pool = Self::connect(config)?;
        pool.migrate()?;
        Ok(pool)
    }

    /// Applies the pending migrations; returns the versions this call applied (empty when
    /// the schema was current or another node applied them first).
    pub fn migrate(&self) -> Result<Vec<i64>, PgError> {
        self.with_client(async |client| migration::migrate(client).await)
    }

    /// What [`PgPool::migrate`] would apply, without changing anything.
    pub fn migration_plan(&self) -> Result<errata_store::MigrationPlan, PgError> {
        self.with_client(async |client| {
            let client: &tokio_postgres::Client = client;
            migration::plan(client).await
        })
    }

    /// The database's schema version against this binary's.
    pub fn schema_status(&self) -> Result<errata_store::SchemaStatus, PgError> {
        self.with_client(async |client| {
            let client: &tokio_postgres::Client = client;
            Ok(errata_store::SchemaStatus {
                database: migration::current_version(client).await?,
                binary: migration::latest_version(),
            })
        })
    }

    /// The most connections the pool opens.
    pub fn max_connections(&self) -> usize {
        self.pool.status().max_size
    }

    /// The database connected to.
    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// Runs `f` with a pooled connection, blocking the calling thread until it is done.
    ///
    /// # Panics
    ///
    /// When called from inside an async context, as [`PgPool::block_on`].
    pub fn with_client<T>(
        &self,
        f: impl AsyncFnOnce(&mut PgClient) -> Result<T, PgError>,
    ) -> Result<T, PgError> {
        self.block_on(async {
            let mut client = self.pool.get().await?;
            f(&mut client).await
        })
    }

    /// A pooled connection, waited for on the pool's runtime (the store's sync layer holds
    /// it for one call and runs each statement with [`PgPool::block_on`]).
    pub(crate) fn get(&self) -> Result<PgClient, PgError> {
        Ok(self.block_on(self.pool.get())?)
    }

    /// Runs a future on the pool's runtime.
    ///
    /// # Panics
    ///
    /// When called from inside an async context (tokio refuses nested `block_on`).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime
            .as_ref()
            .expect("the runtime lives until drop")
            .block_on(future)
    }
}

impl Drop for PgPool {
    fn drop(&mut self) {
        self.pool.close();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
