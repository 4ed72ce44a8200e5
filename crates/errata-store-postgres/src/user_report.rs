//! User reports in `PostgreSQL`: inserted with their event at ingest or on their own (then
//! linked to the event's issue when the event exists or arrives), listed per issue.

use tokio_postgres::Row;

use errata_store::{
    IssueId, NewUserReport, ProjectId, Result, UserReport, UserReportFields, UserReportId,
};

use crate::db::Db;

const COLUMNS: &str = "id, project_id, event_id, issue_id, name, email, comments, created_ms";

fn from_row(r: &Row) -> Result<UserReport> {
    Ok(UserReport {
        id: UserReportId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        event_id: crate::event::uuid_from_blob(r.get(2))?,
        issue_id: r.get::<_, Option<i64>>(3).map(IssueId),
        fields: UserReportFields {
            name: r.get(4),
            email: r.get(5),
            comments: r.get(6),
        },
        created_ms: r.get(7),
    })
}

/// Inserts one report; returns its id.
pub(crate) fn insert(
    c: &Db<'_>,
    project: i64,
    event_id: &[u8],
    issue: Option<i64>,
    fields: &UserReportFields,
    created_ms: i64,
) -> Result<i64> {
    Ok(c.query_one(
        "INSERT INTO user_reports (project_id, event_id, issue_id, name, email, comments,
            created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            &project,
            &event_id,
            &issue,
            &fields.name,
            &fields.email,
            &fields.comments,
            &created_ms,
        ],
    )?
    .get(0))
}

/// Stores reports that came without their event, in the caller's transaction.
pub(crate) fn add(c: &Db<'_>, reports: &[NewUserReport]) -> Result<Vec<UserReport>> {
    let mut stored = Vec::with_capacity(reports.len());
    for report in reports {
        let event_id = &report.event_id.as_bytes()[..];
        let issue: Option<i64> = c
            .query_opt(
                "SELECT issue_id FROM events WHERE project_id = $1 AND event_id = $2",
                &[&report.project_id.0, &event_id],
            )?
            .map(|r| r.get(0));
        let id = insert(
            c,
            report.project_id.0,
            event_id,
            issue,
            &report.fields,
            report.received_ms,
        )?;
        stored.push(UserReport {
            id: UserReportId(id),
            project_id: report.project_id,
            event_id: report.event_id,
            issue_id: issue.map(IssueId),
            fields: report.fields.clone(),
            created_ms: report.received_ms,
        });
    }
    Ok(stored)
}

/// The issue's reports, newest first.
pub(crate) fn of_issue(c: &Db<'_>, issue: IssueId) -> Result<Vec<UserReport>> {
    crate::issue::ensure_exists(c, issue)?;
    c.query(
        &format!("SELECT {COLUMNS} FROM user_reports WHERE issue_id = $1 ORDER BY id DESC"),
        &[&issue.0],
    )?
    .iter()
    .map(from_row)
    .collect()
}
