//! Retention on `PostgreSQL`: the per-project usage counters, the footprint the disk budget
//! is checked against, the candidate windows and the short deletions that
//! `errata_store::retention` drives.
//!
//! Space: `PostgreSQL` does not give a deleted row's space back to the filesystem; vacuum
//! marks it free and new rows reuse it (migration 0007 makes autovacuum visit the events
//! table after 2% of it changed). So the database size alone cannot tell whether deleting
//! helped, and a budget checked against it would delete on and on: the footprint's live
//! bytes count the events table as the events the counters say it holds (their stored
//! bytes plus [`ROW_OVERHEAD_BYTES`] each) and every other table at its size. Several nodes
//! may run retention at once: a deletion skips rows another node deleted first, and the
//! counters only subtract what was deleted.

use std::collections::BTreeMap;

use errata_store::{
    Deleted, Footprint, IssueId, ProjectId, ProjectUsage, Result, RetentionCandidate,
    RetentionScope,
};

use crate::db::{Db, get_u64, to_i64};

/// What an event row costs beyond its payload: the row's other columns and header, and its
/// three index entries (measured here: about 330 bytes with short titles).
pub(crate) const ROW_OVERHEAD_BYTES: u64 = 400;

pub(crate) fn usage(c: &Db<'_>) -> Result<Vec<ProjectUsage>> {
    Ok(c.query(
        "SELECT u.project_id, u.events, u.stored_bytes,
             (SELECT e.received_ms FROM events AS e WHERE e.project_id = u.project_id
              ORDER BY e.id LIMIT 1)
         FROM project_usage AS u ORDER BY u.project_id",
        &[],
    )?
    .iter()
    .map(|r| ProjectUsage {
        project_id: ProjectId(r.get(0)),
        events: get_u64(r, 1),
        stored_bytes: get_u64(r, 2),
        oldest_received_ms: r.get(3),
    })
    .collect())
}

pub(crate) fn footprint(c: &Db<'_>) -> Result<Footprint> {
    let r = c.query_one(
        "SELECT pg_database_size(current_database()),
             pg_total_relation_size('events'::regclass)
                 + pg_total_relation_size('attachments'::regclass),
             (SELECT coalesce(sum(events), 0)::BIGINT FROM project_usage),
             (SELECT coalesce(sum(stored_bytes), 0)::BIGINT FROM project_usage)",
        &[],
    )?;
    let disk = get_u64(&r, 0);
    let event_tables = get_u64(&r, 1);
    let events = get_u64(&r, 2);
    let stored = get_u64(&r, 3);
    let live_events = stored.saturating_add(events.saturating_mul(ROW_OVERHEAD_BYTES));
    Ok(Footprint {
        disk_bytes: disk,
        live_bytes: disk
            .saturating_sub(event_tables)
            .saturating_add(live_events)
            .min(disk),
    })
}

pub(crate) fn candidates(
    c: &Db<'_>,
    scope: RetentionScope,
    after: i64,
    limit: usize,
) -> Result<Vec<RetentionCandidate>> {
    const COLUMNS: &str = "SELECT e.id, e.issue_id, e.received_ms, octet_length(e.payload)::BIGINT,
            NOT EXISTS (SELECT 1 FROM events AS f WHERE f.issue_id = e.issue_id AND f.id < e.id),
            NOT EXISTS (SELECT 1 FROM events AS f WHERE f.issue_id = e.issue_id AND f.id > e.id)
        FROM events AS e";
    let limit = to_i64(limit as u64);
    let rows = match scope {
        RetentionScope::All => c.query(
            &format!("{COLUMNS} WHERE e.id > $1 ORDER BY e.id LIMIT $2"),
            &[&after, &limit],
        )?,
        RetentionScope::Project(project) => c.query(
            &format!("{COLUMNS} WHERE e.project_id = $3 AND e.id > $1 ORDER BY e.id LIMIT $2"),
            &[&after, &limit, &project.0],
        )?,
    };
    Ok(rows
        .iter()
        .map(|r| RetentionCandidate {
            row_id: r.get(0),
            issue_id: IssueId(r.get(1)),
            received_ms: r.get(2),
            stored_bytes: get_u64(r, 3),
            first_of_issue: r.get(4),
            latest_of_issue: r.get(5),
        })
        .collect())
}

/// Deletes the events `ids` with their attachments and takes them off the usage counters
/// (in project order, as ingest adds to them), in the caller's transaction.
pub(crate) fn delete(c: &Db<'_>, ids: &[i64]) -> Result<Deleted> {
    let rows = c.query(
        "DELETE FROM events WHERE id = ANY($1)
         RETURNING project_id, event_id, octet_length(payload)::BIGINT",
        &[&ids],
    )?;
    let mut gone: BTreeMap<i64, Deleted> = BTreeMap::new();
    let mut projects = Vec::with_capacity(rows.len());
    let mut event_ids: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
    for r in &rows {
        let project: i64 = r.get(0);
        projects.push(project);
        event_ids.push(r.get(1));
        gone.entry(project).or_default().add(Deleted {
            events: 1,
            stored_bytes: get_u64(r, 2),
        });
    }
    if !rows.is_empty() {
        for r in c.query(
            "DELETE FROM attachments AS a USING unnest($1::BIGINT[], $2::BYTEA[]) AS d(p, e)
             WHERE a.project_id = d.p AND a.event_id = d.e
             RETURNING a.project_id, a.size",
            &[&projects, &event_ids],
        )? {
            gone.entry(r.get(0)).or_default().stored_bytes += get_u64(&r, 1);
        }
    }
    let mut total = Deleted::default();
    for (project, d) in &gone {
        c.execute(
            "UPDATE project_usage SET events = greatest(events - $2, 0),
                 stored_bytes = greatest(stored_bytes - $3, 0)
             WHERE project_id = $1",
            &[project, &to_i64(d.events), &to_i64(d.stored_bytes)],
        )?;
        total.add(*d);
    }
    Ok(total)
}
