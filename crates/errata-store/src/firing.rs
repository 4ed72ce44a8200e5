//! Alert rules firing at the end of an ingest batch: the decisions, written once for every
//! backend. For every issue the batch touched, each enabled rule of its project is checked:
//! a state change (new issue, regression, ignored issue back) fires the rules that ask for
//! it with the event that caused it; otherwise a frequency or user-count condition is
//! checked with the issue's latest event, unless the rule fired for the issue within its
//! cooldown. A firing rule queues one delivery per recipient (its channels, each once, then
//! the members who kept email on) and records the firing for its cooldown. A project
//! without a rule that could fire costs one indexed read per batch.
//!
//! [`fire`] never writes SQL: a backend implements [`AlertRows`] inside the batch's
//! transaction, so an alert is committed with the event that triggers it or not at all.
//! The batch holds the touched issues' row locks (see [`Store::ingest`](crate::Store)), so
//! concurrent batches check one issue's cooldown one after the other.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use uuid::Uuid;

use crate::alert_rule::{AlertEvent, AlertRule, Trigger, USER_COUNT_SCAN_LIMIT};
use crate::channel::Channel;
use crate::delivery::{NewDelivery, Recipient};
use crate::error::Result;
use crate::event::NewEvent;
use crate::filing::Touched;
use crate::id::{AlertRuleId, IssueId, ProjectId, UserId};

/// The row operations [`fire`] needs, inside the batch's transaction.
pub trait AlertRows {
    /// Whether the project has an enabled rule; with `windowed_only`, an enabled rule with
    /// a frequency or user-count condition.
    fn has_enabled_rules(&mut self, project: ProjectId, windowed_only: bool) -> Result<bool>;

    /// The project's rules, enabled or not, oldest first.
    fn project_rules(&mut self, project: ProjectId) -> Result<Vec<AlertRule>>;

    /// When the rule last fired for the issue, if it did.
    fn last_fired(&mut self, rule: AlertRuleId, issue: IssueId) -> Result<Option<i64>>;

    /// Records that the rule fired for the issue at `now_ms`.
    fn set_last_fired(&mut self, rule: AlertRuleId, issue: IssueId, now_ms: i64) -> Result<()>;

    /// When the issue's `n`-th most recent event by arrival (1: the latest) was received,
    /// if it has that many.
    fn nth_latest_received(&mut self, issue: IssueId, n: u32) -> Result<Option<i64>>;

    /// Distinct users among the issue's `scan` most recent events (by arrival) that were
    /// received at or after `since_ms`.
    fn recent_users(&mut self, issue: IssueId, scan: u32, since_ms: i64) -> Result<u64>;

    /// The project's channels, oldest first.
    fn project_channels(&mut self, project: ProjectId) -> Result<Vec<Channel>>;

    /// The users who did not turn alert email off for the project, by id.
    fn emailed_members(&mut self, project: ProjectId) -> Result<Vec<UserId>>;

    /// Queues a delivery of the rule, due at `now_ms`, in the outbox.
    fn queue_delivery(
        &mut self,
        delivery: &NewDelivery,
        rule: AlertRuleId,
        now_ms: i64,
    ) -> Result<()>;
}

/// What a project offers its firing rules, read once per batch.
struct ProjectAlerting {
    rules: Vec<AlertRule>,
    /// The enabled channels and the members to email, loaded when a rule first fires.
    channels: Option<Vec<Channel>>,
    members: Option<Vec<UserId>>,
}

/// Fires the rules for the touched issues; answers the deliveries queued per causing event.
pub fn fire<R: AlertRows + ?Sized>(
    rows: &mut R,
    touched: &[Touched<'_>],
    member_email: bool,
    now_ms: i64,
) -> Result<HashMap<Uuid, u32>> {
    let mut queued: HashMap<Uuid, u32> = HashMap::new();
    let mut projects: HashMap<ProjectId, Option<ProjectAlerting>> = HashMap::new();
    for t in touched {
        let project = match projects.entry(t.project) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                // Projects without a state change in this batch only need their windowed
                // rules, and most have none.
                let windowed_only = !touched
                    .iter()
                    .any(|o| o.project == t.project && !o.changes.is_empty());
                v.insert(load_project(rows, t.project, windowed_only)?)
            }
        };
        let Some(project) = project else {
            continue;
        };
        for rule_index in 0..project.rules.len() {
            let Some((trigger, event)) = firing(rows, &project.rules[rule_index], t, now_ms)?
            else {
                continue;
            };
            let recipients = recipients(rows, project, rule_index, member_email, t.project)?;
            let rule = project.rules[rule_index].id;
            for recipient in &recipients {
                let new = NewDelivery {
                    project_id: t.project,
                    recipient: *recipient,
                    issue_id: t.issue,
                    event_id: Some(event.event_id),
                    trigger,
                };
                rows.queue_delivery(&new, rule, now_ms)?;
            }
            let n = u32::try_from(recipients.len()).unwrap_or(u32::MAX);
            let count = queued.entry(event.event_id).or_insert(0);
            *count = count.saturating_add(n);
            rows.set_last_fired(rule, t.issue, now_ms)?;
        }
    }
    Ok(queued)
}

/// The project's enabled rules (only when one could fire: with `windowed_only`, when one
/// has a frequency or user-count condition), or `None`.
fn load_project<R: AlertRows + ?Sized>(
    rows: &mut R,
    project: ProjectId,
    windowed_only: bool,
) -> Result<Option<ProjectAlerting>> {
    if !rows.has_enabled_rules(project, windowed_only)? {
        return Ok(None);
    }
    let rules = rows
        .project_rules(project)?
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
fn firing<'a, R: AlertRows + ?Sized>(
    rows: &mut R,
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
    if spec.cooling_down(rows.last_fired(rule.id, t.issue)?, now_ms) {
        return Ok(None);
    }
    if let Some(c) = spec.triggers.frequency {
        // At least `count` events in the window: the `count`-th latest arrived inside it.
        let nth = rows.nth_latest_received(t.issue, c.count.max(1))?;
        if nth.is_some_and(|received| received >= c.since_ms(now_ms)) {
            return Ok(Some((Trigger::Frequency, t.latest)));
        }
    }
    if let Some(c) = spec.triggers.user_count
        && rows.recent_users(t.issue, USER_COUNT_SCAN_LIMIT, c.since_ms(now_ms))?
            >= u64::from(c.count)
    {
        return Ok(Some((Trigger::UserCount, t.latest)));
    }
    Ok(None)
}

/// Who the firing rule sends to: its channels (all notifying ones, or the named ones),
/// each once, then the members who kept email on.
fn recipients<R: AlertRows + ?Sized>(
    rows: &mut R,
    project: &mut ProjectAlerting,
    rule_index: usize,
    member_email: bool,
    project_id: ProjectId,
) -> Result<Vec<Recipient>> {
    if project.channels.is_none() {
        let enabled = rows
            .project_channels(project_id)?
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
            project.members = Some(rows.emailed_members(project_id)?);
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
