//! Forward-only schema migrations: numbered `.sql` files under `migrations/`, embedded in
//! the binary, applied in order at open, each in its own transaction together with its row
//! in `schema_migrations`. A database newer than the binary (one that records a migration
//! this binary does not know) is refused with [`StoreError::newer_schema`], never
//! downgraded. [`plan`] says what [`migrate`] would do without doing it.

use rusqlite::{Connection, OptionalExtension, params};
use tracing::info;

use errata_store::{MigrationPlan, Result, StoreError};

use crate::error::db;

/// Every migration, in order: (version, name, SQL). Append only; never edit a shipped one.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (
        2,
        "project_scrubbing",
        include_str!("../migrations/0002_project_scrubbing.sql"),
    ),
    (
        3,
        "project_settings",
        include_str!("../migrations/0003_project_settings.sql"),
    ),
    (
        4,
        "user_roles",
        include_str!("../migrations/0004_user_roles.sql"),
    ),
    (
        5,
        "sessions_and_scopes",
        include_str!("../migrations/0005_sessions_and_scopes.sql"),
    ),
    (
        6,
        "issue_workflow",
        include_str!("../migrations/0006_issue_workflow.sql"),
    ),
    (
        7,
        "alerting",
        include_str!("../migrations/0007_alerting.sql"),
    ),
    (8, "nodes", include_str!("../migrations/0008_nodes.sql")),
    (
        9,
        "payload_dictionaries",
        include_str!("../migrations/0009_payload_dictionaries.sql"),
    ),
    (
        10,
        "inbound_filters",
        include_str!("../migrations/0010_inbound_filters.sql"),
    ),
    (
        11,
        "retention",
        include_str!("../migrations/0011_retention.sql"),
    ),
];

/// The schema version this binary writes.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// The highest migration `conn`'s database records (0 for a database without
/// `schema_migrations`: empty, or not Errata's). Reads only.
pub(crate) fn current_version(conn: &Connection) -> Result<i64> {
    let recorded: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master
             WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    if !recorded {
        return Ok(0);
    }
    Ok(conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .map_err(db)?
        .flatten()
        .unwrap_or(0))
}

/// What [`migrate`] would apply to `conn`'s database, without changing it.
pub(crate) fn plan(conn: &Connection) -> Result<MigrationPlan> {
    Ok(MigrationPlan::of(current_version(conn)?, MIGRATIONS))
}

/// Brings the schema up to date; returns the versions applied.
pub(crate) fn migrate(conn: &mut Connection, now_ms: i64) -> Result<Vec<i64>> {
    migrate_to(conn, now_ms, latest_version())
}

