//! Alert channels, members' email opt-outs and issue links in `SQLite`: plain rows that the
//! UI and API manage and that ingest reads when a rule fires.

use rusqlite::{Connection, OptionalExtension, Row, params};

use errata_store::{
    Channel, ChannelChange, ChannelId, ChannelKind, IssueId, IssueLink, NewChannel, ProjectId,
    Result, StoreError, UserId,
};

use crate::error::db;

const CHANNEL_COLUMNS: &str =
    "id, project_id, kind, name, target, secret, api_base, enabled, created_ms";

fn channel_from_row(r: &Row<'_>) -> rusqlite::Result<Channel> {
    let kind: String = r.get(2)?;
    Ok(Channel {
        id: ChannelId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        kind: ChannelKind::parse(&kind).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        name: r.get(3)?,
        target: r.get(4)?,
        secret: r.get(5)?,
        api_base: r.get(6)?,
        enabled: r.get(7)?,
        created_ms: r.get(8)?,
    })
}

pub(crate) fn of_project(conn: &Connection, project: ProjectId) -> Result<Vec<Channel>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE project_id = ?1 ORDER BY id"
        ))
        .map_err(db)?;
    stmt.query_map([project.0], channel_from_row)
        .and_then(Iterator::collect)
        .map_err(db)
}

pub(crate) fn get(conn: &Connection, id: ChannelId) -> Result<Channel> {
    conn.prepare_cached(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id.0], channel_from_row).optional())
    .map_err(db)?
    .ok_or_else(|| StoreError::not_found(format_args!("channel {id}")))
}

pub(crate) fn create(conn: &mut Connection, new: &NewChannel, now_ms: i64) -> Result<Channel> {
    let new = new.normalized()?;
    let tx = conn.transaction().map_err(db)?;
    crate::project::get(&tx, new.project_id)?;
    tx.execute(
        "INSERT INTO alert_channels (project_id, kind, name, target, secret, api_base, enabled,
            created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
        params![
            new.project_id.0,
            new.kind.as_str(),
            new.name,
            new.target,
            new.secret,
            new.api_base,
            now_ms
        ],
    )
    .map_err(db)?;
    let channel = get(&tx, ChannelId(tx.last_insert_rowid()))?;
    tx.commit().map_err(db)?;
    Ok(channel)
}

pub(crate) fn change(
    conn: &mut Connection,
    id: ChannelId,
    change: &ChannelChange,
) -> Result<Channel> {
    let tx = conn.transaction().map_err(db)?;
    let next = change.apply(&get(&tx, id)?)?;
    tx.execute(
        "UPDATE alert_channels SET name = ?2, target = ?3, secret = ?4, enabled = ?5
         WHERE id = ?1",
        params![id.0, next.name, next.target, next.secret, next.enabled],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(next)
}

pub(crate) fn delete(conn: &mut Connection, id: ChannelId) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    get(&tx, id)?;
    for sql in [
        "DELETE FROM alert_attempts WHERE delivery_id IN
            (SELECT id FROM alert_deliveries WHERE channel_id = ?1)",
        "DELETE FROM alert_deliveries WHERE channel_id = ?1",
        "DELETE FROM alert_rule_channels WHERE channel_id = ?1",
        "DELETE FROM alert_channels WHERE id = ?1",
    ] {
        tx.execute(sql, [id.0]).map_err(db)?;
    }
    tx.commit().map_err(db)
}

pub(crate) fn set_member_email(
    conn: &mut Connection,
    user: UserId,
    project: ProjectId,
    enabled: bool,
) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    crate::user::get(&tx, user)?;
    crate::project::get(&tx, project)?;
    let sql = if enabled {
        "DELETE FROM member_email_opt_outs WHERE user_id = ?1 AND project_id = ?2"
    } else {
        "INSERT OR IGNORE INTO member_email_opt_outs (user_id, project_id) VALUES (?1, ?2)"
    };
    tx.execute(sql, params![user.0, project.0]).map_err(db)?;
    tx.commit().map_err(db)
}

pub(crate) fn opt_outs(conn: &Connection, user: UserId) -> Result<Vec<ProjectId>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT project_id FROM member_email_opt_outs WHERE user_id = ?1 ORDER BY project_id",
        )
        .map_err(db)?;
    stmt.query_map([user.0], |r| Ok(ProjectId(r.get(0)?)))
        .and_then(Iterator::collect)
        .map_err(db)
}

pub(crate) fn add_link(conn: &Connection, link: &IssueLink) -> Result<()> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM issues WHERE id = ?1")
        .and_then(|mut s| s.exists([link.issue_id.0]))
        .map_err(db)?;
    if !exists {
        return Err(StoreError::not_found(format_args!(
            "issue {}",
            link.issue_id
        )));
    }
    conn.execute(
        "INSERT INTO issue_links (issue_id, kind, url, reference, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            link.issue_id.0,
            link.kind.as_str(),
            link.url,
            link.reference,
            link.created_ms
        ],
    )
    .map_err(db)?;
    Ok(())
}

pub(crate) fn links(conn: &Connection, issue: IssueId) -> Result<Vec<IssueLink>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT kind, url, reference, created_ms FROM issue_links
             WHERE issue_id = ?1 ORDER BY id",
        )
        .map_err(db)?;
    stmt.query_map([issue.0], |r| {
        let kind: String = r.get(0)?;
        Ok(IssueLink {
            issue_id: issue,
            kind: ChannelKind::parse(&kind).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
            })?,
            url: r.get(1)?,
            reference: r.get(2)?,
            created_ms: r.get(3)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}
