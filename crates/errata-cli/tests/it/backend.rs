//! The backend the end-to-end tests run on: `ERRATA_TEST_BACKEND` is `sqlite` (the
//! default: the store is the `SQLite` file in each server's data dir) or `postgres` (each
//! server gets a throwaway `PostgreSQL` database, [`TestDatabase`], named to the child by
//! `ERRATA_DATABASE_URL` and kept alive by [`ServerEnv`] across the server's restarts).
//! Tests that only make sense on `SQLite` skip with a reason ([`sqlite_only`]).

use std::process::Command;
use std::sync::Arc;

use errata_store_postgres::testing::{DEFAULT_MAINTENANCE_URL, TestDatabase};

/// Whether the tests run on `PostgreSQL`: `ERRATA_TEST_BACKEND` is `postgres` (or else
/// `sqlite`, the default).
///
/// # Panics
///
/// When `ERRATA_TEST_BACKEND` names no backend.
pub(crate) fn on_postgres() -> bool {
    match std::env::var("ERRATA_TEST_BACKEND").as_deref() {
        Err(_) | Ok("" | "sqlite") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("ERRATA_TEST_BACKEND={other:?}: expected sqlite or postgres"),
    }
}

/// Whether a test that only makes sense on `SQLite` runs: on `PostgreSQL` it prints why it
/// is skipped and returns `false`.
#[allow(
    clippy::print_stderr,
    reason = "a skipped test says so on the test's output"
)]
pub(crate) fn sqlite_only(reason: &str) -> bool {
    let postgres = on_postgres();
    if postgres {
        eprintln!("skipped on PostgreSQL: SQLite only ({reason})");
    }
    !postgres
}

/// What a server was started with, to start another on the same data: its extra
/// `ERRATA_*` variables and, when the harness made it, its `PostgreSQL` test database
/// (dropped with the last clone, after the servers using it are killed).
#[derive(Debug, Clone)]
pub(crate) struct ServerEnv {
    /// The extra `ERRATA_*` variables, database included.
    pub(crate) vars: Vec<(String, String)>,
    _database: Option<Arc<TestDatabase>>,
}

impl ServerEnv {
    /// `env`, plus a fresh test database's `ERRATA_DATABASE_URL` when the tests run on
    /// `PostgreSQL` and `env` names no database.
    pub(crate) fn new(env: &[(&str, &str)]) -> Self {
        let mut vars: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut database = None;
        if on_postgres() && !vars.iter().any(|(k, _)| k == "ERRATA_DATABASE_URL") {
            let db = TestDatabase::create().expect(
                "ERRATA_TEST_BACKEND=postgres needs a PostgreSQL server \
                 (ERRATA_TEST_POSTGRES_URL, default 127.0.0.1:5432)",
            );
            vars.push(("ERRATA_DATABASE_URL".to_owned(), database_url(db.name())));
            database = Some(Arc::new(db));
        }
        Self {
            vars,
            _database: database,
        }
    }

    /// Points `command` (an `errata` subcommand) at this database, if one was given.
    pub(crate) fn database_to(&self, command: &mut Command) {
        if let Some(url) = self.database_url() {
            command.env("ERRATA_DATABASE_URL", url);
        }
    }

    /// The `ERRATA_DATABASE_URL` given, if any.
    pub(crate) fn database_url(&self) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == "ERRATA_DATABASE_URL")
            .map(|(_, v)| v.as_str())
    }
}

/// The URL of database `name` on the server of `ERRATA_TEST_POSTGRES_URL`.
pub(crate) fn database_url(name: &str) -> String {
    let maintenance = std::env::var("ERRATA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_MAINTENANCE_URL.to_owned());
    let (base, query) = maintenance
        .split_once('?')
        .map_or((maintenance.as_str(), None), |(b, q)| (b, Some(q)));
    let (scheme, rest) = base.split_once("://").expect("a postgres:// URL");
    let host = rest.split_once('/').map_or(rest, |(host, _)| host);
    match query {
        Some(query) => format!("{scheme}://{host}/{name}?{query}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}
