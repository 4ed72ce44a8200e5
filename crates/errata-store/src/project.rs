//! Organizations, projects, their DSN keys and user accounts: the rows the ingest
//! endpoints authenticate against and the Web API lists, plus slug and key generation so
//! every backend makes them the same way.

use crate::error::{Result, StoreError};
use crate::id::{KeyId, OrganizationId, ProjectId, UserId};
use crate::inbound_filter::InboundFilters;
use crate::settings::EventQuota;
use crate::user::Role;

/// An organization (Sentry's top-level scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrganizationId,
    pub slug: String,
    pub name: String,
    pub created_ms: i64,
}

/// A user account. The password hash is computed by the caller (e.g. argon2 PHC string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    /// The login, lowercase.
    pub email: String,
    /// The display name (may be empty).
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub created_ms: i64,
}

impl User {
    /// Owners and admins administer.
    pub fn is_admin(&self) -> bool {
        self.role.can_administer()
    }
}

/// A project: events are sent to one, issues belong to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub organization_id: OrganizationId,
    pub slug: String,
    pub name: String,
    pub platform: Option<String>,
    pub created_ms: i64,
    /// Scrub sensitive data from this project's events before storing (default: on).
    pub scrub_data: bool,
    /// Field names scrubbed besides the built-in ones: lowercase, distinct, at most
    /// [`crate::MAX_SENSITIVE_FIELDS`] (default: none).
    pub sensitive_fields: Vec<String>,
    /// Scrub client IP addresses too (default: off, IPs are kept).
    pub scrub_ip_addresses: bool,
    /// At most this many events per UTC day or month (default: none).
    pub event_quota: Option<EventQuota>,
    /// At most this many events per minute from the project (default: none beyond the
    /// server's own limits).
    pub rate_limit_per_minute: Option<u64>,
    /// The events ingest drops before counting them (default: none).
    pub filters: InboundFilters,
}

/// A client key (the public part of a DSN) of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKey {
    pub id: KeyId,
    pub project_id: ProjectId,
    /// 32 lowercase hex digits: the DSN's user part.
    pub public_key: String,
    /// 32 lowercase hex digits: the legacy DSN password some old SDKs send.
    pub secret_key: String,
    pub label: String,
    pub is_active: bool,
    pub created_ms: i64,
}

/// A change to a project key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    Enable,
    Disable,
    /// New public and secret parts.
    Rotate,
}

/// What it takes to create a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub organization_id: OrganizationId,
    /// Unique within the organization; see [`validate_slug`].
    pub slug: String,
    pub name: String,
    pub platform: Option<String>,
}

impl NewProject {
    /// A project named `name` with the slug derived from it by [`slugify`].
    pub fn named(organization_id: OrganizationId, name: &str) -> Self {
        Self {
            organization_id,
            slug: slugify(name),
            name: name.to_owned(),
            platform: None,
        }
    }
}

/// The longest slug accepted.
pub const MAX_SLUG_LEN: usize = 50;

/// Refuses slugs other than 1 to 50 of `[a-z0-9_-]`, not starting with `-` or `_`.
pub fn validate_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && slug.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(format!("invalid slug {slug:?}")))
    }
}

/// A slug for a display name: lowercase ASCII alphanumerics, every other run becomes `-`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug.truncate(MAX_SLUG_LEN);
    if slug.is_empty() {
        "project".to_owned()
    } else {
        slug
    }
}

/// A new random key: 32 lowercase hex digits (122 random bits).
pub fn generate_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("My Web App!"), "my-web-app");
        assert_eq!(slugify("  ++ "), "project");
        assert!(validate_slug("my-web-app").is_ok());
        assert!(validate_slug("-x").is_err());
        assert!(validate_slug("A").is_err());
        assert!(validate_slug("").is_err());
        assert!(validate_slug(&"a".repeat(51)).is_err());
    }

    #[test]
    fn keys_are_32_hex_and_distinct() {
        let (a, b) = (generate_key(), generate_key());
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }
}
