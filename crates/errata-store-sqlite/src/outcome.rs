//! Outcome counters in `SQLite`: hourly upserts, summed per category and reason on read.
//! Counters saturate at `i64::MAX`: `SQLite` would turn an overflowing `+` into a REAL and
//! make `sum()` fail, so the upsert clamps and the read sums in two exact halves.

use rusqlite::{Connection, Transaction, params};

use errata_store::{OutcomeBucket, OutcomeCount, OutcomeDelta, ProjectId, Result, bucket_start};

use crate::error::db;

pub(crate) fn add(conn: &mut Connection, deltas: &[OutcomeDelta]) -> Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction().map_err(db)?;
    upsert(&tx, deltas)?;
    tx.commit().map_err(db)
}

/// Adds `deltas` to their counters on `tx`.
pub(crate) fn upsert(tx: &Transaction<'_>, deltas: &[OutcomeDelta]) -> Result<()> {
    {
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO outcomes (project_id, bucket_ms, category, reason, quantity)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (project_id, bucket_ms, category, reason)
                 DO UPDATE SET quantity = CASE
                     WHEN quantity > 9223372036854775807 - excluded.quantity
                         THEN 9223372036854775807
                     ELSE quantity + excluded.quantity END",
            )
            .map_err(db)?;
        for d in deltas {
            upsert
                .execute(params![
                    d.project_id.0,
                    bucket_start(d.timestamp_ms),
                    d.category,
                    d.reason,
                    i64::try_from(d.quantity).unwrap_or(i64::MAX)
                ])
                .map_err(db)?;
        }
    }
    Ok(())
}

/// Sums the counters exactly, without `sum()` overflowing: each counter (at most
/// `i64::MAX`) is split into its high and low 32 bits, whose sums cannot overflow before
/// 2^31 rows; the halves are combined here and clamped to `i64::MAX`.
pub(crate) fn totals(
    conn: &Connection,
    project: ProjectId,
    since_ms: i64,
) -> Result<Vec<OutcomeCount>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT category, reason, sum(quantity >> 32), sum(quantity & 4294967295)
             FROM outcomes
             WHERE project_id = ?1 AND bucket_ms >= ?2
             GROUP BY category, reason ORDER BY category, reason",
        )
        .map_err(db)?;
    stmt.query_map(params![project.0, bucket_start(since_ms)], |r| {
        let high: i64 = r.get(2)?;
        let low: i64 = r.get(3)?;
        let total = (i128::from(high) << 32) + i128::from(low);
        Ok(OutcomeCount {
            category: r.get(0)?,
            reason: r.get(1)?,
            quantity: u64::try_from(total.clamp(0, i128::from(i64::MAX))).unwrap_or(0),
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}

/// The counters per hour bucket since `since_ms`, by hour, category and reason (each
/// counter is one row: at most `i64::MAX`, no sum to split).
pub(crate) fn series(
    conn: &Connection,
    project: ProjectId,
    since_ms: i64,
) -> Result<Vec<OutcomeBucket>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT bucket_ms, category, reason, quantity
             FROM outcomes
             WHERE project_id = ?1 AND bucket_ms >= ?2
             ORDER BY bucket_ms, category, reason",
        )
        .map_err(db)?;
    stmt.query_map(params![project.0, bucket_start(since_ms)], |r| {
        Ok(OutcomeBucket {
            hour_ms: r.get(0)?,
            category: r.get(1)?,
            reason: r.get(2)?,
            quantity: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}
