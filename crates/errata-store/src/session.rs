//! Login sessions of the web UI, kept in the store so that several server nodes share
//! them. The cookie holds the session's secret; the store keeps only its SHA-256 (as for
//! API tokens: a copy of the database opens no session). Each session has its own CSRF
//! token. Sessions slide: every use pushes the expiry [`SESSION_LIFETIME_MS`] ahead, but
//! the store is written at most once per [`SESSION_TOUCH_INTERVAL_MS`] per session.

use std::fmt;

use crate::id::UserId;

/// A session lives this long after its last use: 14 days.
pub const SESSION_LIFETIME_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// A session's `last_seen_ms` and expiry are refreshed at most this often: 1 minute.
pub const SESSION_TOUCH_INTERVAL_MS: i64 = 60_000;

/// A session's id (not secret; the cookie holds the secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub i64);

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A stored session (never its secret).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    /// The token every state-changing request of this session must carry (random, 64
    /// hex digits).
    pub csrf_token: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    /// The session is void from this time on.
    pub expires_ms: i64,
}

impl Session {
    /// True when a use at `now_ms` should be recorded ([`SESSION_TOUCH_INTERVAL_MS`]).
    pub fn needs_touch(&self, now_ms: i64) -> bool {
        now_ms - self.last_seen_ms >= SESSION_TOUCH_INTERVAL_MS
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_ms
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("csrf_token", &"[Filtered]")
            .field("created_ms", &self.created_ms)
            .field("last_seen_ms", &self.last_seen_ms)
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// What it takes to open a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSession {
    pub user_id: UserId,
    /// The creation (and first use) time.
    pub now_ms: i64,
    /// The first expiry, usually `now_ms + SESSION_LIFETIME_MS`.
    pub expires_ms: i64,
}

impl NewSession {
    /// A session of `user_id` opened at `now_ms` for [`SESSION_LIFETIME_MS`].
    pub fn at(user_id: UserId, now_ms: i64) -> Self {
        Self {
            user_id,
            now_ms,
            expires_ms: now_ms.saturating_add(SESSION_LIFETIME_MS),
        }
    }
}

/// A session just opened: the secret goes into the cookie and is never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedSession {
    pub session: Session,
    pub secret: String,
}

impl fmt::Debug for CreatedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedSession")
            .field("session", &self.session)
            .field("secret", &"[Filtered]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_slide_and_hide_their_secrets() {
        let new = NewSession::at(UserId(1), 1_000);
        assert_eq!(new.expires_ms, 1_000 + SESSION_LIFETIME_MS);
        let session = Session {
            id: SessionId(1),
            user_id: UserId(1),
            csrf_token: "c5rf".into(),
            created_ms: 1_000,
            last_seen_ms: 1_000,
            expires_ms: new.expires_ms,
        };
        assert!(!session.needs_touch(60_999));
        assert!(session.needs_touch(61_000));
        assert!(!session.is_expired(new.expires_ms - 1));
        assert!(session.is_expired(new.expires_ms));
        let created = CreatedSession {
            session,
            secret: "s3cr3t".into(),
        };
        let shown = format!("{created:?}");
        assert!(!shown.contains("s3cr3t") && !shown.contains("c5rf"));
    }
}
