//! Schema versions: where a database's schema stands against the migrations a binary
//! carries. Every backend records each applied migration (version and name) in a
//! `schema_migrations` table; [`SchemaStatus`] compares the highest recorded version with
//! the binary's latest (what `/readyz` checks), and [`MigrationPlan`] lists what opening
//! the database would apply (what `errata migrate --check` prints) without applying it.
//! A database whose schema is newer than the binary is never opened: it was written by a
//! newer Errata, and running older code on it would misread or corrupt it
//! ([`crate::StoreError::newer_schema`]).

use std::fmt;

/// A database's schema version against this binary's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The highest migration the database records (0: none, an empty database).
    pub database: i64,
    /// The highest migration this binary knows.
    pub binary: i64,
}

impl SchemaStatus {
    /// Whether the database is exactly at this binary's schema.
    pub fn is_current(&self) -> bool {
        self.database == self.binary
    }

    /// Whether a newer binary migrated the database beyond this one.
    pub fn is_newer(&self) -> bool {
        self.database > self.binary
    }
}

impl fmt::Display for SchemaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_newer() {
            write!(
                f,
                "schema {} is newer than this binary's {}",
                self.database, self.binary
            )
        } else if self.is_current() {
            write!(f, "schema {} is current", self.database)
        } else {
            write!(
                f,
                "schema {} is behind this binary's {}",
                self.database, self.binary
            )
        }
    }
}

/// One migration a binary would apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMigration {
    /// Its number.
    pub version: i64,
    /// Its name (the file name without number and extension).
    pub name: &'static str,
    /// The first sentence of the comment its SQL file opens with (what it does).
    pub summary: Option<String>,
}

/// What opening a database would do to its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationPlan {
    /// Where the schema stands.
    pub status: SchemaStatus,
    /// The migrations opening would apply, in order (empty when current or newer).
    pub pending: Vec<PendingMigration>,
}

impl MigrationPlan {
    /// The plan for a database at `database` given a binary's `migrations`
    /// (`(version, name, sql)`, in order).
    pub fn of(database: i64, migrations: &[(i64, &'static str, &str)]) -> Self {
        let binary = migrations.last().map_or(0, |m| m.0);
        let pending = migrations
            .iter()
            .filter(|m| m.0 > database)
            .map(|&(version, name, sql)| PendingMigration {
                version,
                name,
                summary: summary(sql),
            })
            .collect();
        Self {
            status: SchemaStatus { database, binary },
            pending,
        }
    }
}

/// The first sentence of the `--` comment `sql` opens with (up to its first blank
/// comment line), when it opens with one.
fn summary(sql: &str) -> Option<String> {
    let comment: Vec<&str> = sql
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .map_while(|l| l.strip_prefix("--").map(str::trim))
        .take_while(|l| !l.is_empty())
        .collect();
    let text = comment.join(" ");
    let sentence = match text.find(". ") {
        Some(end) => &text[..=end],
        None => &text,
    };
    (!sentence.is_empty()).then(|| sentence.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[(i64, &str, &str)] = &[
        (
            1,
            "initial",
            "-- The first tables (the\n-- core). More.\nCREATE TABLE a (x INT);",
        ),
        (2, "more", "CREATE TABLE b (x INT);"),
        (3, "latest", "\n--   Renames b.\nALTER TABLE b RENAME TO c;"),
    ];

    #[test]
    fn a_plan_lists_what_is_missing_with_each_files_first_comment() {
        let plan = MigrationPlan::of(1, MIGRATIONS);
        assert_eq!(
            plan.status,
            SchemaStatus {
                database: 1,
                binary: 3
            }
        );
        assert!(!plan.status.is_current() && !plan.status.is_newer());
        let pending: Vec<_> = plan
            .pending
            .iter()
            .map(|m| (m.version, m.name, m.summary.as_deref()))
            .collect();
        assert_eq!(
            pending,
            [(2, "more", None), (3, "latest", Some("Renames b."))]
        );
        assert_eq!(
            MigrationPlan::of(0, MIGRATIONS).pending[0]
                .summary
                .as_deref(),
            Some("The first tables (the core).")
        );
    }

    #[test]
    fn current_and_newer_databases_have_nothing_pending() {
        let current = MigrationPlan::of(3, MIGRATIONS);
        assert!(current.pending.is_empty() && current.status.is_current());
        assert_eq!(current.status.to_string(), "schema 3 is current");
        let newer = MigrationPlan::of(7, MIGRATIONS);
        assert!(newer.pending.is_empty() && newer.status.is_newer());
        assert_eq!(
            newer.status.to_string(),
            "schema 7 is newer than this binary's 3"
        );
    }
}
