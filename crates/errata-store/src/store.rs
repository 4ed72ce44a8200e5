//! The `Store` trait: every operation the server needs from a database, one method per use
//! case (ingest a batch, list issues, download an attachment...), so that a backend is free
//! to answer each with its best query and the server never writes SQL.

use std::sync::Arc;

use uuid::Uuid;

use crate::activity::{Activity, Actor};
use crate::alert_rule::{AlertRule, RuleSpec};
use crate::attachment::Attachment;
use crate::bootstrap::{BootstrapSpec, Bootstrapped};
use crate::channel::{Channel, ChannelChange, IssueLink, NewChannel};
use crate::delivery::{Delivery, DeliveryAttempt, NewDelivery};
use crate::dictionary::{MAX_SAMPLE_BYTES, PayloadCodec, PayloadDictionary, TRAINING_SAMPLES};
use crate::error::Result;
use crate::event::{EventNavigation, EventRow, IngestResult, NewEvent, StoredEvent};
use crate::id::{
    AlertRuleId, AttachmentId, ChannelId, DeliveryId, IssueId, KeyId, OrganizationId, ProjectId,
    TokenId, UserId,
};
use crate::issue::{HourCount, Issue, IssueQuery, IssueStatus, TagValueCount};
use crate::outcome::{OutcomeBucket, OutcomeCount, OutcomeDelta};
use crate::page::Page;
use crate::payload::Payload;
use crate::project::{KeyChange, NewProject, Organization, Project, ProjectKey, User};
use crate::retention::{Deleted, Footprint, ProjectUsage, RetentionCandidate, RetentionScope};
use crate::schema::SchemaStatus;
use crate::session::{CreatedSession, NewSession, Session, SessionId};
use crate::settings::ProjectSettings;
use crate::storage::StorageUsage;
use crate::token::{ApiToken, CreatedToken, NewToken};
use crate::user::NewUser;
use crate::user_report::{NewUserReport, UserReport};
use crate::workflow::StatusChange;

/// Errata's storage. Synchronous and `Send + Sync`: see the crate documentation for why
/// and for how the server calls it (one writer thread, a few reader threads).
///
/// Conventions: reads that address a row by id return [`crate::StoreError`] with
/// `is_not_found()` when it is missing (the API answers 404); lookups that are expected to
/// miss in normal operation (a key, a token) return `Option`. Every write either commits
/// completely before returning `Ok` or changes nothing.
pub trait Store: Send + Sync + std::fmt::Debug {
    // --- Setup -----------------------------------------------------------------------

    /// Creates the organization, admin, project and DSN key on an empty database, or
    /// returns the existing ones (`created == false`) when an organization exists.
    fn bootstrap(&self, spec: &BootstrapSpec) -> Result<Bootstrapped>;

    // --- Ingest ----------------------------------------------------------------------

    /// The key with this public part (ingest authentication), active or not. Cheap; the
    /// server may still cache it.
    fn project_key(&self, public_key: &str) -> Result<Option<ProjectKey>>;

    /// How many [`Store::ingest`] batches the server should commit at once: 1 (the
    /// default) for a database with one writer (`SQLite`); more where concurrent
    /// transactions commit in parallel and wait on the network (`PostgreSQL`), so that one
    /// batch's round trips overlap another's.
    fn parallel_writes(&self) -> usize {
        1
    }

    /// Files a batch of events in ONE transaction: each event joins the issue owning its
    /// first known hash (or opens one), every hash it has that no issue owns is recorded
    /// for its issue, the issue's counters and tag counts are updated, a resolved issue is
    /// reopened (reported as a regression), and an event id already stored in the project
    /// is skipped (reported as a duplicate). Results are in input order. Any error means
    /// nothing of the batch was written. Events of unknown projects are refused. Backends
    /// implement it with [`crate::file_batch`], the rules written once, over their own
    /// [`crate::IngestRows`] inside one transaction.
    ///
    /// # Several writers
    ///
    /// One `SQLite` server has one writer thread, so its calls never overlap. A backend meant
    /// for several nodes (several processes on one database) must give concurrent calls the
    /// result of *some* serial order of their batches, whatever the interleaving:
    ///
    /// - A `(project, hash)` has one owner: when two batches open an issue for the same new
    ///   hash at once, exactly one issue results and both batches file their events under
    ///   it (the loser of the race reads the winner's issue, it does not open a second one).
    /// - Counters (`times_seen`, user counts, tag and hourly counts, the project's next
    ///   short id) are increments applied by the database, never a value read and written
    ///   back, so no concurrent batch's increments are lost.
    /// - An event id is stored at most once per project even when two batches carry it.
    /// - Workflow state is read inside the batch's transaction: a status change committed
    ///   before the batch (a resolve made on another node) applies to its events, and a
    ///   regression or an ignore that ends is reported, and alerted, by exactly one batch.
    /// - A batch that fails on a serialization conflict or deadlock is retried by the backend
    ///   as a whole; it never half-applies.
    fn ingest(&self, events: &[NewEvent]) -> Result<Vec<IngestResult>>;

