//! Payload dictionaries in `PostgreSQL`: the `payload_dictionaries` table (zstd's id,
//! creation time, bytes; rows are only ever added, by whichever node trains) and the recent
//! payloads a dictionary is trained on, read newest first along the events' identity id.

use errata_store::{Payload, PayloadDictionary, Result, StoreError};

use crate::db::Db;

/// Every stored dictionary, oldest first, checked against its header.
pub(crate) fn all(c: &Db<'_>) -> Result<Vec<PayloadDictionary>> {
    c.query(
        "SELECT id, created_ms, bytes FROM payload_dictionaries ORDER BY created_ms, id",
        &[],
    )?
    .iter()
    .map(|r| {
        let id: i64 = r.get(0);
        let id = u32::try_from(id)
            .map_err(|_| StoreError::corrupt(format!("payload dictionary id {id}")))?;
        PayloadDictionary::from_stored(Some(id), r.get(1), r.get(2))
    })
    .collect()
}

/// Stores `dictionary` unless its id is stored already (by this node or another).
pub(crate) fn add(c: &Db<'_>, dictionary: &PayloadDictionary) -> Result<()> {
    c.execute(
        "INSERT INTO payload_dictionaries (id, created_ms, bytes) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO NOTHING",
        &[
            &i64::from(dictionary.id),
            &dictionary.created_ms,
            &dictionary.bytes,
        ],
    )
    .map(|_| ())
}

/// The payloads of at most `max_raw_len` bytes of the `limit` latest such events, newest
/// first, as stored.
pub(crate) fn recent_payloads(
    c: &Db<'_>,
    limit: usize,
    max_raw_len: usize,
) -> Result<Vec<Payload>> {
    c.query(
        "SELECT payload, payload_len FROM events WHERE payload_len <= $2
         ORDER BY id DESC LIMIT $1",
        &[
            &i64::try_from(limit).unwrap_or(i64::MAX),
            &i64::try_from(max_raw_len).unwrap_or(i64::MAX),
        ],
    )?
    .iter()
    .map(|r| {
        let len = usize::try_from(r.get::<_, i64>(1))
            .map_err(|_| StoreError::corrupt("payload length out of range"))?;
        Ok(Payload::from_compressed(r.get(0), len))
    })
    .collect()
}
