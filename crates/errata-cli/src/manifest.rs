//! The manifest `errata backup` writes beside the database copy (`manifest.json`) and
//! `errata restore` checks before anything is touched: which Errata wrote the backup, the
//! schema it is at (each migration it records), when, from where, and the file's size and
//! event count as verified after the copy.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{Value, json};

use errata_store_sqlite::BackupReport;

/// The manifest's file name inside a backup directory.
pub(crate) const MANIFEST_FILE: &str = "manifest.json";

/// The layout version of the manifest and the backup directory.
const FORMAT: u64 = 1;

/// A backup directory's manifest, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    /// The Errata version that wrote the backup.
    pub(crate) errata_version: String,
    /// The database file's name in the backup directory.
    pub(crate) database_file: String,
    /// Its size in bytes.
    pub(crate) bytes: u64,
    /// Events it holds.
    pub(crate) events: u64,
    /// Its schema version.
    pub(crate) schema_version: i64,
    /// When it was taken (RFC 3339).
    pub(crate) created: String,
}

/// The manifest of a backup just written from `source` (a data dir).
pub(crate) fn describe(report: &BackupReport, source: &Path, created_ms: i64) -> Value {
    let database_file = report
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let migrations: Vec<Value> = report
        .migrations
        .iter()
        .map(|m| json!({ "version": m.version, "name": m.name, "applied_ms": m.applied_ms }))
        .collect();
    json!({
        "format": FORMAT,
        "errata_version": env!("CARGO_PKG_VERSION"),
        "backend": "sqlite",
        "created": rfc3339(created_ms),
        "created_ms": created_ms,
        "source": std::path::absolute(source).unwrap_or_else(|_| source.to_owned()),
        "database_file": database_file,
        "bytes": report.bytes,
        "events": report.events,
        "schema_version": report.schema_version(),
        "migrations": migrations,
        "integrity_check": "ok",
    })
}

/// Writes `manifest` into `dir` (through a temporary file, so it is whole or absent).
pub(crate) fn write(dir: &Path, manifest: &Value) -> anyhow::Result<PathBuf> {
    let path = dir.join(MANIFEST_FILE);
    let partial = dir.join(format!("{MANIFEST_FILE}.partial"));
    let text = serde_json::to_string_pretty(manifest)? + "\n";
    std::fs::write(&partial, text).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", partial.display()))?;
    std::fs::rename(&partial, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Reads and checks the manifest of the backup directory `dir`.
pub(crate) fn read(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} ({} is not a backup made by errata backup?)",
            path.display(),
            dir.display()
        )
    })?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let field = |name: &str| {
        value
            .get(name)
            .with_context(|| format!("{} has no {name:?}", path.display()))
    };
    let format = field("format")?.as_u64().unwrap_or(0);
    anyhow::ensure!(
        format == FORMAT,
        "{} is a backup of format {format}; this Errata reads format {FORMAT}",
        path.display()
    );
    let backend = field("backend")?.as_str().unwrap_or_default();
    anyhow::ensure!(
        backend == "sqlite",
        "{} is a {backend:?} backup; errata restore puts back SQLite backups",
        path.display()
    );
    let text_of = |name: &str| -> anyhow::Result<String> {
        Ok(field(name)?
            .as_str()
            .with_context(|| format!("{}: {name:?} is not a string", path.display()))?
            .to_owned())
    };
    let number = |name: &str| -> anyhow::Result<u64> {
        field(name)?
            .as_u64()
            .with_context(|| format!("{}: {name:?} is not a number", path.display()))
    };
    let database_file = text_of("database_file")?;
    anyhow::ensure!(
        !database_file.is_empty()
            && Path::new(&database_file).file_name() == Some(database_file.as_ref()),
        "{}: database_file {database_file:?} is not a file name",
        path.display()
    );
    Ok(Manifest {
        errata_version: text_of("errata_version")?,
        database_file,
        bytes: number("bytes")?,
        events: number("events")?,
        schema_version: i64::try_from(number("schema_version")?).unwrap_or(i64::MAX),
        created: text_of("created")?,
    })
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_store_sqlite::RecordedMigration;

    #[test]
    fn a_written_manifest_reads_back_and_a_foreign_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let report = BackupReport {
            path: dir.path().join("errata.sqlite3"),
            bytes: 4096,
            events: 3,
            migrations: vec![RecordedMigration {
                version: 1,
                name: "initial".into(),
                applied_ms: 0,
            }],
            copy_time: std::time::Duration::ZERO,
        };
        write(
            dir.path(),
            &describe(&report, dir.path(), 1_700_000_000_000),
        )
        .unwrap();
        let manifest = read(dir.path()).unwrap();
        assert_eq!(manifest.database_file, "errata.sqlite3");
        assert_eq!((manifest.bytes, manifest.events), (4096, 3));
        assert_eq!(manifest.schema_version, 1);
        assert_eq!(manifest.created, "2023-11-14T22:13:20Z");
        std::fs::write(dir.path().join(MANIFEST_FILE), r#"{"format": 7}"#).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("format 7"), "{e}");
        let e = read(&dir.path().join("nothing")).unwrap_err().to_string();
        assert!(e.contains("not a backup"), "{e}");
    }
}
