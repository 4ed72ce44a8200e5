//! The live nodes of an installation in `SQLite`: one row per running `errata serve` with
//! the time it last beat; a node silent past the window is deleted by the next beat of any
//! other, so the count is always of the nodes alive now (on `SQLite`, the one node).

use rusqlite::Connection;

use errata_store::Result;

use crate::error::db;

/// See [`errata_store::Store::node_heartbeat`]: one upsert, one delete, one count, in
/// the caller's write transaction.
pub(crate) fn heartbeat(
    conn: &Connection,
    node: &str,
    now_ms: i64,
    live_since_ms: i64,
) -> Result<u32> {
    conn.prepare_cached(
        "INSERT INTO nodes (name, seen_ms) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET seen_ms = excluded.seen_ms",
    )
    .and_then(|mut s| s.execute(rusqlite::params![node, now_ms]))
    .map_err(db)?;
    conn.prepare_cached("DELETE FROM nodes WHERE seen_ms < ?1 AND name <> ?2")
        .and_then(|mut s| s.execute(rusqlite::params![live_since_ms, node]))
        .map_err(db)?;
    let live: i64 = conn
        .prepare_cached("SELECT count(*) FROM nodes")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db)?;
    Ok(u32::try_from(live).unwrap_or(u32::MAX).max(1))
}

/// See [`errata_store::Store::node_leave`].
pub(crate) fn leave(conn: &Connection, node: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM nodes WHERE name = ?1")
        .and_then(|mut s| s.execute([node]))
        .map(|_| ())
        .map_err(db)
}
