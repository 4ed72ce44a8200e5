//! The crate's one error type, shared by every backend, so that callers (the HTTP server)
//! map store failures to statuses by asking predicates (`is_not_found`, `is_conflict`...)
//! instead of matching backend-specific errors.

use std::fmt;

/// What kind of failure a [`StoreError`] is; the HTTP layer maps it to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The addressed row does not exist (404).
    NotFound,
    /// A uniqueness rule was violated, e.g. a project slug already taken (409).
    Conflict,
    /// The caller passed input the store refuses, e.g. a malformed hash or cursor (400).
    Invalid,
    /// Stored data could not be read back, e.g. a payload that does not decompress.
    Corrupt,
    /// The database is busy or locked by another process; retry later (503 + Retry-After).
    Unavailable,
    /// The database itself failed (IO, lock, SQL); retrying may help (500/503).
    Backend,
    /// The database was migrated by a newer Errata than this binary; it is never opened
    /// (upgrade Errata or restore a backup).
    NewerSchema,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotFound => "not found",
            Self::Conflict => "conflict",
            Self::Invalid => "invalid input",
            Self::Corrupt => "corrupt data",
            Self::Unavailable => "storage unavailable",
            Self::Backend => "storage backend error",
            Self::NewerSchema => "newer database schema",
        })
    }
}

/// Every fallible store operation returns this error.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct StoreError {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The crate's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// An error of `kind` with a message for humans.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The addressed row does not exist; `what` names it ("issue 42").
    pub fn not_found(what: impl fmt::Display) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} does not exist"))
    }

    /// A uniqueness rule was violated.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// The caller's input is refused.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    /// Stored data could not be read back.
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Corrupt, message)
    }

    /// The database is busy; retrying later may succeed.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// The database failed.
    pub fn backend(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Backend, message)
    }

    /// The database records migration `found`, beyond `latest`, the highest this binary
    /// knows: it was written by a newer Errata.
    pub fn newer_schema(found: i64, latest: i64) -> Self {
        Self::new(
            ErrorKind::NewerSchema,
            format!(
                "this database was written by a newer Errata (schema {found}, this binary \
                 knows up to {latest}); upgrade Errata or restore a backup"
            ),
        )
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The addressed row does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// A uniqueness rule was violated.
    pub fn is_conflict(&self) -> bool {
        self.kind == ErrorKind::Conflict
    }

    /// The caller's input was refused.
    pub fn is_invalid(&self) -> bool {
        self.kind == ErrorKind::Invalid
    }

    /// The database is busy or locked: answer 503 with `Retry-After`.
    pub fn is_unavailable(&self) -> bool {
        self.kind == ErrorKind::Unavailable
    }

    /// The database was written by a newer Errata (see [`StoreError::newer_schema`]).
    pub fn is_newer_schema(&self) -> bool {
        self.kind == ErrorKind::NewerSchema
    }

    /// The database failed (as opposed to the request being wrong).
    pub fn is_backend(&self) -> bool {
        matches!(self.kind, ErrorKind::Backend | ErrorKind::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_follow_the_kind() {
        let e = StoreError::not_found("issue 7");
        assert!(e.is_not_found() && !e.is_conflict() && !e.is_backend());
        assert_eq!(e.to_string(), "not found: issue 7 does not exist");
        assert!(StoreError::conflict("slug taken").is_conflict());
        assert!(StoreError::invalid("bad cursor").is_invalid());
        assert!(StoreError::corrupt("bad zstd").is_backend());
        let busy = StoreError::unavailable("locked");
        assert!(busy.is_unavailable() && !busy.is_backend());
        let newer = StoreError::newer_schema(12, 9);
        assert!(newer.is_newer_schema() && !newer.is_invalid() && !newer.is_backend());
        assert_eq!(
            newer.to_string(),
            "newer database schema: this database was written by a newer Errata (schema 12, \
             this binary knows up to 9); upgrade Errata or restore a backup"
        );
    }
}
