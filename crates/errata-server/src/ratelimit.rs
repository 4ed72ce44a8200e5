//! Rate limits per DSN key, per project and for the whole server, per minute, for every
//! kind of data ingest stores: events (count), attachments (bytes, Sentry's `attachment`
//! category) and user reports (count, the `feedback` category). Decided at ingest before
//! any processing. Token buckets refill continuously; a quantity is admitted only when
//! every applicable bucket of its category has room, so a refusal takes nothing from the
//! others. A quantity larger than a whole bucket (one big attachment) is admitted when
//! the bucket is full and leaves it in debt. Memory is bounded: only authenticated keys
//! and existing projects get buckets.
//!
//! Several nodes on one database: a limit is for the whole installation, and each of `N`
//! live nodes ([`crate::membership`]) enforces `1/N` of it (rounded up) with its own
//! buckets. Behind a load balancer that spreads requests evenly the installation admits
//! the configured rate; an uneven spread makes a node refuse early (it never admits more
//! than its share), so the total never exceeds the limit by more than the rounding (at
//! most `N - 1` a minute), plus, for the [`LIVE`](crate::membership::LIVE) seconds after a
//! node dies unannounced, the share the others have not yet taken back.

use rustc_hash::FxHashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use crate::config::{RateLimitConfig, ScopeLimits};

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

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateCategory {
    /// Events: errors, messages and security reports.
    Events,
    /// Attachment bytes.
    AttachmentBytes,
    /// User reports and feedback.
    UserReports,
}

impl RateCategory {
    /// The data categories of `X-Sentry-Rate-Limits` this limit applies to.
    pub fn header_categories(self) -> &'static str {
        match self {
            Self::Events => "error;default;security",
            Self::AttachmentBytes => "attachment",
            Self::UserReports => "feedback",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Events => 0,
            Self::AttachmentBytes => 1,
            Self::UserReports => 2,
        }
    }

    fn limits(self, config: &RateLimitConfig) -> ScopeLimits {
        match self {
            Self::Events => config.events,
            Self::AttachmentBytes => config.attachment_bytes,
            Self::UserReports => config.user_reports,
        }
    }
}

