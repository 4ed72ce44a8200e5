//! Alert channels, members' email opt-outs and issue links in `PostgreSQL`: plain rows that
//! the UI and API manage and that ingest reads when a rule fires.

use tokio_postgres::Row;

use errata_store::{
    Channel, ChannelChange, ChannelId, ChannelKind, IssueId, IssueLink, NewChannel, ProjectId,
    Result, StoreError, UserId,
};

use crate::db::Db;

const CHANNEL_COLUMNS: &str =
    "id, project_id, kind, name, target, secret, api_base, enabled, created_ms";

fn channel_from_row(r: &Row) -> Result<Channel> {
    let kind: String = r.get(2);
    Ok(Channel {
        id: ChannelId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        kind: ChannelKind::parse(&kind)?,
        name: r.get(3),
        target: r.get(4),
        secret: r.get(5),
        api_base: r.get(6),
        enabled: r.get(7),
        created_ms: r.get(8),
    })
}

pub(crate) fn of_project(c: &Db<'_>, project: ProjectId) -> Result<Vec<Channel>> {
    c.query(
        &format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE project_id = $1 ORDER BY id"),
        &[&project.0],
    )?
    .iter()
    .map(channel_from_row)
    .collect()
}

pub(crate) fn get(c: &Db<'_>, id: ChannelId) -> Result<Channel> {
    c.query_opt(
        &format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE id = $1"),
        &[&id.0],
    )?
    .map(|r| channel_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found(format_args!("channel {id}")))
}

pub(crate) fn create(c: &Db<'_>, new: &NewChannel, now_ms: i64) -> Result<Channel> {
    let new = new.normalized()?;
    crate::project::get(c, new.project_id)?;
    let row = c.query_one(
        &format!(
            "INSERT INTO alert_channels (project_id, kind, name, target, secret, api_base,
                enabled, created_ms) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)
             RETURNING {CHANNEL_COLUMNS}"
        ),
        &[
            &new.project_id.0,
            &new.kind.as_str(),
            &new.name,
            &new.target,
            &new.secret,
            &new.api_base,
            &now_ms,
        ],
    )?;
    channel_from_row(&row)
}

pub(crate) fn change(c: &Db<'_>, id: ChannelId, change: &ChannelChange) -> Result<Channel> {
    let next = change.apply(&get(c, id)?)?;
    c.execute(
        "UPDATE alert_channels SET name = $2, target = $3, secret = $4, enabled = $5
         WHERE id = $1",
        &[&id.0, &next.name, &next.target, &next.secret, &next.enabled],
    )?;
    Ok(next)
}

pub(crate) fn delete(c: &Db<'_>, id: ChannelId) -> Result<()> {
    get(c, id)?;
    for sql in [
        "DELETE FROM alert_attempts WHERE delivery_id IN
            (SELECT id FROM alert_deliveries WHERE channel_id = $1)",
        "DELETE FROM alert_deliveries WHERE channel_id = $1",
        "DELETE FROM alert_rule_channels WHERE channel_id = $1",
        "DELETE FROM alert_channels WHERE id = $1",
    ] {
        c.execute(sql, &[&id.0])?;
    }
    Ok(())
}

pub(crate) fn set_member_email(
    c: &Db<'_>,
    user: UserId,
    project: ProjectId,
    enabled: bool,
) -> Result<()> {
    crate::user::get(c, user)?;
    crate::project::get(c, project)?;
    let sql = if enabled {
        "DELETE FROM member_email_opt_outs WHERE user_id = $1 AND project_id = $2"
    } else {
        "INSERT INTO member_email_opt_outs (user_id, project_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING"
    };
    c.execute(sql, &[&user.0, &project.0])?;
    Ok(())
}

pub(crate) fn opt_outs(c: &Db<'_>, user: UserId) -> Result<Vec<ProjectId>> {
    Ok(c.query(
        "SELECT project_id FROM member_email_opt_outs WHERE user_id = $1 ORDER BY project_id",
        &[&user.0],
    )?
    .iter()
    .map(|r| ProjectId(r.get(0)))
    .collect())
}

pub(crate) fn add_link(c: &Db<'_>, link: &IssueLink) -> Result<()> {
    crate::issue::ensure_exists(c, link.issue_id)?;
    c.execute(
        "INSERT INTO issue_links (issue_id, kind, url, reference, created_ms)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &link.issue_id.0,
            &link.kind.as_str(),
            &link.url,
            &link.reference,
            &link.created_ms,
        ],
    )?;
    Ok(())
}

pub(crate) fn links(c: &Db<'_>, issue: IssueId) -> Result<Vec<IssueLink>> {
    c.query(
        "SELECT kind, url, reference, created_ms FROM issue_links
         WHERE issue_id = $1 ORDER BY id",
        &[&issue.0],
    )?
    .iter()
    .map(|r| {
        let kind: String = r.get(0);
        Ok(IssueLink {
            issue_id: issue,
            kind: ChannelKind::parse(&kind)?,
            url: r.get(1),
            reference: r.get(2),
            created_ms: r.get(3),
        })
    })
    .collect()
}
