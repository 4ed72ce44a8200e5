//! User accounts in `PostgreSQL`: created with a unique lowercase email, looked up by
//! login, listed, and given a new password hash (a reset). The bootstrap's first admin is
//! the owner (see `project.rs`).

use tokio_postgres::Row;

use errata_store::{NewUser, Result, Role, StoreError, User, UserId, normalize_email};

use crate::db::Db;

/// The columns [`from_row`] reads, in order.
pub(crate) const COLUMNS: &str = "id, email, name, password_hash, role, created_ms";

/// A user row.
pub(crate) fn from_row(r: &Row) -> User {
    let role: String = r.get(4);
    User {
        id: UserId(r.get(0)),
        email: r.get(1),
        name: r.get(2),
        password_hash: r.get(3),
        role: Role::parse(&role).unwrap_or(Role::Member),
        created_ms: r.get(5),
    }
}

/// Inserts a user; a taken email is a conflict (and leaves the transaction usable).
pub(crate) fn create(c: &Db<'_>, user: &NewUser, now_ms: i64) -> Result<User> {
    let user = user.normalized()?;
    let id: i64 = c
        .query_opt(
            "INSERT INTO users (email, name, password_hash, role, is_admin, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING RETURNING id",
            &[
                &user.email,
                &user.name,
                &user.password_hash,
                &user.role.as_str(),
                &user.role.can_administer(),
                &now_ms,
            ],
        )?
        .ok_or_else(|| {
            StoreError::conflict(format!("a user with the email {} exists", user.email))
        })?
        .get(0);
    Ok(User {
        id: UserId(id),
        email: user.email,
        name: user.name,
        password_hash: user.password_hash,
        role: user.role,
        created_ms: now_ms,
    })
}

/// The user with this login.
pub(crate) fn by_email(c: &Db<'_>, email: &str) -> Result<User> {
    let email = normalize_email(email)?;
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE email = $1"),
        &[&email],
    )?
    .map(|r| from_row(&r))
    .ok_or_else(|| StoreError::not_found(format!("user {email}")))
}

/// Every user, oldest first.
pub(crate) fn list(c: &Db<'_>) -> Result<Vec<User>> {
    Ok(
        c.query(&format!("SELECT {COLUMNS} FROM users ORDER BY id"), &[])?
            .iter()
            .map(from_row)
            .collect(),
    )
}

/// Replaces the password hash of user `id`.
pub(crate) fn set_password(c: &Db<'_>, id: UserId, password_hash: &str) -> Result<User> {
    if password_hash.is_empty() {
        return Err(StoreError::invalid("a user needs a password hash"));
    }
    c.query_opt(
        &format!("UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING {COLUMNS}"),
        &[&id.0, &password_hash],
    )?
    .map(|r| from_row(&r))
    .ok_or_else(|| StoreError::not_found(format!("user {}", id.0)))
}

/// The user with this id.
pub(crate) fn get(c: &Db<'_>, id: UserId) -> Result<User> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM users WHERE id = $1"),
        &[&id.0],
    )?
    .map(|r| from_row(&r))
    .ok_or_else(|| StoreError::not_found(format!("user {}", id.0)))
}
