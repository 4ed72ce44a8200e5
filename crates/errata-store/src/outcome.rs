//! Outcome counters: how many items of each category a project received that were not
//! stored, and why (rate limited, too large, client-side discards...), kept per hour so
//! the Web API and the project's stats page serve time series like Sentry's stats
//! ([`OutcomeBucket`]).

use crate::id::ProjectId;

/// Milliseconds in the counters' time bucket.
pub const BUCKET_MS: i64 = 3_600_000;

/// The start of the hour bucket holding `timestamp_ms`.
pub fn bucket_start(timestamp_ms: i64) -> i64 {
    timestamp_ms.div_euclid(BUCKET_MS) * BUCKET_MS
}

/// An increment of one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeDelta {
    pub project_id: ProjectId,
    /// When it happened; counted in the hour bucket holding it.
    pub timestamp_ms: i64,
    /// The data category: "error", "attachment", "session", "transaction"...
    pub category: String,
    /// Why: `rate_limited`, `too_large`, `invalid`, `sample_rate`...
    pub reason: String,
    pub quantity: u64,
}

/// The total of one counter over a time range.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutcomeCount {
    pub category: String,
    pub reason: String,
    pub quantity: u64,
}

/// One counter in one hour bucket (what [`crate::Store::outcome_series`] lists).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutcomeBucket {
    /// The start of the hour (Unix ms).
    pub hour_ms: i64,
    pub category: String,
    pub reason: String,
    pub quantity: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_hours() {
        assert_eq!(bucket_start(0), 0);
        assert_eq!(bucket_start(BUCKET_MS - 1), 0);
        assert_eq!(bucket_start(BUCKET_MS), BUCKET_MS);
        assert_eq!(bucket_start(-1), -BUCKET_MS);
    }
}
