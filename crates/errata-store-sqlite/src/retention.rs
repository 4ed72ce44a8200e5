//! Retention on `SQLite`: the per-project usage counters, the cheap footprint the disk
//! budget is checked against, the candidate windows and the short deletions that
//! `errata_store::retention` drives, and giving free pages back to the filesystem.
//!
//! Space: a new database is created with `auto_vacuum = INCREMENTAL`, so pages freed by
//! deletions are returned by `PRAGMA incremental_vacuum` in small steps
//! ([`reclaim`]); the file shrinks when the next checkpoint writes its new size. A
//! database created before (auto-vacuum off) is converted by one `VACUUM` at open when it
//! is small ([`CONVERT_MAX_BYTES`]); a bigger one is left as it is, with a warning: its
//! freed pages are reused by new events, so it stops growing, but does not shrink.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use tracing::{info, warn};

use errata_store::{
    Deleted, Footprint, IssueId, ProjectId, ProjectUsage, Result, RetentionCandidate,
    RetentionScope,
};

use crate::error::db;

/// Databases up to this size are converted to incremental auto-vacuum at open (a `VACUUM`
/// rewrites the whole file: about a second per 100 MB here).
pub(crate) const CONVERT_MAX_BYTES: u64 = 256 << 20;

/// `auto_vacuum` must be chosen before the first table exists: called on the writer
/// connection before the migrations run.
pub(crate) fn prepare_new(conn: &Connection) -> Result<()> {
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .map_err(db)?;
    if pages == 0 {
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")
            .map_err(db)?;
    }
    Ok(())
}

/// Converts an older database to incremental auto-vacuum when it is small enough (see the
/// module documentation).
pub(crate) fn convert_old(conn: &Connection) -> Result<()> {
    let mode: i64 = conn
        .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
        .map_err(db)?;
    if mode == 2 {
        return Ok(());
    }
    let bytes: i64 = conn
        .query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    if bytes.unsigned_abs() > CONVERT_MAX_BYTES {
        warn!(
            bytes,
            "this database predates incremental vacuum: space freed by retention is reused \
             but not given back to the filesystem; to convert it, stop Errata and run \
             `sqlite3 errata.sqlite3 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM;'`"
        );
        return Ok(());
    }
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")
        .map_err(db)?;
    info!(bytes, "converted the database to incremental vacuum");
    Ok(())
}