    /// [`Store::ingest`], and the outcome counters `outcomes` gives for its results
    /// (called once the batch is filed, before its commit; it may be called again if the
    /// backend retries the batch). A backend that can adds them in the batch's own
    /// transaction (`SQLite`: one commit, so one WAL write and one fsync, per batch instead
    /// of two) and returns no deltas; the default, for a backend where every batch writing
    /// the same hot counter rows would make concurrent batches wait for each other
    /// (`PostgreSQL`), only files the batch and returns the deltas for the caller to write
    /// with [`Store::add_outcomes`]. Either way a failure means nothing was written.
    fn ingest_counted(
        &self,
        events: &[NewEvent],
        outcomes: &dyn Fn(&[IngestResult]) -> Vec<OutcomeDelta>,
    ) -> Result<(Vec<IngestResult>, Vec<OutcomeDelta>)> {
        let results = self.ingest(events)?;
        let deltas = outcomes(&results);
        Ok((results, deltas))
    }

    /// Stores user reports that arrived without their event, all in ONE transaction
    /// (results in input order; an empty batch writes nothing). Each joins its event's
    /// issue when the event is (or later gets) stored.
    fn add_user_reports(&self, reports: &[NewUserReport]) -> Result<Vec<UserReport>>;

    /// Adds to outcome counters (in one transaction). Counters saturate at `i64::MAX`: a
    /// quantity above it counts as `i64::MAX`, and a sum that would pass it stays there.
    fn add_outcomes(&self, outcomes: &[OutcomeDelta]) -> Result<()>;

    /// A project's outcome totals since `since_ms` (by hour bucket), sorted by category
    /// then reason. Totals saturate at `i64::MAX` too: they never wrap.
    fn outcomes(&self, project_id: ProjectId, since_ms: i64) -> Result<Vec<OutcomeCount>>;

    /// A project's outcome counters per hour bucket since `since_ms` (the bucket holding
    /// it included), sorted by hour, category, then reason: the stats page's series.
    fn outcome_series(&self, project_id: ProjectId, since_ms: i64) -> Result<Vec<OutcomeBucket>>;

    // --- Issues ----------------------------------------------------------------------

    /// A page of a project's issues, most recently seen first (ties: newest id first).
    /// Pages never repeat an issue nor skip one that did not change while paging; an issue
    /// that gets an event meanwhile moves to the front (see [`crate::Cursor`]).
    fn issues(&self, query: &IssueQuery) -> Result<Page<Issue>>;

    fn issue(&self, id: IssueId) -> Result<Issue>;

    /// Applies a status change (see [`StatusChange`]: resolving records the time and how;
    /// ignoring records its conditions against the issue's counters now), logs it in the
    /// issue's activity as done by `actor`, and returns the updated issue. Setting the
    /// status an issue already has still records the new terms.
    fn change_issue_status(
        &self,
        id: IssueId,
        change: &StatusChange,
        actor: &Actor,
    ) -> Result<Issue>;

    /// [`Store::change_issue_status`] with the plain change for `status`, by Errata itself.
    fn set_issue_status(&self, id: IssueId, status: IssueStatus) -> Result<Issue> {
        self.change_issue_status(id, &StatusChange::from(status), &Actor::system())
    }

    /// Brings back every ignored issue whose "ignore for a while" has passed (an event
    /// brings back the others as it arrives, in [`Store::ingest`]); logs why. Returns them.
    fn expire_ignored(&self, now_ms: i64) -> Result<Vec<IssueId>>;

    /// The issue's activity, oldest first.
    fn issue_activity(&self, id: IssueId) -> Result<Vec<Activity>>;

