//! Web UI sessions in `SQLite`: the SHA-256 of the cookie's secret is the lookup key (a
//! unique index), joined with the user in one query; expired sessions are never returned
//! and are deleted in bulk by the periodic cleanup (an index on `expires_ms`).

use rusqlite::{Connection, OptionalExtension, params};

use errata_store::{
    CreatedSession, NewSession, Result, Session, SessionId, User, UserId, generate_secret,
    hash_secret,
};

use crate::error::db;

pub(crate) fn create(conn: &Connection, new: &NewSession) -> Result<CreatedSession> {
    crate::user::get(conn, new.user_id)?;
    let secret = generate_secret();
    let csrf_token = generate_secret();
    conn.prepare_cached(
        "INSERT INTO sessions
             (user_id, secret_hash, csrf_token, created_ms, last_seen_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute(params![
            new.user_id.0,
            hash_secret(&secret),
            csrf_token,
            new.now_ms,
            new.expires_ms
        ])
    })
    .map_err(db)?;
    let session = Session {
        id: SessionId(conn.last_insert_rowid()),
        user_id: new.user_id,
        csrf_token,
        created_ms: new.now_ms,
        last_seen_ms: new.now_ms,
        expires_ms: new.expires_ms,
    };
    Ok(CreatedSession { session, secret })
}

pub(crate) fn get(conn: &Connection, secret: &str, now_ms: i64) -> Result<Option<(Session, User)>> {
    let users = crate::user::COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    conn.prepare_cached(&format!(
        "SELECT {users}, s.id, s.csrf_token, s.created_ms, s.last_seen_ms, s.expires_ms
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.secret_hash = ?1 AND s.expires_ms > ?2"
    ))
    .and_then(|mut s| {
        s.query_row(params![hash_secret(secret), now_ms], |r| {
            let user = crate::user::from_row(r)?;
            let session = Session {
                id: SessionId(r.get(6)?),
                user_id: user.id,
                csrf_token: r.get(7)?,
                created_ms: r.get(8)?,
                last_seen_ms: r.get(9)?,
                expires_ms: r.get(10)?,
            };
            Ok((session, user))
        })
        .optional()
    })
    .map_err(db)
}

pub(crate) fn touch(
    conn: &Connection,
    id: SessionId,
    last_seen_ms: i64,
    expires_ms: i64,
) -> Result<()> {
    conn.prepare_cached("UPDATE sessions SET last_seen_ms = ?2, expires_ms = ?3 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id.0, last_seen_ms, expires_ms]))
        .map_err(db)?;
    Ok(())
}

pub(crate) fn delete(conn: &Connection, secret: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE secret_hash = ?1")
        .and_then(|mut s| s.execute([hash_secret(secret)]))
        .map_err(db)?;
    Ok(())
}

pub(crate) fn delete_of_user(conn: &Connection, user_id: UserId) -> Result<u64> {
    conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?1")
        .and_then(|mut s| s.execute([user_id.0]))
        .map(|n| n as u64)
        .map_err(db)
}

pub(crate) fn delete_expired(conn: &Connection, now_ms: i64) -> Result<u64> {
    conn.prepare_cached("DELETE FROM sessions WHERE expires_ms <= ?1")
        .and_then(|mut s| s.execute([now_ms]))
        .map(|n| n as u64)
        .map_err(db)
}
