//! A writer thread that dies (a panic inside a commit) must not leave a server that looks
//! healthy but cannot store anything: the request in flight is answered 503 (nothing
//! acknowledged), `/readyz` turns false, and `Server::run` stops serving and returns an
//! error, so `errata serve` exits non-zero and a supervisor restarts it. The fault is
//! injected around the real store of the backend under test: every call is delegated
//! except `ingest`, which panics.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use errata_server::config::Secret;
use errata_server::{Config, Server};
use errata_store::{
    Activity, Actor, ApiToken, Attachment, AttachmentId, BootstrapSpec, Bootstrapped, CreatedToken,
    EventNavigation, EventRow, HourCount, IngestResult, Issue, IssueId, IssueQuery, KeyChange,
    KeyId, NewEvent, NewProject, NewToken, NewUser, NewUserReport, Organization, OrganizationId,
    OutcomeCount, OutcomeDelta, Page, Project, ProjectId, ProjectKey, ProjectSettings, Result,
    StatusChange, StorageUsage, Store, StoredEvent, TagValueCount, User, UserId, UserReport, Uuid,
};
use errata_store::{
    AlertRule, AlertRuleId, Channel, ChannelChange, ChannelId, Delivery, DeliveryAttempt,
    DeliveryId, IssueLink, NewChannel, NewDelivery, RuleSpec,
};
use errata_store::{CreatedSession, NewSession, Session, SessionId, TokenId};
use errata_store::{Payload, PayloadCodec, PayloadDictionary};
use tower::ServiceExt as _;

/// The real store, whose `ingest` panics.
#[derive(Debug)]
struct PanicsOnIngest(Arc<dyn Store>);

