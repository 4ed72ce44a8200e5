//! The limits sections of the configuration: sizes (`[limits]`), rate limits per data
//! category and scope (`[rate_limits]`), the writer's queue (`[queue]`) and the worker
//! pool (`[workers]`), each with its defaults, its `ERRATA_*` variables and its checks.

use serde::{Deserialize, Serialize};

use super::{ConfigError, env_number, invalid};

/// The environment lookup every section reads from.
type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Size limits, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct LimitsConfig {
    /// The request body as sent (compressed), read at most this far.
    pub max_request_bytes: usize,
    /// The body after `Content-Encoding` is undone.
    pub max_envelope_bytes: usize,
    /// One event (or transaction, or feedback) item.
    pub max_event_bytes: usize,
    /// One attachment.
    pub max_attachment_bytes: usize,
    /// A body whose auth is only inside it (the envelope header's `dsn`): it must be read
    /// before its key can be checked, so it gets a small limit.
    pub max_unauthenticated_bytes: usize,
    /// All request bodies being read or processed at once, decoded bodies included: the
    /// memory bodies may take. Beyond it the server answers 503.
    pub max_bytes_in_flight: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_request_bytes: 20 << 20,
            max_envelope_bytes: 100 << 20,
            max_event_bytes: 1 << 20,
            max_attachment_bytes: 20 << 20,
            max_unauthenticated_bytes: 1 << 20,
            max_bytes_in_flight: 128 << 20,
        }
    }
}

impl LimitsConfig {
    pub(super) fn merge_env(&mut self, env: Env<'_>) -> Result<(), ConfigError> {
        env_number(env, "ERRATA_MAX_REQUEST_BYTES", &mut self.max_request_bytes)?;
        env_number(
            env,
            "ERRATA_MAX_ENVELOPE_BYTES",
            &mut self.max_envelope_bytes,
        )?;
        env_number(env, "ERRATA_MAX_EVENT_BYTES", &mut self.max_event_bytes)?;
        env_number(
            env,
            "ERRATA_MAX_ATTACHMENT_BYTES",
            &mut self.max_attachment_bytes,
        )?;
        env_number(
            env,
            "ERRATA_MAX_UNAUTHENTICATED_BYTES",
            &mut self.max_unauthenticated_bytes,
        )?;
        env_number(
            env,
            "ERRATA_MAX_BYTES_IN_FLIGHT",
            &mut self.max_bytes_in_flight,
        )
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_event_bytes == 0
            || self.max_request_bytes == 0
            || self.max_unauthenticated_bytes == 0
        {
            return Err(invalid("limits", "limits must be at least 1 byte"));
        }
        if self.max_bytes_in_flight < self.max_request_bytes {
            return Err(invalid(
                "limits.max_bytes_in_flight",
                "must be at least max_request_bytes (one request must fit)",
            ));
        }
        Ok(())
    }
}

/// One data category's rate limits, per minute, for each scope; 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct ScopeLimits {
    /// Per DSN key.
    pub key_per_minute: u64,
    /// Per project.
    pub project_per_minute: u64,
    /// For the whole server.
    pub global_per_minute: u64,
}

impl ScopeLimits {
    /// One node's share of these limits when `nodes` enforce them together: each limit
    /// divided by `nodes`, rounded up (so never 0, which would mean unlimited).
    #[must_use]
    pub fn shared_by(self, nodes: u32) -> Self {
        let share = |limit: u64| match limit {
            0 => 0,
            limit => limit.div_ceil(u64::from(nodes.max(1))),
        };
        Self {
            key_per_minute: share(self.key_per_minute),
            project_per_minute: share(self.project_per_minute),
            global_per_minute: share(self.global_per_minute),
        }
    }

    fn merge_env(&mut self, env: Env<'_>, prefix: &str) -> Result<(), ConfigError> {
        env_number(
            env,
            &format!("{prefix}KEY_PER_MINUTE"),
            &mut self.key_per_minute,
        )?;
        env_number(
            env,
            &format!("{prefix}PROJECT_PER_MINUTE"),
            &mut self.project_per_minute,
        )?;
        env_number(
            env,
            &format!("{prefix}GLOBAL_PER_MINUTE"),
            &mut self.global_per_minute,
        )
    }
}

/// Rate limits for everything ingest stores: events (count), attachments (bytes) and
/// user reports (count), each per key, per project and for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Events (errors, messages, security reports) per minute.
    pub events: ScopeLimits,
    /// Attachment bytes per minute.
    pub attachment_bytes: ScopeLimits,
    /// User reports and feedback per minute.
    pub user_reports: ScopeLimits,
}

