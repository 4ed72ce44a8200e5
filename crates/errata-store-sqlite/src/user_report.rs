//! User reports in `SQLite`: inserted with their event at ingest or on their own (then linked
//! to the event's issue when the event exists or arrives), listed per issue.

use rusqlite::{Connection, OptionalExtension, Row, params};

use errata_store::{
    IssueId, NewUserReport, ProjectId, Result, UserReport, UserReportFields, UserReportId,
};

use crate::error::db;

const COLUMNS: &str = "id, project_id, event_id, issue_id, name, email, comments, created_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<UserReport> {
    let event_id: Vec<u8> = r.get(2)?;
    Ok(UserReport {
        id: UserReportId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        event_id: crate::event::uuid_from_blob(2, &event_id)?,
        issue_id: r.get::<_, Option<i64>>(3)?.map(IssueId),
        fields: UserReportFields {
            name: r.get(4)?,
            email: r.get(5)?,
            comments: r.get(6)?,
        },
        created_ms: r.get(7)?,
    })
}

/// Inserts one report; returns its id.
pub(crate) fn insert(
    conn: &Connection,
    project: i64,
    event_id: &[u8],
    issue: Option<i64>,
    fields: &UserReportFields,
    created_ms: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO user_reports (project_id, event_id, issue_id, name, email, comments,
            created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            project,
            event_id,
            issue,
            fields.name,
            fields.email,
            fields.comments,
            created_ms
        ])
    })
    .map_err(db)?;
    Ok(conn.last_insert_rowid())
}

/// Stores reports that came without their event, in one transaction.
pub(crate) fn add(conn: &mut Connection, reports: &[NewUserReport]) -> Result<Vec<UserReport>> {
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let tx = conn.transaction().map_err(db)?;
    let mut stored = Vec::with_capacity(reports.len());
    for report in reports {
        let event_id = &report.event_id.as_bytes()[..];
        let issue: Option<i64> = tx
            .prepare_cached("SELECT issue_id FROM events WHERE project_id = ?1 AND event_id = ?2")
            .and_then(|mut s| {
                s.query_row(params![report.project_id.0, event_id], |r| r.get(0))
                    .optional()
            })
            .map_err(db)?;
        let id = insert(
            &tx,
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
    tx.commit().map_err(db)?;
    Ok(stored)
}

/// The issue's reports, newest first.
pub(crate) fn of_issue(conn: &Connection, issue: IssueId) -> Result<Vec<UserReport>> {
    crate::issue::ensure_exists(conn, issue)?;
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM user_reports WHERE issue_id = ?1 ORDER BY id DESC"
        ))
        .map_err(db)?;
    let rows = stmt.query_map([issue.0], from_row).map_err(db)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db)
}