pub(crate) fn usage(c: &Connection) -> Result<Vec<ProjectUsage>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT u.project_id, u.events, u.stored_bytes,
                 (SELECT e.received_ms FROM events AS e WHERE e.project_id = u.project_id
                  ORDER BY e.id LIMIT 1)
             FROM project_usage AS u ORDER BY u.project_id",
        )
        .map_err(db)?;
    stmt.query_map([], |r| {
        Ok(ProjectUsage {
            project_id: ProjectId(r.get(0)?),
            events: r.get::<_, i64>(1)?.max(0).unsigned_abs(),
            stored_bytes: r.get::<_, i64>(2)?.max(0).unsigned_abs(),
            oldest_received_ms: r.get(3)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}

pub(crate) fn footprint(c: &Connection, path: &Path) -> Result<Footprint> {
    let (pages, free, page_size): (i64, i64, i64) = c
        .query_row(
            "SELECT page_count, freelist_count, page_size
             FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(db)?;
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let wal = len(&path.with_extension("sqlite3-wal")) + len(&path.with_extension("sqlite3-shm"));
    let file = len(path).max((pages * page_size).unsigned_abs());
    Ok(Footprint {
        disk_bytes: file + wal,
        live_bytes: ((pages - free).max(0) * page_size).unsigned_abs() + wal,
    })
}

pub(crate) fn candidates(
    c: &Connection,
    scope: RetentionScope,
    after: i64,
    limit: usize,
) -> Result<Vec<RetentionCandidate>> {
    const COLUMNS: &str = "SELECT e.id, e.issue_id, e.received_ms, length(e.payload),
            NOT EXISTS (SELECT 1 FROM events AS f WHERE f.issue_id = e.issue_id AND f.id < e.id),
            NOT EXISTS (SELECT 1 FROM events AS f WHERE f.issue_id = e.issue_id AND f.id > e.id)
        FROM events AS e";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let row = |r: &rusqlite::Row<'_>| {
        Ok(RetentionCandidate {
            row_id: r.get(0)?,
            issue_id: IssueId(r.get(1)?),
            received_ms: r.get(2)?,
            stored_bytes: r.get::<_, i64>(3)?.max(0).unsigned_abs(),
            first_of_issue: r.get(4)?,
            latest_of_issue: r.get(5)?,
        })
    };
    match scope {
        RetentionScope::All => c
            .prepare_cached(&format!("{COLUMNS} WHERE e.id > ?1 ORDER BY e.id LIMIT ?2"))
            .and_then(|mut s| s.query_map(params![after, limit], row)?.collect())
            .map_err(db),
        RetentionScope::Project(project) => c
            .prepare_cached(&format!(
                "{COLUMNS} WHERE e.project_id = ?3 AND e.id > ?1 ORDER BY e.id LIMIT ?2"
            ))
            .and_then(|mut s| {
                s.query_map(params![after, limit, project.0], row)?
                    .collect()
            })
            .map_err(db),
    }
}

/// Deletes the events `ids` with their attachments and takes them off the usage counters,
/// in one transaction.
pub(crate) fn delete(conn: &mut Connection, ids: &[i64]) -> Result<Deleted> {
    let tx = conn.transaction().map_err(db)?;
    // project -> what left it
    let mut gone: BTreeMap<i64, Deleted> = BTreeMap::new();
    {
        let mut event = tx
            .prepare_cached(
                "DELETE FROM events WHERE id = ?1 RETURNING project_id, event_id, length(payload)",
            )
            .map_err(db)?;
        let mut attachments = tx
            .prepare_cached(
                "DELETE FROM attachments WHERE project_id = ?1 AND event_id = ?2 RETURNING size",
            )
            .map_err(db)?;
        for &id in ids {
            let row: Option<(i64, Vec<u8>, i64)> = event
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(db)?;
            let Some((project, event_id, payload)) = row else {
                continue;
            };
            let attached: i64 = attachments
                .query_map(params![project, event_id], |r| r.get::<_, i64>(0))
                .and_then(|rows| rows.sum::<rusqlite::Result<i64>>())
                .map_err(db)?;
            gone.entry(project).or_default().add(Deleted {
                events: 1,
                stored_bytes: (payload.max(0) + attached.max(0)).unsigned_abs(),
            });
        }
    }
    let mut total = Deleted::default();
    {
        let mut usage = tx
            .prepare_cached(
                "UPDATE project_usage SET events = max(events - ?2, 0),
                     stored_bytes = max(stored_bytes - ?3, 0)
                 WHERE project_id = ?1",
            )
            .map_err(db)?;
        for (project, d) in &gone {
            usage
                .execute(params![project, d.events, d.stored_bytes])
                .map_err(db)?;
            total.add(*d);
        }
    }
    tx.commit().map_err(db)?;
    Ok(total)
}

/// Gives up to `max_bytes` of free pages back to the filesystem, and truncates a WAL file
/// longer than `max_bytes` (a WAL file keeps its length when it starts over, so without
/// this the WAL's high-water mark would stay on disk); returns the bytes given back.
pub(crate) fn reclaim(conn: &Connection, path: &Path, max_bytes: u64) -> Result<u64> {
    let free_pages = |c: &Connection| -> Result<i64> {
        c.query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .map_err(db)
    };
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .map_err(db)?;
    let mut given = 0;
    let before = free_pages(conn)?;
    if before > 0 {
        let pages = i64::try_from(max_bytes)
            .unwrap_or(i64::MAX)
            .checked_div(page_size.max(1))
            .unwrap_or(0)
            .clamp(1, before);
        // Each step of this statement frees one page: step it to the end.
        let mut vacuum = conn
            .prepare(&format!("PRAGMA incremental_vacuum({pages})"))
            .map_err(db)?;
        let mut steps = vacuum.raw_query();
        while steps.next().map_err(db)?.is_some() {}
        let after = free_pages(conn)?;
        given += ((before - after).max(0) * page_size).unsigned_abs();
    }
    let wal = path.with_extension("sqlite3-wal");
    let wal_len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let long = wal_len(&wal);
    if long > max_bytes {
        // Busy (a reader still on old frames) is not an error: the next pass tries again.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db)?;
        given += long.saturating_sub(wal_len(&wal));
    }
    Ok(given)
}
