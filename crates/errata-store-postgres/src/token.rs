//! API tokens in `PostgreSQL`: insert the SHA-256 of a new secret with the token's scopes
//! (space-separated names), verify by one probe of the unique `token_hash` index, list a
//! user's tokens, revoke by deleting the row, and record uses.

use std::sync::LazyLock;

use tokio_postgres::Row;

use errata_store::{
    ApiToken, CreatedToken, NewToken, Result, StoreError, TokenId, UserId, generate_secret,
    hash_secret,
};

use crate::db::Db;

/// The columns [`from_row`] reads, in order.
const COLUMNS: &str = "id, user_id, label, scopes, created_ms, last_used_ms";
/// A token by the hash of its secret (every Web API request with a bearer token).
pub(crate) static BY_HASH: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"));

fn from_row(r: &Row) -> ApiToken {
    let scopes: String = r.get(3);
    ApiToken {
        id: TokenId(r.get(0)),
        user_id: UserId(r.get(1)),
        label: r.get(2),
        // Names this binary does not know (a newer one wrote them) grant nothing.
        scopes: scopes
            .split(' ')
            .filter_map(errata_store::Scope::parse)
            .collect(),
        created_ms: r.get(4),
        last_used_ms: r.get(5),
    }
}

pub(crate) fn create(c: &Db<'_>, new: &NewToken, now_ms: i64) -> Result<CreatedToken> {
    crate::user::get(c, new.user_id)?;
    let secret = generate_secret();
    let id: i64 = c
        .query_one(
            "INSERT INTO api_tokens (user_id, token_hash, label, scopes, created_ms)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &new.user_id.0,
                &hash_secret(&secret),
                &new.label,
                &new.scopes.to_string(),
                &now_ms,
            ],
        )?
        .get(0);
    let token = ApiToken {
        id: TokenId(id),
        user_id: new.user_id,
        label: new.label.clone(),
        scopes: new.scopes,
        created_ms: now_ms,
        last_used_ms: None,
    };
    Ok(CreatedToken { token, secret })
}

pub(crate) fn verify(c: &Db<'_>, secret: &str) -> Result<Option<ApiToken>> {
    Ok(c.query_opt(&BY_HASH, &[&hash_secret(secret)])?
        .map(|r| from_row(&r)))
}

/// The tokens of a user, or all of them, oldest first.
pub(crate) fn list(c: &Db<'_>, user_id: Option<UserId>) -> Result<Vec<ApiToken>> {
    Ok(c.query(
        &format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE $1::BIGINT IS NULL OR user_id = $1
             ORDER BY id"
        ),
        &[&user_id.map(|u| u.0)],
    )?
    .iter()
    .map(from_row)
    .collect())
}

pub(crate) fn revoke(c: &Db<'_>, id: TokenId) -> Result<()> {
    if c.execute("DELETE FROM api_tokens WHERE id = $1", &[&id.0])? == 0 {
        return Err(StoreError::not_found(format!("token {id}")));
    }
    Ok(())
}

pub(crate) fn touch(c: &Db<'_>, id: TokenId, now_ms: i64) -> Result<()> {
    c.execute(
        "UPDATE api_tokens SET last_used_ms = $2 WHERE id = $1",
        &[&id.0, &now_ms],
    )?;
    Ok(())
}
