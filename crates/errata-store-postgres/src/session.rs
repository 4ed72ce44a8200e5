//! Web UI sessions in `PostgreSQL`: the SHA-256 of the cookie's secret is the lookup key (a
//! unique index), joined with the user in one query; expired sessions are never returned
//! and are deleted in bulk by the periodic cleanup (an index on `expires_ms`).

use std::sync::LazyLock;

use errata_store::{
    CreatedSession, NewSession, Result, Session, SessionId, User, UserId, generate_secret,
    hash_secret,
};

use crate::db::Db;

pub(crate) fn create(c: &Db<'_>, new: &NewSession) -> Result<CreatedSession> {
    crate::user::get(c, new.user_id)?;
    let secret = generate_secret();
    let csrf_token = generate_secret();
    let id: i64 = c
        .query_one(
            "INSERT INTO sessions
                 (user_id, secret_hash, csrf_token, created_ms, last_seen_ms, expires_ms)
             VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
            &[
                &new.user_id.0,
                &hash_secret(&secret),
                &csrf_token,
                &new.now_ms,
                &new.expires_ms,
            ],
        )?
        .get(0);
    let session = Session {
        id: SessionId(id),
        user_id: new.user_id,
        csrf_token,
        created_ms: new.now_ms,
        last_seen_ms: new.now_ms,
        expires_ms: new.expires_ms,
    };
    Ok(CreatedSession { session, secret })
}

/// A live session (by the hash of its cookie's secret, `$1`, unexpired at `$2`) with its
/// user: every web UI request.
pub(crate) static BY_SECRET: LazyLock<String> = LazyLock::new(|| {
    let users = crate::user::COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {users}, s.id, s.csrf_token, s.created_ms, s.last_seen_ms, s.expires_ms
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.secret_hash = $1 AND s.expires_ms > $2"
    )
});

pub(crate) fn get(c: &Db<'_>, secret: &str, now_ms: i64) -> Result<Option<(Session, User)>> {
    let row = c.query_opt(&BY_SECRET, &[&hash_secret(secret), &now_ms])?;
    Ok(row.map(|r| {
        let user = crate::user::from_row(&r);
        let session = Session {
            id: SessionId(r.get(6)),
            user_id: user.id,
            csrf_token: r.get(7),
            created_ms: r.get(8),
            last_seen_ms: r.get(9),
            expires_ms: r.get(10),
        };
        (session, user)
    }))
}

pub(crate) fn touch(c: &Db<'_>, id: SessionId, last_seen_ms: i64, expires_ms: i64) -> Result<()> {
    c.execute(
        "UPDATE sessions SET last_seen_ms = $2, expires_ms = $3 WHERE id = $1",
        &[&id.0, &last_seen_ms, &expires_ms],
    )?;
    Ok(())
}

pub(crate) fn delete(c: &Db<'_>, secret: &str) -> Result<()> {
    c.execute(
        "DELETE FROM sessions WHERE secret_hash = $1",
        &[&hash_secret(secret)],
    )?;
    Ok(())
}

pub(crate) fn delete_of_user(c: &Db<'_>, user_id: UserId) -> Result<u64> {
    c.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id.0])
}

pub(crate) fn delete_expired(c: &Db<'_>, now_ms: i64) -> Result<u64> {
    c.execute("DELETE FROM sessions WHERE expires_ms <= $1", &[&now_ms])
}
