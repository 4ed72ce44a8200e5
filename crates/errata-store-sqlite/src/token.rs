//! API tokens in `SQLite`: insert the SHA-256 of a new secret, verify by one probe of the
//! unique `token_hash` index.

use rusqlite::{Connection, OptionalExtension, params};

use errata_store::{
    ApiToken, CreatedToken, NewToken, Result, TokenId, UserId, generate_secret, hash_secret,
};

use crate::error::db;

pub(crate) fn create(conn: &Connection, new: &NewToken, now_ms: i64) -> Result<CreatedToken> {
    let secret = generate_secret();
    conn.prepare_cached(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_ms) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| {
        s.execute(params![
            new.user_id.map(|u| u.0),
            hash_secret(&secret),
            new.label,
            now_ms
        ])
    })
    .map_err(db)?;
    let token = ApiToken {
        id: TokenId(conn.last_insert_rowid()),
        user_id: new.user_id,
        label: new.label.clone(),
        created_ms: now_ms,
    };
    Ok(CreatedToken { token, secret })
}

pub(crate) fn verify(conn: &Connection, secret: &str) -> Result<Option<ApiToken>> {
    conn.prepare_cached(
        "SELECT id, user_id, label, created_ms FROM api_tokens WHERE token_hash = ?1",
    )
    .and_then(|mut s| {
        s.query_row([hash_secret(secret)], |r| {
            Ok(ApiToken {
                id: TokenId(r.get(0)?),
                user_id: r.get::<_, Option<i64>>(1)?.map(UserId),
                label: r.get(2)?,
                created_ms: r.get(3)?,
            })
        })
        .optional()
    })
    .map_err(db)
}
