//! Events and attachments in `SQLite`: the issue's event pages (keyset on the rowid, i.e.
//! receive order), the latest event, one event by id with its payload decompressed, and
//! attachment lists and downloads.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use errata_store::{
    Attachment, AttachmentId, Cursor, EventNavigation, EventRow, IssueId, Level, Page, Payload,
    PayloadCodec, ProjectId, Result, StoreError, StoredEvent, clamp_limit,
};

use crate::error::db;
use crate::issue::{conversion, ensure_exists};

const COLUMNS: &str = "project_id, issue_id, event_id, received_ms, timestamp_ms, level, \
    event_type, title, release, environment, user_key, payload_len, id";

/// Reads a 16-byte UUID blob from column `idx`.
pub(crate) fn uuid_from_blob(idx: usize, blob: &[u8]) -> rusqlite::Result<Uuid> {
    Uuid::from_slice(blob)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Blob, Box::new(e)))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(EventRow, i64)> {
    let event_id: Vec<u8> = r.get(2)?;
    let level: String = r.get(5)?;
    let row = EventRow {
        project_id: ProjectId(r.get(0)?),
        issue_id: IssueId(r.get(1)?),
        event_id: uuid_from_blob(2, &event_id)?,
        received_ms: r.get(3)?,
        timestamp_ms: r.get(4)?,
        level: Level::parse(&level).map_err(|e| conversion(5, e))?,
        event_type: r.get(6)?,
        title: r.get(7)?,
        release: r.get(8)?,
        environment: r.get(9)?,
        user: r.get(10)?,
        payload_len: r.get(11)?,
    };
    Ok((row, r.get(12)?))
}

/// The row plus its compressed payload (column 13).
fn with_payload(r: &Row<'_>) -> rusqlite::Result<(EventRow, Vec<u8>)> {
    Ok((from_row(r)?.0, r.get(13)?))
}

/// Decompresses with `codec`, first learning the stored dictionaries when the payload
/// names one it lacks.
fn decompress(
    conn: &Connection,
    codec: &PayloadCodec,
    (row, compressed): (EventRow, Vec<u8>),
) -> Result<StoredEvent> {
    let len = usize::try_from(row.payload_len)
        .map_err(|_| StoreError::corrupt("payload length out of range"))?;
    let payload = Payload::from_compressed(compressed, len);
    let payload = codec.decompress_loading(&payload, || crate::dictionary::all(conn))?;
    Ok(StoredEvent { row, payload })
}

pub(crate) fn of_issue(
    conn: &Connection,
    issue: IssueId,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<EventRow>> {
    ensure_exists(conn, issue)?;
    let limit = clamp_limit(limit);
    let before = match cursor {
        Some(c) => Cursor::decode(c)?.id,
        None => i64::MAX,
    };
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE issue_id = ?1 AND id < ?2
             ORDER BY id DESC LIMIT ?3"
        ))
        .map_err(db)?;
    let mut rows: Vec<(EventRow, i64)> = stmt
        .query_map(params![issue.0, before, (limit + 1) as u64], from_row)
        .and_then(Iterator::collect)
        .map_err(db)?;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|(row, id)| {
            Cursor {
                sort: row.received_ms,
                id: *id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page {
        items: rows.into_iter().map(|(row, _)| row).collect(),
        next_cursor,
    })
}

pub(crate) fn latest(
    conn: &Connection,
    codec: &PayloadCodec,
    issue: IssueId,
) -> Result<StoredEvent> {
    ensure_exists(conn, issue)?;
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, payload FROM events WHERE issue_id = ?1 ORDER BY id DESC LIMIT 1"
        ))
        .and_then(|mut s| s.query_row([issue.0], with_payload).optional())
        .map_err(db)?
        .ok_or_else(|| StoreError::not_found(format_args!("an event of issue {issue}")))?;
    decompress(conn, codec, found)
}