impl Default for RateLimitConfig {
    /// Limits a real installation would pick: one key may burst a minute's worth and then
    /// keep 100 events a second; the server as a whole about what one small machine
    /// stores comfortably.
    fn default() -> Self {
        Self {
            events: ScopeLimits {
                key_per_minute: 6_000,
                project_per_minute: 12_000,
                global_per_minute: 120_000,
            },
            attachment_bytes: ScopeLimits {
                key_per_minute: 100 << 20,
                project_per_minute: 200 << 20,
                global_per_minute: 1 << 30,
            },
            user_reports: ScopeLimits {
                key_per_minute: 600,
                project_per_minute: 1_200,
                global_per_minute: 6_000,
            },
        }
    }
}

impl RateLimitConfig {
    /// No limits at all (benchmarks).
    pub fn unlimited() -> Self {
        let none = ScopeLimits {
            key_per_minute: 0,
            project_per_minute: 0,
            global_per_minute: 0,
        };
        Self {
            events: none,
            attachment_bytes: none,
            user_reports: none,
        }
    }

    pub(super) fn merge_env(&mut self, env: Env<'_>) -> Result<(), ConfigError> {
        self.events.merge_env(env, "ERRATA_RATE_LIMIT_")?;
        self.attachment_bytes
            .merge_env(env, "ERRATA_RATE_LIMIT_ATTACHMENT_BYTES_")?;
        self.user_reports
            .merge_env(env, "ERRATA_RATE_LIMIT_USER_REPORTS_")
    }
}

/// The longest group-commit window accepted (100 ms).
const MAX_GROUP_COMMIT_US: u64 = 100_000;

/// The bounded queue to the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct QueueConfig {
    /// Events waiting for the writer; beyond it the server answers 503.
    pub capacity: usize,
    /// Most events committed in one transaction.
    pub max_batch: usize,
    /// Most ingest requests being read and processed at once; beyond it the server
    /// answers 503. Memory is bounded by `limits.max_bytes_in_flight`; this bounds tasks.
    pub max_in_flight: usize,
    /// Group commit: under load (more than one request queued), how long the writer keeps
    /// gathering requests into a batch after its first one, in microseconds; every request
    /// that arrives in that time shares the batch's commit. 0 commits what is queued at
    /// once.
    pub group_commit_us: u64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            capacity: 8192,
            max_batch: 1024,
            max_in_flight: 1024,
            group_commit_us: 500,
        }
    }
}

impl QueueConfig {
    pub(super) fn merge_env(&mut self, env: Env<'_>) -> Result<(), ConfigError> {
        env_number(env, "ERRATA_QUEUE_CAPACITY", &mut self.capacity)?;
        env_number(env, "ERRATA_QUEUE_MAX_BATCH", &mut self.max_batch)?;
        env_number(env, "ERRATA_QUEUE_MAX_IN_FLIGHT", &mut self.max_in_flight)?;
        env_number(
            env,
            "ERRATA_QUEUE_GROUP_COMMIT_US",
            &mut self.group_commit_us,
        )
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.capacity == 0 || self.max_batch == 0 || self.max_in_flight == 0 {
            return Err(invalid(
                "queue",
                "capacity, max_batch and max_in_flight must be at least 1",
            ));
        }
        if self.group_commit_us > MAX_GROUP_COMMIT_US {
            return Err(invalid(
                "queue.group_commit_us",
                "the group-commit window is at most 100000 microseconds (100 ms): every \
                 request under load may wait that long",
            ));
        }
        Ok(())
    }
}

/// The threads that decode, parse, normalize, scrub, group and compress, so that the
/// async runtime only waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct WorkerConfig {
    /// Worker threads; 0 means one per CPU.
    pub threads: usize,
    /// Jobs waiting for a worker; beyond it the server answers 503.
    pub queue: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            threads: 0,
            queue: 256,
        }
    }
}

impl WorkerConfig {
    /// The number of threads to start.
    pub fn thread_count(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        }
    }

    pub(super) fn merge_env(&mut self, env: Env<'_>) -> Result<(), ConfigError> {
        env_number(env, "ERRATA_WORKER_THREADS", &mut self.threads)?;
        env_number(env, "ERRATA_WORKER_QUEUE", &mut self.queue)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.queue == 0 {
            return Err(invalid("workers.queue", "must be at least 1"));
        }
        Ok(())
    }
}
