//! Alert rules in `PostgreSQL`: one row per rule (triggers, filters and actions as
//! columns) and the channels it names in `alert_rule_channels`. Every new project gets the
//! default rule ([`RuleSpec::default_rule`]) in its creation's transaction.

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use errata_store::{
    AlertRule, AlertRuleId, ChannelId, Level, ProjectId, Result, RuleActions, RuleFilters,
    RuleSpec, RuleTriggers, StoreError, WindowCondition,
};

use crate::db::Db;

pub(crate) const RULE_COLUMNS: &str = "id, project_id, name, enabled, on_new_issue, \
    on_regression, on_unignored, frequency_count, frequency_minutes, users_count, \
    users_minutes, min_level, environment, release, tag_key, tag_value, all_channels, \
    email_members, cooldown_minutes, created_ms";

fn u32_column(r: &Row, idx: usize) -> Option<u32> {
    r.get::<_, Option<i64>>(idx)
        .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
}

fn window(count: Option<u32>, minutes: Option<u32>) -> Option<WindowCondition> {
    Some(WindowCondition {
        count: count?,
        minutes: minutes?,
    })
}

/// A rule without its named channels (see [`with_channels`]).
pub(crate) fn rule_from_row(r: &Row) -> Result<AlertRule> {
    let min_level: Option<String> = r.get(11);
    let min_level = min_level.map(|l| Level::parse(&l)).transpose()?;
    let tag_key: Option<String> = r.get(14);
    let tag_value: Option<String> = r.get(15);
    Ok(AlertRule {
        id: AlertRuleId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        spec: RuleSpec {
            name: r.get(2),
            enabled: r.get(3),
            triggers: RuleTriggers {
                new_issue: r.get(4),
                regression: r.get(5),
                unignored: r.get(6),
                frequency: window(u32_column(r, 7), u32_column(r, 8)),
                user_count: window(u32_column(r, 9), u32_column(r, 10)),
            },
            filters: RuleFilters {
                min_level,
                environment: r.get(12),
                release: r.get(13),
                tag: tag_key.zip(tag_value),
            },
            actions: RuleActions {
                all_channels: r.get(16),
                channels: Vec::new(),
                email_members: r.get(17),
            },
            cooldown_minutes: u32_column(r, 18).unwrap_or(0),
        },
        created_ms: r.get(19),
    })
}

pub(crate) fn with_channels(c: &Db<'_>, mut rule: AlertRule) -> Result<AlertRule> {
    rule.spec.actions.channels = c
        .query(
            "SELECT channel_id FROM alert_rule_channels WHERE rule_id = $1 ORDER BY channel_id",
            &[&rule.id.0],
        )?
        .iter()
        .map(|r| ChannelId(r.get(0)))
        .collect();
    Ok(rule)
}

pub(crate) fn of_project(c: &Db<'_>, project: ProjectId) -> Result<Vec<AlertRule>> {
    let rules = c
        .query(
            &format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE project_id = $1 ORDER BY id"),
            &[&project.0],
        )?
        .iter()
        .map(rule_from_row)
        .collect::<Result<Vec<_>>>()?;
    rules
        .into_iter()
        .map(|rule| with_channels(c, rule))
        .collect()
}

pub(crate) fn get(c: &Db<'_>, id: AlertRuleId) -> Result<AlertRule> {
    let rule = c
        .query_opt(
            &format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = $1"),
            &[&id.0],
        )?
        .ok_or_else(|| StoreError::not_found(format_args!("alert rule {id}")))?;
    with_channels(c, rule_from_row(&rule)?)
}

/// The rule's 17 columns in table order (`$2` to `$18`), as owned values.
struct SpecColumns<'a> {
    spec: &'a RuleSpec,
    frequency: (Option<i64>, Option<i64>),
    users: (Option<i64>, Option<i64>),
    min_level: Option<&'static str>,
    tag: (Option<&'a String>, Option<&'a String>),
    cooldown: i64,
}

impl<'a> SpecColumns<'a> {
    fn new(spec: &'a RuleSpec) -> Self {
        let (t, f) = (&spec.triggers, &spec.filters);
        Self {
            spec,
            frequency: (
                t.frequency.map(|c| i64::from(c.count)),
                t.frequency.map(|c| i64::from(c.minutes)),
            ),
            users: (
                t.user_count.map(|c| i64::from(c.count)),
                t.user_count.map(|c| i64::from(c.minutes)),
            ),
            min_level: f.min_level.map(Level::as_str),
            tag: (
                f.tag.as_ref().map(|(k, _)| k),
                f.tag.as_ref().map(|(_, v)| v),
            ),
            cooldown: i64::from(spec.cooldown_minutes),
        }
    }

