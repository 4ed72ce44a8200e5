//! Errata's storage layer, independent of any database: the [`Store`] trait shaped by the
//! server's use cases, the input and row types it speaks (separate from the wire model and
//! from the API's view models, converted by hand), the event payload compression every
//! backend shares (with the installation's trained dictionaries), and, behind the `test-suite` feature, the conformance suite every
//! backend must pass (`errata-store-sqlite` today, `PostgreSQL` later).
//!
//! # Why synchronous
//!
//! The trait is blocking, on purpose. The server has ONE writer: HTTP handlers push
//! processed events into a bounded queue, a dedicated writer thread drains it and calls
//! [`Store::ingest`] with everything queued (group commit: one transaction, one fsync, many
//! events), and only then answers the handlers, so a 200 means committed. Readers (the Web
//! API) call the read methods from `tokio::task::spawn_blocking` or a small thread pool.
//! With `SQLite`, the first backend, every call is CPU and page-cache work of micro- to
//! milliseconds that an async API would only wrap in `spawn_blocking` anyway; a blocking
//! API keeps transactions simple (a `&mut` connection, no `.await` inside a transaction)
//! and costs the `PostgreSQL` backend nothing it cannot do with a sync driver or by blocking
//! on its own runtime in that same writer thread.
//!
//! # Portability rules
//!
//! Ids are `i64`, times are Unix milliseconds in `i64`, JSON is bytes, event ids are
//! UUIDs, hashes are 32-hex strings, text matching is case-insensitive for ASCII. Nothing
//! here depends on `SQLite`'s semantics.

mod activity;
mod alert_rule;
mod attachment;
mod bootstrap;
mod channel;
mod delivery;
mod dictionary;
mod error;
mod event;
mod filing;
mod firing;
mod id;
mod inbound_filter;
mod issue;
mod level;
mod outcome;
mod page;
mod payload;
mod project;
pub mod retention;
mod schema;
mod scope;
mod session;
mod settings;
mod storage;
mod store;
mod token;
mod user;
mod user_report;
mod workflow;

#[cfg(feature = "test-suite")]
pub mod suite;

pub use activity::{Activity, ActivityKind, Actor};
pub use alert_rule::{
    AlertEvent, AlertRule, DEFAULT_COOLDOWN_MINUTES, MAX_CONDITION_COUNT, MAX_COOLDOWN_MINUTES,
    MAX_FILTER_LEN, MAX_RULE_NAME_LEN, MAX_WINDOW_MINUTES, RuleActions, RuleFilters, RuleSpec,
    RuleTriggers, Trigger, USER_COUNT_SCAN_LIMIT, WindowCondition,
};
pub use attachment::{Attachment, NewAttachment};
pub use bootstrap::{BootstrapSpec, Bootstrapped};
pub use channel::{
    Channel, ChannelChange, ChannelKind, IssueLink, MAX_CHANNEL_FIELD_LEN, NewChannel,
};
pub use delivery::{
    AttemptResult, DELIVERY_LEASE_MS, Delivery, DeliveryAttempt, DeliveryState, GIVE_UP_AFTER_MS,
    NewDelivery, Recipient, after_attempt, retry_delay_ms,
};
pub use dictionary::{
    DICTIONARY_BYTES, MAX_SAMPLE_BYTES, MIN_TRAINING_SAMPLES, PayloadCodec, PayloadDictionary,
    RETRAIN_AFTER_MS, TRAINING_SAMPLES,
};
pub use error::{ErrorKind, Result, StoreError};
pub use event::{
    EventNavigation, EventRow, IngestKind, IngestResult, MAX_HASHES, MAX_TAG_KEY_LEN,
    MAX_TAG_VALUE_LEN, MAX_TAGS, MAX_TEXT_LEN, NewEvent, StoredEvent, is_hash,
};
pub use filing::{
    HourCountDelta, IngestRows, IssueCount, IssueState, TagCount, Touched, UsageDelta, file_batch,
};
pub use firing::{AlertRows, fire};
pub use id::{
    AlertRuleId, AttachmentId, ChannelId, DeliveryId, IssueId, KeyId, OrganizationId, ProjectId,
    TokenId, UserId, UserReportId,
};
pub use inbound_filter::{
    FilterPatch, InboundFilters, MAX_FILTER_PATTERN_LEN, MAX_FILTER_PATTERNS,
};
pub use issue::{
    HourCount, Issue, IssueFilter, IssueQuery, IssueSort, IssueStatus, MAX_PAGE, NEW_FOR_MS,
    TagValueCount, USER_TAG, hour_start,
};
pub use level::Level;
pub use outcome::{BUCKET_MS, OutcomeBucket, OutcomeCount, OutcomeDelta, bucket_start};
pub use page::{Cursor, Page, clamp_limit};
pub use payload::{MAX_PAYLOAD_BYTES, Payload};
pub use project::{
    KeyChange, MAX_SLUG_LEN, NewProject, Organization, Project, ProjectKey, User, generate_key,
    slugify, validate_slug,
};
pub use retention::{
    Deleted, Footprint, ProjectUsage, RetentionCandidate, RetentionScope, Thinner, Tier, Want,
};
pub use schema::{MigrationPlan, PendingMigration, SchemaStatus};
pub use scope::{Scope, Scopes};
pub use session::{
    CreatedSession, NewSession, SESSION_LIFETIME_MS, SESSION_TOUCH_INTERVAL_MS, Session, SessionId,
};
pub use settings::{
    EventQuota, MAX_PROJECT_NAME_LEN, MAX_QUOTA_LIMIT, MAX_RATE_LIMIT_PER_MINUTE,
    MAX_SENSITIVE_FIELD_LEN, MAX_SENSITIVE_FIELDS, ProjectSettings, QuotaWindow,
};
pub use storage::StorageUsage;
pub use store::Store;
pub use token::{
    ApiToken, CreatedToken, NewToken, TOKEN_TOUCH_INTERVAL_MS, generate_secret, hash_secret,
};
pub use user::{MAX_EMAIL_LEN, MAX_NAME_LEN, NewUser, Role, normalize_email};
pub use user_report::{NewUserReport, UserReport, UserReportFields};
pub use uuid::Uuid;
pub use workflow::{
    EventRelease, IgnoreThresholds, IgnoreUntil, Resolution, ResolvePlan, StatusChange,
    StatusDetails, Unignore, minutes_text, regresses,
};
