//! User accounts: who may sign in and what they may do. A user has an email (the login,
//! unique, kept lowercase), a display name, an argon2id PHC password hash computed by the
//! caller (the store never sees a password), and a [`Role`]: the owner (the first admin,
//! made at the first start), admins, and members, who may read and triage but not
//! administer.

use crate::error::{Result, StoreError};

/// The longest email address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// The longest display name accepted.
pub const MAX_NAME_LEN: usize = 200;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The first admin; administers everything.
    Owner,
    /// Administers the organization and its projects.
    Admin,
    /// Reads and triages issues; cannot administer.
    Member,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    /// The role of a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }

    /// Owners and admins administer; members do not.
    pub fn can_administer(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The login (trimmed and lowercased by [`normalize_email`]).
    pub email: String,
    /// The display name (may be empty).
    pub name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    /// What the user may do.
    pub role: Role,
}

/// The canonical form of a login email: trimmed and lowercased, one `@` with text on
/// both sides, at most [`MAX_EMAIL_LEN`] bytes, no whitespace or control characters.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(StoreError::invalid(format!(
            "{email:?} is not an email address (at most {MAX_EMAIL_LEN} bytes)"
        )))
    }
}

impl NewUser {
    /// The user as every backend stores it: email normalized, name trimmed and bounded,
    /// a password hash present.
    pub fn normalized(&self) -> Result<Self> {
        let name = self.name.trim();
        if name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
            return Err(StoreError::invalid(format!(
                "the name must be at most {MAX_NAME_LEN} bytes without control characters"
            )));
        }
        if self.password_hash.is_empty() {
            return Err(StoreError::invalid("a user needs a password hash"));
        }
        Ok(Self {
            email: normalize_email(&self.email)?,
            name: name.to_owned(),
            password_hash: self.password_hash.clone(),
            role: self.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_canonical_and_checked() {
        assert_eq!(
            normalize_email("  Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "@x",
            "ana@",
            "a b@x",
            "a@b@c",
            &format!("{}@x", "a".repeat(260)),
        ] {
            assert!(normalize_email(bad).unwrap_err().is_invalid(), "{bad:?}");
        }
    }

    #[test]
    fn roles_round_trip_and_only_members_cannot_administer() {
        for role in [Role::Owner, Role::Admin, Role::Member] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(Role::Owner.can_administer() && Role::Admin.can_administer());
        assert!(!Role::Member.can_administer());
        assert_eq!(Role::parse("root"), None);
    }
}