/// Applies the pending migrations up to `target` only (tests build an older
/// installation's database with it); returns the versions applied.
pub(crate) fn migrate_to(conn: &mut Connection, now_ms: i64, target: i64) -> Result<Vec<i64>> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_ms INTEGER NOT NULL
        )",
    )
    .map_err(db)?;
    let current = current_version(conn)?;
    if current > latest_version() {
        return Err(StoreError::newer_schema(current, latest_version()));
    }
    let mut applied = Vec::new();
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current && m.0 <= target) {
        let tx = conn.transaction().map_err(db)?;
        tx.execute_batch(sql).map_err(|e| {
            StoreError::backend(format!("migration {version} ({name}) failed")).with_source(e)
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?1, ?2, ?3)",
            params![version, name, now_ms],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        info!(version, name, "applied migration");
        applied.push(version);
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
        }
    }

    #[test]
    fn migrates_once_and_refuses_newer_schemas() {
        let mut conn = Connection::open_in_memory().unwrap();
        let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert_eq!(migrate(&mut conn, 1).unwrap(), all);
        assert!(migrate(&mut conn, 2).unwrap().is_empty());
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'issues'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 1);
        conn.execute(
            "INSERT INTO schema_migrations VALUES (999, 'future', 0)",
            [],
        )
        .unwrap();
        let refused = migrate(&mut conn, 3).unwrap_err();
        assert!(refused.is_newer_schema(), "{refused}");
        assert!(refused.to_string().contains(&format!(
            "schema 999, this binary knows up to {}",
            latest_version()
        )));
        assert!(plan(&conn).unwrap().status.is_newer());
    }

    #[test]
    fn a_plan_changes_nothing_and_lists_what_migrate_then_applies() {
        let mut conn = Connection::open_in_memory().unwrap();
        let empty = plan(&conn).unwrap();
        assert_eq!(empty.status.database, 0);
        assert_eq!(empty.pending.len(), MIGRATIONS.len());
        assert_eq!(migrate_to(&mut conn, 1, 3).unwrap(), [1, 2, 3]);
        let old = plan(&conn).unwrap();
        assert_eq!(plan(&conn).unwrap(), old, "planning twice changes nothing");
        assert_eq!(old.status.database, 3);
        let pending: Vec<i64> = old.pending.iter().map(|m| m.version).collect();
        assert_eq!(migrate(&mut conn, 2).unwrap(), pending);
        assert!(plan(&conn).unwrap().status.is_current());
    }

    #[test]
    fn a_version_1_database_gains_project_scrubbing_on() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].2).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                 applied_ms INTEGER NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 'initial', 0);
             INSERT INTO organizations (id, slug, name, created_ms) VALUES (1, 'o', 'O', 0);
             INSERT INTO projects (id, organization_id, slug, name, created_ms)
                 VALUES (1, 1, 'p', 'P', 0);",
        )
        .unwrap();
        let later: Vec<i64> = MIGRATIONS[1..].iter().map(|m| m.0).collect();
        assert_eq!(migrate(&mut conn, 5).unwrap(), later);
        let scrub: bool = conn
            .query_row("SELECT scrub_data FROM projects WHERE id = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(scrub);
    }

    #[test]
    fn a_version_2_database_gains_default_settings_and_integer_outcomes() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0].2).unwrap();
        conn.execute_batch(MIGRATIONS[1].2).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                 applied_ms INTEGER NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 'initial', 0), (2, 'project_scrubbing', 0);
             INSERT INTO organizations (id, slug, name, created_ms) VALUES (1, 'o', 'O', 0);
             INSERT INTO projects (id, organization_id, slug, name, created_ms, scrub_data)
                 VALUES (1, 1, 'p', 'P', 0, 0);
             -- what an overflowing sum left behind before counters saturated
             INSERT INTO outcomes VALUES (1, 0, 'error', 'rate_limited', 1.8e19);
             INSERT INTO outcomes VALUES (1, 0, 'error', 'too_large', 7);
             INSERT INTO users (id, email, password_hash, is_admin, created_ms)
                 VALUES (1, 'admin@x', 'h', 1, 0), (2, 'second@x', 'h', 1, 0),
                        (3, 'member@x', 'h', 0, 0);",
        )
        .unwrap();
        let later: Vec<i64> = MIGRATIONS[2..].iter().map(|m| m.0).collect();
        assert_eq!(migrate(&mut conn, 5).unwrap(), later);
        // The first admin becomes the owner (the bootstrap finds it by that role), other
        // admins admins, the rest members.
        let roles: Vec<String> = conn
            .prepare("SELECT role FROM users ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(roles, ["owner", "admin", "member"]);
        let project = crate::project::get(&conn, errata_store::ProjectId(1)).unwrap();
        assert!(!project.scrub_data);
        assert!(project.sensitive_fields.is_empty());
        assert!(!project.scrub_ip_addresses);
        assert_eq!(project.event_quota, None);
        let counters: Vec<(String, i64)> = conn
            .prepare("SELECT typeof(quantity), quantity FROM outcomes ORDER BY reason")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            counters,
            [("integer".to_owned(), i64::MAX), ("integer".to_owned(), 7)]
        );
        let bad_window = conn.execute(
            "UPDATE projects SET event_quota_limit = 1, event_quota_window = 'week'",
            [],
        );
        assert!(bad_window.is_err());
    }
}
