//! `errata migrate-store --from <sqlite data dir> --to postgres://...`: copies a single-node
//! `SQLite` installation into `PostgreSQL`, table by table at the SQL level (the two schemas
//! mirror each other table for table and column for column), keeping every id, in one
//! `PostgreSQL` transaction. Identity sequences are then moved past the copied ids, and the
//! row counts of both sides are compared before the transaction commits.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use errata_store_postgres::{PgClient, PgPool, PgStoreConfig};
use errata_store_sqlite::{DATABASE_FILE, SqliteStore};
use rusqlite::types::Value;
use tokio_postgres::types::ToSql;

use crate::progress::Progress;

/// The migrations bookkeeping table of both backends: never copied.
const MIGRATIONS_TABLE: &str = "schema_migrations";
/// Rows per multi-row INSERT (also bounded by the 65535 parameters of a statement).
const CHUNK_ROWS: usize = 500;
/// Most parameters one INSERT uses.
const MAX_PARAMS: usize = 60_000;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The `SQLite` data directory to copy from (the one holding `errata.sqlite3`; stop the
    /// server on it first).
    #[arg(long)]
    from: PathBuf,
    /// The `PostgreSQL` database to copy into (`postgres://...`); its schema is created or
    /// brought up to date first. It must hold no organization, issue or event.
    #[arg(long)]
    to: String,
    /// Copy into a non-empty target anyway: EVERY table of the target is emptied first
    /// (TRUNCATE), so whatever it held is lost.
    #[arg(long)]
    force: bool,
}

/// One `PostgreSQL` column: its name and `data_type`.
struct Column {
    name: String,
    data_type: String,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let file = args.from.join(DATABASE_FILE);
    if !file.is_file() {
        bail!("no SQLite database at {}", file.display());
    }
    // Bring the source schema up to date so it matches the target's.
    drop(SqliteStore::open(&args.from).context("opening the SQLite store")?);
    let sqlite = rusqlite::Connection::open_with_flags(
        &file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {} read-only", file.display()))?;
    let config = PgStoreConfig::from_url(&args.to).context("the --to URL")?;
    let pool = PgPool::open(&config).context("opening the PostgreSQL database")?;
    let counts = pool
        .with_client(async |client| Ok(copy(client, &sqlite, args.force).await))
        .context("talking to PostgreSQL")??;
    let mut report = String::from("table                      sqlite   postgres\n");
    let mut mismatch = false;
    for (table, from, to) in &counts {
        let mark = if from == to { "" } else { "  MISMATCH" };
        mismatch |= from != to;
        let _ = writeln!(report, "{table:<24} {from:>9} {to:>10}{mark}");
    }
    #[allow(clippy::print_stdout, reason = "the command's output")]
    {
        print!("{report}");
    }
    if mismatch {
        bail!("row counts differ: nothing was committed");
    }
    Ok(())
}

/// Copies every table; returns (table, `SQLite` rows, `PostgreSQL` rows). Commits only when
/// every count matches.
async fn copy(
    client: &mut PgClient,
    sqlite: &rusqlite::Connection,
    force: bool,
) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let tx = client.transaction().await?;
    let tables = tables(&tx, sqlite).await?;
    let occupied: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM organizations) OR EXISTS (SELECT 1 FROM issues) \
             OR EXISTS (SELECT 1 FROM events)",
            &[],
        )
        .await?
        .get(0);
    if occupied {
        if !force {
            bail!(
                "the target database is not empty (it holds organizations, issues or events); \
                 pass --force to empty it first (everything it holds is lost)"
            );
        }
        note("the target is not empty: --force, truncating every table");
    }
    if force {
        let list = tables
            .iter()
            .map(|t| quote(t))
            .collect::<Vec<_>>()
            .join(", ");
        tx.batch_execute(&format!("TRUNCATE {list} RESTART IDENTITY CASCADE"))
            .await?;
    }

    let mut counts = Vec::new();
    for (step, table) in tables.iter().enumerate() {
        let columns: Vec<Column> = tx
            .query(
                "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                &[table],
            )
            .await?
            .iter()
            .map(|r| Column {
                name: r.get(0),
                data_type: r.get(1),
            })
            .collect();
        let total: i64 =
            sqlite.query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| {
                r.get(0)
            })?;
        let progress = Progress::start(
            step + 1,
            tables.len(),
            table,
            u64::try_from(total).unwrap_or(0),
        );
        copy_table(&tx, sqlite, table, &columns, progress).await?;
        let identity: Vec<String> = tx
            .query(
                "SELECT column_name::TEXT FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1 AND is_identity = 'YES'",
                &[table],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for column in identity {
            // Explicit ids do not advance the identity: move it past the largest copied.
            tx.execute(
                format!(
                    "SELECT setval(pg_get_serial_sequence($1, $2), max({c})) FROM {t} \
                     HAVING max({c}) IS NOT NULL",
                    c = quote(&column),
                    t = quote(table)
                )
                .as_str(),
                &[&quote(table), &column],
            )
            .await?;
        }
        let copied: i64 = tx
            .query_one(
                format!("SELECT count(*) FROM {}", quote(table)).as_str(),
                &[],
            )
            .await?
            .get(0);
        counts.push((table.clone(), total, copied));
    }
    if counts.iter().all(|(_, from, to)| from == to) {
        tx.commit().await?;
    }
    Ok(counts)
}

