//! The row operations of alert rules firing during ingest (`errata_store::fire`, the
//! decisions written once for every backend), in `SQLite`, inside the batch's IMMEDIATE
//! transaction: an alert is committed with the event that triggers it or not at all.

use rusqlite::{OptionalExtension, params};

use errata_store::{
    AlertRows, AlertRule, AlertRuleId, Channel, IssueId, NewDelivery, ProjectId, Result, UserId,
};

use crate::error::db;
use crate::ingest::SqliteRows;

impl AlertRows for SqliteRows<'_> {
    fn has_enabled_rules(&mut self, project: ProjectId, windowed_only: bool) -> Result<bool> {
        let sql = if windowed_only {
            "SELECT 1 FROM alert_rules WHERE project_id = ?1 AND enabled = 1
                AND (frequency_count IS NOT NULL OR users_count IS NOT NULL)"
        } else {
            "SELECT 1 FROM alert_rules WHERE project_id = ?1 AND enabled = 1"
        };
        self.tx
            .prepare_cached(sql)
            .and_then(|mut s| s.exists([project.0]))
            .map_err(db)
    }

    fn project_rules(&mut self, project: ProjectId) -> Result<Vec<AlertRule>> {
        crate::rule::of_project(self.tx, project)
    }

    fn last_fired(&mut self, rule: AlertRuleId, issue: IssueId) -> Result<Option<i64>> {
        self.tx
            .prepare_cached(
                "SELECT last_fired_ms FROM alert_rule_issues WHERE rule_id = ?1 AND issue_id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![rule.0, issue.0], |r| r.get(0))
                    .optional()
            })
            .map_err(db)
    }

    fn set_last_fired(&mut self, rule: AlertRuleId, issue: IssueId, now_ms: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO alert_rule_issues (rule_id, issue_id, last_fired_ms)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (rule_id, issue_id) DO UPDATE SET last_fired_ms = excluded.last_fired_ms",
            )
            .and_then(|mut s| s.execute(params![rule.0, issue.0, now_ms]))
            .map(|_| ())
            .map_err(db)
    }

    fn nth_latest_received(&mut self, issue: IssueId, n: u32) -> Result<Option<i64>> {
        self.tx
            .prepare_cached(
                "SELECT received_ms FROM events WHERE issue_id = ?1 ORDER BY id DESC
                 LIMIT 1 OFFSET ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![issue.0, n.saturating_sub(1)], |r| r.get(0))
                    .optional()
            })
            .map_err(db)
    }

    fn recent_users(&mut self, issue: IssueId, scan: u32, since_ms: i64) -> Result<u64> {
        self.tx
            .prepare_cached(
                "SELECT count(DISTINCT user_key) FROM (
                    SELECT user_key, received_ms FROM events WHERE issue_id = ?1
                    ORDER BY id DESC LIMIT ?2)
                 WHERE received_ms >= ?3 AND user_key IS NOT NULL",
            )
            .and_then(|mut s| s.query_row(params![issue.0, scan, since_ms], |r| r.get(0)))
            .map_err(db)
    }

    fn project_channels(&mut self, project: ProjectId) -> Result<Vec<Channel>> {
        crate::channel::of_project(self.tx, project)
    }

    fn emailed_members(&mut self, project: ProjectId) -> Result<Vec<UserId>> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT id FROM users WHERE id NOT IN
                    (SELECT user_id FROM member_email_opt_outs WHERE project_id = ?1)
                 ORDER BY id",
            )
            .map_err(db)?;
        stmt.query_map([project.0], |r| Ok(UserId(r.get(0)?)))
            .and_then(Iterator::collect)
            .map_err(db)
    }

    fn queue_delivery(
        &mut self,
        delivery: &NewDelivery,
        rule: AlertRuleId,
        now_ms: i64,
    ) -> Result<()> {
        crate::outbox::insert(self.tx, delivery, Some(rule), now_ms).map(|_| ())
    }
}
