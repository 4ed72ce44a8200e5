//! Outcome counters in `PostgreSQL`: hourly upserts, summed per category and reason on
//! read. Counters saturate at `i64::MAX`: `PostgreSQL` raises on a `BIGINT` overflow, so the
//! upsert clamps and the read sums as `NUMERIC` (exact) and clamps.

use errata_store::{OutcomeBucket, OutcomeCount, OutcomeDelta, ProjectId, Result, bucket_start};

use crate::db::{Db, to_i64, to_u64};

/// Upserts the deltas in key order: nodes adding to the same counters at once lock them in
/// one order (waiting, never deadlocking).
pub(crate) fn add(c: &Db<'_>, deltas: &[OutcomeDelta]) -> Result<()> {
    let mut deltas: Vec<&OutcomeDelta> = deltas.iter().collect();
    deltas.sort_by_key(|d| {
        (
            d.project_id.0,
            bucket_start(d.timestamp_ms),
            &d.category,
            &d.reason,
        )
    });
    for d in deltas {
        c.execute(
            "INSERT INTO outcomes (project_id, bucket_ms, category, reason, quantity)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (project_id, bucket_ms, category, reason)
             DO UPDATE SET quantity = CASE
                 WHEN outcomes.quantity > 9223372036854775807 - excluded.quantity
                     THEN 9223372036854775807
                 ELSE outcomes.quantity + excluded.quantity END",
            &[
                &d.project_id.0,
                &bucket_start(d.timestamp_ms),
                &d.category,
                &d.reason,
                &to_i64(d.quantity),
            ],
        )?;
    }
    Ok(())
}

/// Sums the counters exactly (`NUMERIC`), clamped to `i64::MAX`.
pub(crate) fn totals(c: &Db<'_>, project: ProjectId, since_ms: i64) -> Result<Vec<OutcomeCount>> {
    Ok(c.query(
        "SELECT category, reason,
             least(sum(quantity::NUMERIC), 9223372036854775807)::BIGINT
         FROM outcomes
         WHERE project_id = $1 AND bucket_ms >= $2
         GROUP BY category, reason ORDER BY category, reason",
        &[&project.0, &bucket_start(since_ms)],
    )?
    .iter()
    .map(|r| OutcomeCount {
        category: r.get(0),
        reason: r.get(1),
        quantity: to_u64(r.get(2)),
    })
    .collect())
}

/// The counters per hour bucket since `since_ms`, by hour, category and reason.
pub(crate) fn series(c: &Db<'_>, project: ProjectId, since_ms: i64) -> Result<Vec<OutcomeBucket>> {
    Ok(c.query(
        "SELECT bucket_ms, category, reason, quantity
         FROM outcomes
         WHERE project_id = $1 AND bucket_ms >= $2
         ORDER BY bucket_ms, category, reason",
        &[&project.0, &bucket_start(since_ms)],
    )?
    .iter()
    .map(|r| OutcomeBucket {
        hour_ms: r.get(0),
        category: r.get(1),
        reason: r.get(2),
        quantity: to_u64(r.get(3)),
    })
    .collect())
}
