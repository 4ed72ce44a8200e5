//! Schema upgrades and downgrades through the binary: `errata migrate --check` on an
//! older installation's database lists what an upgrade applies and changes nothing, then
//! `errata migrate` applies it; a database that records a migration this binary does not
//! know (a newer Errata wrote it) is refused by `serve`, `migrate` and `restore`, on
//! `SQLite` and on `PostgreSQL`; and a running server's `/readyz` fails its "migrations
//! current" check once a newer node has migrated its database.

use std::path::Path;
use std::process::{Command, Output};

use errata_store_postgres::testing::TestDatabase;
use errata_store_postgres::{PgPool, PgStoreConfig};
use errata_store_sqlite::{DATABASE_FILE, SqliteStore, testing};

use crate::backend::database_url;
use crate::harness::{ServerProcess, get};

/// The refusal every entry point gives for a database beyond this binary.
const NEWER: &str = "this database was written by a newer Errata (schema 999, this binary \
                     knows up to";

fn errata(database: &[&str], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(database)
        .args(args)
        .env_remove("ERRATA_DATABASE_URL")
        .output()
        .expect("running errata")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Records migration 999 in the `SQLite` database of `data_dir`, as a newer Errata would.
fn record_future_migration_sqlite(data_dir: &Path) {
    let conn = rusqlite::Connection::open(data_dir.join(DATABASE_FILE)).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute(
        "INSERT INTO schema_migrations VALUES (999, 'from_the_future', 0)",
        [],
    )
    .unwrap();
}

fn record_future_migration_postgres(url: &str) {
    let pool = PgPool::connect(&PgStoreConfig::from_url(url).unwrap()).unwrap();
    pool.with_client(async |c| {
        c.execute(
            "INSERT INTO schema_migrations VALUES (999, 'from_the_future', 0)",
            &[],
        )
        .await?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn migrate_check_lists_what_an_upgrade_applies_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let latest = testing::latest_version();
    let older = latest - 3;
    testing::create_at_schema(&data, older).unwrap();
    let file = data.join(DATABASE_FILE);
    let before = std::fs::read(&file).unwrap();
    let data_arg = ["--data-dir", data.to_str().unwrap()];

    let out = errata(&data_arg, &["migrate", "--check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("Schema:     {older} (this binary: {latest})")),
        "{text}"
    );
    assert!(text.contains("Pending:    3 migration(s)"), "{text}");
    let plan = SqliteStore::migration_plan(&data).unwrap();
    for m in &plan.pending {
        assert!(
            text.contains(&format!("  {:04} {}", m.version, m.name)),
            "{text}"
        );
    }
    // The first migration pending opens with a comment: its first sentence is shown.
    let summary = plan.pending[0].summary.as_deref().expect("a summary");
    assert!(text.contains(summary), "{text}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "--check changed the file"
    );
    assert_eq!(plan.status.database, older);

    let out = errata(&data_arg, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "Applied 3 migration(s): the schema is at {latest}."
        )),
        "{}",
        stdout(&out)
    );
    let out = errata(&data_arg, &["migrate", "--check"]);
    assert!(
        stdout(&out).contains("Up to date: nothing to apply."),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_newer_sqlite_database_is_refused_by_serve_migrate_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(SqliteStore::open(&data).unwrap());
    let backup = dir.path().join("backup");
    let data_arg = ["--data-dir", data.to_str().unwrap()];
    let out = errata(&data_arg, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    record_future_migration_sqlite(&data);

    let e = SqliteStore::open(&data).unwrap_err();
    assert!(e.is_newer_schema(), "{e}");
    assert!(e.to_string().contains(NEWER), "{e}");
    for args in [
        &["migrate", "--check"][..],
        &["migrate"],
        &["serve", "--bind", "127.0.0.1:0"],
    ] {
        let out = errata(&data_arg, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr(&out).contains(NEWER), "{args:?}: {}", stderr(&out));
    }

    // A backup of it is refused by restore too, before the data dir is touched.
    std::fs::remove_dir_all(&backup).unwrap();
    let out = errata(&data_arg, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let fresh = dir.path().join("fresh");
    let out = errata(
        &["--data-dir", fresh.to_str().unwrap()],
        &["restore", backup.to_str().unwrap()],
    );
    assert!(stderr(&out).contains(NEWER), "{}", stderr(&out));
    assert!(!fresh.join(DATABASE_FILE).exists());
}

#[test]
fn migrate_check_and_the_downgrade_refusal_on_postgres() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let url = database_url(db.name());
    let database = ["--database-url", url.as_str()];
    let out = errata(&database, &["migrate", "--check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let latest = errata_store_postgres::latest_version();
    assert!(
        stdout(&out).contains(&format!("Schema:     0 (this binary: {latest})")),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("  0001 initial: "),
        "{}",
        stdout(&out)
    );
    let plan = errata_store_postgres::PgStore::migration_plan(&db.config()).unwrap();
    assert_eq!(plan.status.database, 0, "--check applied nothing");

    let out = errata(&database, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    record_future_migration_postgres(&url);
    for args in [
        &["migrate", "--check"][..],
        &["serve", "--bind", "127.0.0.1:0"],
    ] {
        let out = errata(&database, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr(&out).contains(NEWER), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn readyz_fails_once_a_newer_node_migrated_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let ready = get(&server.url("/readyz"));
    assert_eq!(ready.status, 200, "{ready:?}");
    match server.env().database_url() {
        Some(url) => record_future_migration_postgres(url),
        None => record_future_migration_sqlite(&server.data_dir),
    }
    let ready = get(&server.url("/readyz"));
    assert_eq!(ready.status, 503, "{ready:?}");
    let body = ready.json();
    assert_eq!(body["status"], "not ready", "{body}");
    let migrations = body["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == "migrations"))
        .unwrap_or_else(|| panic!("no migrations check: {body}"));
    assert_eq!(migrations["state"], "failing", "{body}");
    let detail = migrations["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("migrations not current: schema 999 is newer than this binary's"),
        "{detail}"
    );
    assert_eq!(get(&server.url("/healthz")).status, 200, "still alive");
}
