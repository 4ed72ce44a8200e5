//! Alert rules in `SQLite`: one row per rule (triggers, filters and actions as columns) and
//! the channels it names in `alert_rule_channels`. Every new project gets the default rule
//! ([`RuleSpec::default_rule`]) in its creation's transaction.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};

use errata_store::{
    AlertRule, AlertRuleId, ChannelId, Level, ProjectId, Result, RuleActions, RuleFilters,
    RuleSpec, RuleTriggers, StoreError, WindowCondition,
};

use crate::error::db;

const RULE_COLUMNS: &str = "id, project_id, name, enabled, on_new_issue, on_regression,
    on_unignored, frequency_count, frequency_minutes, users_count, users_minutes, min_level,
    environment, release, tag_key, tag_value, all_channels, email_members, cooldown_minutes,
    created_ms";

fn window(count: Option<u32>, minutes: Option<u32>) -> Option<WindowCondition> {
    Some(WindowCondition {
        count: count?,
        minutes: minutes?,
    })
}

/// A rule without its named channels (see [`with_channels`]).
fn rule_from_row(r: &Row<'_>) -> rusqlite::Result<AlertRule> {
    let min_level: Option<String> = r.get(11)?;
    let min_level = min_level
        .map(|l| Level::parse(&l))
        .transpose()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Text, e.into())
        })?;
    let tag_key: Option<String> = r.get(14)?;
    let tag_value: Option<String> = r.get(15)?;
    Ok(AlertRule {
        id: AlertRuleId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        spec: RuleSpec {
            name: r.get(2)?,
            enabled: r.get(3)?,
            triggers: RuleTriggers {
                new_issue: r.get(4)?,
                regression: r.get(5)?,
                unignored: r.get(6)?,
                frequency: window(r.get(7)?, r.get(8)?),
                user_count: window(r.get(9)?, r.get(10)?),
            },
            filters: RuleFilters {
                min_level,
                environment: r.get(12)?,
                release: r.get(13)?,
                tag: tag_key.zip(tag_value),
            },
            actions: RuleActions {
                all_channels: r.get(16)?,
                channels: Vec::new(),
                email_members: r.get(17)?,
            },
            cooldown_minutes: r.get(18)?,
        },
        created_ms: r.get(19)?,
    })
}

fn with_channels(conn: &Connection, mut rule: AlertRule) -> Result<AlertRule> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT channel_id FROM alert_rule_channels WHERE rule_id = ?1 ORDER BY channel_id",
        )
        .map_err(db)?;
    rule.spec.actions.channels = stmt
        .query_map([rule.id.0], |r| Ok(ChannelId(r.get(0)?)))
        .and_then(Iterator::collect)
        .map_err(db)?;
    Ok(rule)
}

pub(crate) fn of_project(conn: &Connection, project: ProjectId) -> Result<Vec<AlertRule>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM alert_rules WHERE project_id = ?1 ORDER BY id"
        ))
        .map_err(db)?;
    let rules: Vec<AlertRule> = stmt
        .query_map([project.0], rule_from_row)
        .and_then(Iterator::collect)
        .map_err(db)?;
    rules
        .into_iter()
        .map(|rule| with_channels(conn, rule))
        .collect()
}

pub(crate) fn get(conn: &Connection, id: AlertRuleId) -> Result<AlertRule> {
    let rule = conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = ?1"
        ))
        .and_then(|mut s| s.query_row([id.0], rule_from_row).optional())
        .map_err(db)?
        .ok_or_else(|| StoreError::not_found(format_args!("alert rule {id}")))?;
    with_channels(conn, rule)
}

/// Inserts a rule (checked) for an existing project, inside the caller's transaction.
pub(crate) fn insert(
    conn: &Connection,
    project: ProjectId,
    spec: &RuleSpec,
    now_ms: i64,
) -> Result<AlertRuleId> {
    let spec = spec.normalized()?;
    check_channels(conn, project, &spec)?;
    conn.prepare_cached(
        "INSERT INTO alert_rules (project_id, name, enabled, on_new_issue, on_regression,
            on_unignored, frequency_count, frequency_minutes, users_count, users_minutes,
            min_level, environment, release, tag_key, tag_value, all_channels, email_members,
            cooldown_minutes, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19)",
    )
    .and_then(|mut s| execute_with_spec(&mut s, project.0, &spec, Some(now_ms)))
    .map_err(db)?;
    let id = AlertRuleId(conn.last_insert_rowid());
    insert_channels(conn, id, &spec.actions.channels)?;
    Ok(id)
}

