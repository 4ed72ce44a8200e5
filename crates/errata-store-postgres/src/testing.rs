//! Test support (not part of the API): a throwaway database per test. [`TestDatabase`]
//! creates `errata_test_<random>` through the maintenance database at
//! `ERRATA_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and drops it when dropped, also when the test panics. Without a reachable server,
//! [`TestDatabase::create`] reports the test as skipped and returns `None`, unless `CI`
//! is set: then a missing server fails the test. [`hot_queries`] hands the plan test the
//! SQL of the hot paths as the backend sends it.

use std::time::Duration;

use errata_store::{Cursor, IssueFilter, IssueQuery, IssueSort, IssueStatus, ProjectId};

use crate::config::PgStoreConfig;
use crate::pool::PgPool;

/// The maintenance database used when `ERRATA_TEST_POSTGRES_URL` is unset.
pub const DEFAULT_MAINTENANCE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    maintenance: PgPool,
    config: PgStoreConfig,
    name: String,
}

impl TestDatabase {
    /// Creates a fresh, empty database, or returns `None` (the test is skipped) when no
    /// server can be reached and `CI` is unset.
    ///
    /// # Panics
    ///
    /// When the server is unreachable and `CI` is set, or it refuses to create a database.
    #[allow(clippy::print_stderr)] // Reason: a skipped test says so on the test's output.
    pub fn create() -> Option<Self> {
        let url = std::env::var("ERRATA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_MAINTENANCE_URL.to_owned());
        let maintenance_config = PgStoreConfig::from_url(&url)
            .expect("ERRATA_TEST_POSTGRES_URL is a postgres:// URL")
            .with_max_connections(1)
            .with_connect_timeout(Duration::from_secs(3));
        let maintenance = match PgPool::connect(&maintenance_config) {
            Ok(pool) => pool,
            Err(e) if e.is_unavailable() && !in_ci() => {
                eprintln!("skipped: no PostgreSQL server reachable ({e})");
                return None;
            }
            Err(e) => panic!(
                "no PostgreSQL for the tests ({e}); start one (scripts/test does) or set \
                 ERRATA_TEST_POSTGRES_URL"
            ),
        };
        let name = format!("errata_test_{}", uuid::Uuid::new_v4().simple());
        maintenance
            .with_client(async |c| Ok(c.batch_execute(&format!("CREATE DATABASE {name}")).await?))
            .expect("CREATE DATABASE");
        let config = maintenance_config
            .with_dbname(&name)
            .with_max_connections(4)
            .with_connect_timeout(Duration::from_secs(5));
        Some(Self {
            maintenance,
            config,
            name,
        })
    }

    /// How to connect to the database (tests may change the pool settings).
    pub fn config(&self) -> PgStoreConfig {
        self.config.clone()
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    #[allow(clippy::print_stderr)] // Reason: a leaked database is worth a line in the output.
    fn drop(&mut self) {
        // FORCE: pools a panicking test left open are disconnected.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = self
            .maintenance
            .with_client(async |c| Ok(c.batch_execute(&sql).await?))
        {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// Whether a missing server fails instead of skipping: `CI` set to anything but "", "0"
/// or "false".
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The queries of the hot paths, as the backend sends them, by name: ingest's
/// deduplication and grouping, the issue list (of a project, by status, its next page, with
/// a tag filter, by status across projects), the event pages, an issue's tag counts, the
/// alert outbox's claim, authentication (DSN key, API token, session) and upkeep's expired
/// ignores. `tests/it/plan.rs` checks that each is answered from the index made for it.
///
/// # Panics
///
/// Never: the issue list's queries are built from valid filters.
pub fn hot_queries() -> Vec<(&'static str, String)> {
    let list = |project: bool, status: bool, next_page: bool, tag: bool| {
        let query = IssueQuery {
            project_id: project.then_some(ProjectId(1)),
            filter: IssueFilter {
                status: status.then_some(IssueStatus::Unresolved),
                text: Vec::new(),
                tags: if tag {
                    vec![("browser".to_owned(), "Firefox".to_owned())]
                } else {
                    Vec::new()
                },
            },
            sort: IssueSort::LastSeen,
            cursor: next_page.then(|| Cursor { sort: 1, id: 1 }.encode()),
            limit: 25,
        };
        crate::issue::list_sql(&query)
            .expect("a valid issue query")
            .0
    };
    vec![
        ("key by public key", crate::project::KEY_BY_PUBLIC.clone()),
        ("token by hash", crate::token::BY_HASH.clone()),
        ("session by secret hash", crate::session::BY_SECRET.clone()),
        (
            "stored events at ingest",
            crate::ingest::STORED_EVENTS.to_owned(),
        ),
        (
            "hash owners at ingest",
            crate::ingest::HASH_OWNERS.to_owned(),
        ),
        ("event by event id", crate::event::BY_EVENT_ID.clone()),
        ("events of an issue", crate::event::PAGE.clone()),
        ("latest event of an issue", crate::event::LATEST.clone()),
        ("tag values of an issue", crate::issue::TAGS.to_owned()),
        ("issues of a project", list(true, false, false, false)),
        (
            "issues of a project by status",
            list(true, true, false, false),
        ),
        ("next page by status", list(true, true, true, false)),
        (
            "issues of a project with a tag",
            list(true, false, false, true),
        ),
        (
            "issues of every project by status",
            list(false, true, false, false),
        ),
        ("outbox claim", crate::outbox::CLAIM.clone()),
        (
            "expired ignores",
            crate::workflow::EXPIRED_IGNORES.to_owned(),
        ),
    ]
}
