//! Events and attachments in `PostgreSQL`: the issue's event pages (keyset on the identity
//! id, i.e. receive order), the latest event, one event by id with its payload
//! decompressed, and attachment lists and downloads. Event ids are 16-byte `BYTEA`s.

use std::sync::LazyLock;

use tokio_postgres::Row;
use uuid::Uuid;

use errata_store::{
    Attachment, AttachmentId, Cursor, EventNavigation, EventRow, IssueId, Level, Page, Payload,
    PayloadCodec, ProjectId, Result, StoreError, StoredEvent, clamp_limit,
};

use crate::db::{Db, get_u64, to_i64};
use crate::issue::ensure_exists;

const COLUMNS: &str = "project_id, issue_id, event_id, received_ms, timestamp_ms, level, \
    event_type, title, release, environment, user_key, payload_len, id";

/// A page of an issue's events, newest first, before the cursor's event.
pub(crate) static PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM events WHERE issue_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    )
});
/// An issue's latest event.
pub(crate) static LATEST: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {COLUMNS}, payload FROM events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1")
});
/// An event by its id within a project.
pub(crate) static BY_EVENT_ID: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {COLUMNS}, payload FROM events WHERE project_id = $1 AND event_id = $2")
});

/// Reads a 16-byte UUID blob.
pub(crate) fn uuid_from_blob(blob: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(blob)
        .map_err(|e| StoreError::corrupt("an event id is not 16 bytes").with_source(e))
}

fn from_row(r: &Row) -> Result<(EventRow, i64)> {
    let event_id: Vec<u8> = r.get(2);
    let level: String = r.get(5);
    let row = EventRow {
        project_id: ProjectId(r.get(0)),
        issue_id: IssueId(r.get(1)),
        event_id: uuid_from_blob(&event_id)?,
        received_ms: r.get(3),
        timestamp_ms: r.get(4),
        level: Level::parse(&level)?,
        event_type: r.get(6),
        title: r.get(7),
        release: r.get(8),
        environment: r.get(9),
        user: r.get(10),
        payload_len: get_u64(r, 11),
    };
    Ok((row, r.get(12)))
}

/// The row plus its compressed payload (column 13), decompressed with `codec` (which first
/// learns the stored dictionaries when the payload names one it lacks: another node's).
fn with_payload(c: &Db<'_>, codec: &PayloadCodec, r: &Row) -> Result<StoredEvent> {
    let row = from_row(r)?.0;
    let compressed: Vec<u8> = r.get(13);
    let len = usize::try_from(row.payload_len)
        .map_err(|_| StoreError::corrupt("payload length out of range"))?;
    let payload = Payload::from_compressed(compressed, len);
    let payload = codec.decompress_loading(&payload, || crate::dictionary::all(c))?;
    Ok(StoredEvent { row, payload })
}

