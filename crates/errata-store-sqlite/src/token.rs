//! API tokens in `SQLite`: insert the SHA-256 of a new secret with the token's scopes
//! (space-separated names), verify by one probe of the unique `token_hash` index, list a
//! user's tokens, revoke by deleting the row, and record uses.

use rusqlite::{Connection, OptionalExtension, Row, params};

use errata_store::{
    ApiToken, CreatedToken, NewToken, Result, StoreError, TokenId, UserId, generate_secret,
    hash_secret,
};

use crate::error::db;

/// The columns [`from_row`] reads, in order.
const COLUMNS: &str = "id, user_id, label, scopes, created_ms, last_used_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ApiToken> {
    let scopes: String = r.get(3)?;
    Ok(ApiToken {
        id: TokenId(r.get(0)?),
        user_id: UserId(r.get(1)?),
        label: r.get(2)?,
        // Names this binary does not know (a newer one wrote them) grant nothing.
        scopes: scopes
            .split(' ')
            .filter_map(errata_store::Scope::parse)
            .collect(),
        created_ms: r.get(4)?,
        last_used_ms: r.get(5)?,
    })
}

pub(crate) fn create(conn: &Connection, new: &NewToken, now_ms: i64) -> Result<CreatedToken> {
    crate::user::get(conn, new.user_id)?;
    let secret = generate_secret();
    conn.prepare_cached(
        "INSERT INTO api_tokens (user_id, token_hash, label, scopes, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute(params![
            new.user_id.0,
            hash_secret(&secret),
            new.label,
            new.scopes.to_string(),
            now_ms
        ])
    })
    .map_err(db)?;
    let token = ApiToken {
        id: TokenId(conn.last_insert_rowid()),
        user_id: new.user_id,
        label: new.label.clone(),
        scopes: new.scopes,
        created_ms: now_ms,
        last_used_ms: None,
    };
    Ok(CreatedToken { token, secret })
}

pub(crate) fn verify(conn: &Connection, secret: &str) -> Result<Option<ApiToken>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ?1"
    ))
    .and_then(|mut s| s.query_row([hash_secret(secret)], from_row).optional())
    .map_err(db)
}

/// The tokens of a user, or all of them, oldest first.
pub(crate) fn list(conn: &Connection, user_id: Option<UserId>) -> Result<Vec<ApiToken>> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE ?1 IS NULL OR user_id = ?1 ORDER BY id"
        ))
        .map_err(db)?;
    let rows = statement
        .query_map([user_id.map(|u| u.0)], from_row)
        .map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
}

pub(crate) fn revoke(conn: &Connection, id: TokenId) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM api_tokens WHERE id = ?1")
        .and_then(|mut s| s.execute([id.0]))
        .map_err(db)?;
    if deleted == 0 {
        return Err(StoreError::not_found(format!("token {id}")));
    }
    Ok(())
}

pub(crate) fn touch(conn: &Connection, id: TokenId, now_ms: i64) -> Result<()> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_ms = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id.0, now_ms]))
        .map_err(db)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_store::{Role, Scopes};

    /// The scopes a role's tokens got when scopes were introduced (for the migration test).
    fn stored_scopes(conn: &Connection) -> Vec<(i64, Option<i64>, Scopes)> {
        conn.prepare("SELECT id, user_id, scopes FROM api_tokens ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                let scopes: String = r.get(2)?;
                Ok((r.get(0)?, r.get(1)?, Scopes::parse(&scopes).unwrap()))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn older_tokens_become_their_users_or_the_owners_with_their_roles_scopes() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in [
            include_str!("../migrations/0001_initial.sql"),
            include_str!("../migrations/0002_project_scrubbing.sql"),
            include_str!("../migrations/0003_project_settings.sql"),
            include_str!("../migrations/0004_user_roles.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                 applied_ms INTEGER NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 'a', 0), (2, 'b', 0), (3, 'c', 0),
                 (4, 'd', 0);
             INSERT INTO users (id, email, password_hash, is_admin, role, created_ms)
                 VALUES (1, 'owner@x', 'h', 1, 'owner', 0), (2, 'member@x', 'h', 0, 'member', 0);
             INSERT INTO api_tokens (id, user_id, token_hash, label, created_ms)
                 VALUES (1, NULL, 'a', 'cli', 0), (2, 2, 'b', 'mine', 0), (3, 1, 'c', 'o', 0);",
        )
        .unwrap();
        assert!(
            crate::migration::migrate(&mut conn, 5)
                .unwrap()
                .contains(&5)
        );
        let member = Scopes::for_role(Role::Member);
        assert_eq!(
            stored_scopes(&conn),
            [
                (1, Some(1), Scopes::all()),
                (2, Some(2), member),
                (3, Some(1), Scopes::all())
            ]
        );
    }
}