    /// The hourly event counts of these issues since `since_ms` (hours without events are
    /// absent), by issue then hour. Ingest keeps them in the event's transaction.
    fn issue_hourly_counts(&self, ids: &[IssueId], since_ms: i64) -> Result<Vec<HourCount>>;

    /// Deletes the issue with its events, attachments, reports, hashes and counts. Its
    /// hashes are freed: a later event with them opens a new issue.
    fn delete_issue(&self, id: IssueId) -> Result<()>;

    /// The issue's tag values with their counts, by key then most seen first.
    fn issue_tags(&self, id: IssueId) -> Result<Vec<TagValueCount>>;

    /// The user reports about the issue's events, newest first.
    fn issue_user_reports(&self, id: IssueId) -> Result<Vec<UserReport>>;

    // --- Events ----------------------------------------------------------------------

    /// A page of the issue's events, most recently received first.
    fn issue_events(
        &self,
        id: IssueId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<EventRow>>;

    /// The issue's most recently received event with its payload.
    fn latest_event(&self, id: IssueId) -> Result<StoredEvent>;

    /// The oldest, previous, next and latest events of the issue around `event_id`.
    fn event_navigation(&self, id: IssueId, event_id: Uuid) -> Result<EventNavigation>;

    /// One event with its payload (decompressed: the normalized JSON as ingested).
    fn event(&self, project_id: ProjectId, event_id: Uuid) -> Result<StoredEvent>;

    /// The event's attachments (an empty list when it has none or does not exist).
    fn attachments(&self, project_id: ProjectId, event_id: Uuid) -> Result<Vec<Attachment>>;

    /// One attachment with its bytes.
    fn attachment_data(
        &self,
        project_id: ProjectId,
        id: AttachmentId,
    ) -> Result<(Attachment, Vec<u8>)>;

    // --- Organizations, projects, keys -----------------------------------------------

    fn organizations(&self) -> Result<Vec<Organization>>;

    fn organization(&self, slug: &str) -> Result<Organization>;

    /// The organization's projects, by slug.
    fn projects(&self, organization_id: OrganizationId) -> Result<Vec<Project>>;

    fn project(&self, id: ProjectId) -> Result<Project>;

    fn project_by_slug(&self, organization_id: OrganizationId, slug: &str) -> Result<Project>;

    /// The project's keys, oldest first.
    fn project_keys(&self, project_id: ProjectId) -> Result<Vec<ProjectKey>>;

    /// Creates a project and its first key; a taken slug is a conflict.
    fn create_project(&self, project: &NewProject) -> Result<(Project, ProjectKey)>;

    /// Applies a patch to a project's settings (validated and normalized as
    /// [`ProjectSettings::normalized`] says: an invalid patch changes nothing) and returns
    /// the updated project. An empty patch returns the project as it is.
    fn update_project_settings(&self, id: ProjectId, patch: &ProjectSettings) -> Result<Project>;

    /// Deletes a project with its keys, issues, events and everything hanging off them.
    fn delete_project(&self, id: ProjectId) -> Result<()>;

    /// Adds a key (a new DSN) to a project.
    fn create_key(&self, project_id: ProjectId, label: &str) -> Result<ProjectKey>;

    /// Enables or disables a key (a disabled key's events are refused), or rotates it
    /// (new public and secret parts: the old DSN stops working at once). Returns the key.
    fn change_key(&self, id: KeyId, change: KeyChange) -> Result<ProjectKey>;

    // --- API tokens ------------------------------------------------------------------

    /// Creates a token; only its hash is stored, the secret is returned once. The user
    /// must exist (not found otherwise).
    fn create_token(&self, token: &NewToken) -> Result<CreatedToken>;

    /// The tokens of `user_id`, or every token with `None` (for admins), oldest first.
    fn tokens(&self, user_id: Option<UserId>) -> Result<Vec<ApiToken>>;

    /// Revokes (deletes) a token: its secret no longer verifies. Not found when missing.
    fn revoke_token(&self, id: TokenId) -> Result<()>;

    /// Records a use of the token at `now_ms` (callers do it at most once a minute, see
    /// [`ApiToken::needs_touch`]). A missing token is not an error (revoked meanwhile).
    fn touch_token(&self, id: TokenId, now_ms: i64) -> Result<()>;

    // --- Sessions --------------------------------------------------------------------

    /// Opens a session with a new secret and CSRF token; only the secret's hash is
    /// stored, the secret is returned once. The user must exist (not found otherwise).
    fn create_session(&self, session: &NewSession) -> Result<CreatedSession>;

    /// The session whose secret this is, with its user, unless it expired by `now_ms`.
    fn session(&self, secret: &str, now_ms: i64) -> Result<Option<(Session, User)>>;

    /// Records a use: sets `last_seen_ms` and `expires_ms` (callers do it at most once a
    /// minute, see [`Session::needs_touch`]). A missing session is not an error.
    fn touch_session(&self, id: SessionId, last_seen_ms: i64, expires_ms: i64) -> Result<()>;

    /// Ends the session whose secret this is (logout); nothing happens when none has it.
    fn delete_session(&self, secret: &str) -> Result<()>;

    /// Ends every session of a user (after a password reset); returns how many.
    fn delete_user_sessions(&self, user_id: UserId) -> Result<u64>;

    /// Deletes the sessions expired by `now_ms`; returns how many.
    fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64>;

    /// The user with this id; not found when there is none.
    fn user(&self, id: UserId) -> Result<User>;

    // --- Users ----------------------------------------------------------------------

    /// Creates a user ([`NewUser::normalized`] first); a taken email is a conflict.
    fn create_user(&self, user: &NewUser) -> Result<User>;

    /// The user with this login (case-insensitive); not found when there is none.
    fn user_by_email(&self, email: &str) -> Result<User>;

    /// Every user, oldest first.
    fn users(&self) -> Result<Vec<User>>;

    /// Replaces a user's password hash (a reset); not found for an unknown user.
    fn set_user_password(&self, id: UserId, password_hash: &str) -> Result<User>;

    /// The token whose secret this is, if any.
    fn verify_token(&self, secret: &str) -> Result<Option<ApiToken>>;

    // --- Nodes -----------------------------------------------------------------------

    /// Records that `node` (a name unique to the running process) is alive at `now_ms`,
    /// forgets the nodes last seen before `live_since_ms` (stopped or dead), and returns
    /// how many nodes are alive, this one included (at least 1). Every node calls it
    /// periodically; the count is the share each takes of limits meant for the whole
    /// installation.
    fn node_heartbeat(&self, node: &str, now_ms: i64, live_since_ms: i64) -> Result<u32>;

    /// Forgets `node` (a clean stop), so the others count one node fewer at their next
    /// heartbeat. Forgetting an unknown node is not an error.
    fn node_leave(&self, node: &str) -> Result<()>;

    // --- Alerting --------------------------------------------------------------------
    //
    // How ingest alerts: at the end of a batch, in its transaction, every enabled rule of
    // the projects touched is checked for each issue that got events, with the batch's
    // latest event of that issue: a new issue, a regression and an ignored issue brought
    // back set off the rules that ask for them; a rule with a frequency (user-count)
    // condition fires when the issue's events (distinct users, from at most
    // [`crate::USER_COUNT_SCAN_LIMIT`] recent events) received within the window reach
    // the count, unless it fired for the issue less than its cooldown ago. A rule whose
    // filters the event fails stays quiet. A rule fires at most once per issue per batch.
    // A firing rule queues one delivery per recipient (each enabled notifying channel with
    // `all_channels`, each named enabled channel, each member who kept email on when member
    // email is enabled) and records the firing for its cooldown.
    // [`IngestResult::alerts`](crate::IngestResult) counts the deliveries queued per event.

    /// Whether rules that email the members queue those emails (the server has SMTP).
    /// Off until set; a setting of this handle, not stored.
    fn set_member_email(&self, enabled: bool);

    /// The project's channels, oldest first.
    fn channels(&self, project_id: ProjectId) -> Result<Vec<Channel>>;

    fn channel(&self, id: ChannelId) -> Result<Channel>;

    /// Creates a channel ([`NewChannel::normalized`] first); the project must exist.
    fn create_channel(&self, channel: &NewChannel) -> Result<Channel>;

    /// Applies a change ([`ChannelChange::apply`]) and returns the channel.
    fn change_channel(&self, id: ChannelId, change: &ChannelChange) -> Result<Channel>;

    /// Deletes a channel, its deliveries, and its place in the rules that name it.
    fn delete_channel(&self, id: ChannelId) -> Result<()>;

    /// The project's rules, oldest first.
    fn alert_rules(&self, project_id: ProjectId) -> Result<Vec<AlertRule>>;

    fn alert_rule(&self, id: AlertRuleId) -> Result<AlertRule>;

    /// Creates a rule ([`RuleSpec::normalized`] first); its named channels must be the
    /// project's.
    fn create_alert_rule(&self, project_id: ProjectId, spec: &RuleSpec) -> Result<AlertRule>;

    /// Replaces a rule's content (checked as on creation).
    fn replace_alert_rule(&self, id: AlertRuleId, spec: &RuleSpec) -> Result<AlertRule>;

    /// Deletes a rule (its queued deliveries stay and are sent).
    fn delete_alert_rule(&self, id: AlertRuleId) -> Result<()>;

    /// Queues a delivery outside ingest, due now.
    fn queue_delivery(&self, delivery: &NewDelivery) -> Result<Delivery>;

    /// Claims up to `limit` pending deliveries due by `now_ms` that nobody holds (or whose
    /// holder's lease of [`crate::DELIVERY_LEASE_MS`] ran out), oldest due first, for
    /// `claimer` (a name unique to the process). Two claimers never get the same delivery
    /// while its lease runs, whether they share a process or a database.
    fn claim_deliveries(&self, claimer: &str, now_ms: i64, limit: usize) -> Result<Vec<Delivery>>;

    /// Records an attempt on a delivery `claimer` holds, moves it on as
    /// [`crate::after_attempt`] says and releases it. A conflict when the claimer no longer
    /// holds it (its lease ran out and another node took it): nothing is written.
    fn record_attempt(&self, claimer: &str, attempt: &DeliveryAttempt) -> Result<Delivery>;

    /// The project's most recent deliveries, newest first.
    fn deliveries(&self, project_id: ProjectId, limit: usize) -> Result<Vec<Delivery>>;

    fn delivery(&self, id: DeliveryId) -> Result<Delivery>;

    /// A delivery's attempts, oldest first.
    fn delivery_attempts(&self, id: DeliveryId) -> Result<Vec<DeliveryAttempt>>;

    /// Turns a member's alert email for a project on or off (on by default).
    fn set_member_email_enabled(
        &self,
        user_id: UserId,
        project_id: ProjectId,
        enabled: bool,
    ) -> Result<()>;

    /// The projects for which the member turned alert email off.
    fn member_email_opt_outs(&self, user_id: UserId) -> Result<Vec<ProjectId>>;

    /// Links an issue to a tracker issue made from it.
    fn add_issue_link(&self, link: &IssueLink) -> Result<()>;

    /// The issue's tracker links, oldest first.
    fn issue_links(&self, id: IssueId) -> Result<Vec<IssueLink>>;

    // --- Payload dictionaries --------------------------------------------------------
    //
    // Payloads are compressed with the installation's newest trained dictionary (see
    // [`PayloadCodec`]). Dictionaries are stored forever: payloads need theirs to read.

    /// The codec the store reads payloads with, and new payloads should be compressed with
    /// (the server does it on its request workers): it knows the stored dictionaries as of
    /// the store's opening, of the last [`Store::refresh_payload_dictionaries`], and of any
    /// read of a payload that named one it lacked.
    fn payload_codec(&self) -> &Arc<PayloadCodec>;

    /// Every stored dictionary, oldest first (by creation, then id).
    fn payload_dictionaries(&self) -> Result<Vec<PayloadDictionary>>;

    /// Stores a dictionary. When one with its id is stored already, that one stays (same
    /// id, same content: zstd's id is a hash of it) and this is not an error.
    fn add_payload_dictionary(&self, dictionary: &PayloadDictionary) -> Result<()>;

    /// The payloads of at most `max_raw_len` bytes of JSON of the `limit` most recently
    /// stored such events, newest first, as stored (read them with
    /// [`Store::payload_codec`]): the samples a dictionary is trained on.
    fn recent_payloads(&self, limit: usize, max_raw_len: usize) -> Result<Vec<Payload>>;

    /// Teaches the codec the dictionaries stored since (another node's); returns how many.
    fn refresh_payload_dictionaries(&self) -> Result<usize> {
        Ok(self.payload_codec().install(&self.payload_dictionaries()?))
    }

    /// Trains a dictionary on the [`TRAINING_SAMPLES`] most recent payloads (of at most
    /// [`MAX_SAMPLE_BYTES`]: memory and time stay bounded whatever was sent), stores it and
    /// makes it (or, on a race, the newest stored) the codec's current one; `None`, and
    /// nothing done, when fewer than `min_samples` events are stored. CPU work of up to a
    /// second: not for a request path.
    fn train_payload_dictionary(
        &self,
        now_ms: i64,
        min_samples: usize,
    ) -> Result<Option<PayloadDictionary>> {
        self.refresh_payload_dictionaries()?;
        let payloads = self.recent_payloads(TRAINING_SAMPLES, MAX_SAMPLE_BYTES)?;
        if payloads.len() < min_samples.max(1) {
            return Ok(None);
        }
        let codec = self.payload_codec();
        let samples = payloads
            .iter()
            .map(|p| codec.decompress(p))
            .collect::<Result<Vec<_>>>()?;
        let dictionary = PayloadDictionary::train(&samples, now_ms)?;
        self.add_payload_dictionary(&dictionary)?;
        self.refresh_payload_dictionaries()?;
        Ok(Some(dictionary))
    }

    // --- Maintenance -----------------------------------------------------------------

    /// Bytes the database occupies, with the events table's and its indexes' share (see
    /// [`StorageUsage`] for what each backend counts). `SQLite` counts its pages as of the
    /// latest commit (`page_count`, `dbstat`), so the figure does not depend on when the
    /// last checkpoint ran; `PostgreSQL` reads its size functions (`pg_database_size`,
    /// `pg_table_size`, `pg_indexes_size`). It grows as events are stored; cheap enough for
    /// a benchmark, not for every request (`SQLite` reads every page of the events table).
    fn storage_usage(&self) -> Result<StorageUsage>;

    /// What each project stores (events, bytes, its oldest event), from counters that
    /// ingest and deletions keep: no scan of the events table. Projects that never stored
    /// an event may be missing.
    fn project_usage(&self) -> Result<Vec<ProjectUsage>>;

    /// The room the store takes, cheap enough to call every few seconds (see
    /// [`Footprint`]).
    fn footprint(&self) -> Result<Footprint>;

    /// Up to `limit` stored events of `scope` with a row id above `after_row_id`, in row id
    /// order, each with whether it is its issue's first or latest stored event (what
    /// retention decides on: see `crate::retention`).
    fn retention_candidates(
        &self,
        scope: RetentionScope,
        after_row_id: i64,
        limit: usize,
    ) -> Result<Vec<RetentionCandidate>>;

    /// Deletes these events (by row id) with their attachments, in one short transaction,
    /// keeping the usage counters; ids already gone are skipped. Issues keep their counts,
    /// first and last seen and metadata.
    fn delete_events(&self, row_ids: &[i64]) -> Result<Deleted>;

    /// Deletes up to `limit` of the oldest events received before `before_ms` (the age
    /// limit), in one short transaction: the oldest events by row id, up to the first one
    /// received since (row ids follow arrival, give or take a batch from another node).
    fn expire_events(&self, before_ms: i64, limit: usize) -> Result<Deleted> {
        let window = self.retention_candidates(RetentionScope::All, 0, limit)?;
        let ids: Vec<i64> = window
            .iter()
            .take_while(|c| c.received_ms < before_ms)
            .map(|c| c.row_id)
            .collect();
        if ids.is_empty() {
            return Ok(Deleted::default());
        }
        self.delete_events(&ids)
    }

    /// Gives free space back to the filesystem, at most about `max_bytes` per call, and
    /// returns the bytes given back (`SQLite`: incremental vacuum; `PostgreSQL` leaves it to
    /// autovacuum, which makes the space reusable, and returns 0).
    fn reclaim_space(&self, max_bytes: u64) -> Result<u64>;

    /// The database's schema version against this binary's (`/readyz` checks they are
    /// equal: on `PostgreSQL` a newer node may have migrated the shared database beyond
    /// this one). Read from the database on each call, not remembered from open. The
    /// default, for stores without versioned schemas, reports "current" (0 and 0).
    fn schema_status(&self) -> Result<SchemaStatus> {
        Ok(SchemaStatus {
            database: 0,
            binary: 0,
        })
    }
}
