//! First start: the organization, admin account, first project and DSN key that an empty
//! database gets, described once here so that every backend creates the same things and
//! a second start finds them instead of creating more.

use crate::project::{Organization, Project, ProjectKey, User};

/// What `errata serve` creates on an empty database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapSpec {
    pub organization_slug: String,
    pub organization_name: String,
    pub admin_email: String,
    /// Already hashed by the caller; the store never sees the password.
    pub admin_password_hash: String,
    pub project_slug: String,
    pub project_name: String,
}

/// What the database holds after bootstrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrapped {
    pub organization: Organization,
    pub admin: User,
    pub project: Project,
    pub key: ProjectKey,
    /// True when this call created them (print the password once), false when they existed.
    pub created: bool,
}
