//! The issue workflow in `SQLite`: status changes with their terms (a resolution's release
//! threshold, an ignore's counters), the activity log written in the same transaction,
//! and the expiry of "ignore for a while". The rules themselves are
//! `errata_store::workflow`'s; this file only stores them.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use errata_store::{
    Activity, ActivityKind, Actor, IgnoreThresholds, Issue, IssueId, Resolution, Result,
    StatusChange, UserId,
};

use crate::error::db;
use crate::issue;

/// Appends one entry to an issue's activity log.
pub(crate) fn log(
    tx: &Connection,
    issue: i64,
    kind: ActivityKind,
    actor: &Actor,
    detail: &str,
    now_ms: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO issue_activity (issue_id, kind, user_id, actor, detail, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            issue,
            kind.as_str(),
            actor.user_id.map(|u| u.0),
            actor.name,
            detail,
            now_ms
        ])
    })
    .map_err(db)?;
    Ok(())
}

/// When `version` was first seen in the project, if ever.
pub(crate) fn release_first_seen(
    conn: &Connection,
    project: i64,
    version: &str,
) -> Result<Option<i64>> {
    conn.prepare_cached("SELECT first_seen_ms FROM releases WHERE project_id = ?1 AND version = ?2")
        .and_then(|mut s| {
            s.query_row(params![project, version], |r| r.get(0))
                .optional()
        })
        .map_err(db)
}

pub(crate) fn change_status(
    conn: &mut Connection,
    id: IssueId,
    change: &StatusChange,
    actor: &Actor,
    now_ms: i64,
) -> Result<Issue> {
    let tx = conn.transaction().map_err(db)?;
    let current = issue::get(&tx, id)?;
    let (kind, detail) = match change {
        StatusChange::Resolve(resolution) => resolve(&tx, &current, resolution, now_ms)?,
        StatusChange::Ignore(until) => {
            let t = IgnoreThresholds::new(until, now_ms, current.times_seen, current.user_count);
            tx.prepare_cached(
                "UPDATE issues SET status = 'ignored', resolved_at_ms = NULL, resolution = NULL,
                    resolved_in_release = NULL, regress_from_release_ms = NULL,
                    regressed_at_ms = NULL, ignore_until_ms = ?2, ignore_until_times_seen = ?3,
                    ignore_until_user_count = ?4, ignore_minutes = ?5, ignore_events = ?6,
                    ignore_users = ?7
                 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id.0,
                    t.until_ms,
                    t.times_seen,
                    t.user_count,
                    until.minutes,
                    until.events,
                    until.users
                ])
            })
            .map_err(db)?;
            let detail = until.detail(t);
            (ActivityKind::Ignored, detail)
        }
        StatusChange::Unresolve => {
            tx.prepare_cached(
                "UPDATE issues SET status = 'unresolved', resolved_at_ms = NULL,
                    resolution = NULL, resolved_in_release = NULL,
                    regress_from_release_ms = NULL, regressed_at_ms = NULL
                 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute([id.0]))
            .map_err(db)?;
            clear_ignore(&tx, id.0)?;
            (ActivityKind::Unresolved, String::new())
        }
    };
    log(&tx, id.0, kind, actor, &detail, now_ms)?;
    let updated = issue::get(&tx, id)?;
    tx.commit().map_err(db)?;
    Ok(updated)
}

fn resolve(
    tx: &Transaction<'_>,
    current: &Issue,
    resolution: &Resolution,
    now_ms: i64,
) -> Result<(ActivityKind, String)> {
    let plan = resolution.plan(current.last_release.as_deref(), now_ms, |v| {
        release_first_seen(tx, current.project_id.0, v)
    })?;
    let (name, release, threshold) = (plan.name, plan.release, plan.regress_from_release_ms);
    tx.prepare_cached(
        "UPDATE issues SET status = 'resolved', resolved_at_ms = ?2, resolution = ?3,
            resolved_in_release = ?4, regress_from_release_ms = ?5, regressed_at_ms = NULL
         WHERE id = ?1",
    )
    .and_then(|mut s| s.execute(params![current.id.0, now_ms, name, release, threshold]))
    .map_err(db)?;
    clear_ignore(tx, current.id.0)?;
    Ok((plan.activity, plan.detail))
}

/// Forgets an ignore's conditions.
pub(crate) fn clear_ignore(tx: &Connection, issue: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE issues SET ignore_until_ms = NULL, ignore_until_times_seen = NULL,
            ignore_until_user_count = NULL, ignore_minutes = NULL, ignore_events = NULL,
            ignore_users = NULL
         WHERE id = ?1",
    )
    .and_then(|mut s| s.execute([issue]))
    .map_err(db)?;
    Ok(())
}

pub(crate) fn expire_ignored(conn: &mut Connection, now_ms: i64) -> Result<Vec<IssueId>> {
    let tx = conn.transaction().map_err(db)?;
    let due: Vec<(i64, u64)> = tx
        .prepare_cached(
            "SELECT id, ignore_minutes FROM issues
             WHERE ignore_until_ms IS NOT NULL AND ignore_until_ms <= ?1 AND status = 'ignored'
             ORDER BY id",
        )
        .and_then(|mut s| {
            s.query_map([now_ms], |r| {
                Ok((r.get(0)?, r.get::<_, Option<u64>>(1)?.unwrap_or(0)))
            })?
            .collect()
        })
        .map_err(db)?;
    for &(id, minutes) in &due {
        unignore(&tx, id, errata_store::Unignore::Expired(minutes), now_ms)?;
    }
    tx.commit().map_err(db)?;
    Ok(due.into_iter().map(|(id, _)| IssueId(id)).collect())
}

/// An ignored issue comes back as unresolved, and the log says why.
pub(crate) fn unignore(
    tx: &Connection,
    issue: i64,
    why: errata_store::Unignore,
    now_ms: i64,
) -> Result<()> {
    tx.prepare_cached("UPDATE issues SET status = 'unresolved' WHERE id = ?1")
        .and_then(|mut s| s.execute([issue]))
        .map_err(db)?;
    clear_ignore(tx, issue)?;
    log(
        tx,
        issue,
        ActivityKind::Unignored,
        &Actor::system(),
        &why.describe(),
        now_ms,
    )
}

pub(crate) fn activity(conn: &Connection, id: IssueId) -> Result<Vec<Activity>> {
    issue::ensure_exists(conn, id)?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT kind, user_id, actor, detail, created_ms FROM issue_activity
             WHERE issue_id = ?1 ORDER BY id",
        )
        .map_err(db)?;
    stmt.query_map([id.0], |r| {
        let kind: String = r.get(0)?;
        Ok(Activity {
            issue_id: id,
            kind: ActivityKind::parse(&kind).map_err(|e| issue::conversion(0, e))?,
            actor: Actor {
                user_id: r.get::<_, Option<i64>>(1)?.map(UserId),
                name: r.get(2)?,
            },
            detail: r.get(3)?,
            created_ms: r.get(4)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}
