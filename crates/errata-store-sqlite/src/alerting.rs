//! Alert rules firing during ingest, inside the batch's transaction: for every issue the
//! batch touched, each enabled rule of its project is checked (state-change triggers with
//! the event that caused them, frequency and user-count conditions with the issue's latest
//! event and its recent events, within the rule's cooldown), and a firing rule queues its
//! deliveries in the outbox. So an alert is committed with the event that triggers it or
//! not at all, and a project without rules costs one indexed read per batch.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

use errata_store::{
    AlertEvent, AlertRule, Channel, NewDelivery, NewEvent, ProjectId, Recipient, Result, Touched,
    Trigger, USER_COUNT_SCAN_LIMIT, UserId, WindowCondition,
};

use crate::error::db;

/// What a project offers its firing rules, read once per batch.
struct ProjectAlerting {
    rules: Vec<AlertRule>,
    /// The enabled channels and the members to email, loaded when a rule first fires.
    channels: Option<Vec<Channel>>,
    members: Option<Vec<UserId>>,
}

/// Fires the rules; returns the number of deliveries queued per causing event.
pub(crate) fn fire(
    tx: &Transaction<'_>,
    touched: &[Touched<'_>],
    member_email: bool,
    now_ms: i64,
) -> Result<HashMap<Uuid, u32>> {
    let mut queued: HashMap<Uuid, u32> = HashMap::new();
    // Projects with a state change in this batch; the others only need their windowed
    // rules, and most projects have none: then the batch costs one indexed read.
    let changed: HashSet<ProjectId> = touched
        .iter()
        .filter(|t| !t.changes.is_empty())
        .map(|t| t.project)
        .collect();
    let mut projects: HashMap<ProjectId, Option<ProjectAlerting>> = HashMap::new();
    for t in touched {
        let project = match projects.entry(t.project) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let windowed_only = !changed.contains(&t.project);
                v.insert(load_project(tx, t.project, windowed_only)?)
            }
        };
        let Some(project) = project else {
            continue;
        };
        for rule_index in 0..project.rules.len() {
            let rule = &project.rules[rule_index];
            let Some((trigger, event)) = firing(tx, rule, t, now_ms)? else {
                continue;
            };
            let recipients = recipients(tx, project, rule_index, member_email, t.project.0)?;
            let rule = &project.rules[rule_index];
            for recipient in &recipients {
                let new = NewDelivery {
                    project_id: t.project,
                    recipient: *recipient,
                    issue_id: t.issue,
                    event_id: Some(event.event_id),
                    trigger,
                };
                crate::outbox::insert(tx, &new, Some(rule.id), now_ms)?;
            }
            *queued.entry(event.event_id).or_insert(0) += recipients.len() as u32;
            tx.prepare_cached(
                "INSERT INTO alert_rule_issues (rule_id, issue_id, last_fired_ms)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (rule_id, issue_id) DO UPDATE SET last_fired_ms = excluded.last_fired_ms",
            )
            .and_then(|mut s| s.execute(params![rule.id.0, t.issue.0, now_ms]))
            .map_err(db)?;
        }
    }
    Ok(queued)
}

/// The project's enabled rules (only when one could fire: with `windowed_only`, when one
/// has a frequency or user-count condition), or `None`.
fn load_project(
    tx: &Transaction<'_>,
    project: ProjectId,
    windowed_only: bool,
) -> Result<Option<ProjectAlerting>> {
    let sql = if windowed_only {
        "SELECT 1 FROM alert_rules WHERE project_id = ?1 AND enabled = 1
            AND (frequency_count IS NOT NULL OR users_count IS NOT NULL)"
    } else {
        "SELECT 1 FROM alert_rules WHERE project_id = ?1 AND enabled = 1"
    };
    let has_rules = tx
        .prepare_cached(sql)
        .and_then(|mut s| s.exists([project.0]))
        .map_err(db)?;
    if !has_rules {
        return Ok(None);
    }
    let rules = crate::rule::of_project(tx, project)?
        .into_iter()
        .filter(|r| r.spec.enabled)
        .collect();
    Ok(Some(ProjectAlerting {
        rules,
        channels: None,
        members: None,
    }))
}

