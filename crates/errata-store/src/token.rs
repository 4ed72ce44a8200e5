//! API tokens (`Authorization: Bearer ...` on the Web API): only a SHA-256 of the secret
//! is stored, so a copy of the database does not grant access. Generation and hashing live
//! here so that every backend agrees on both. A token belongs to a user and carries
//! [`Scopes`]; what it may do is its scopes within its user's role. Revoking deletes it.

use sha2::{Digest, Sha256};

use crate::id::{TokenId, UserId};
use crate::scope::Scopes;

/// How long a token's `last_used_ms` may lag: the server records a use at most this
/// often per token, sparing a write per request.
pub const TOKEN_TOUCH_INTERVAL_MS: i64 = 60_000;

/// A stored token (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    /// The user the token acts as.
    pub user_id: UserId,
    pub label: String,
    /// What the token may do (further limited by its user's role).
    pub scopes: Scopes,
    pub created_ms: i64,
    /// When it was last used (to within [`TOKEN_TOUCH_INTERVAL_MS`]), if ever.
    pub last_used_ms: Option<i64>,
}

impl ApiToken {
    /// True when a use at `now_ms` should be recorded ([`TOKEN_TOUCH_INTERVAL_MS`]).
    pub fn needs_touch(&self, now_ms: i64) -> bool {
        self.last_used_ms
            .is_none_or(|last| now_ms - last >= TOKEN_TOUCH_INTERVAL_MS)
    }
}

/// What it takes to create a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub user_id: UserId,
    pub label: String,
    pub scopes: Scopes,
}

/// A token just created: the secret is shown to the user once and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token", &self.token)
            .field("secret", &"[Filtered]")
            .finish()
    }
}

/// A new secret: 64 lowercase hex digits (244 random bits), like Sentry's tokens.
pub fn generate_secret() -> String {
    let mut s = uuid::Uuid::new_v4().simple().to_string();
    s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    s
}

/// The stored form of a secret: SHA-256, lowercase hex. The secret has enough entropy
/// that a plain (unsalted, fast) hash is safe, and it makes verification one index probe.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_distinct_and_hashed() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn uses_are_recorded_at_most_once_a_minute() {
        let mut t = ApiToken {
            id: TokenId(1),
            user_id: UserId(1),
            label: String::new(),
            scopes: Scopes::empty(),
            created_ms: 0,
            last_used_ms: None,
        };
        assert!(t.needs_touch(5));
        t.last_used_ms = Some(1_000);
        assert!(!t.needs_touch(60_999));
        assert!(t.needs_touch(61_000));
    }

    #[test]
    fn debug_hides_the_secret() {
        let t = CreatedToken {
            token: ApiToken {
                id: TokenId(1),
                user_id: UserId(1),
                label: "ci".into(),
                scopes: Scopes::all(),
                created_ms: 0,
                last_used_ms: None,
            },
            secret: "s3cr3t".into(),
        };
        assert!(!format!("{t:?}").contains("s3cr3t"));
    }
}
