//! The live nodes of an installation in `PostgreSQL`: one row per running `errata serve`
//! with the time it last beat; a node silent past the window is deleted by the next beat
//! of any other, so the count is always of the nodes alive now.

use errata_store::Result;

use crate::db::Db;

/// See [`errata_store::Store::node_heartbeat`]: one upsert, one delete, one count, in one
/// transaction.
pub(crate) fn heartbeat(c: &Db<'_>, node: &str, now_ms: i64, live_since_ms: i64) -> Result<u32> {
    c.transaction(|tx| {
        tx.execute(
            "INSERT INTO nodes (name, seen_ms) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET seen_ms = excluded.seen_ms",
            &[&node, &now_ms],
        )?;
        tx.execute(
            "DELETE FROM nodes WHERE seen_ms < $1 AND name <> $2",
            &[&live_since_ms, &node],
        )?;
        let live: i64 = tx.query_one("SELECT count(*) FROM nodes", &[])?.get(0);
        Ok(u32::try_from(live).unwrap_or(u32::MAX).max(1))
    })
}

/// See [`errata_store::Store::node_leave`].
pub(crate) fn leave(c: &Db<'_>, node: &str) -> Result<()> {
    c.execute("DELETE FROM nodes WHERE name = $1", &[&node])
        .map(|_| ())
}
