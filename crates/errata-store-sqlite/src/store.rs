//! `impl Store for SqliteStore`: routes each use case to the writer connection (writes,
//! serialized) or to a pooled reader (reads, concurrent), with a tracing span per call.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tracing::instrument;
use uuid::Uuid;

use errata_store::ApiToken;
use errata_store::OutcomeBucket;
use errata_store::{
    Activity, Actor, EventNavigation, HourCount, KeyChange, KeyId, NewUser, StatusChange, User,
    UserId,
};
use errata_store::{
    Attachment, AttachmentId, BootstrapSpec, Bootstrapped, CreatedToken, EventRow, IngestResult,
    Issue, IssueId, IssueQuery, NewEvent, NewProject, NewToken, NewUserReport, Organization,
    OrganizationId, OutcomeCount, OutcomeDelta, Page, Project, ProjectId, ProjectKey,
    ProjectSettings, Result, SchemaStatus, StorageUsage, Store, StoredEvent, TagValueCount,
    UserReport,
};
use errata_store::{CreatedSession, NewSession, Session, SessionId, TokenId};
use errata_store::{Deleted, Footprint, ProjectUsage, RetentionCandidate, RetentionScope};
use errata_store::{Payload, PayloadCodec, PayloadDictionary};

use errata_store::{
    AlertRule, AlertRuleId, Channel, ChannelChange, ChannelId, Delivery, DeliveryAttempt,
    DeliveryId, IssueLink, NewChannel, NewDelivery, RuleSpec,
};

use crate::{
    SqliteStore, channel, dictionary, event, ingest, issue, migration, now_ms, outbox, outcome,
    project, retention, rule, session, token, user, user_report, workflow,
};

impl Store for SqliteStore {
    #[instrument(skip_all)]
    fn bootstrap(&self, spec: &BootstrapSpec) -> Result<Bootstrapped> {
        self.write(|c| project::bootstrap(c, spec, now_ms()))
    }

    #[instrument(skip_all)]
    fn project_key(&self, public_key: &str) -> Result<Option<ProjectKey>> {
        self.read(|c| project::key_by_public(c, public_key))
    }

    #[instrument(skip_all, fields(events = events.len()))]
    fn ingest(&self, events: &[NewEvent]) -> Result<Vec<IngestResult>> {
        let member_email = self.member_email.load(Ordering::Relaxed);
        self.write(|c| ingest::ingest(c, events, member_email))
    }

    #[instrument(skip_all, fields(events = events.len()))]
    fn ingest_counted(
        &self,
        events: &[NewEvent],
        outcomes: &dyn Fn(&[IngestResult]) -> Vec<OutcomeDelta>,
    ) -> Result<(Vec<IngestResult>, Vec<OutcomeDelta>)> {
        let member_email = self.member_email.load(Ordering::Relaxed);
        self.write(|c| ingest::ingest_counted(c, events, member_email, outcomes))
            .map(|results| (results, Vec::new()))
    }

    #[instrument(skip_all, fields(reports = reports.len()))]
    fn add_user_reports(&self, reports: &[NewUserReport]) -> Result<Vec<UserReport>> {
        self.write(|c| user_report::add(c, reports))
    }

    #[instrument(skip_all, fields(outcomes = outcomes.len()))]
    fn add_outcomes(&self, outcomes: &[OutcomeDelta]) -> Result<()> {
        self.write(|c| outcome::add(c, outcomes))
    }

    #[instrument(skip_all)]
    fn outcomes(&self, project_id: ProjectId, since_ms: i64) -> Result<Vec<OutcomeCount>> {
        self.read(|c| outcome::totals(c, project_id, since_ms))
    }

    #[instrument(skip(self))]
    fn outcome_series(&self, project_id: ProjectId, since_ms: i64) -> Result<Vec<OutcomeBucket>> {
        self.read(|c| outcome::series(c, project_id, since_ms))
    }

    #[instrument(skip_all)]
    fn issues(&self, query: &IssueQuery) -> Result<Page<Issue>> {
        self.read(|c| issue::list(c, query))
    }

    #[instrument(skip_all)]
    fn issue(&self, id: IssueId) -> Result<Issue> {
        self.read(|c| issue::get(c, id))
    }

    #[instrument(skip_all)]
    fn change_issue_status(
        &self,
        id: IssueId,
        change: &StatusChange,
        actor: &Actor,
    ) -> Result<Issue> {
        self.write(|c| workflow::change_status(c, id, change, actor, now_ms()))
    }

    #[instrument(skip_all)]
    fn expire_ignored(&self, now_ms: i64) -> Result<Vec<IssueId>> {
        self.write(|c| workflow::expire_ignored(c, now_ms))
    }