/// The trigger and event the rule fires with for this issue, if it fires.
fn firing<'a>(
    tx: &Transaction<'_>,
    rule: &AlertRule,
    t: &Touched<'a>,
    now_ms: i64,
) -> Result<Option<(Trigger, &'a NewEvent)>> {
    let spec = &rule.spec;
    let matches = |e: &NewEvent| {
        spec.filters.matches(&AlertEvent {
            level: e.level,
            environment: e.environment.as_deref(),
            release: e.release.as_deref(),
            tags: &e.tags,
        })
    };
    let change = t
        .changes
        .iter()
        .find(|(trigger, event)| spec.fires_on(*trigger) && matches(event));
    if let Some((trigger, event)) = change {
        return Ok(Some((*trigger, event)));
    }
    let windowed = spec.triggers.frequency.is_some() || spec.triggers.user_count.is_some();
    if !windowed || !matches(t.latest) {
        return Ok(None);
    }
    let last: Option<i64> = tx
        .prepare_cached(
            "SELECT last_fired_ms FROM alert_rule_issues WHERE rule_id = ?1 AND issue_id = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![rule.id.0, t.issue.0], |r| r.get(0))
                .optional()
        })
        .map_err(db)?;
    if spec.cooling_down(last, now_ms) {
        return Ok(None);
    }
    if let Some(c) = spec.triggers.frequency
        && events_within(tx, t.issue.0, c, now_ms)?
    {
        return Ok(Some((Trigger::Frequency, t.latest)));
    }
    if let Some(c) = spec.triggers.user_count
        && users_within(tx, t.issue.0, c, now_ms)? >= u64::from(c.count)
    {
        return Ok(Some((Trigger::UserCount, t.latest)));
    }
    Ok(None)
}

/// Whether the issue received at least `c.count` events since the window's start: the
/// `count`-th most recent event (by arrival) arrived inside the window.
fn events_within(
    tx: &Transaction<'_>,
    issue: i64,
    c: WindowCondition,
    now_ms: i64,
) -> Result<bool> {
    let nth: Option<i64> = tx
        .prepare_cached(
            "SELECT received_ms FROM events WHERE issue_id = ?1 ORDER BY id DESC
             LIMIT 1 OFFSET ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![issue, c.count.saturating_sub(1)], |r| r.get(0))
                .optional()
        })
        .map_err(db)?;
    Ok(nth.is_some_and(|received| received >= c.since_ms(now_ms)))
}

/// Distinct users among the issue's events received in the window (reading at most
/// [`USER_COUNT_SCAN_LIMIT`] of its most recent events).
fn users_within(tx: &Transaction<'_>, issue: i64, c: WindowCondition, now_ms: i64) -> Result<u64> {
    tx.prepare_cached(
        "SELECT count(DISTINCT user_key) FROM (
            SELECT user_key, received_ms FROM events WHERE issue_id = ?1
            ORDER BY id DESC LIMIT ?2)
         WHERE received_ms >= ?3 AND user_key IS NOT NULL",
    )
    .and_then(|mut s| {
        s.query_row(
            params![issue, USER_COUNT_SCAN_LIMIT, c.since_ms(now_ms)],
            |r| r.get(0),
        )
    })
    .map_err(db)
}

/// Who the firing rule sends to: its channels (all notifying ones, or the named ones),
/// each once, then the members who kept email on.
fn recipients(
    tx: &Transaction<'_>,
    project: &mut ProjectAlerting,
    rule_index: usize,
    member_email: bool,
    project_id: i64,
) -> Result<Vec<Recipient>> {
    if project.channels.is_none() {
        let enabled = crate::channel::of_project(tx, ProjectId(project_id))?
            .into_iter()
            .filter(|c| c.enabled)
            .collect();
        project.channels = Some(enabled);
    }
    let actions = &project.rules[rule_index].spec.actions;
    let mut out: Vec<Recipient> = project
        .channels
        .iter()
        .flatten()
        .filter(|c| (actions.all_channels && c.kind.notifies()) || actions.channels.contains(&c.id))
        .map(|c| Recipient::Channel(c.id))
        .collect();
    if member_email && actions.email_members {
        if project.members.is_none() {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id FROM users WHERE id NOT IN
                        (SELECT user_id FROM member_email_opt_outs WHERE project_id = ?1)
                     ORDER BY id",
                )
                .map_err(db)?;
            let members = stmt
                .query_map([project_id], |r| Ok(UserId(r.get(0)?)))
                .and_then(Iterator::collect)
                .map_err(db)?;
            project.members = Some(members);
        }
        out.extend(
            project
                .members
                .iter()
                .flatten()
                .map(|u| Recipient::Member(*u)),
        );
    }
    Ok(out)
}