impl Store for PanicsOnIngest {
    fn bootstrap(&self, spec: &BootstrapSpec) -> Result<Bootstrapped> {
        self.0.bootstrap(spec)
    }
    fn project_key(&self, public_key: &str) -> Result<Option<ProjectKey>> {
        self.0.project_key(public_key)
    }
    fn ingest(&self, _events: &[NewEvent]) -> Result<Vec<IngestResult>> {
        panic!("injected fault: the writer's commit panics")
    }
    fn add_user_reports(&self, reports: &[NewUserReport]) -> Result<Vec<UserReport>> {
        self.0.add_user_reports(reports)
    }
    fn add_outcomes(&self, outcomes: &[OutcomeDelta]) -> Result<()> {
        self.0.add_outcomes(outcomes)
    }
    fn outcomes(&self, project_id: ProjectId, since_ms: i64) -> Result<Vec<OutcomeCount>> {
        self.0.outcomes(project_id, since_ms)
    }
    fn outcome_series(
        &self,
        project_id: ProjectId,
        since_ms: i64,
    ) -> Result<Vec<errata_store::OutcomeBucket>> {
        self.0.outcome_series(project_id, since_ms)
    }
    fn issues(&self, query: &IssueQuery) -> Result<Page<Issue>> {
        self.0.issues(query)
    }
    fn issue(&self, id: IssueId) -> Result<Issue> {
        self.0.issue(id)
    }
    fn change_issue_status(
        &self,
        id: IssueId,
        change: &StatusChange,
        actor: &Actor,
    ) -> Result<Issue> {
        self.0.change_issue_status(id, change, actor)
    }
    fn expire_ignored(&self, now_ms: i64) -> Result<Vec<IssueId>> {
        self.0.expire_ignored(now_ms)
    }
    fn issue_activity(&self, id: IssueId) -> Result<Vec<Activity>> {
        self.0.issue_activity(id)
    }
    fn issue_hourly_counts(&self, ids: &[IssueId], since_ms: i64) -> Result<Vec<HourCount>> {
        self.0.issue_hourly_counts(ids, since_ms)
    }
    fn event_navigation(&self, id: IssueId, event_id: Uuid) -> Result<EventNavigation> {
        self.0.event_navigation(id, event_id)
    }
    fn delete_project(&self, id: ProjectId) -> Result<()> {
        self.0.delete_project(id)
    }
    fn create_key(&self, project_id: ProjectId, label: &str) -> Result<ProjectKey> {
        self.0.create_key(project_id, label)
    }
    fn change_key(&self, id: KeyId, change: KeyChange) -> Result<ProjectKey> {
        self.0.change_key(id, change)
    }
    fn delete_issue(&self, id: IssueId) -> Result<()> {
        self.0.delete_issue(id)
    }
    fn issue_tags(&self, id: IssueId) -> Result<Vec<TagValueCount>> {
        self.0.issue_tags(id)
    }
    fn issue_user_reports(&self, id: IssueId) -> Result<Vec<UserReport>> {
        self.0.issue_user_reports(id)
    }
    fn issue_events(
        &self,
        id: IssueId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<EventRow>> {
        self.0.issue_events(id, cursor, limit)
    }
    fn latest_event(&self, id: IssueId) -> Result<StoredEvent> {
        self.0.latest_event(id)
    }
    fn event(&self, project_id: ProjectId, event_id: Uuid) -> Result<StoredEvent> {
        self.0.event(project_id, event_id)
    }
    fn attachments(&self, project_id: ProjectId, event_id: Uuid) -> Result<Vec<Attachment>> {
        self.0.attachments(project_id, event_id)
    }
    fn attachment_data(
        &self,
        project_id: ProjectId,
        id: AttachmentId,
    ) -> Result<(Attachment, Vec<u8>)> {
        self.0.attachment_data(project_id, id)
    }
    fn organizations(&self) -> Result<Vec<Organization>> {
        self.0.organizations()
    }
    fn organization(&self, slug: &str) -> Result<Organization> {
        self.0.organization(slug)
    }
    fn projects(&self, organization_id: OrganizationId) -> Result<Vec<Project>> {
        self.0.projects(organization_id)
    }
    fn project(&self, id: ProjectId) -> Result<Project> {
        self.0.project(id)
    }
    fn project_by_slug(&self, organization_id: OrganizationId, slug: &str) -> Result<Project> {
        self.0.project_by_slug(organization_id, slug)
    }
    fn project_keys(&self, project_id: ProjectId) -> Result<Vec<ProjectKey>> {
        self.0.project_keys(project_id)
    }
    fn create_project(&self, project: &NewProject) -> Result<(Project, ProjectKey)> {
        self.0.create_project(project)
    }
    fn update_project_settings(&self, id: ProjectId, patch: &ProjectSettings) -> Result<Project> {
        self.0.update_project_settings(id, patch)
    }
    fn create_token(&self, token: &NewToken) -> Result<CreatedToken> {
        self.0.create_token(token)
    }
    fn verify_token(&self, secret: &str) -> Result<Option<ApiToken>> {
        self.0.verify_token(secret)
    }
    fn node_heartbeat(&self, node: &str, now_ms: i64, live_since_ms: i64) -> Result<u32> {
        self.0.node_heartbeat(node, now_ms, live_since_ms)
    }
    fn node_leave(&self, node: &str) -> Result<()> {
        self.0.node_leave(node)
    }
    fn set_member_email(&self, enabled: bool) {
        self.0.set_member_email(enabled);
    }
    fn channels(&self, project_id: ProjectId) -> Result<Vec<Channel>> {
        self.0.channels(project_id)
    }
    fn channel(&self, id: ChannelId) -> Result<Channel> {
        self.0.channel(id)
    }
    fn create_channel(&self, channel: &NewChannel) -> Result<Channel> {
        self.0.create_channel(channel)
    }
    fn change_channel(&self, id: ChannelId, change: &ChannelChange) -> Result<Channel> {
        self.0.change_channel(id, change)
    }
    fn delete_channel(&self, id: ChannelId) -> Result<()> {
        self.0.delete_channel(id)
    }
    fn alert_rules(&self, project_id: ProjectId) -> Result<Vec<AlertRule>> {
        self.0.alert_rules(project_id)
    }
    fn alert_rule(&self, id: AlertRuleId) -> Result<AlertRule> {
        self.0.alert_rule(id)
    }
    fn create_alert_rule(&self, project_id: ProjectId, spec: &RuleSpec) -> Result<AlertRule> {
        self.0.create_alert_rule(project_id, spec)
    }
    fn replace_alert_rule(&self, id: AlertRuleId, spec: &RuleSpec) -> Result<AlertRule> {
        self.0.replace_alert_rule(id, spec)
    }
    fn delete_alert_rule(&self, id: AlertRuleId) -> Result<()> {
        self.0.delete_alert_rule(id)
    }
    fn queue_delivery(&self, delivery: &NewDelivery) -> Result<Delivery> {
        self.0.queue_delivery(delivery)
    }
    fn claim_deliveries(&self, claimer: &str, now_ms: i64, limit: usize) -> Result<Vec<Delivery>> {
        self.0.claim_deliveries(claimer, now_ms, limit)
    }
    fn record_attempt(&self, claimer: &str, attempt: &DeliveryAttempt) -> Result<Delivery> {
        self.0.record_attempt(claimer, attempt)
    }
    fn deliveries(&self, project_id: ProjectId, limit: usize) -> Result<Vec<Delivery>> {
        self.0.deliveries(project_id, limit)
    }
    fn delivery(&self, id: DeliveryId) -> Result<Delivery> {
        self.0.delivery(id)
    }
    fn delivery_attempts(&self, id: DeliveryId) -> Result<Vec<DeliveryAttempt>> {
        self.0.delivery_attempts(id)
    }
    fn set_member_email_enabled(
        &self,
        user_id: UserId,
        project_id: ProjectId,
        enabled: bool,
    ) -> Result<()> {
        self.0
            .set_member_email_enabled(user_id, project_id, enabled)
    }
    fn member_email_opt_outs(&self, user_id: UserId) -> Result<Vec<ProjectId>> {
        self.0.member_email_opt_outs(user_id)
    }
    fn add_issue_link(&self, link: &IssueLink) -> Result<()> {
        self.0.add_issue_link(link)
    }
    fn issue_links(&self, id: IssueId) -> Result<Vec<IssueLink>> {
        self.0.issue_links(id)
    }
    fn storage_usage(&self) -> Result<StorageUsage> {
        self.0.storage_usage()
    }
    fn project_usage(&self) -> Result<Vec<errata_store::ProjectUsage>> {
        self.0.project_usage()
    }
    fn footprint(&self) -> Result<errata_store::Footprint> {
        self.0.footprint()
    }
    fn retention_candidates(
        &self,
        scope: errata_store::RetentionScope,
        after_row_id: i64,
        limit: usize,
    ) -> Result<Vec<errata_store::RetentionCandidate>> {
        self.0.retention_candidates(scope, after_row_id, limit)
    }
    fn delete_events(&self, row_ids: &[i64]) -> Result<errata_store::Deleted> {
        self.0.delete_events(row_ids)
    }
    fn reclaim_space(&self, max_bytes: u64) -> Result<u64> {
        self.0.reclaim_space(max_bytes)
    }
    fn schema_status(&self) -> Result<errata_store::SchemaStatus> {
        self.0.schema_status()
    }
    fn payload_codec(&self) -> &Arc<PayloadCodec> {
        self.0.payload_codec()
    }
    fn payload_dictionaries(&self) -> Result<Vec<PayloadDictionary>> {
        self.0.payload_dictionaries()
    }
    fn add_payload_dictionary(&self, dictionary: &PayloadDictionary) -> Result<()> {
        self.0.add_payload_dictionary(dictionary)
    }
    fn recent_payloads(&self, limit: usize, max_raw_len: usize) -> Result<Vec<Payload>> {
        self.0.recent_payloads(limit, max_raw_len)
    }
    fn create_user(&self, user: &NewUser) -> Result<User> {
        self.0.create_user(user)
    }
    fn user_by_email(&self, email: &str) -> Result<User> {
        self.0.user_by_email(email)
    }
    fn users(&self) -> Result<Vec<User>> {
        self.0.users()
    }
    fn set_user_password(&self, id: UserId, password_hash: &str) -> Result<User> {
        self.0.set_user_password(id, password_hash)
    }
    fn tokens(&self, user_id: Option<UserId>) -> Result<Vec<ApiToken>> {
        self.0.tokens(user_id)
    }
    fn revoke_token(&self, id: TokenId) -> Result<()> {
        self.0.revoke_token(id)
    }
    fn touch_token(&self, id: TokenId, now_ms: i64) -> Result<()> {
        self.0.touch_token(id, now_ms)
    }
    fn create_session(&self, session: &NewSession) -> Result<CreatedSession> {
        self.0.create_session(session)
    }
    fn session(&self, secret: &str, now_ms: i64) -> Result<Option<(Session, User)>> {
        self.0.session(secret, now_ms)
    }
    fn touch_session(&self, id: SessionId, last_seen_ms: i64, expires_ms: i64) -> Result<()> {
        self.0.touch_session(id, last_seen_ms, expires_ms)
    }
    fn delete_session(&self, secret: &str) -> Result<()> {
        self.0.delete_session(secret)
    }
    fn delete_user_sessions(&self, user_id: UserId) -> Result<u64> {
        self.0.delete_user_sessions(user_id)
    }
    fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64> {
        self.0.delete_expired_sessions(now_ms)
    }
    fn user(&self, id: UserId) -> Result<User> {
        self.0.user(id)
    }
}

#[tokio::test]
async fn a_dead_writer_fails_readiness_and_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.path().to_owned(),
        admin_password: Some(Secret::new("correct horse battery staple")),
        ..Config::default()
    };
    let real = crate::support::TestStore::open(dir.path()).await;
    let store = Arc::new(PanicsOnIngest(real.store.clone()));
    let server = Server::start_with_store(config, store).await.unwrap();
    let state = server.state().clone();
    let dsn = server.welcome().dsn.clone();
    let (key, project) = crate::support::parse_dsn(&dsn);
    let running = tokio::spawn(server.run(std::future::pending()));
    let router = errata_server::router::router(state.clone());
    let get = |path: &'static str| {
        let router = router.clone();
        async move {
            router
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(get("/readyz").await, StatusCode::OK);

    let event = Request::post(format!("/api/{project}/envelope/"))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={key}, sentry_version=7"),
        )
        .body(Body::from(
            "{}\n{\"type\":\"event\"}\n{\"message\":\"lost?\"}\n",
        ))
        .unwrap();
    let answer = router.clone().oneshot(event).await.unwrap();
    // Not acknowledged: the SDK keeps the event and retries against the restarted server.
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers().contains_key("retry-after"));

    // The thread finishes unwinding just after the handler hears of it.
    for _ in 0..200 {
        if !state.writer.is_alive() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!state.writer.is_alive());
    assert_eq!(get("/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
    let stopped = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the server stops by itself")
        .unwrap();
    let error = stopped.expect_err("run returns an error");
    assert!(error.to_string().contains("writer"), "{error}");
}
