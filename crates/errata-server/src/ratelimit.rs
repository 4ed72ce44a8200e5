//! Rate limits per DSN key, per project and for the whole server, in events per minute,
//! decided at ingest before any processing. Token buckets refill continuously; an
//! envelope is admitted only when every applicable bucket has room, so a refusal takes
//! nothing from the others. Memory is bounded: only authenticated keys and existing
//! projects get buckets.

use rustc_hash::FxHashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::RateLimitConfig;

/// Which limit refused the request (the `scope` of `X-Sentry-Rate-Limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The DSN key's limit.
    Key,
    /// The project's limit.
    Project,
    /// The server's limit (reported to SDKs as `organization`).
    Global,
}

impl Scope {
    /// The protocol's name for the scope.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Project => "project",
            Self::Global => "organization",
        }
    }
}

/// A refusal: which limit, and when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// The limit that refused.
    pub scope: Scope,
    /// Whole seconds until there is room again (at least 1).
    pub retry_after_secs: u64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn full(per_minute: u64, now: Instant) -> Self {
        Self {
            tokens: per_minute as f64,
            updated: now,
        }
    }

    fn refill(&mut self, per_minute: u64, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        let capacity = per_minute as f64;
        self.tokens = (self.tokens + elapsed * capacity / 60.0).min(capacity);
        self.updated = now;
    }

    /// Seconds until `n` tokens are available (0 when they are).
    fn wait_for(&self, n: f64, per_minute: u64) -> u64 {
        if self.tokens >= n {
            return 0;
        }
        let missing = n.min(per_minute as f64) - self.tokens;
        let secs = (missing * 60.0 / per_minute as f64).ceil();
        #[allow(clippy::cast_sign_loss, reason = "missing > 0 here, so secs > 0")]
        let secs = secs as u64;
        secs.max(1)
    }
}

/// The server's rate limiter.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    keys: FxHashMap<String, Bucket>,
    projects: FxHashMap<i64, Bucket>,
    global: Option<Bucket>,
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State::default()),
        }
    }

    /// Admits `events` events for `key` of `project` at `now`, or says which limit refused.
    pub fn admit(&self, key: &str, project: i64, events: u64, now: Instant) -> Result<(), Limited> {
        if events == 0 {
            return Ok(());
        }
        let n = events as f64;
        let config = self.config;
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let State {
            keys,
            projects,
            global,
        } = &mut *state;
        let mut buckets: Vec<(Scope, u64, &mut Bucket)> = Vec::with_capacity(3);
        if config.key_per_minute > 0 {
            let b = keys
                .entry(key.to_owned())
                .or_insert_with(|| Bucket::full(config.key_per_minute, now));
            buckets.push((Scope::Key, config.key_per_minute, b));
        }
        if config.project_per_minute > 0 {
            let b = projects
                .entry(project)
                .or_insert_with(|| Bucket::full(config.project_per_minute, now));
            buckets.push((Scope::Project, config.project_per_minute, b));
        }
        if config.global_per_minute > 0 {
            let b = global.get_or_insert_with(|| Bucket::full(config.global_per_minute, now));
            buckets.push((Scope::Global, config.global_per_minute, b));
        }
        let mut refusal: Option<Limited> = None;
        for (scope, per_minute, bucket) in &mut buckets {
            bucket.refill(*per_minute, now);
            let wait = bucket.wait_for(n, *per_minute);
            if wait > 0 && refusal.is_none_or(|r| wait > r.retry_after_secs) {
                refusal = Some(Limited {
                    scope: *scope,
                    retry_after_secs: wait,
                });
            }
        }
        if let Some(limited) = refusal {
            return Err(limited);
        }
        for (_, _, bucket) in buckets {
            bucket.tokens -= n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn limits_refuse_and_refill() {
        let limiter = RateLimiter::new(RateLimitConfig {
            key_per_minute: 60,
            project_per_minute: 1000,
            global_per_minute: 0,
        });
        let t0 = Instant::now();
        for _ in 0..60 {
            limiter.admit("k", 1, 1, t0).unwrap();
        }
        let refused = limiter.admit("k", 1, 1, t0).unwrap_err();
        assert_eq!(
            refused,
            Limited {
                scope: Scope::Key,
                retry_after_secs: 1
            }
        );
        // Another key of the same project still has room.
        limiter.admit("other", 1, 1, t0).unwrap();
        // One token a second comes back.
        limiter
            .admit("k", 1, 1, t0 + Duration::from_secs(1))
            .unwrap();
        assert!(
            limiter
                .admit("k", 1, 5, t0 + Duration::from_secs(1))
                .is_err()
        );
    }

    #[test]
    fn a_refusal_takes_nothing() {
        let limiter = RateLimiter::new(RateLimitConfig {
            key_per_minute: 10,
            project_per_minute: 5,
            global_per_minute: 0,
        });
        let t0 = Instant::now();
        let refused = limiter.admit("k", 1, 6, t0).unwrap_err();
        assert_eq!(refused.scope, Scope::Project);
        limiter.admit("k", 1, 5, t0).unwrap();
    }
}