    #[instrument(skip_all)]
    fn issue_activity(&self, id: IssueId) -> Result<Vec<Activity>> {
        self.read(|c| workflow::activity(c, id))
    }

    #[instrument(skip_all, fields(issues = ids.len()))]
    fn issue_hourly_counts(&self, ids: &[IssueId], since_ms: i64) -> Result<Vec<HourCount>> {
        self.read(|c| issue::hourly_counts(c, ids, since_ms))
    }

    #[instrument(skip_all)]
    fn delete_issue(&self, id: IssueId) -> Result<()> {
        self.write(|c| issue::delete(c, id))
    }

    #[instrument(skip_all)]
    fn issue_tags(&self, id: IssueId) -> Result<Vec<TagValueCount>> {
        self.read(|c| issue::tags(c, id))
    }

    #[instrument(skip_all)]
    fn issue_user_reports(&self, id: IssueId) -> Result<Vec<UserReport>> {
        self.read(|c| user_report::of_issue(c, id))
    }

    #[instrument(skip_all)]
    fn issue_events(
        &self,
        id: IssueId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<EventRow>> {
        self.read(|c| event::of_issue(c, id, cursor, limit))
    }

    #[instrument(skip_all)]
    fn latest_event(&self, id: IssueId) -> Result<StoredEvent> {
        self.read(|c| event::latest(c, &self.codec, id))
    }

    #[instrument(skip_all)]
    fn event_navigation(&self, id: IssueId, event_id: Uuid) -> Result<EventNavigation> {
        self.read(|c| event::navigation(c, id, event_id))
    }

    #[instrument(skip_all)]
    fn event(&self, project_id: ProjectId, event_id: Uuid) -> Result<StoredEvent> {
        self.read(|c| event::by_id(c, &self.codec, project_id, event_id))
    }

    #[instrument(skip_all)]
    fn attachments(&self, project_id: ProjectId, event_id: Uuid) -> Result<Vec<Attachment>> {
        self.read(|c| event::attachments(c, project_id, event_id))
    }

    #[instrument(skip_all)]
    fn attachment_data(
        &self,
        project_id: ProjectId,
        id: AttachmentId,
    ) -> Result<(Attachment, Vec<u8>)> {
        self.read(|c| event::attachment_data(c, project_id, id))
    }

    #[instrument(skip_all)]
    fn organizations(&self) -> Result<Vec<Organization>> {
        self.read(project::organizations)
    }

    #[instrument(skip_all)]
    fn organization(&self, slug: &str) -> Result<Organization> {
        self.read(|c| project::organization(c, slug))
    }

    #[instrument(skip_all)]
    fn projects(&self, organization_id: OrganizationId) -> Result<Vec<Project>> {
        self.read(|c| project::of_organization(c, organization_id))
    }

    #[instrument(skip_all)]
    fn project(&self, id: ProjectId) -> Result<Project> {
        self.read(|c| project::get(c, id))
    }

    #[instrument(skip_all)]
    fn project_by_slug(&self, organization_id: OrganizationId, slug: &str) -> Result<Project> {
        self.read(|c| project::by_slug(c, organization_id, slug))
    }

    #[instrument(skip_all)]
    fn project_keys(&self, project_id: ProjectId) -> Result<Vec<ProjectKey>> {
        self.read(|c| project::keys(c, project_id))
    }

    #[instrument(skip_all)]
    fn create_project(&self, new: &NewProject) -> Result<(Project, ProjectKey)> {
        self.write(|c| project::create(c, new, now_ms()))
    }

    #[instrument(skip_all)]
    fn update_project_settings(&self, id: ProjectId, patch: &ProjectSettings) -> Result<Project> {
        self.write(|c| project::update_settings(c, id, patch))
    }

    #[instrument(skip_all)]
    fn delete_project(&self, id: ProjectId) -> Result<()> {
        self.write(|c| project::delete(c, id))
    }

    #[instrument(skip_all)]
    fn create_key(&self, project_id: ProjectId, label: &str) -> Result<ProjectKey> {
        self.write(|c| project::create_key(c, project_id, label, now_ms()))
    }

    #[instrument(skip_all)]
    fn change_key(&self, id: KeyId, change: KeyChange) -> Result<ProjectKey> {
        self.write(|c| project::change_key(c, id, change))
    }

    #[instrument(skip_all)]
    fn create_token(&self, new: &NewToken) -> Result<CreatedToken> {
        self.write(|c| token::create(c, new, now_ms()))
    }

    #[instrument(skip_all)]
    fn verify_token(&self, secret: &str) -> Result<Option<ApiToken>> {
        self.read(|c| token::verify(c, secret))
    }

    #[instrument(skip_all)]
    fn node_heartbeat(&self, node: &str, now_ms: i64, live_since_ms: i64) -> Result<u32> {
        self.write(|c| crate::node::heartbeat(c, node, now_ms, live_since_ms))
    }

    #[instrument(skip_all)]
    fn node_leave(&self, node: &str) -> Result<()> {
        self.write(|c| crate::node::leave(c, node))
    }

    #[instrument(skip_all)]
    fn tokens(&self, user_id: Option<UserId>) -> Result<Vec<ApiToken>> {
        self.read(|c| token::list(c, user_id))
    }

    #[instrument(skip_all)]
    fn revoke_token(&self, id: TokenId) -> Result<()> {
        self.write(|c| token::revoke(c, id))
    }

    #[instrument(skip_all)]
    fn touch_token(&self, id: TokenId, now_ms: i64) -> Result<()> {
        self.write(|c| token::touch(c, id, now_ms))
    }

    // --- Sessions --------------------------------------------------------------------

    #[instrument(skip_all)]
    fn create_session(&self, new: &NewSession) -> Result<CreatedSession> {
        self.write(|c| session::create(c, new))
    }

    #[instrument(skip_all)]
    fn session(&self, secret: &str, now_ms: i64) -> Result<Option<(Session, User)>> {
        self.read(|c| session::get(c, secret, now_ms))
    }

    #[instrument(skip_all)]
    fn touch_session(&self, id: SessionId, last_seen_ms: i64, expires_ms: i64) -> Result<()> {
        self.write(|c| session::touch(c, id, last_seen_ms, expires_ms))
    }

    #[instrument(skip_all)]
    fn delete_session(&self, secret: &str) -> Result<()> {
        self.write(|c| session::delete(c, secret))
    }

    #[instrument(skip_all)]
    fn delete_user_sessions(&self, user_id: UserId) -> Result<u64> {
        self.write(|c| session::delete_of_user(c, user_id))
    }

    #[instrument(skip_all)]
    fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64> {
        self.write(|c| session::delete_expired(c, now_ms))
    }

    #[instrument(skip_all)]
    fn user(&self, id: UserId) -> Result<User> {
        self.read(|c| user::get(c, id))
    }

    #[instrument(skip_all)]
    fn create_user(&self, new: &NewUser) -> Result<User> {
        self.write(|c| user::create(c, new, now_ms()))
    }

    #[instrument(skip_all)]
    fn user_by_email(&self, email: &str) -> Result<User> {
        self.read(|c| user::by_email(c, email))
    }

    #[instrument(skip_all)]
    fn users(&self) -> Result<Vec<User>> {
        self.read(user::list)
    }

    #[instrument(skip_all)]
    fn set_user_password(&self, id: UserId, password_hash: &str) -> Result<User> {
        self.write(|c| user::set_password(c, id, password_hash))
    }

    // --- Alerting --------------------------------------------------------------------

    fn set_member_email(&self, enabled: bool) {
        self.member_email.store(enabled, Ordering::Relaxed);
    }

    #[instrument(skip_all)]
    fn channels(&self, project_id: ProjectId) -> Result<Vec<Channel>> {
        self.read(|c| channel::of_project(c, project_id))
    }

    #[instrument(skip_all)]
    fn channel(&self, id: ChannelId) -> Result<Channel> {
        self.read(|c| channel::get(c, id))
    }

    #[instrument(skip_all)]
    fn create_channel(&self, new: &NewChannel) -> Result<Channel> {
        self.write(|c| channel::create(c, new, now_ms()))
    }

    #[instrument(skip_all)]
    fn change_channel(&self, id: ChannelId, change: &ChannelChange) -> Result<Channel> {
        self.write(|c| channel::change(c, id, change))
    }

    #[instrument(skip_all)]
    fn delete_channel(&self, id: ChannelId) -> Result<()> {
        self.write(|c| channel::delete(c, id))
    }

    #[instrument(skip_all)]
    fn alert_rules(&self, project_id: ProjectId) -> Result<Vec<AlertRule>> {
        self.read(|c| rule::of_project(c, project_id))
    }

    #[instrument(skip_all)]
    fn alert_rule(&self, id: AlertRuleId) -> Result<AlertRule> {
        self.read(|c| rule::get(c, id))
    }

    #[instrument(skip_all)]
    fn create_alert_rule(&self, project_id: ProjectId, spec: &RuleSpec) -> Result<AlertRule> {
        self.write(|c| rule::create(c, project_id, spec, now_ms()))
    }

    #[instrument(skip_all)]
    fn replace_alert_rule(&self, id: AlertRuleId, spec: &RuleSpec) -> Result<AlertRule> {
        self.write(|c| rule::replace(c, id, spec))
    }

    #[instrument(skip_all)]
    fn delete_alert_rule(&self, id: AlertRuleId) -> Result<()> {
        self.write(|c| rule::delete(c, id))
    }

    #[instrument(skip_all)]
    fn queue_delivery(&self, delivery: &NewDelivery) -> Result<Delivery> {
        self.write(|c| outbox::queue(c, delivery, now_ms()))
    }

    #[instrument(skip_all)]
    fn claim_deliveries(&self, claimer: &str, now_ms: i64, limit: usize) -> Result<Vec<Delivery>> {
        self.write(|c| outbox::claim(c, claimer, now_ms, limit))
    }

    #[instrument(skip_all)]
    fn record_attempt(&self, claimer: &str, attempt: &DeliveryAttempt) -> Result<Delivery> {
        self.write(|c| outbox::record(c, claimer, attempt))
    }

    #[instrument(skip_all)]
    fn deliveries(&self, project_id: ProjectId, limit: usize) -> Result<Vec<Delivery>> {
        self.read(|c| outbox::of_project(c, project_id, limit))
    }

    #[instrument(skip_all)]
    fn delivery(&self, id: DeliveryId) -> Result<Delivery> {
        self.read(|c| outbox::get(c, id))
    }

    #[instrument(skip_all)]
    fn delivery_attempts(&self, id: DeliveryId) -> Result<Vec<DeliveryAttempt>> {
        self.read(|c| outbox::attempts(c, id))
    }

    #[instrument(skip_all)]
    fn set_member_email_enabled(
        &self,
        user_id: UserId,
        project_id: ProjectId,
        enabled: bool,
    ) -> Result<()> {
        self.write(|c| channel::set_member_email(c, user_id, project_id, enabled))
    }

    #[instrument(skip_all)]
    fn member_email_opt_outs(&self, user_id: UserId) -> Result<Vec<ProjectId>> {
        self.read(|c| channel::opt_outs(c, user_id))
    }

    #[instrument(skip_all)]
    fn add_issue_link(&self, link: &IssueLink) -> Result<()> {
        self.write(|c| channel::add_link(c, link))
    }

    #[instrument(skip_all)]
    fn issue_links(&self, id: IssueId) -> Result<Vec<IssueLink>> {
        self.read(|c| channel::links(c, id))
    }

    fn payload_codec(&self) -> &Arc<PayloadCodec> {
        &self.codec
    }

    #[instrument(skip_all)]
    fn payload_dictionaries(&self) -> Result<Vec<PayloadDictionary>> {
        self.read(dictionary::all)
    }

    #[instrument(skip_all)]
    fn add_payload_dictionary(&self, payload_dictionary: &PayloadDictionary) -> Result<()> {
        self.write(|c| dictionary::add(c, payload_dictionary))
    }

    #[instrument(skip_all)]
    fn recent_payloads(&self, limit: usize, max_raw_len: usize) -> Result<Vec<Payload>> {
        self.read(|c| dictionary::recent_payloads(c, limit, max_raw_len))
    }

    #[instrument(skip_all)]
    fn storage_usage(&self) -> Result<StorageUsage> {
        let (total_bytes, events_bytes, events_out_of_line_bytes, events_index_bytes) =
            self.read(event::usage)?;
        Ok(StorageUsage {
            total_bytes,
            events_bytes,
            events_out_of_line_bytes,
            events_index_bytes,
        })
    }

    #[instrument(skip_all)]
    fn project_usage(&self) -> Result<Vec<ProjectUsage>> {
        self.read(retention::usage)
    }

    #[instrument(skip_all)]
    fn footprint(&self) -> Result<Footprint> {
        self.read(|c| retention::footprint(c, &self.path))
    }

    #[instrument(skip_all)]
    fn retention_candidates(
        &self,
        scope: RetentionScope,
        after_row_id: i64,
        limit: usize,
    ) -> Result<Vec<RetentionCandidate>> {
        self.read(|c| retention::candidates(c, scope, after_row_id, limit))
    }

    #[instrument(skip_all, fields(events = row_ids.len()))]
    fn delete_events(&self, row_ids: &[i64]) -> Result<Deleted> {
        if row_ids.is_empty() {
            return Ok(Deleted::default());
        }
        self.write(|c| retention::delete(c, row_ids))
    }

    #[instrument(skip_all)]
    fn reclaim_space(&self, max_bytes: u64) -> Result<u64> {
        self.write(|c| retention::reclaim(c, &self.path, max_bytes))
    }

    fn schema_status(&self) -> Result<SchemaStatus> {
        Ok(SchemaStatus {
            database: self.read(migration::current_version)?,
            binary: migration::latest_version(),
        })
    }
}