/// Runs an insert or update whose parameters are `head` (the project or rule id), the
/// rule's 17 columns in table order (`?2` to `?18`), then `tail` (the creation time).
fn execute_with_spec(
    stmt: &mut rusqlite::Statement<'_>,
    head: i64,
    spec: &RuleSpec,
    tail: Option<i64>,
) -> rusqlite::Result<usize> {
    let (t, f) = (&spec.triggers, &spec.filters);
    let frequency = (t.frequency.map(|c| c.count), t.frequency.map(|c| c.minutes));
    let users = (
        t.user_count.map(|c| c.count),
        t.user_count.map(|c| c.minutes),
    );
    let min_level = f.min_level.map(Level::as_str);
    let tag = (
        f.tag.as_ref().map(|(k, _)| k),
        f.tag.as_ref().map(|(_, v)| v),
    );
    let values: [&dyn ToSql; 18] = [
        &head,
        &spec.name,
        &spec.enabled,
        &t.new_issue,
        &t.regression,
        &t.unignored,
        &frequency.0,
        &frequency.1,
        &users.0,
        &users.1,
        &min_level,
        &f.environment,
        &f.release,
        &tag.0,
        &tag.1,
        &spec.actions.all_channels,
        &spec.actions.email_members,
        &spec.cooldown_minutes,
    ];
    let tail: Option<&dyn ToSql> = tail.as_ref().map(|t| t as &dyn ToSql);
    stmt.execute(params_from_iter(values.into_iter().chain(tail)))
}

fn insert_channels(conn: &Connection, rule: AlertRuleId, channels: &[ChannelId]) -> Result<()> {
    let mut stmt = conn
        .prepare_cached("INSERT INTO alert_rule_channels (rule_id, channel_id) VALUES (?1, ?2)")
        .map_err(db)?;
    for channel in channels {
        stmt.execute(params![rule.0, channel.0]).map_err(db)?;
    }
    Ok(())
}

/// Named channels must be the project's own.
fn check_channels(conn: &Connection, project: ProjectId, spec: &RuleSpec) -> Result<()> {
    let mut stmt = conn
        .prepare_cached("SELECT project_id FROM alert_channels WHERE id = ?1")
        .map_err(db)?;
    for channel in &spec.actions.channels {
        let owner: Option<i64> = stmt
            .query_row([channel.0], |r| r.get(0))
            .optional()
            .map_err(db)?;
        if owner != Some(project.0) {
            return Err(StoreError::invalid(format!(
                "channel {channel} is not a channel of this project"
            )));
        }
    }
    Ok(())
}

pub(crate) fn create(
    conn: &mut Connection,
    project: ProjectId,
    spec: &RuleSpec,
    now_ms: i64,
) -> Result<AlertRule> {
    let tx = conn.transaction().map_err(db)?;
    crate::project::get(&tx, project)?;
    let id = insert(&tx, project, spec, now_ms)?;
    let rule = get(&tx, id)?;
    tx.commit().map_err(db)?;
    Ok(rule)
}

pub(crate) fn replace(
    conn: &mut Connection,
    id: AlertRuleId,
    spec: &RuleSpec,
) -> Result<AlertRule> {
    let spec = spec.normalized()?;
    let tx = conn.transaction().map_err(db)?;
    let old = get(&tx, id)?;
    check_channels(&tx, old.project_id, &spec)?;
    tx.prepare_cached(
        "UPDATE alert_rules SET name = ?2, enabled = ?3, on_new_issue = ?4, on_regression = ?5,
            on_unignored = ?6, frequency_count = ?7, frequency_minutes = ?8, users_count = ?9,
            users_minutes = ?10, min_level = ?11, environment = ?12, release = ?13,
            tag_key = ?14, tag_value = ?15, all_channels = ?16, email_members = ?17,
            cooldown_minutes = ?18
         WHERE id = ?1",
    )
    .and_then(|mut s| execute_with_spec(&mut s, id.0, &spec, None))
    .map_err(db)?;
    tx.execute("DELETE FROM alert_rule_channels WHERE rule_id = ?1", [id.0])
        .map_err(db)?;
    insert_channels(&tx, id, &spec.actions.channels)?;
    let rule = get(&tx, id)?;
    tx.commit().map_err(db)?;
    Ok(rule)
}

pub(crate) fn delete(conn: &mut Connection, id: AlertRuleId) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    get(&tx, id)?;
    for sql in [
        "DELETE FROM alert_rule_channels WHERE rule_id = ?1",
        "DELETE FROM alert_rule_issues WHERE rule_id = ?1",
        "DELETE FROM alert_rules WHERE id = ?1",
    ] {
        tx.execute(sql, [id.0]).map_err(db)?;
    }
    tx.commit().map_err(db)
}
