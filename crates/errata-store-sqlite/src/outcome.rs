//! Outcome counters in `SQLite`: hourly upserts, summed per category and reason on read.

use rusqlite::{Connection, params};

use errata_store::{OutcomeCount, OutcomeDelta, ProjectId, Result, bucket_start};

use crate::error::db;

pub(crate) fn add(conn: &mut Connection, deltas: &[OutcomeDelta]) -> Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction().map_err(db)?;
    {
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO outcomes (project_id, bucket_ms, category, reason, quantity)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (project_id, bucket_ms, category, reason)
                 DO UPDATE SET quantity = quantity + excluded.quantity",
            )
            .map_err(db)?;
        for d in deltas {
            upsert
                .execute(params![
                    d.project_id.0,
                    bucket_start(d.timestamp_ms),
                    d.category,
                    d.reason,
                    d.quantity
                ])
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}

pub(crate) fn totals(
    conn: &Connection,
    project: ProjectId,
    since_ms: i64,
) -> Result<Vec<OutcomeCount>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT category, reason, sum(quantity) FROM outcomes
             WHERE project_id = ?1 AND bucket_ms >= ?2
             GROUP BY category, reason ORDER BY category, reason",
        )
        .map_err(db)?;
    stmt.query_map(params![project.0, bucket_start(since_ms)], |r| {
        Ok(OutcomeCount {
            category: r.get(0)?,
            reason: r.get(1)?,
            quantity: r.get(2)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}
