//! Issues in `PostgreSQL`: the listing query built from an `IssueFilter` (keyset-paginated
//! on `(sort key, id)` with a row comparison; the default order runs on the
//! `issues_*last_seen` indexes, a tag filter on `issue_tag_values_key_value`; free
//! text matches title or culprit with `ILIKE`), reads, tag and hourly counts, and deletion
//! with everything that hangs off an issue. Status changes are in `workflow.rs`.

use std::fmt::Write as _;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use errata_store::{
    Cursor, HourCount, IgnoreThresholds, IgnoreUntil, Issue, IssueId, IssueQuery, IssueSort,
    IssueStatus, Level, Page, ProjectId, Resolution, Result, StatusDetails, StoreError,
    TagValueCount, clamp_limit,
};

use crate::db::{Db, get_opt_u64, get_u64, to_i64};

pub(crate) const COLUMNS: &str = "id, project_id, short_id, title, culprit, level, event_type, \
    metadata, status, first_seen_ms, last_seen_ms, times_seen, user_count, first_release, \
    last_release, resolved_at_ms, resolution, resolved_in_release, regress_from_release_ms, \
    ignore_until_ms, ignore_until_times_seen, ignore_until_user_count, ignore_minutes, \
    ignore_events, ignore_users, regressed_at_ms";

/// An issue row of [`COLUMNS`].
pub(crate) fn from_row(r: &Row) -> Result<Issue> {
    let level: String = r.get(5);
    let status: String = r.get(8);
    Ok(Issue {
        id: IssueId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        short_id: r.get(2),
        title: r.get(3),
        culprit: r.get(4),
        level: Level::parse(&level)?,
        event_type: r.get(6),
        metadata: r.get(7),
        status: IssueStatus::parse(&status)?,
        first_seen_ms: r.get(9),
        last_seen_ms: r.get(10),
        times_seen: get_u64(r, 11),
        user_count: get_u64(r, 12),
        first_release: r.get(13),
        last_release: r.get(14),
        resolved_at_ms: r.get(15),
        details: details_from_row(r)?,
    })
}

/// Columns 16.. of [`COLUMNS`].
fn details_from_row(r: &Row) -> Result<StatusDetails> {
    let resolution: Option<String> = r.get(16);
    let resolution = match resolution.as_deref() {
        None => None,
        Some("now") => Some(Resolution::Now),
        Some("next_release") => Some(Resolution::InNextRelease),
        Some("release") => Some(Resolution::InRelease(
            r.get::<_, Option<String>>(17).unwrap_or_default(),
        )),
        Some(other) => {
            return Err(StoreError::invalid(format!("unknown resolution {other:?}")));
        }
    };
    let asked = IgnoreUntil {
        minutes: get_opt_u64(r, 22),
        events: get_opt_u64(r, 23),
        users: get_opt_u64(r, 24),
    };
    let thresholds = IgnoreThresholds {
        until_ms: r.get(19),
        times_seen: get_opt_u64(r, 20),
        user_count: get_opt_u64(r, 21),
        asked,
    };
    let ignore = (thresholds != IgnoreThresholds::default()).then_some(thresholds);
    Ok(StatusDetails {
        resolution,
        regress_from_release_ms: r.get(18),
        ignore,
        regressed_at_ms: r.get(25),
    })
}

/// Fails with not-found unless the issue exists.
pub(crate) fn ensure_exists(c: &Db<'_>, id: IssueId) -> Result<()> {
    if c.exists("SELECT 1 FROM issues WHERE id = $1", &[&id.0])? {
        Ok(())
    } else {
        Err(StoreError::not_found(format_args!("issue {id}")))
    }
}

pub(crate) fn get(c: &Db<'_>, id: IssueId) -> Result<Issue> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM issues WHERE id = $1"),
        &[&id.0],
    )?
    .map(|r| from_row(&r))
    .transpose()?
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

/// A value bound to the listing query.
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// The listing query for `query` (one more row than a page: is there a next one?) and the
/// values of its placeholders.
pub(crate) fn list_sql(query: &IssueQuery) -> Result<(String, Vec<Arg>)> {
    let limit = clamp_limit(query.limit);
    let mut sql = format!("SELECT {COLUMNS} FROM issues i WHERE TRUE");
    let mut args: Vec<Arg> = Vec::new();
    // The next placeholder, `$n`, for a value pushed onto `args`.
    let bind = |args: &mut Vec<Arg>, arg: Arg| -> String {
        args.push(arg);
        format!("${}", args.len())
    };
    if let Some(project) = query.project_id {
        let p = bind(&mut args, Arg::Int(project.0));
        let _ = write!(sql, " AND project_id = {p}");
    }
    if let Some(status) = query.filter.status {
        let p = bind(&mut args, Arg::Text(status.as_str().to_owned()));
        let _ = write!(sql, " AND status = {p}");
    }
    for text in &query.filter.text {
        // ILIKE over COLLATE "C" columns folds ASCII letters only, as SQLite's LIKE does.
        let p = bind(&mut args, Arg::Text(like_pattern(text)));
        let _ = write!(
            sql,
            " AND (title ILIKE {p} ESCAPE '\\' OR culprit ILIKE {p} ESCAPE '\\')"
        );
    }
    for (key, value) in &query.filter.tags {
        let k = bind(&mut args, Arg::Text(key.clone()));
        let v = bind(&mut args, Arg::Text(value.clone()));
        let _ = write!(
            sql,
            " AND EXISTS (SELECT 1 FROM issue_tag_values t \
             WHERE t.issue_id = i.id AND t.key = {k} AND t.value = {v})"
        );
    }
    let column = sort_column(query.sort);
    if let Some(cursor) = &query.cursor {
        let cursor = Cursor::decode(cursor)?;
        let s = bind(&mut args, Arg::Int(cursor.sort));
        let i = bind(&mut args, Arg::Int(cursor.id));
        // A row comparison, not `a < s OR (a = s AND id < i)`: the index's scan starts at
        // the cursor instead of reading (and dropping) every issue of the earlier pages.
        let _ = write!(sql, " AND ({column}, id) < ({s}, {i})");
    }
    let l = bind(&mut args, Arg::Int(to_i64(limit as u64 + 1)));
    let _ = write!(sql, " ORDER BY {column} DESC, id DESC LIMIT {l}");
    Ok((sql, args))
}

