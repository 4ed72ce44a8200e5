//! `errata migrate [--check]`: what an upgrade does to the database's schema. With
//! `--check` nothing is changed (the database is read, never opened as a store, so no
//! migration runs): it prints the schema version the database is at, this binary's, and
//! each migration that opening would apply (number, name, what it does), or that it is up
//! to date, or fails when a newer Errata wrote the database. Without `--check` it applies
//! them, as starting the server would; on `SQLite` only while no server has the data dir
//! open (an older server must not find its schema changed under it).

use anyhow::Context as _;
use errata_server::Config;
use errata_store::{MigrationPlan, StoreError};
use errata_store_postgres::{PgStore, PgStoreConfig};
use errata_store_sqlite::{DataDirLock, SqliteStore};

use crate::database::{StoreUrl, describe, open_store};

/// `errata migrate`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Say what would be applied, change nothing.
    #[arg(long)]
    check: bool,
}

pub(crate) fn run(config: &Config, args: &Args) -> anyhow::Result<()> {
    let url = StoreUrl::of(config)?;
    let plan = match &url {
        StoreUrl::Sqlite(dir) => SqliteStore::migration_plan(dir).with_context(|| {
            format!(
                "reading the schema of the SQLite database in {}",
                dir.display()
            )
        })?,
        StoreUrl::Postgres(url) => {
            let pg = PgStoreConfig::from_url(url)
                .context("invalid database_url (--database-url, ERRATA_DATABASE_URL)")?;
            PgStore::migration_plan(&pg).context("reading the PostgreSQL schema")?
        }
    };
    #[allow(clippy::print_stdout, reason = "the operator reads these lines")]
    {
        print!("{}", render(&describe(config)?, &plan));
    }
    if plan.status.is_newer() {
        return Err(StoreError::newer_schema(plan.status.database, plan.status.binary).into());
    }
    if args.check || plan.pending.is_empty() {
        return Ok(());
    }
    if let StoreUrl::Sqlite(dir) = &url {
        drop(DataDirLock::exclusive(dir).context("migrating")?);
    }
    let store = open_store(config).context("applying the migrations")?;
    let status = store.schema_status()?;
    #[allow(clippy::print_stdout, reason = "the operator reads these lines")]
    {
        println!(
            "Applied {} migration(s): the schema is at {}.",
            plan.pending.len(),
            status.database
        );
    }
    Ok(())
}

/// The plan for people: where the schema stands and each pending migration.
fn render(database: &str, plan: &MigrationPlan) -> String {
    use std::fmt::Write as _;
    let status = plan.status;
    let mut out = format!(
        "Database:   {database}\nSchema:     {} (this binary: {})\n",
        status.database, status.binary
    );
    if status.is_newer() {
        out.push_str("Newer than this binary: nothing will be applied.\n");
    } else if plan.pending.is_empty() {
        out.push_str("Up to date: nothing to apply.\n");
    } else {
        let _ = writeln!(out, "Pending:    {} migration(s)", plan.pending.len());
        for m in &plan.pending {
            let _ = write!(out, "  {:04} {}", m.version, m.name);
            if let Some(summary) = &m.summary {
                let _ = write!(out, ": {summary}");
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[(i64, &str, &str)] = &[
        (1, "initial", "-- The tables.\nCREATE TABLE t (x INT);"),
        (2, "nodes", "CREATE TABLE n (x INT);"),
    ];

    #[test]
    fn the_plan_reads_as_what_would_happen() {
        let pending = render("SQLite in /d", &MigrationPlan::of(0, MIGRATIONS));
        assert_eq!(
            pending,
            "Database:   SQLite in /d\nSchema:     0 (this binary: 2)\nPending:    2 \
             migration(s)\n  0001 initial: The tables.\n  0002 nodes\n"
        );
        let current = render("x", &MigrationPlan::of(2, MIGRATIONS));
        assert!(
            current.ends_with("Up to date: nothing to apply.\n"),
            "{current}"
        );
        let newer = render("x", &MigrationPlan::of(5, MIGRATIONS));
        assert!(newer.contains("Schema:     5 (this binary: 2)"), "{newer}");
    }
}
