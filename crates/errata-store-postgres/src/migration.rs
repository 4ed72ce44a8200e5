//! Forward-only schema migrations: numbered `.sql` files under `migrations/`, embedded in
//! the binary and applied at open. Several nodes may start at once against one database:
//! each takes a transaction-scoped advisory lock first, so one applies the pending
//! migrations while the others wait and then find nothing left to do. All pending
//! migrations and their `schema_migrations` rows commit together (`PostgreSQL` DDL is
//! transactional), or not at all. A database newer than the binary (one recording a
//! migration this binary does not know: another node runs a newer Errata) is refused with
//! `StoreError::newer_schema`. [`plan`] says what [`migrate`] would do without doing it.

use std::time::{SystemTime, UNIX_EPOCH};

use errata_store::MigrationPlan;
use tokio_postgres::{GenericClient, IsolationLevel};
use tracing::info;

use crate::error::PgError;

/// Every migration, in order: (version, name, SQL). Append only; never edit a shipped one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "nodes", include_str!("../migrations/0002_nodes.sql")),
    (
        3,
        "plan_indexes",
        include_str!("../migrations/0003_plan_indexes.sql"),
    ),
    (
        4,
        "payload_storage",
        include_str!("../migrations/0004_payload_storage.sql"),
    ),
    (
        5,
        "payload_dictionaries",
        include_str!("../migrations/0005_payload_dictionaries.sql"),
    ),
    (
        6,
        "inbound_filters",
        include_str!("../migrations/0006_inbound_filters.sql"),
    ),
    (
        7,
        "retention",
        include_str!("../migrations/0007_retention.sql"),
    ),
];

/// The advisory lock key migrations hold ("errata:m" in ASCII); locks are per database.
const LOCK_KEY: i64 = 0x6572_7261_7461_3a6d;

/// The schema version this binary writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The highest migration the database records (0 without `schema_migrations`: an empty
/// database). Reads only.
pub(crate) async fn current_version(client: &impl GenericClient) -> Result<i64, PgError> {
    let row = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await?;
    if !row.get::<_, bool>(0) {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0)::BIGINT FROM schema_migrations",
            &[],
        )
        .await?
        .get(0))
}

/// What [`migrate`] would apply, without changing anything.
pub(crate) async fn plan(client: &impl GenericClient) -> Result<MigrationPlan, PgError> {
    Ok(MigrationPlan::of(
        current_version(client).await?,
        MIGRATIONS,
    ))
}

/// Brings the schema up to date; returns the versions applied by this call.
pub(crate) async fn migrate(client: &mut tokio_postgres::Client) -> Result<Vec<i64>, PgError> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?;
    // Waits for a node migrating right now; released at commit or rollback. Read
    // committed: the statements after it see what that node committed.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    // Migrations may rewrite large tables: no statement timeout for them.
    tx.batch_execute(
        "SET LOCAL statement_timeout = 0;
         CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             name TEXT NOT NULL,
             applied_ms BIGINT NOT NULL
         );",
    )
    .await?;
    let current = current_version(&tx).await?;
    if current > latest_version() {
        return Err(PgError::NewerSchema {
            found: current,
            latest: latest_version(),
        });
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut applied = Vec::new();
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql)
            .await
            .map_err(|source| PgError::Migration {
                version,
                name,
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
            &[&version, &name, &now_ms],
        )
        .await?;
        applied.push(version);
    }
    tx.commit().await?;
    for &(version, name, _) in MIGRATIONS.iter().filter(|m| applied.contains(&m.0)) {
        info!(version, name, "applied PostgreSQL migration");
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.0, i64::try_from(i).unwrap() + 1);
            assert!(m.2.contains("CREATE ") || m.2.contains("ALTER "), "{}", m.1);
        }
        assert_eq!(latest_version(), i64::try_from(MIGRATIONS.len()).unwrap());
    }
}