/// The tables to copy, in creation order (oids grow), which respects the foreign keys;
/// both sides must have the same ones.
async fn tables(
    tx: &tokio_postgres::Transaction<'_>,
    sqlite: &rusqlite::Connection,
) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = tx
        .query(
            "SELECT c.relname::TEXT FROM pg_class c \
             WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace \
             ORDER BY c.oid",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|t| t != MIGRATIONS_TABLE)
        .collect();
    let sqlite_tables: Vec<String> = sqlite
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name != ?1",
        )?
        .query_map([MIGRATIONS_TABLE], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for t in &sqlite_tables {
        if !tables.contains(t) {
            bail!("SQLite table {t} has no counterpart in PostgreSQL");
        }
    }
    for t in &tables {
        if !sqlite_tables.contains(t) {
            bail!("PostgreSQL table {t} has no counterpart in SQLite");
        }
    }

    Ok(tables)
}

/// Copies one table in primary-key order, `CHUNK_ROWS` rows per INSERT.
async fn copy_table(
    tx: &tokio_postgres::Transaction<'_>,
    sqlite: &rusqlite::Connection,
    table: &str,
    columns: &[Column],
    mut progress: Progress,
) -> anyhow::Result<()> {
    let names = columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut pk: Vec<(i64, String)> = sqlite
        .prepare(&format!(
            "SELECT pk, name FROM pragma_table_info('{table}') WHERE pk > 0"
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    pk.sort();
    let order = if pk.is_empty() {
        String::new()
    } else {
        let cols = pk.iter().map(|(_, c)| quote(c)).collect::<Vec<_>>();
        format!(" ORDER BY {}", cols.join(", "))
    };
    let mut select = sqlite.prepare(&format!("SELECT {names} FROM {}{order}", quote(table)))?;
    let mut rows = select.query([])?;
    let chunk_rows = CHUNK_ROWS.min((MAX_PARAMS / columns.len().max(1)).max(1));
    let mut chunk: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let mut in_chunk = 0;
    let mut done: i64 = 0;
    loop {
        let row = rows.next()?;
        if let Some(row) = row {
            for (i, column) in columns.iter().enumerate() {
                let value: Value = row.get(i)?;
                chunk.push(
                    convert(value, &column.data_type)
                        .with_context(|| format!("{table}.{} (row {})", column.name, done + 1))?,
                );
            }
            in_chunk += 1;
        }
        if in_chunk > 0 && (in_chunk == chunk_rows || row.is_none()) {
            insert(tx, table, &names, columns.len(), in_chunk, &chunk).await?;
            done += i64::try_from(in_chunk).unwrap_or(i64::MAX);
            progress.advance(u64::try_from(in_chunk).unwrap_or(0));
            chunk.clear();
            in_chunk = 0;
        }
        if row.is_none() {
            break;
        }
    }
    progress.finish();
    Ok(())
}

async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    names: &str,
    width: usize,
    rows: usize,
    values: &[Box<dyn ToSql + Sync + Send>],
) -> anyhow::Result<()> {
    let mut sql = format!("INSERT INTO {} ({names}) VALUES ", quote(table));
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "${}", r * width + c + 1);
        }
        sql.push(')');
    }
    let params: Vec<&(dyn ToSql + Sync)> = values
        .iter()
        .map(|v| -> &(dyn ToSql + Sync) { v.as_ref() })
        .collect();
    tx.execute(sql.as_str(), &params)
        .await
        .with_context(|| format!("inserting into {table}"))?;
    Ok(())
}

/// A `SQLite` value as the `PostgreSQL` column type wants it.
fn convert(value: Value, data_type: &str) -> anyhow::Result<Box<dyn ToSql + Sync + Send>> {
    Ok(match (data_type, value) {
        ("bigint", Value::Integer(v)) => Box::new(v),
        ("bigint", Value::Null) => Box::new(None::<i64>),
        ("integer", Value::Integer(v)) => Box::new(i32::try_from(v)?),
        ("integer", Value::Null) => Box::new(None::<i32>),
        ("smallint", Value::Integer(v)) => Box::new(i16::try_from(v)?),
        ("smallint", Value::Null) => Box::new(None::<i16>),
        ("boolean", Value::Integer(v)) => Box::new(v != 0),
        ("boolean", Value::Null) => Box::new(None::<bool>),
        ("double precision", Value::Real(v)) => Box::new(v),
        ("double precision", Value::Integer(v)) => Box::new(v as f64),
        ("double precision", Value::Null) => Box::new(None::<f64>),
        ("text", Value::Text(v)) => Box::new(v),
        ("text", Value::Null) => Box::new(None::<String>),
        ("bytea", Value::Blob(v)) => Box::new(v),
        ("bytea", Value::Null) => Box::new(None::<Vec<u8>>),
        (data_type, value) => bail!("cannot store SQLite {value:?} in a {data_type} column"),
    })
}

/// An identifier quoted for both SQL dialects.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[allow(clippy::print_stderr, reason = "a note for the operator")]
fn note(line: &str) {
    eprintln!("{line}");
}