pub(crate) fn of_issue(
    c: &Db<'_>,
    issue: IssueId,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<EventRow>> {
    ensure_exists(c, issue)?;
    let limit = clamp_limit(limit);
    let before = match cursor {
        Some(cursor) => Cursor::decode(cursor)?.id,
        None => i64::MAX,
    };
    let mut rows = c
        .query(&PAGE, &[&issue.0, &before, &to_i64(limit as u64 + 1)])?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
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

pub(crate) fn latest(c: &Db<'_>, codec: &PayloadCodec, issue: IssueId) -> Result<StoredEvent> {
    ensure_exists(c, issue)?;
    let row = c
        .query_opt(&LATEST, &[&issue.0])?
        .ok_or_else(|| StoreError::not_found(format_args!("an event of issue {issue}")))?;
    with_payload(c, codec, &row)
}

/// The event's neighbours by arrival (the events table's id order) within its issue.
pub(crate) fn navigation(c: &Db<'_>, issue: IssueId, event_id: Uuid) -> Result<EventNavigation> {
    let row: i64 = c
        .query_opt(
            "SELECT id FROM events WHERE issue_id = $1
             AND project_id = (SELECT project_id FROM issues WHERE id = $1) AND event_id = $2",
            &[&issue.0, &&event_id.as_bytes()[..]],
        )?
        .ok_or_else(|| {
            StoreError::not_found(format_args!("event {} of issue {issue}", event_id.simple()))
        })?
        .get(0);
    let one = |sql: &str, bound: Option<i64>| -> Result<Option<Uuid>> {
        let found = match bound {
            Some(bound) => c.query_opt(sql, &[&issue.0, &bound])?,
            None => c.query_opt(sql, &[&issue.0])?,
        };
        Ok(found.and_then(|r| Uuid::from_slice(r.get::<_, &[u8]>(0)).ok()))
    };
    let other = |u: Option<Uuid>| u.filter(|u| *u != event_id);
    Ok(EventNavigation {
        oldest: other(one(
            "SELECT event_id FROM events WHERE issue_id = $1 ORDER BY id LIMIT 1",
            None,
        )?),
        previous: one(
            "SELECT event_id FROM events WHERE issue_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1",
            Some(row),
        )?,
        next: one(
            "SELECT event_id FROM events WHERE issue_id = $1 AND id > $2 ORDER BY id LIMIT 1",
            Some(row),
        )?,
        latest: other(one(
            "SELECT event_id FROM events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1",
            None,
        )?),
    })
}

pub(crate) fn by_id(
    c: &Db<'_>,
    codec: &PayloadCodec,
    project: ProjectId,
    event_id: Uuid,
) -> Result<StoredEvent> {
    let row = c
        .query_opt(&BY_EVENT_ID, &[&project.0, &&event_id.as_bytes()[..]])?
        .ok_or_else(|| StoreError::not_found(format_args!("event {}", event_id.simple())))?;
    with_payload(c, codec, &row)
}

const ATTACHMENT_COLUMNS: &str =
    "id, project_id, issue_id, event_id, name, content_type, size, created_ms";

fn attachment_from_row(r: &Row) -> Result<Attachment> {
    Ok(Attachment {
        id: AttachmentId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        issue_id: IssueId(r.get(2)),
        event_id: uuid_from_blob(r.get(3))?,
        name: r.get(4),
        content_type: r.get(5),
        size: get_u64(r, 6),
        created_ms: r.get(7),
    })
}

pub(crate) fn attachments(
    c: &Db<'_>,
    project: ProjectId,
    event_id: Uuid,
) -> Result<Vec<Attachment>> {
    c.query(
        &format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments
             WHERE project_id = $1 AND event_id = $2 ORDER BY id"
        ),
        &[&project.0, &&event_id.as_bytes()[..]],
    )?
    .iter()
    .map(attachment_from_row)
    .collect()
}

pub(crate) fn attachment_data(
    c: &Db<'_>,
    project: ProjectId,
    id: AttachmentId,
) -> Result<(Attachment, Vec<u8>)> {
    let row = c
        .query_opt(
            &format!(
                "SELECT {ATTACHMENT_COLUMNS}, data FROM attachments
                 WHERE project_id = $1 AND id = $2"
            ),
            &[&project.0, &id.0],
        )?
        .ok_or_else(|| StoreError::not_found(format_args!("attachment {id}")))?;
    Ok((attachment_from_row(&row)?, row.get(8)))
}

/// The database's size, the events table's (heap, TOAST and maps), its TOAST table's
/// (with the TOAST index) and its indexes', in bytes, from `PostgreSQL`'s size functions.
pub(crate) fn usage(c: &Db<'_>) -> Result<(u64, u64, u64, u64)> {
    let r = c.query_one(
        "SELECT pg_database_size(current_database()),
                pg_table_size(c.oid),
                coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0),
                pg_indexes_size(c.oid)
         FROM pg_class AS c
         WHERE c.oid = 'events'::regclass",
        &[],
    )?;
    Ok((
        get_u64(&r, 0),
        get_u64(&r, 1),
        get_u64(&r, 2),
        get_u64(&r, 3),
    ))
}
