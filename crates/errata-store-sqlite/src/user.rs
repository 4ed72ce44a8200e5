//! User accounts in `SQLite`: created with a unique lowercase email, looked up by login,
//! listed, and given a new password hash (a reset). The bootstrap's first admin is the
//! owner (see `project.rs`).

use rusqlite::{Connection, OptionalExtension, Row, params};

use errata_store::{NewUser, Result, Role, StoreError, User, UserId, normalize_email};

use crate::error::db;

/// The columns [`from_row`] reads, in order.
pub(crate) const COLUMNS: &str = "id, email, name, password_hash, role, created_ms";

/// A user row.
pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(4)?;
    Ok(User {
        id: UserId(r.get(0)?),
        email: r.get(1)?,
        name: r.get(2)?,
        password_hash: r.get(3)?,
        role: Role::parse(&role).unwrap_or(Role::Member),
        created_ms: r.get(5)?,
    })
}

/// Inserts a user; a taken email is a conflict.
pub(crate) fn create(conn: &Connection, user: &NewUser, now_ms: i64) -> Result<User> {
    let user = user.normalized()?;
    conn.prepare_cached(
        "INSERT INTO users (email, name, password_hash, role, is_admin, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            user.email,
            user.name,
            user.password_hash,
            user.role.as_str(),
            user.role.can_administer(),
            now_ms
        ])
    })
    .map_err(|e| {
        let error = db(e);
        if error.is_conflict() {
            StoreError::conflict(format!("a user with the email {} exists", user.email))
        } else {
            error
        }
    })?;
    Ok(User {
        id: UserId(conn.last_insert_rowid()),
        email: user.email,
        name: user.name,
        password_hash: user.password_hash,
        role: user.role,
        created_ms: now_ms,
    })
}

/// The user with this login.
pub(crate) fn by_email(conn: &Connection, email: &str) -> Result<User> {
    let email = normalize_email(email)?;
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE email = ?1"))
        .and_then(|mut s| s.query_row([&email], from_row).optional())
        .map_err(db)?
        .ok_or_else(|| StoreError::not_found(format!("user {email}")))
}

/// Every user, oldest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<User>> {
    let mut statement = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM users ORDER BY id"))
        .map_err(db)?;
    let rows = statement.query_map([], from_row).map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
}

/// Replaces the password hash of user `id`.
pub(crate) fn set_password(conn: &Connection, id: UserId, password_hash: &str) -> Result<User> {
    if password_hash.is_empty() {
        return Err(StoreError::invalid("a user needs a password hash"));
    }
    let changed = conn
        .prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id.0, password_hash]))
        .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::not_found(format!("user {}", id.0)));
    }
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id.0], from_row))
        .map_err(db)
}

/// The user with this id.
pub(crate) fn get(conn: &Connection, id: UserId) -> Result<User> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id.0], from_row).optional())
        .map_err(db)?
        .ok_or_else(|| StoreError::not_found(format!("user {}", id.0)))
}
