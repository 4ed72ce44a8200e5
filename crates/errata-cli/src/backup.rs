//! `errata backup DEST`: a consistent online backup of a `SQLite` installation, taken
//! while its server keeps ingesting. DEST is a directory (created) that receives the
//! database copy (`errata.sqlite3`) and a manifest (`manifest.json`).
//!
//! The copy is made by `errata_store_sqlite::backup` from a read connection of this
//! process: in WAL mode readers do not block the server's writer, so ingest goes on; the
//! copy is one snapshot (everything committed before it started, nothing after), checked
//! with `PRAGMA integrity_check` before it is renamed into place (see that function's
//! documentation for the locking in detail). `PostgreSQL` installations are backed up
//! with `PostgreSQL`'s own tools; the command refuses and names them.

use std::path::PathBuf;

use anyhow::Context as _;
use errata_server::Config;
use errata_store_sqlite::DATABASE_FILE;

use crate::database::StoreUrl;
use crate::manifest;

/// `errata backup`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The directory to write the backup into (created if missing).
    dest: PathBuf,
    /// Replace a backup DEST already holds.
    #[arg(long)]
    force: bool,
}

/// What to run instead on `PostgreSQL` (the `errata backup` refusal and the README).
pub(crate) const POSTGRES_BACKUP: &str = "errata backup copies SQLite installations; this \
    one is on PostgreSQL, which has its own tools for a consistent online backup:\n  \
    pg_dump --format=custom --file=errata.dump \"$DATABASE_URL\"   (one database, a \
    consistent snapshot taken while the nodes keep writing; put it back with pg_restore \
    --dbname=\"$EMPTY_DATABASE_URL\" errata.dump)\n  \
    pg_basebackup --pgdata=DIR --wal-method=stream --checkpoint=fast   (the whole \
    PostgreSQL server, physically; with WAL archiving, point-in-time recovery)\nAn Errata \
    of the same or a newer version opens a restored database and migrates it forward.";

pub(crate) fn run(config: &Config, args: &Args) -> anyhow::Result<()> {
    let data_dir = match StoreUrl::of(config)? {
        StoreUrl::Sqlite(dir) => dir,
        StoreUrl::Postgres(_) => anyhow::bail!("{POSTGRES_BACKUP}"),
    };
    std::fs::create_dir_all(&args.dest)
        .with_context(|| format!("creating {}", args.dest.display()))?;
    let database = args.dest.join(DATABASE_FILE);
    let manifest_path = args.dest.join(manifest::MANIFEST_FILE);
    let replacing = database.exists() || manifest_path.exists();
    anyhow::ensure!(
        !replacing || args.force,
        "{} already holds a backup; pass --force to replace it, or choose another directory",
        args.dest.display()
    );
    // When replacing, the old backup stays whole until the new one is verified.
    let target = if replacing {
        args.dest.join(format!("{DATABASE_FILE}.new"))
    } else {
        database.clone()
    };
    remove_if_exists(&target)?;
    let created_ms = now_ms();
    let mut report = errata_store_sqlite::backup(&data_dir, &target).with_context(|| {
        format!(
            "backing up the SQLite database in {} to {}",
            data_dir.display(),
            args.dest.display()
        )
    })?;
    if replacing {
        remove_if_exists(&manifest_path)?;
        std::fs::rename(&target, &database)
            .with_context(|| format!("replacing {}", database.display()))?;
        report.path.clone_from(&database);
    }
    let manifest = manifest::write(
        &args.dest,
        &manifest::describe(&report, &data_dir, created_ms),
    )?;
    #[allow(clippy::print_stdout, reason = "the operator reads these lines")]
    {
        println!(
            "Backed up {} to {}",
            data_dir.display(),
            args.dest.display()
        );
        println!(
            "  Database:   {} ({}, {} events, schema {}, integrity ok)",
            report.path.display(),
            size(report.bytes),
            report.events,
            report.schema_version()
        );
        println!("  Manifest:   {}", manifest.display());
        println!(
            "  Snapshot:   held for {:.1} s while ingest went on",
            report.copy_time.as_secs_f64()
        );
        println!(
            "Restore with: errata restore {} (server stopped)",
            args.dest.display()
        );
    }
    Ok(())
}

fn remove_if_exists(path: &std::path::Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Bytes for people: `812 KB`, `12.3 MB`, `4.1 GB` (powers of 1000).
pub(crate) fn size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "a rounded figure for display")]
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(812_001), "813 KB");
        assert_eq!(size(12_345_678), "12.3 MB");
        assert_eq!(size(4_100_000_000), "4.1 GB");
    }
}
