//! What an API token may do: Sentry's scopes (`event:read`, `project:write`...), a set of
//! them, and the scopes each [`Role`] grants. A request may do what its token's scopes
//! AND its user's role allow (a member's token never administers, whatever it claims).

use std::fmt;

use crate::user::Role;

/// One of Sentry's API scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ProjectRead,
    ProjectWrite,
    ProjectAdmin,
    ProjectReleases,
    EventRead,
    EventWrite,
    EventAdmin,
    OrgRead,
    OrgWrite,
    OrgAdmin,
    MemberRead,
    MemberWrite,
    MemberAdmin,
    TeamRead,
    TeamWrite,
    TeamAdmin,
}

impl Scope {
    /// Every scope, in Sentry's documentation order.
    pub const ALL: [Self; 16] = [
        Self::ProjectRead,
        Self::ProjectWrite,
        Self::ProjectAdmin,
        Self::ProjectReleases,
        Self::EventRead,
        Self::EventWrite,
        Self::EventAdmin,
        Self::OrgRead,
        Self::OrgWrite,
        Self::OrgAdmin,
        Self::MemberRead,
        Self::MemberWrite,
        Self::MemberAdmin,
        Self::TeamRead,
        Self::TeamWrite,
        Self::TeamAdmin,
    ];

    /// Sentry's name, e.g. `event:admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProjectRead => "project:read",
            Self::ProjectWrite => "project:write",
            Self::ProjectAdmin => "project:admin",
            Self::ProjectReleases => "project:releases",
            Self::EventRead => "event:read",
            Self::EventWrite => "event:write",
            Self::EventAdmin => "event:admin",
            Self::OrgRead => "org:read",
            Self::OrgWrite => "org:write",
            Self::OrgAdmin => "org:admin",
            Self::MemberRead => "member:read",
            Self::MemberWrite => "member:write",
            Self::MemberAdmin => "member:admin",
            Self::TeamRead => "team:read",
            Self::TeamWrite => "team:write",
            Self::TeamAdmin => "team:admin",
        }
    }

    /// The scope of a name (exact, lowercase).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes (a bit set; iterates in [`Scope::ALL`] order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scopes(u32);

impl Scopes {
    /// No scope.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Every scope.
    pub fn all() -> Self {
        Scope::ALL.into_iter().collect()
    }

    /// What a role may do. Owners and admins: everything. Members read, and triage
    /// events (resolve, ignore, delete issues, as Sentry's members may), and upload
    /// releases; they do not change projects, keys, members or the organization.
    pub fn for_role(role: Role) -> Self {
        match role {
            Role::Owner | Role::Admin => Self::all(),
            Role::Member => [
                Scope::ProjectRead,
                Scope::ProjectReleases,
                Scope::EventRead,
                Scope::EventWrite,
                Scope::EventAdmin,
                Scope::OrgRead,
                Scope::MemberRead,
                Scope::TeamRead,
            ]
            .into_iter()
            .collect(),
        }
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= scope.bit();
    }

    /// The scopes in both sets.
    #[must_use]
    pub fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The scopes in either set.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The scopes in this set but not in `other`.
    #[must_use]
    pub fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes, in [`Scope::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Parses names separated by spaces or commas; the error is the first unknown name.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(|name| Scope::parse(name).ok_or_else(|| name.to_owned()))
            .collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = Self::empty();
        for scope in iter {
            set.insert(scope);
        }
        set
    }
}

/// Space-separated names (the stored form; [`Scopes::parse`] reads it back).
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_by_name() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("event:delete"), None);
        assert_eq!(Scopes::all().iter().count(), 16);
        let all = Scopes::all().to_string();
        assert_eq!(Scopes::parse(&all), Ok(Scopes::all()));
        assert_eq!(
            Scopes::parse("event:read,project:read")
                .unwrap()
                .to_string(),
            "project:read event:read"
        );
        assert_eq!(Scopes::parse(""), Ok(Scopes::empty()));
        assert_eq!(Scopes::parse("event:read nope"), Err("nope".to_owned()));
    }

    #[test]
    fn members_triage_but_do_not_administer() {
        let member = Scopes::for_role(Role::Member);
        for scope in [Scope::EventRead, Scope::EventWrite, Scope::EventAdmin] {
            assert!(member.contains(scope));
        }
        for scope in [Scope::ProjectWrite, Scope::ProjectAdmin, Scope::OrgAdmin] {
            assert!(!member.contains(scope));
        }
        assert_eq!(Scopes::for_role(Role::Owner), Scopes::all());
        assert_eq!(Scopes::for_role(Role::Admin), Scopes::all());
        assert_eq!(
            Scopes::all().intersection(member),
            member,
            "a member's all-scopes token is a member's"
        );
    }
}
