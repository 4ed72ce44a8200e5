//! The row operations of alert rules firing during ingest (`errata_store::fire`, the
//! decisions written once for every backend), in `PostgreSQL`, inside the batch's
//! transaction: an alert is committed with the event that triggers it or not at all. The
//! batch holds the row lock of every issue it touched, so concurrent batches check an
//! issue's rules and cooldown one after the other.

use errata_store::{
    AlertRows, AlertRule, AlertRuleId, Channel, IssueId, NewDelivery, ProjectId, Result, UserId,
};

use crate::ingest::PgRows;

impl AlertRows for PgRows<'_, '_, '_> {
    fn has_enabled_rules(&mut self, project: ProjectId, windowed_only: bool) -> Result<bool> {
        let sql = if windowed_only {
            "SELECT 1 FROM alert_rules WHERE project_id = $1 AND enabled
                AND (frequency_count IS NOT NULL OR users_count IS NOT NULL) LIMIT 1"
        } else {
            "SELECT 1 FROM alert_rules WHERE project_id = $1 AND enabled LIMIT 1"
        };
        self.c.exists(sql, &[&project.0])
    }

    fn project_rules(&mut self, project: ProjectId) -> Result<Vec<AlertRule>> {
        crate::rule::of_project(self.c, project)
    }

    fn last_fired(&mut self, rule: AlertRuleId, issue: IssueId) -> Result<Option<i64>> {
        Ok(self
            .c
            .query_opt(
                "SELECT last_fired_ms FROM alert_rule_issues WHERE rule_id = $1 AND issue_id = $2",
                &[&rule.0, &issue.0],
            )?
            .map(|r| r.get(0)))
    }

    fn set_last_fired(&mut self, rule: AlertRuleId, issue: IssueId, now_ms: i64) -> Result<()> {
        self.c
            .execute(
                "INSERT INTO alert_rule_issues (rule_id, issue_id, last_fired_ms)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (rule_id, issue_id)
                 DO UPDATE SET last_fired_ms = excluded.last_fired_ms",
                &[&rule.0, &issue.0, &now_ms],
            )
            .map(|_| ())
    }

    fn nth_latest_received(&mut self, issue: IssueId, n: u32) -> Result<Option<i64>> {
        Ok(self
            .c
            .query_opt(
                "SELECT received_ms FROM events WHERE issue_id = $1 ORDER BY id DESC
                 LIMIT 1 OFFSET $2",
                &[&issue.0, &i64::from(n.saturating_sub(1))],
            )?
            .map(|r| r.get(0)))
    }

    fn recent_users(&mut self, issue: IssueId, scan: u32, since_ms: i64) -> Result<u64> {
        let count: i64 = self
            .c
            .query_one(
                "SELECT count(DISTINCT user_key) FROM (
                    SELECT user_key, received_ms FROM events WHERE issue_id = $1
                    ORDER BY id DESC LIMIT $2) recent
                 WHERE received_ms >= $3 AND user_key IS NOT NULL",
                &[&issue.0, &i64::from(scan), &since_ms],
            )?
            .get(0);
        Ok(crate::db::to_u64(count))
    }

    fn project_channels(&mut self, project: ProjectId) -> Result<Vec<Channel>> {
        crate::channel::of_project(self.c, project)
    }

    fn emailed_members(&mut self, project: ProjectId) -> Result<Vec<UserId>> {
        Ok(self
            .c
            .query(
                "SELECT id FROM users WHERE id NOT IN
                    (SELECT user_id FROM member_email_opt_outs WHERE project_id = $1)
                 ORDER BY id",
                &[&project.0],
            )?
            .iter()
            .map(|r| UserId(r.get(0)))
            .collect())
    }

    fn queue_delivery(
        &mut self,
        delivery: &NewDelivery,
        rule: AlertRuleId,
        now_ms: i64,
    ) -> Result<()> {
        crate::outbox::insert(self.c, delivery, Some(rule), now_ms).map(|_| ())
    }
}