    /// `head` (the project or rule id), the 17 columns, then `tail` if any.
    fn params<'s>(&'s self, head: &'s i64, tail: Option<&'s i64>) -> Vec<&'s (dyn ToSql + Sync)> {
        let (s, t, f) = (self.spec, &self.spec.triggers, &self.spec.filters);
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![
            head,
            &s.name,
            &s.enabled,
            &t.new_issue,
            &t.regression,
            &t.unignored,
            &self.frequency.0,
            &self.frequency.1,
            &self.users.0,
            &self.users.1,
            &self.min_level,
            &f.environment,
            &f.release,
            &self.tag.0,
            &self.tag.1,
            &s.actions.all_channels,
            &s.actions.email_members,
            &self.cooldown,
        ];
        if let Some(tail) = tail {
            values.push(tail);
        }
        values
    }
}

/// Inserts a rule (checked) for an existing project, inside the caller's transaction.
pub(crate) fn insert(
    c: &Db<'_>,
    project: ProjectId,
    spec: &RuleSpec,
    now_ms: i64,
) -> Result<AlertRuleId> {
    let spec = spec.normalized()?;
    check_channels(c, project, &spec)?;
    let columns = SpecColumns::new(&spec);
    let id: i64 = c
        .query_one(
            "INSERT INTO alert_rules (project_id, name, enabled, on_new_issue, on_regression,
                on_unignored, frequency_count, frequency_minutes, users_count, users_minutes,
                min_level, environment, release, tag_key, tag_value, all_channels,
                email_members, cooldown_minutes, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                $17, $18, $19) RETURNING id",
            &columns.params(&project.0, Some(&now_ms)),
        )?
        .get(0);
    let id = AlertRuleId(id);
    insert_channels(c, id, &spec.actions.channels)?;
    Ok(id)
}

fn insert_channels(c: &Db<'_>, rule: AlertRuleId, channels: &[ChannelId]) -> Result<()> {
    for channel in channels {
        c.execute(
            "INSERT INTO alert_rule_channels (rule_id, channel_id) VALUES ($1, $2)",
            &[&rule.0, &channel.0],
        )?;
    }
    Ok(())
}

/// Named channels must be the project's own.
fn check_channels(c: &Db<'_>, project: ProjectId, spec: &RuleSpec) -> Result<()> {
    for channel in &spec.actions.channels {
        let owner: Option<i64> = c
            .query_opt(
                "SELECT project_id FROM alert_channels WHERE id = $1",
                &[&channel.0],
            )?
            .map(|r| r.get(0));
        if owner != Some(project.0) {
            return Err(StoreError::invalid(format!(
                "channel {channel} is not a channel of this project"
            )));
        }
    }
    Ok(())
}

pub(crate) fn create(
    c: &Db<'_>,
    project: ProjectId,
    spec: &RuleSpec,
    now_ms: i64,
) -> Result<AlertRule> {
    crate::project::get(c, project)?;
    let id = insert(c, project, spec, now_ms)?;
    get(c, id)
}

pub(crate) fn replace(c: &Db<'_>, id: AlertRuleId, spec: &RuleSpec) -> Result<AlertRule> {
    let spec = spec.normalized()?;
    let old = get(c, id)?;
    check_channels(c, old.project_id, &spec)?;
    let columns = SpecColumns::new(&spec);
    c.execute(
        "UPDATE alert_rules SET name = $2, enabled = $3, on_new_issue = $4,
            on_regression = $5, on_unignored = $6, frequency_count = $7,
            frequency_minutes = $8, users_count = $9, users_minutes = $10, min_level = $11,
            environment = $12, release = $13, tag_key = $14, tag_value = $15,
            all_channels = $16, email_members = $17, cooldown_minutes = $18
         WHERE id = $1",
        &columns.params(&id.0, None),
    )?;
    c.execute(
        "DELETE FROM alert_rule_channels WHERE rule_id = $1",
        &[&id.0],
    )?;
    insert_channels(c, id, &spec.actions.channels)?;
    get(c, id)
}

pub(crate) fn delete(c: &Db<'_>, id: AlertRuleId) -> Result<()> {
    get(c, id)?;
    for sql in [
        "DELETE FROM alert_rule_channels WHERE rule_id = $1",
        "DELETE FROM alert_rule_issues WHERE rule_id = $1",
        "DELETE FROM alert_rules WHERE id = $1",
    ] {
        c.execute(sql, &[&id.0])?;
    }
    Ok(())
}
