//! The outbox: deliveries (one notification to one recipient), their states and
//! attempts, and the retry schedule every backend applies (exponential backoff with
//! jitter, given up after a day).

use std::fmt;

use uuid::Uuid;

use crate::alert_rule::Trigger;
use crate::error::{Result, StoreError};
use crate::id::{AlertRuleId, ChannelId, DeliveryId, IssueId, ProjectId, UserId};

/// A delivery that has not succeeded this long after it was queued is given up.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 60 * 60 * 1000;
/// How long a claimed delivery stays with its claimer before another node may take it.
pub const DELIVERY_LEASE_MS: i64 = 60_000;
/// Who a delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    Channel(ChannelId),
    /// A member, by email (with the server's SMTP).
    Member(UserId),
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for its (next) attempt.
    Pending,
    Delivered,
    /// Given up: failed for [`GIVE_UP_AFTER_MS`], or refused for good (a 4xx, a bad
    /// address).
    Failed,
    /// Not sent on purpose (no SMTP, the member turned email off, the hourly cap).
    Skipped,
}

impl DeliveryState {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Delivered, Self::Failed, Self::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| StoreError::corrupt(format!("unknown delivery state {name:?}")))
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub project_id: ProjectId,
    pub recipient: Recipient,
    pub rule_id: Option<AlertRuleId>,
    pub issue_id: IssueId,
    /// The event that set it off (none for a timed trigger without an event).
    pub event_id: Option<Uuid>,
    pub trigger: Trigger,
    pub state: DeliveryState,
    pub attempts: u32,
    pub created_ms: i64,
    pub next_attempt_ms: i64,
    pub finished_ms: Option<i64>,
    /// The last attempt's error, if it failed.
    pub last_error: Option<String>,
}

impl Delivery {
    /// The id receivers de-duplicate on (the Standard Webhooks `webhook-id`): the same for
    /// every attempt of this delivery, different for every other.
    pub fn message_id(&self) -> String {
        format!("errata_{}", self.id.0)
    }
}

/// A delivery to queue outside ingest (a test notification, a tracker issue asked for
/// from the issue page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub project_id: ProjectId,
    pub recipient: Recipient,
    pub issue_id: IssueId,
    pub event_id: Option<Uuid>,
    pub trigger: Trigger,
}

/// What one attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    Delivered,
    /// Failed for now: try again (the store computes when, or gives up after a day).
    Retry,
    /// Failed for good (a refusal that retrying cannot change).
    Failed,
    /// Not sent on purpose.
    Skipped,
}

/// One attempt, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub delivery_id: DeliveryId,
    pub at_ms: i64,
    /// The receiver's HTTP status (SMTP: none).
    pub status: Option<u16>,
    /// What went wrong, or why it was skipped; `None` when delivered.
    pub error: Option<String>,
    pub duration_ms: i64,
    pub result: AttemptResult,
}

impl AttemptResult {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "delivered" => Self::Delivered,
            "retry" => Self::Retry,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            other => return Err(StoreError::corrupt(format!("unknown attempt {other:?}"))),
        })
    }
}

/// When the attempt after `attempts` failed ones is due: 10 s, 20 s, 40 s... capped at an
/// hour, with up to a fifth of jitter from `jitter` (any number, e.g. the delivery id) so
/// that a receiver coming back is not hit by every delivery at once.
pub fn retry_delay_ms(attempts: u32, jitter: u64) -> i64 {
    let base: i64 = 10_000i64
        .saturating_mul(1i64 << attempts.saturating_sub(1).min(20))
        .min(3_600_000);
    let spread = (base / 5).max(1);
    let jitter = i64::try_from(jitter.wrapping_mul(0x9E37_79B9_7F4A_7C15) % spread.cast_unsigned())
        .unwrap_or(0);
    base + jitter
}

/// The state a delivery moves to after an attempt at `now_ms`, and its next attempt time.
pub fn after_attempt(
    delivery: &Delivery,
    result: &AttemptResult,
    now_ms: i64,
) -> (DeliveryState, i64) {
    match result {
        AttemptResult::Delivered => (DeliveryState::Delivered, now_ms),
        AttemptResult::Failed => (DeliveryState::Failed, now_ms),
        AttemptResult::Skipped => (DeliveryState::Skipped, now_ms),
        AttemptResult::Retry => {
            let next =
                now_ms + retry_delay_ms(delivery.attempts + 1, delivery.id.0.cast_unsigned());
            if next > delivery.created_ms + GIVE_UP_AFTER_MS {
                (DeliveryState::Failed, now_ms)
            } else {
                (DeliveryState::Pending, next)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_give_up_after_a_day() {
        assert!((10_000..12_001).contains(&retry_delay_ms(1, 7)));
        assert!((20_000..24_001).contains(&retry_delay_ms(2, 7)));
        assert!(retry_delay_ms(40, 7) <= 3_600_000 + 720_000);
        let d = Delivery {
            id: DeliveryId(1),
            project_id: ProjectId(1),
            recipient: Recipient::Channel(ChannelId(1)),
            rule_id: None,
            issue_id: IssueId(1),
            event_id: None,
            trigger: Trigger::NewIssue,
            state: DeliveryState::Pending,
            attempts: 3,
            created_ms: 0,
            next_attempt_ms: 0,
            finished_ms: None,
            last_error: None,
        };
        assert_eq!(
            after_attempt(&d, &AttemptResult::Retry, 1000).0,
            DeliveryState::Pending
        );
        assert_eq!(
            after_attempt(&d, &AttemptResult::Retry, GIVE_UP_AFTER_MS).0,
            DeliveryState::Failed
        );
    }
}
