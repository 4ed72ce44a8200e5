//! Issues in `SQLite`: the listing query built from an `IssueFilter` (keyset-paginated on
//! `(sort key, id)`; the default order runs on the `issues_*last_seen` indexes), reads,
//! tag and hourly counts, and deletion with everything that hangs off an issue. Status
//! changes are in `workflow.rs`.

use std::fmt::Write as _;

use rusqlite::types::{Type, Value};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use errata_store::{
    Cursor, HourCount, IgnoreThresholds, IgnoreUntil, Issue, IssueId, IssueQuery, IssueSort,
    IssueStatus, Level, Page, ProjectId, Resolution, Result, StatusDetails, StoreError,
    TagValueCount, clamp_limit,
};

use crate::error::db;

const COLUMNS: &str = "id, project_id, short_id, title, culprit, level, event_type, metadata, \
    status, first_seen_ms, last_seen_ms, times_seen, user_count, first_release, last_release, \
    resolved_at_ms, resolution, resolved_in_release, regress_from_release_ms, ignore_until_ms, \
    ignore_until_times_seen, ignore_until_user_count, ignore_minutes, ignore_events, \
    ignore_users, regressed_at_ms";

/// Wraps a store error raised while reading column `idx`.
pub(crate) fn conversion(idx: usize, e: StoreError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Issue> {
    let level: String = r.get(5)?;
    let status: String = r.get(8)?;
    Ok(Issue {
        id: IssueId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        short_id: r.get(2)?,
        title: r.get(3)?,
        culprit: r.get(4)?,
        level: Level::parse(&level).map_err(|e| conversion(5, e))?,
        event_type: r.get(6)?,
        metadata: r.get(7)?,
        status: IssueStatus::parse(&status).map_err(|e| conversion(8, e))?,
        first_seen_ms: r.get(9)?,
        last_seen_ms: r.get(10)?,
        times_seen: r.get(11)?,
        user_count: r.get(12)?,
        first_release: r.get(13)?,
        last_release: r.get(14)?,
        resolved_at_ms: r.get(15)?,
        details: details_from_row(r)?,
    })
}

/// Columns 16.. of [`COLUMNS`].
fn details_from_row(r: &Row<'_>) -> rusqlite::Result<StatusDetails> {
    let resolution: Option<String> = r.get(16)?;
    let resolution = match resolution.as_deref() {
        None => None,
        Some("now") => Some(Resolution::Now),
        Some("next_release") => Some(Resolution::InNextRelease),
        Some("release") => Some(Resolution::InRelease(
            r.get::<_, Option<String>>(17)?.unwrap_or_default(),
        )),
        Some(other) => {
            return Err(conversion(
                16,
                StoreError::invalid(format!("unknown resolution {other:?}")),
            ));
        }
    };
    let asked = IgnoreUntil {
        minutes: r.get(22)?,
        events: r.get(23)?,
        users: r.get(24)?,
    };
    let thresholds = IgnoreThresholds {
        until_ms: r.get(19)?,
        times_seen: r.get(20)?,
        user_count: r.get(21)?,
        asked,
    };
    let ignore = (thresholds != IgnoreThresholds::default()).then_some(thresholds);
    Ok(StatusDetails {
        resolution,
        regress_from_release_ms: r.get(18)?,
        ignore,
        regressed_at_ms: r.get(25)?,
    })
}

/// Fails with not-found unless the issue exists.
pub(crate) fn ensure_exists(conn: &Connection, id: IssueId) -> Result<()> {
    let found = conn
        .prepare_cached("SELECT 1 FROM issues WHERE id = ?1")
        .and_then(|mut s| s.exists([id.0]))
        .map_err(db)?;
    if found {
        Ok(())
    } else {
        Err(StoreError::not_found(format_args!("issue {id}")))
    }
}

pub(crate) fn get(conn: &Connection, id: IssueId) -> Result<Issue> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM issues WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id.0], from_row).optional())
        .map_err(db)?
        .ok_or_else(|| StoreError::not_found(format_args!("issue {id}")))
}

/// `%text%` with LIKE's wildcards escaped by `\`.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The column an order sorts on.
fn sort_column(sort: IssueSort) -> &'static str {
    match sort {
        IssueSort::LastSeen => "last_seen_ms",
        IssueSort::FirstSeen => "first_seen_ms",
        IssueSort::Events => "times_seen",
        IssueSort::Users => "user_count",
    }
}

