//! The crate's error type and its mapping to [`StoreError`]: uniqueness and other
//! constraint violations become conflicts; a server that cannot be reached, refuses more
//! connections, is shutting down, cancels a statement on timeout, or reports a
//! serialization failure or deadlock becomes "unavailable" (the server answers 503, retry
//! later); everything else is a backend error carrying the cause. No message quotes the
//! connection URL, so a password never reaches logs.

use std::error::Error as _;

use deadpool_postgres::PoolError;
use errata_store::StoreError;
use tokio_postgres::error::SqlState;

/// Every failure of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The URL or settings are unusable.
    #[error("{0}")]
    Config(String),
    /// A statement failed, or the connection did.
    #[error("PostgreSQL: {}", chain(.0))]
    Db(#[from] tokio_postgres::Error),
    /// No connection could be had from the pool (timeout, connect failure).
    #[error("PostgreSQL connection pool: {}", chain(.0))]
    Pool(#[from] PoolError),
    /// The store's runtime could not be started.
    #[error("starting the PostgreSQL client runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// A migration's SQL failed (the whole migration transaction was rolled back).
    #[error("PostgreSQL migration {version} ({name}) failed: {}", chain(.source))]
    Migration {
        version: i64,
        name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database was migrated by a newer binary; it is never downgraded.
    #[error(
        "this database was written by a newer Errata (schema {found}, this binary knows up \
         to {latest}); upgrade Errata or restore a backup"
    )]
    NewerSchema { found: i64, latest: i64 },
    /// A store-level failure raised inside a query closure (not found, corrupt...).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PgError {
    /// Whether retrying later may succeed: the database is unreachable, overloaded,
    /// restarting, or the statement lost a race (timeout, serialization, deadlock).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Db(e) => db_unavailable(e),
            Self::Pool(e) => pool_unavailable(e),
            Self::Store(e) => e.is_unavailable(),
            _ => false,
        }
    }

    /// Whether a uniqueness (or other integrity) constraint refused the write.
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::Db(e) => db_conflict(e),
            Self::Store(e) => e.is_conflict(),
            _ => false,
        }
    }
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> Self {
        match e {
            PgError::Store(e) => e,
            PgError::Config(_) => StoreError::invalid(e.to_string()),
            PgError::NewerSchema { found, latest } => StoreError::newer_schema(found, latest),
            e if e.is_conflict() => StoreError::conflict(e.to_string()).with_source(e),
            e if e.is_unavailable() => StoreError::unavailable(e.to_string()).with_source(e),
            e => StoreError::backend(e.to_string()).with_source(e),
        }
    }
}

/// An error and its causes, `: `-separated: the driver's own `Display` names only the kind
/// ("db error", "error connecting to server"), the server's message is its source. A cause
/// whose text is already there (deadpool repeats its backend error) is not repeated.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

fn db_conflict(e: &tokio_postgres::Error) -> bool {
    // Class 23: integrity constraint violation (unique, check, not null, exclusion).
    e.code().is_some_and(|c| c.code().starts_with("23"))
}

fn db_unavailable(e: &tokio_postgres::Error) -> bool {
    if let Some(code) = e.code() {
        let c = code.code();
        // 08: connection exception; 53: insufficient resources (too many connections);
        // 57P01..57P03: shutdown, crash shutdown, cannot connect now.
        return c.starts_with("08")
            || c.starts_with("53")
            || c.starts_with("57P")
            || [
                SqlState::QUERY_CANCELED,
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::LOCK_NOT_AVAILABLE,
            ]
            .contains(code);
    }
    // No SQLSTATE: the socket failed (refused, reset, timed out) or was closed.
    if e.is_closed() {
        return true;
    }
    let mut cause = e.source();
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

fn pool_unavailable(e: &PoolError) -> bool {
    match e {
        PoolError::Timeout(_) | PoolError::Closed => true,
        PoolError::Backend(e) => db_unavailable(e),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_store_errors() {
        let e = StoreError::from(PgError::Config("bad".into()));
        assert!(e.is_invalid());
        let e = StoreError::from(PgError::NewerSchema {
            found: 9,
            latest: 1,
        });
        assert!(e.is_newer_schema());
        assert!(
            e.to_string()
                .contains("schema 9, this binary knows up to 1"),
            "{e}"
        );
        let e = PgError::Pool(PoolError::Timeout(deadpool_postgres::TimeoutType::Wait));
        assert!(e.is_unavailable());
        assert!(StoreError::from(e).is_unavailable());
        let e = PgError::Store(StoreError::not_found("issue 7"));
        assert!(StoreError::from(e).is_not_found());
        let e = PgError::Runtime(std::io::Error::other("no threads"));
        assert!(StoreError::from(e).is_backend());
    }
}
