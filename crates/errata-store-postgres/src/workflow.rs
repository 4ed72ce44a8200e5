//! The issue workflow in `PostgreSQL`: status changes with their terms (a resolution's
//! release threshold, an ignore's counters), the activity log written in the same
//! transaction, and the expiry of "ignore for a while". The issue row is locked
//! (`FOR UPDATE`) before it is read, so a change and a concurrent ingest batch apply in
//! some serial order. The rules themselves are `errata_store::workflow`'s.

use errata_store::{
    Activity, ActivityKind, Actor, IgnoreThresholds, Issue, IssueId, Resolution, Result,
    StatusChange, UserId,
};

use crate::db::{Db, to_i64};
use crate::issue;

/// Appends one entry to an issue's activity log.
pub(crate) fn log(
    c: &Db<'_>,
    issue: i64,
    kind: ActivityKind,
    actor: &Actor,
    detail: &str,
    now_ms: i64,
) -> Result<()> {
    c.execute(
        "INSERT INTO issue_activity (issue_id, kind, user_id, actor, detail, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &issue,
            &kind.as_str(),
            &actor.user_id.map(|u| u.0),
            &actor.name,
            &detail,
            &now_ms,
        ],
    )?;
    Ok(())
}

/// When `version` was first seen in the project, if ever.
pub(crate) fn release_first_seen(c: &Db<'_>, project: i64, version: &str) -> Result<Option<i64>> {
    Ok(c.query_opt(
        "SELECT first_seen_ms FROM releases WHERE project_id = $1 AND version = $2",
        &[&project, &version],
    )?
    .map(|r| r.get(0)))
}

pub(crate) fn change_status(
    c: &Db<'_>,
    id: IssueId,
    change: &StatusChange,
    actor: &Actor,
    now_ms: i64,
) -> Result<Issue> {
    c.execute("SELECT 1 FROM issues WHERE id = $1 FOR UPDATE", &[&id.0])?;
    let current = issue::get(c, id)?;
    let (kind, detail) = match change {
        StatusChange::Resolve(resolution) => resolve(c, &current, resolution, now_ms)?,
        StatusChange::Ignore(until) => {
            let t = IgnoreThresholds::new(until, now_ms, current.times_seen, current.user_count);
            c.execute(
                "UPDATE issues SET status = 'ignored', resolved_at_ms = NULL, resolution = NULL,
                    resolved_in_release = NULL, regress_from_release_ms = NULL,
                    regressed_at_ms = NULL, ignore_until_ms = $2, ignore_until_times_seen = $3,
                    ignore_until_user_count = $4, ignore_minutes = $5, ignore_events = $6,
                    ignore_users = $7
                 WHERE id = $1",
                &[
                    &id.0,
                    &t.until_ms,
                    &t.times_seen.map(to_i64),
                    &t.user_count.map(to_i64),
                    &until.minutes.map(to_i64),
                    &until.events.map(to_i64),
                    &until.users.map(to_i64),
                ],
            )?;
            let detail = until.detail(t);
            (ActivityKind::Ignored, detail)
        }
        StatusChange::Unresolve => {
            c.execute(
                "UPDATE issues SET status = 'unresolved', resolved_at_ms = NULL,
                    resolution = NULL, resolved_in_release = NULL,
                    regress_from_release_ms = NULL, regressed_at_ms = NULL
                 WHERE id = $1",
                &[&id.0],
            )?;
            clear_ignore(c, id.0)?;
            (ActivityKind::Unresolved, String::new())
        }
    };
    log(c, id.0, kind, actor, &detail, now_ms)?;
    issue::get(c, id)
}

fn resolve(
    c: &Db<'_>,
    current: &Issue,
    resolution: &Resolution,
    now_ms: i64,
) -> Result<(ActivityKind, String)> {
    let plan = resolution.plan(current.last_release.as_deref(), now_ms, |v| {
        release_first_seen(c, current.project_id.0, v)
    })?;
    let (name, release, threshold) = (plan.name, plan.release, plan.regress_from_release_ms);
    c.execute(
        "UPDATE issues SET status = 'resolved', resolved_at_ms = $2, resolution = $3,
            resolved_in_release = $4, regress_from_release_ms = $5, regressed_at_ms = NULL
         WHERE id = $1",
        &[&current.id.0, &now_ms, &name, &release, &threshold],
    )?;
    clear_ignore(c, current.id.0)?;
    Ok((plan.activity, plan.detail))
}

/// Forgets an ignore's conditions.
pub(crate) fn clear_ignore(c: &Db<'_>, issue: i64) -> Result<()> {
    c.execute(
        "UPDATE issues SET ignore_until_ms = NULL, ignore_until_times_seen = NULL,
            ignore_until_user_count = NULL, ignore_minutes = NULL, ignore_events = NULL,
            ignore_users = NULL
         WHERE id = $1",
        &[&issue],
    )?;
    Ok(())
}

/// The ignored issues whose ignore ran out by `$1`, locked; those another node holds are
/// skipped.
pub(crate) const EXPIRED_IGNORES: &str = "SELECT id, ignore_minutes FROM issues
    WHERE ignore_until_ms IS NOT NULL AND ignore_until_ms <= $1 AND status = 'ignored'
    ORDER BY id FOR UPDATE SKIP LOCKED";

/// Brings back the issues whose ignore ran out. `FOR UPDATE SKIP LOCKED`: an issue another
/// node is changing right now is left to that node (or to the next run).
pub(crate) fn expire_ignored(c: &Db<'_>, now_ms: i64) -> Result<Vec<IssueId>> {
    let due: Vec<(i64, u64)> = c
        .query(EXPIRED_IGNORES, &[&now_ms])?
        .iter()
        .map(|r| (r.get(0), crate::db::get_opt_u64(r, 1).unwrap_or(0)))
        .collect();
    for &(id, minutes) in &due {
        unignore(c, id, errata_store::Unignore::Expired(minutes), now_ms)?;
    }
    Ok(due.into_iter().map(|(id, _)| IssueId(id)).collect())
}

/// An ignored issue comes back as unresolved, and the log says why.
pub(crate) fn unignore(
    c: &Db<'_>,
    issue: i64,
    why: errata_store::Unignore,
    now_ms: i64,
) -> Result<()> {
    c.execute(
        "UPDATE issues SET status = 'unresolved' WHERE id = $1",
        &[&issue],
    )?;
    clear_ignore(c, issue)?;
    log(
        c,
        issue,
        ActivityKind::Unignored,
        &Actor::system(),
        &why.describe(),
        now_ms,
    )
}

pub(crate) fn activity(c: &Db<'_>, id: IssueId) -> Result<Vec<Activity>> {
    issue::ensure_exists(c, id)?;
    c.query(
        "SELECT kind, user_id, actor, detail, created_ms FROM issue_activity
         WHERE issue_id = $1 ORDER BY id",
        &[&id.0],
    )?
    .iter()
    .map(|r| {
        let kind: String = r.get(0);
        Ok(Activity {
            issue_id: id,
            kind: ActivityKind::parse(&kind)?,
            actor: Actor {
                user_id: r.get::<_, Option<i64>>(1).map(UserId),
                name: r.get(2),
            },
            detail: r.get(3),
            created_ms: r.get(4),
        })
    })
    .collect()
}