pub(crate) fn list(conn: &Connection, query: &IssueQuery) -> Result<Page<Issue>> {
    let limit = clamp_limit(query.limit);
    let mut sql = format!("SELECT {COLUMNS} FROM issues i WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(project) = query.project_id {
        sql.push_str(" AND project_id = ?");
        args.push(Value::Integer(project.0));
    }
    if let Some(status) = query.filter.status {
        sql.push_str(" AND status = ?");
        args.push(Value::Text(status.as_str().to_owned()));
    }
    for text in &query.filter.text {
        sql.push_str(" AND (title LIKE ? ESCAPE '\\' OR culprit LIKE ? ESCAPE '\\')");
        let pattern = like_pattern(text);
        args.push(Value::Text(pattern.clone()));
        args.push(Value::Text(pattern));
    }
    for (key, value) in &query.filter.tags {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM issue_tag_values t \
             WHERE t.issue_id = i.id AND t.key = ? AND t.value = ?)",
        );
        args.push(Value::Text(key.clone()));
        args.push(Value::Text(value.clone()));
    }
    let column = sort_column(query.sort);
    if let Some(cursor) = &query.cursor {
        let cursor = Cursor::decode(cursor)?;
        let _ = write!(sql, " AND ({column} < ? OR ({column} = ? AND id < ?))");
        args.extend([cursor.sort, cursor.sort, cursor.id].map(Value::Integer));
    }
    let _ = write!(sql, " ORDER BY {column} DESC, id DESC LIMIT ?");
    args.push(Value::Integer(i64::try_from(limit + 1).unwrap_or(i64::MAX)));
    let mut stmt = conn.prepare_cached(&sql).map_err(db)?;
    let mut items: Vec<Issue> = stmt
        .query_map(params_from_iter(args), from_row)
        .and_then(Iterator::collect)
        .map_err(db)?;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|last| {
            Cursor {
                sort: query.sort.key(last),
                id: last.id.0,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

pub(crate) fn hourly_counts(
    conn: &Connection,
    ids: &[IssueId],
    since_ms: i64,
) -> Result<Vec<HourCount>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT issue_id, hour_ms, count FROM issue_hours
             WHERE issue_id = ?1 AND hour_ms >= ?2 ORDER BY hour_ms",
        )
        .map_err(db)?;
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    for id in sorted {
        let rows = stmt
            .query_map(params![id.0, since_ms], |r| {
                Ok(HourCount {
                    issue_id: IssueId(r.get(0)?),
                    hour_ms: r.get(1)?,
                    count: r.get(2)?,
                })
            })
            .map_err(db)?;
        for row in rows {
            out.push(row.map_err(db)?);
        }
    }
    Ok(out)
}

pub(crate) fn delete(conn: &mut Connection, id: IssueId) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    ensure_exists(&tx, id)?;
    for sql in [
        "UPDATE project_usage SET
            events = max(events - (SELECT count(*) FROM events WHERE issue_id = ?1), 0),
            stored_bytes = max(stored_bytes
                - (SELECT coalesce(sum(length(payload)), 0) FROM events WHERE issue_id = ?1)
                - (SELECT coalesce(sum(size), 0) FROM attachments WHERE issue_id = ?1), 0)
         WHERE project_id = (SELECT project_id FROM issues WHERE id = ?1)",
        "DELETE FROM alert_attempts WHERE delivery_id IN
            (SELECT id FROM alert_deliveries WHERE issue_id = ?1)",
        "DELETE FROM alert_deliveries WHERE issue_id = ?1",
        "DELETE FROM alert_rule_issues WHERE issue_id = ?1",
        "DELETE FROM issue_links WHERE issue_id = ?1",
        "DELETE FROM attachments WHERE issue_id = ?1",
        "DELETE FROM user_reports WHERE issue_id = ?1",
        "DELETE FROM events WHERE issue_id = ?1",
        "DELETE FROM issue_tag_values WHERE issue_id = ?1",
        "DELETE FROM issue_hours WHERE issue_id = ?1",
        "DELETE FROM issue_activity WHERE issue_id = ?1",
        "DELETE FROM grouphashes WHERE issue_id = ?1",
        "DELETE FROM issues WHERE id = ?1",
    ] {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute([id.0]))
            .map_err(db)?;
    }
    tx.commit().map_err(db)
}

pub(crate) fn tags(conn: &Connection, id: IssueId) -> Result<Vec<TagValueCount>> {
    ensure_exists(conn, id)?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT key, value, times_seen, first_seen_ms, last_seen_ms FROM issue_tag_values
             WHERE issue_id = ?1 ORDER BY key, times_seen DESC, value",
        )
        .map_err(db)?;
    stmt.query_map([id.0], |r| {
        Ok(TagValueCount {
            key: r.get(0)?,
            value: r.get(1)?,
            times_seen: r.get(2)?,
            first_seen_ms: r.get(3)?,
            last_seen_ms: r.get(4)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