pub(crate) fn list(c: &Db<'_>, query: &IssueQuery) -> Result<Page<Issue>> {
    let limit = clamp_limit(query.limit);
    let (sql, args) = list_sql(query)?;
    let params: Vec<&(dyn ToSql + Sync)> = args
        .iter()
        .map(|a| match a {
            Arg::Int(v) => v as &(dyn ToSql + Sync),
            Arg::Text(v) => v as &(dyn ToSql + Sync),
        })
        .collect();
    let mut items = c
        .query(&sql, &params)?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
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

pub(crate) fn hourly_counts(c: &Db<'_>, ids: &[IssueId], since_ms: i64) -> Result<Vec<HourCount>> {
    let mut sorted: Vec<i64> = ids.iter().map(|i| i.0).collect();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(c.query(
        "SELECT issue_id, hour_ms, count FROM issue_hours
         WHERE issue_id = ANY($1) AND hour_ms >= $2 ORDER BY issue_id, hour_ms",
        &[&sorted, &since_ms],
    )?
    .iter()
    .map(|r| HourCount {
        issue_id: IssueId(r.get(0)),
        hour_ms: r.get(1),
        count: get_u64(r, 2),
    })
    .collect())
}

/// Deletes the issue and what hangs off it. The issue row is locked first: an ingest batch
/// filing under it finishes before (and its rows go too), or waits and then finds it gone
/// (and files its events afresh), never leaving events under a deleted issue.
pub(crate) fn delete(c: &Db<'_>, id: IssueId) -> Result<()> {
    if !c.exists("SELECT 1 FROM issues WHERE id = $1 FOR UPDATE", &[&id.0])? {
        return Err(StoreError::not_found(format_args!("issue {id}")));
    }
    for sql in [
        "UPDATE project_usage SET
            events = greatest(events - (SELECT count(*) FROM events WHERE issue_id = $1), 0),
            stored_bytes = greatest(stored_bytes
                - (SELECT coalesce(sum(octet_length(payload)), 0) FROM events WHERE issue_id = $1)
                - (SELECT coalesce(sum(size), 0) FROM attachments WHERE issue_id = $1), 0)
         WHERE project_id = (SELECT project_id FROM issues WHERE id = $1)",
        "DELETE FROM alert_attempts WHERE delivery_id IN
            (SELECT id FROM alert_deliveries WHERE issue_id = $1)",
        "DELETE FROM alert_deliveries WHERE issue_id = $1",
        "DELETE FROM alert_rule_issues WHERE issue_id = $1",
        "DELETE FROM issue_links WHERE issue_id = $1",
        "DELETE FROM attachments WHERE issue_id = $1",
        "DELETE FROM user_reports WHERE issue_id = $1",
        "DELETE FROM events WHERE issue_id = $1",
        "DELETE FROM issue_tag_values WHERE issue_id = $1",
        "DELETE FROM issue_hours WHERE issue_id = $1",
        "DELETE FROM issue_activity WHERE issue_id = $1",
        "DELETE FROM grouphashes WHERE issue_id = $1",
        "DELETE FROM issues WHERE id = $1",
    ] {
        c.execute(sql, &[&id.0])?;
    }
    Ok(())
}

/// An issue's tag values with their counts.
pub(crate) const TAGS: &str = "SELECT key, value, times_seen, first_seen_ms, last_seen_ms
    FROM issue_tag_values WHERE issue_id = $1 ORDER BY key, times_seen DESC, value";

pub(crate) fn tags(c: &Db<'_>, id: IssueId) -> Result<Vec<TagValueCount>> {
    ensure_exists(c, id)?;
    Ok(c.query(TAGS, &[&id.0])?
        .iter()
        .map(|r| TagValueCount {
            key: r.get(0),
            value: r.get(1),
            times_seen: get_u64(r, 2),
            first_seen_ms: r.get(3),
            last_seen_ms: r.get(4),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
