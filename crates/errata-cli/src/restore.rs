//! `errata restore SRC`: puts a backup made by `errata backup` back into the configured
//! data dir, then opens it like any store, which migrates an older backup forward.
//!
//! Before anything is touched: the manifest must be one this Errata reads, the file's
//! size, event count and schema must match it (a truncated or swapped copy is refused),
//! the file must pass `SQLite`'s `integrity_check`, and its schema must not be newer than
//! this binary's. The data dir
//! must not be in use: every open store (a running server, another errata command)
//! holds a shared lock on `errata.lock` there, and the restore needs the exclusive one
//! (`errata_store_sqlite::DataDirLock`), so it refuses a live installation whatever
//! `--force` says; `--force` only allows replacing a database that is not in use.

use std::path::PathBuf;

use anyhow::Context as _;
use errata_server::Config;
use errata_store::Store as _;
use errata_store_sqlite::SqliteStore;

use crate::backup::size;
use crate::database::StoreUrl;
use crate::manifest;

/// `errata restore`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A backup directory written by `errata backup` (with its manifest.json).
    src: PathBuf,
    /// Replace the database the data dir already holds (never while a server runs).
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(config: &Config, args: &Args) -> anyhow::Result<()> {
    let data_dir = match StoreUrl::of(config)? {
        StoreUrl::Sqlite(dir) => dir,
        StoreUrl::Postgres(_) => anyhow::bail!(
            "errata restore puts back SQLite backups; on PostgreSQL restore a pg_dump archive \
             with pg_restore --dbname=... into an empty database (or a pg_basebackup copy \
             of the whole server), then start Errata, which migrates it forward"
        ),
    };
    let manifest = manifest::read(&args.src)?;
    let file = args.src.join(&manifest.database_file);
    let bytes = std::fs::metadata(&file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    anyhow::ensure!(
        bytes == manifest.bytes,
        "{} is {bytes} bytes but its manifest says {}: the backup is incomplete or was \
         changed",
        file.display(),
        manifest.bytes
    );
    let verified = errata_store_sqlite::verify(&file)
        .with_context(|| format!("checking {}", file.display()))?;
    anyhow::ensure!(
        (verified.events, verified.schema_version()) == (manifest.events, manifest.schema_version),
        "{} holds {} events at schema {} but its manifest says {} at schema {}",
        file.display(),
        verified.events,
        verified.schema_version(),
        manifest.events,
        manifest.schema_version
    );
    let restored =
        errata_store_sqlite::restore(&verified, &data_dir, args.force).with_context(|| {
            format!(
                "restoring {} into {}",
                args.src.display(),
                data_dir.display()
            )
        })?;
    // Open it like the server would: pending migrations are applied now.
    let plan = SqliteStore::migration_plan(&data_dir)
        .with_context(|| format!("reading the restored schema in {}", data_dir.display()))?;
    let store = SqliteStore::open(&data_dir)
        .with_context(|| format!("opening the restored database in {}", data_dir.display()))?;
    let schema = store.schema_status()?;
    drop(store);
    #[allow(clippy::print_stdout, reason = "the operator reads these lines")]
    {
        println!(
            "Restored {} (taken {} by Errata {}) into {}{}",
            args.src.display(),
            manifest.created,
            manifest.errata_version,
            data_dir.display(),
            if restored.replaced {
                ", replacing its database"
            } else {
                ""
            }
        );
        println!(
            "  Database:   {} ({}, {} events, integrity ok)",
            restored.path.display(),
            size(restored.backup.bytes),
            restored.backup.events
        );
        if plan.pending.is_empty() {
            println!("  Schema:     {} (current)", schema.database);
        } else {
            let applied: Vec<String> = plan
                .pending
                .iter()
                .map(|m| format!("{} {}", m.version, m.name))
                .collect();
            println!(
                "  Schema:     migrated from {} to {} ({})",
                plan.status.database,
                schema.database,
                applied.join(", ")
            );
        }
        println!("Start the server: errata serve");
    }
    Ok(())
}