/// A refusal: which category and limit, and when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// What was refused.
    pub category: RateCategory,
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

    /// Seconds until `n` tokens (at most a full bucket) are available (0 when they are).
    fn wait_for(&self, n: f64, per_minute: u64) -> u64 {
        let needed = n.min(per_minute as f64);
        if self.tokens >= needed {
            return 0;
        }
        let missing = needed - self.tokens;
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
    state: Mutex<[State; 3]>,
    /// The live nodes sharing the limits (at least 1).
    nodes: AtomicU32,
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
            state: Mutex::new(Default::default()),
            nodes: AtomicU32::new(1),
        }
    }

    /// Sets how many nodes share the limits (0 counts as 1); returns the previous count.
    pub fn set_nodes(&self, nodes: u32) -> u32 {
        self.nodes.swap(nodes.max(1), Ordering::Relaxed)
    }

    /// How many nodes share the limits.
    pub fn nodes(&self) -> u32 {
        self.nodes.load(Ordering::Relaxed)
    }

    /// Admits `n` of `category` for `key` of `project` at `now`, or says which limit
    /// refused.
    pub fn admit(
        &self,
        key: &str,
        project: i64,
        category: RateCategory,
        n: u64,
        now: Instant,
    ) -> Result<(), Limited> {
        self.admit_with(key, project, category, n, now, None)
    }

    /// [`Self::admit`] with the project's own limit (its settings' events per minute),
    /// which applies besides the server's: the stricter of the two holds.
    pub fn admit_with(
        &self,
        key: &str,
        project: i64,
        category: RateCategory,
        n: u64,
        now: Instant,
        project_limit: Option<u64>,
    ) -> Result<(), Limited> {
        if n == 0 {
            return Ok(());
        }
        let n_f = n as f64;
        let mut limits = category.limits(&self.config);
        if let Some(own) = project_limit.filter(|l| *l > 0) {
            limits.project_per_minute = match limits.project_per_minute {
                0 => own,
                server => server.min(own),
            };
        }
        let limits = limits.shared_by(self.nodes());
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let State {
            keys,
            projects,
            global,
        } = &mut state[category.index()];
        let mut buckets: Vec<(Scope, u64, &mut Bucket)> = Vec::with_capacity(3);
        if limits.key_per_minute > 0 {
            let b = keys
                .entry(key.to_owned())
                .or_insert_with(|| Bucket::full(limits.key_per_minute, now));
            buckets.push((Scope::Key, limits.key_per_minute, b));
        }
        if limits.project_per_minute > 0 {
            let b = projects
                .entry(project)
                .or_insert_with(|| Bucket::full(limits.project_per_minute, now));
            buckets.push((Scope::Project, limits.project_per_minute, b));
        }
        if limits.global_per_minute > 0 {
            let b = global.get_or_insert_with(|| Bucket::full(limits.global_per_minute, now));
            buckets.push((Scope::Global, limits.global_per_minute, b));
        }
        let mut refusal: Option<Limited> = None;
        for (scope, per_minute, bucket) in &mut buckets {
            bucket.refill(*per_minute, now);
            let wait = bucket.wait_for(n_f, *per_minute);
            if wait > 0 && refusal.is_none_or(|r| wait > r.retry_after_secs) {
                refusal = Some(Limited {
                    category,
                    scope: *scope,
                    retry_after_secs: wait,
                });
            }
        }
        if let Some(limited) = refusal {
            return Err(limited);
        }
        for (_, _, bucket) in buckets {
            bucket.tokens -= n_f;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn events(key: u64, project: u64) -> RateLimitConfig {
        RateLimitConfig {
            events: ScopeLimits {
                key_per_minute: key,
                project_per_minute: project,
                global_per_minute: 0,
            },
            ..RateLimitConfig::unlimited()
        }
    }

    #[test]
    fn a_project_limit_applies_besides_the_servers() {
        let ev = RateCategory::Events;
        let t0 = Instant::now();
        // The project's own 2/min is stricter than the server's 1000.
        let limiter = RateLimiter::new(events(0, 1000));
        limiter.admit_with("k", 1, ev, 2, t0, Some(2)).unwrap();
        let refused = limiter.admit_with("k", 1, ev, 1, t0, Some(2)).unwrap_err();
        assert_eq!(refused.scope, Scope::Project);
        // Another project is not affected; without a server limit the project's holds.
        let unlimited = RateLimiter::new(RateLimitConfig::unlimited());
        unlimited.admit_with("k", 2, ev, 3, t0, Some(3)).unwrap();
        assert!(unlimited.admit_with("k", 2, ev, 1, t0, Some(3)).is_err());
        assert!(unlimited.admit_with("k", 3, ev, 100, t0, None).is_ok());
    }

    #[test]
    fn limits_refuse_and_refill() {
        let limiter = RateLimiter::new(events(60, 1000));
        let ev = RateCategory::Events;
        let t0 = Instant::now();
        for _ in 0..60 {
            limiter.admit("k", 1, ev, 1, t0).unwrap();
        }
        let refused = limiter.admit("k", 1, ev, 1, t0).unwrap_err();
        assert_eq!(
            refused,
            Limited {
                category: ev,
                scope: Scope::Key,
                retry_after_secs: 1
            }
        );
        // Another key of the same project still has room, and so do other categories.
        limiter.admit("other", 1, ev, 1, t0).unwrap();
        limiter
            .admit("k", 1, RateCategory::UserReports, 1_000_000, t0)
            .unwrap();
        // One token a second comes back.
        limiter
            .admit("k", 1, ev, 1, t0 + Duration::from_secs(1))
            .unwrap();
        assert!(
            limiter
                .admit("k", 1, ev, 5, t0 + Duration::from_secs(1))
                .is_err()
        );
    }

    #[test]
    fn a_refusal_takes_nothing() {
        let limiter = RateLimiter::new(events(10, 5));
        let t0 = Instant::now();
        limiter.admit("k", 1, RateCategory::Events, 3, t0).unwrap();
        let refused = limiter
            .admit("k", 1, RateCategory::Events, 3, t0)
            .unwrap_err();
        assert_eq!(refused.scope, Scope::Project);
        // The key's bucket gave nothing to the refusal: 7 left there, 2 in the project's.
        limiter.admit("k", 1, RateCategory::Events, 2, t0).unwrap();
        let refused = limiter
            .admit("k", 1, RateCategory::Events, 1, t0)
            .unwrap_err();
        assert_eq!(refused.scope, Scope::Project);
    }

    #[test]
    fn each_of_several_nodes_enforces_its_share() {
        let ev = RateCategory::Events;
        let t0 = Instant::now();
        let limiter = RateLimiter::new(events(60, 1000));
        assert_eq!(limiter.set_nodes(3), 1);
        // 60 a minute over 3 nodes: 20 here, and the project's own 10 becomes 4 (rounded up).
        for _ in 0..20 {
            limiter.admit("k", 1, ev, 1, t0).unwrap();
        }
        assert_eq!(
            limiter.admit("k", 1, ev, 1, t0).unwrap_err().scope,
            Scope::Key
        );
        for _ in 0..4 {
            limiter.admit_with("k2", 2, ev, 1, t0, Some(10)).unwrap();
        }
        let refused = limiter
            .admit_with("k2", 2, ev, 1, t0, Some(10))
            .unwrap_err();
        assert_eq!(refused.scope, Scope::Project);
        // A node left: the share grows back (the bucket refills to the larger size).
        assert_eq!(limiter.set_nodes(0), 3);
        assert_eq!(limiter.nodes(), 1);
        let later = t0 + Duration::from_secs(60);
        for _ in 0..60 {
            limiter.admit("k", 1, ev, 1, later).unwrap();
        }
        assert!(limiter.admit("k", 1, ev, 1, later).is_err());
        // A limit never rounds down to 0 (which would mean unlimited).
        let tiny = ScopeLimits {
            key_per_minute: 1,
            project_per_minute: 0,
            global_per_minute: 5,
        };
        assert_eq!(
            tiny.shared_by(4),
            ScopeLimits {
                key_per_minute: 1,
                project_per_minute: 0,
                global_per_minute: 2,
            }
        );
    }

    #[test]
    fn attachment_bytes_larger_than_the_bucket_pass_once_then_wait() {
        let config = RateLimitConfig {
            attachment_bytes: ScopeLimits {
                key_per_minute: 1000,
                project_per_minute: 0,
                global_per_minute: 0,
            },
            ..RateLimitConfig::unlimited()
        };
        let limiter = RateLimiter::new(config);
        let att = RateCategory::AttachmentBytes;
        let t0 = Instant::now();
        limiter.admit("k", 1, att, 3000, t0).unwrap();
        let refused = limiter.admit("k", 1, att, 1, t0).unwrap_err();
        assert_eq!(refused.category, att);
        // In debt by 2000: refilled at 1000 a minute, room again after about 2 minutes.
        assert!(
            limiter
                .admit("k", 1, att, 1, t0 + Duration::from_secs(100))
                .is_err()
        );
        limiter
            .admit("k", 1, att, 1, t0 + Duration::from_secs(121))
            .unwrap();
    }
}
