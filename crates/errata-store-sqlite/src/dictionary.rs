//! Payload dictionaries in `SQLite`: the `payload_dictionaries` table (zstd's id, creation
//! time, bytes; rows are only ever added) and the recent payloads a dictionary is trained
//! on, read newest first along the events table's rowid.

use rusqlite::{Connection, params};

use errata_store::{Payload, PayloadDictionary, Result, StoreError};

use crate::error::db;

/// Every stored dictionary, oldest first, checked against its header.
pub(crate) fn all(conn: &Connection) -> Result<Vec<PayloadDictionary>> {
    let rows: Vec<(i64, i64, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT id, created_ms, bytes FROM payload_dictionaries ORDER BY created_ms, id",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .and_then(Iterator::collect)
        })
        .map_err(db)?;
    rows.into_iter()
        .map(|(id, created_ms, bytes)| {
            let id = u32::try_from(id)
                .map_err(|_| StoreError::corrupt(format!("payload dictionary id {id}")))?;
            PayloadDictionary::from_stored(Some(id), created_ms, bytes)
        })
        .collect()
}

/// Stores `dictionary` unless its id is stored already.
pub(crate) fn add(conn: &Connection, dictionary: &PayloadDictionary) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO payload_dictionaries (id, created_ms, bytes) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO NOTHING",
    )
    .and_then(|mut s| {
        s.execute(params![
            i64::from(dictionary.id),
            dictionary.created_ms,
            &dictionary.bytes
        ])
    })
    .map(|_| ())
    .map_err(db)
}

/// The payloads of at most `max_raw_len` bytes of the `limit` latest such events, newest
/// first, as stored.
pub(crate) fn recent_payloads(
    conn: &Connection,
    limit: usize,
    max_raw_len: usize,
) -> Result<Vec<Payload>> {
    let rows: Vec<(Vec<u8>, i64)> = conn
        .prepare_cached(
            "SELECT payload, payload_len FROM events WHERE payload_len <= ?2
             ORDER BY id DESC LIMIT ?1",
        )
        .and_then(|mut s| {
            s.query_map(
                params![
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    i64::try_from(max_raw_len).unwrap_or(i64::MAX)
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .and_then(Iterator::collect)
        })
        .map_err(db)?;
    rows.into_iter()
        .map(|(compressed, len)| {
            let len = usize::try_from(len)
                .map_err(|_| StoreError::corrupt("payload length out of range"))?;
            Ok(Payload::from_compressed(compressed, len))
        })
        .collect()
}