/// The event's neighbours by arrival (the events table's rowid order) within its issue.
pub(crate) fn navigation(
    conn: &Connection,
    issue: IssueId,
    event_id: Uuid,
) -> Result<EventNavigation> {
    let row: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM events WHERE issue_id = ?1
             AND project_id = (SELECT project_id FROM issues WHERE id = ?1) AND event_id = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![issue.0, &event_id.as_bytes()[..]], |r| r.get(0))
                .optional()
        })
        .map_err(db)?;
    let row = row.ok_or_else(|| {
        StoreError::not_found(format_args!("event {} of issue {issue}", event_id.simple()))
    })?;
    let one = |sql: &str, args: &[i64]| -> Result<Option<Uuid>> {
        let id: Option<Vec<u8>> = conn
            .prepare_cached(sql)
            .and_then(|mut s| {
                s.query_row(rusqlite::params_from_iter(args), |r| r.get(0))
                    .optional()
            })
            .map_err(db)?;
        Ok(id.and_then(|b| Uuid::from_slice(&b).ok()))
    };
    let other = |u: Option<Uuid>| u.filter(|u| *u != event_id);
    Ok(EventNavigation {
        oldest: other(one(
            "SELECT event_id FROM events WHERE issue_id = ?1 ORDER BY id LIMIT 1",
            &[issue.0],
        )?),
        previous: one(
            "SELECT event_id FROM events WHERE issue_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT 1",
            &[issue.0, row],
        )?,
        next: one(
            "SELECT event_id FROM events WHERE issue_id = ?1 AND id > ?2 ORDER BY id LIMIT 1",
            &[issue.0, row],
        )?,
        latest: other(one(
            "SELECT event_id FROM events WHERE issue_id = ?1 ORDER BY id DESC LIMIT 1",
            &[issue.0],
        )?),
    })
}

pub(crate) fn by_id(
    conn: &Connection,
    codec: &PayloadCodec,
    project: ProjectId,
    event_id: Uuid,
) -> Result<StoredEvent> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, payload FROM events WHERE project_id = ?1 AND event_id = ?2"
        ))
        .and_then(|mut s| {
            s.query_row(params![project.0, &event_id.as_bytes()[..]], with_payload)
                .optional()
        })
        .map_err(db)?
        .ok_or_else(|| StoreError::not_found(format_args!("event {}", event_id.simple())))?;
    decompress(conn, codec, found)
}

const ATTACHMENT_COLUMNS: &str =
    "id, project_id, issue_id, event_id, name, content_type, size, created_ms";

fn attachment_from_row(r: &Row<'_>) -> rusqlite::Result<Attachment> {
    let event_id: Vec<u8> = r.get(3)?;
    Ok(Attachment {
        id: AttachmentId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        issue_id: IssueId(r.get(2)?),
        event_id: uuid_from_blob(3, &event_id)?,
        name: r.get(4)?,
        content_type: r.get(5)?,
        size: r.get(6)?,
        created_ms: r.get(7)?,
    })
}

pub(crate) fn attachments(
    conn: &Connection,
    project: ProjectId,
    event_id: Uuid,
) -> Result<Vec<Attachment>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments
             WHERE project_id = ?1 AND event_id = ?2 ORDER BY id"
        ))
        .map_err(db)?;
    stmt.query_map(
        params![project.0, &event_id.as_bytes()[..]],
        attachment_from_row,
    )
    .and_then(Iterator::collect)
    .map_err(db)
}

pub(crate) fn attachment_data(
    conn: &Connection,
    project: ProjectId,
    id: AttachmentId,
) -> Result<(Attachment, Vec<u8>)> {
    conn.prepare_cached(&format!(
        "SELECT {ATTACHMENT_COLUMNS}, data FROM attachments WHERE project_id = ?1 AND id = ?2"
    ))
    .and_then(|mut s| {
        s.query_row(params![project.0, id.0], |r| {
            Ok((attachment_from_row(r)?, r.get(8)?))
        })
        .optional()
    })
    .map_err(db)?
    .ok_or_else(|| StoreError::not_found(format_args!("attachment {id}")))
}

/// The database's size (its pages as of the latest commit: the file after a checkpoint,
/// whatever the WAL holds meanwhile), the events table's pages (all, and overflow pages:
/// payloads that left their row's page) and its indexes' pages, in bytes, from the
/// `dbstat` virtual table.
pub(crate) fn usage(c: &Connection) -> Result<(u64, u64, u64, u64)> {
    let total: i64 = c
        .query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    let (table, overflow, index) = c
        .query_row(
            "SELECT
                 coalesce(sum(CASE WHEN s.type = 'table' THEN d.pgsize END), 0),
                 coalesce(sum(CASE WHEN s.type = 'table' AND d.pagetype = 'overflow'
                              THEN d.pgsize END), 0),
                 coalesce(sum(CASE WHEN s.type = 'index' THEN d.pgsize END), 0)
             FROM sqlite_schema AS s JOIN dbstat AS d ON d.name = s.name
             WHERE s.tbl_name = 'events'",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?.unsigned_abs(),
                    r.get::<_, i64>(1)?.unsigned_abs(),
                    r.get::<_, i64>(2)?.unsigned_abs(),
                ))
            },
        )
        .map_err(db)?;
    Ok((total.unsigned_abs(), table, overflow, index))
}
