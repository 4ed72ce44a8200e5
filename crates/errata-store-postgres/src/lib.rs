//! The `PostgreSQL` backend of `errata-store`, for several stateless `errata serve` nodes
//! sharing one database. This crate is its foundation: [`PgStoreConfig`] (a `postgres://`
//! URL plus pool and timeout settings), [`PgPool`] (a `deadpool-postgres` pool of
//! `tokio-postgres` connections behind a synchronous API), the crate's error type
//! [`PgError`] (which converts into [`errata_store::StoreError`]), and embedded forward-only
//! migrations applied at open under an advisory lock so nodes may start together.
//!
//! The `Store` trait is synchronous; the pool owns a small tokio runtime and runs every
//! query with `block_on`. Its methods must therefore be called from plain or blocking
//! threads (as the server already does for `SQLite`), never from inside an async context:
//! there `block_on` panics.
//!
//! TLS is not supported yet: connections use `NoTls` (keep the database on a private
//! network or a local socket until it is).

mod config;
mod error;
mod migration;
mod pool;
#[doc(hidden)]
pub mod testing;

pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_STATEMENT_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT, PgStoreConfig,
};
pub use error::PgError;
pub use migration::latest_version;
pub use pool::{PgClient, PgPool};
