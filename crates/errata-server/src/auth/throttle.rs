//! Login throttling: after [`MAX_FAILURES`] failed logins within [`WINDOW_MS`] for one
//! email (lowercased) or from one client IP, further attempts are refused (429 with
//! `Retry-After`) until that window, counted from the first failure, has passed. A
//! successful login clears its email's counter (not the IP's: one address guessing many
//! accounts stays throttled).
//!
//! The counters live in memory, per server node: with several nodes behind a balancer an
//! attacker gets `MAX_FAILURES` tries per node and window, and a restart forgets them.
//! Each map holds at most [`MAX_ENTRIES`] keys; when full, expired entries are dropped
//! and then the oldest one, so memory stays bounded whatever an attacker sends.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// Failed logins allowed per email or IP within a window.
pub const MAX_FAILURES: u32 = 5;
/// The window: 15 minutes from the first failure.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Keys kept per map (emails; IPs).
pub const MAX_ENTRIES: usize = 10_000;

/// Failures of one key in the current window.
#[derive(Debug, Clone, Copy)]
struct Entry {
    first_ms: i64,
    failures: u32,
}

impl Entry {
    fn expired(self, now_ms: i64) -> bool {
        now_ms - self.first_ms >= WINDOW_MS
    }

    /// Milliseconds until the key may try again, when it is blocked.
    fn blocked_for(self, now_ms: i64) -> Option<i64> {
        (!self.expired(now_ms) && self.failures >= MAX_FAILURES)
            .then(|| self.first_ms + WINDOW_MS - now_ms)
    }
}

/// One bounded map of counters.
#[derive(Debug)]
struct Counters<K> {
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> Counters<K> {
    fn new() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }

    fn blocked_for(&self, key: &K, now_ms: i64) -> Option<i64> {
        self.entries.get(key).and_then(|e| e.blocked_for(now_ms))
    }

    fn fail(&mut self, key: &K, now_ms: i64) {
        if !self.entries.contains_key(key) && self.entries.len() >= MAX_ENTRIES {
            self.entries.retain(|_, e| !e.expired(now_ms));
            if self.entries.len() >= MAX_ENTRIES
                && let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.first_ms)
                    .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        let entry = self.entries.entry(key.clone()).or_insert(Entry {
            first_ms: now_ms,
            failures: 0,
        });
        if entry.expired(now_ms) {
            *entry = Entry {
                first_ms: now_ms,
                failures: 0,
            };
        }
        entry.failures = entry.failures.saturating_add(1);
    }
}

/// The login throttle of one server node.
#[derive(Debug)]
pub struct LoginThrottle {
    inner: Mutex<(Counters<String>, Counters<IpAddr>)>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            inner: Mutex::new((Counters::new(), Counters::new())),
        }
    }
}

/// How long a throttled client must wait, in whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl LoginThrottle {
    /// Refuses an attempt for `email` from `ip` while either is blocked.
    pub fn check(&self, email: &str, ip: Option<IpAddr>, now_ms: i64) -> Result<(), RetryAfter> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (emails, ips) = &*guard;
        let by_email = emails.blocked_for(&email.trim().to_lowercase(), now_ms);
        let by_ip = ip.and_then(|ip| ips.blocked_for(&ip, now_ms));
        match by_email.max(by_ip) {
            Some(ms) => Err(RetryAfter(ms.max(1).cast_unsigned().div_ceil(1000))),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, email: &str, ip: Option<IpAddr>, now_ms: i64) {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (emails, ips) = &mut *guard;
        emails.fail(&email.trim().to_lowercase(), now_ms);
        if let Some(ip) = ip {
            ips.fail(&ip, now_ms);
        }
    }

    /// A successful login: forgets the email's failures.
    pub fn succeeded(&self, email: &str) {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0.entries.remove(&email.trim().to_lowercase());
    }

    /// Keys held (emails, IPs), for tests and metrics.
    pub fn len(&self) -> (usize, usize) {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        (guard.0.entries.len(), guard.1.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn blocks_after_max_failures_until_the_window_passes() {
        let t = LoginThrottle::default();
        for i in 0..MAX_FAILURES {
            assert_eq!(t.check("Ana@x", IP, i64::from(i)), Ok(()));
            t.failed("Ana@x", IP, i64::from(i));
        }
        assert_eq!(t.check("ana@x", None, 10), Err(RetryAfter(900)));
        // The IP is blocked for other emails too.
        assert_eq!(t.check("bob@x", IP, 10), Err(RetryAfter(900)));
        assert_eq!(t.check("bob@x", None, 10), Ok(()));
        assert_eq!(t.check("ana@x", IP, WINDOW_MS - 1500), Err(RetryAfter(2)));
        assert_eq!(t.check("ana@x", IP, WINDOW_MS), Ok(()));
        // A failure after the window starts a new one.
        t.failed("ana@x", IP, WINDOW_MS);
        assert_eq!(t.check("ana@x", IP, WINDOW_MS + 1), Ok(()));
    }

    #[test]
    fn success_clears_the_email_but_not_the_ip() {
        let t = LoginThrottle::default();
        for i in 0..MAX_FAILURES {
            t.failed("ana@x", IP, i64::from(i));
        }
        t.succeeded("ANA@x");
        assert_eq!(t.check("ana@x", None, 10), Ok(()));
        assert!(t.check("ana@x", IP, 10).is_err());
    }

    #[test]
    fn memory_is_bounded() {
        let t = LoginThrottle::default();
        for i in 0..(MAX_ENTRIES + 50) {
            t.failed(&format!("u{i}@x"), None, i64::try_from(i).unwrap());
        }
        assert_eq!(t.len(), (MAX_ENTRIES, 0));
        // The oldest were evicted, the newest kept.
        for _ in 0..MAX_FAILURES {
            t.failed("late@x", None, 1_000_000);
        }
        assert!(t.check("late@x", None, 1_000_001).is_err());
    }
}
