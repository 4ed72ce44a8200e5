//! The conformance suite every backend runs (feature `test-suite`): one public function
//! per behaviour of the [`Store`] contract, generic over a [`Harness`] that makes fresh
//! stores and reopens them. A backend's integration test expands [`conformance_tests!`]
//! to get one `#[test]` per behaviour. Functions panic (assert) on a violation.

#![allow(clippy::missing_panics_doc, clippy::too_many_lines)]

mod accounts;
mod alerting;
mod data;
mod dictionaries;
mod filters;
mod issues;
mod projects;
mod retention;
mod sessions;
mod workflow;

pub use accounts::*;
pub use alerting::*;
pub use data::*;
pub use dictionaries::*;
pub use filters::*;
pub use issues::*;
pub use projects::*;
pub use retention::*;
pub use sessions::*;
pub use workflow::*;

use std::collections::HashSet;

use uuid::Uuid;

use crate::{
    BootstrapSpec, Bootstrapped, EventQuota, IngestKind, IngestResult, IssueFilter, IssueId,
    IssueQuery, IssueStatus, Level, NewAttachment, NewEvent, NewProject, NewToken, NewUser,
    NewUserReport, OutcomeCount, OutcomeDelta, Payload, ProjectId, ProjectSettings, QuotaWindow,
    Role, Scopes, Store, UserId, UserReportFields,
};

/// Makes stores for the suite.
pub trait Harness {
    type Store: Store;

    /// A store over a new, empty database (migrations applied).
    fn fresh(&self) -> Self::Store;

    /// Closes `store` and opens the same database again.
    fn reopen(&self, store: Self::Store) -> Self::Store;
}

/// Expands to one `#[test]` per behaviour; `$harness` is an expression building a
/// [`Harness`].
#[macro_export]
macro_rules! conformance_tests {
    ($harness:expr) => {
        $crate::conformance_tests!(@each $harness;
            bootstrap_is_idempotent, project_keys_are_found_by_public_key,
            projects_are_created_with_unique_slugs, project_scrubbing_is_on_by_default,
            project_settings_round_trip_and_patch_partially, project_settings_are_validated,
            events_group_by_first_known_hash,
            issue_counters_follow_events, distinct_users_are_counted_once,
            tag_values_are_counted_per_issue, resolved_issue_regresses_on_new_event,
            duplicate_event_ids_are_ignored, a_bad_batch_writes_nothing,
            issues_are_filtered_by_status_text_and_tags,
            pagination_has_no_duplicates_or_gaps_while_events_arrive,
            deleting_an_issue_removes_its_events_and_frees_its_hashes,
            events_round_trip_with_their_payload, storage_grows_as_events_are_stored,
            payload_dictionaries_are_trained_stored_and_used,
            attachments_round_trip,
            user_reports_join_their_issue, user_reports_are_added_in_one_batch,
            outcomes_are_counted, outcome_counters_saturate, counted_ingest_writes_events_and_counters,
            tokens_verify_only_their_secret, users_are_created_found_listed_and_reset,
            missing_rows_are_not_found,
            committed_data_survives_reopening,
            resolving_in_a_release_regresses_only_for_newer_releases,
            ignored_issues_come_back_when_their_condition_is_met,
            activity_logs_every_change_with_its_actor, hourly_counts_follow_events,
            issues_sort_by_each_order_across_projects, event_navigation_walks_an_issue,
            projects_and_keys_are_administered,
            sessions_are_found_by_secret_until_they_expire, sessions_slide_when_touched,
            sessions_are_deleted_one_by_user_and_when_expired,
            nodes_are_counted_while_they_beat_and_forgotten_after,
            tokens_keep_scopes_are_listed_and_revoked, users_are_found_by_id,
            new_projects_get_the_default_rule_and_channels_round_trip,
            state_changes_queue_one_delivery_per_enabled_channel,
            frequency_and_user_count_rules_fire_at_their_count_then_cool_down,
            members_get_email_unless_they_opted_out,
            deliveries_are_claimed_once_and_move_on_with_their_attempts,
            alert_rows_go_with_their_issue_and_project,
            usage_counters_follow_ingest_and_deletions,
            retention_candidates_know_first_and_latest_events,
            thinning_keeps_first_latest_and_hourly_samples,
            expiry_deletes_only_old_events_and_space_is_measured,
            inbound_filters_round_trip_and_patch_partially, outcome_series_lists_each_hour);
    };
    (@each $harness:expr; $($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            $crate::suite::$name(&$harness);
        }
    )*};
}

const T0: i64 = 1_700_000_000_000;

/// A hash made from a number.
pub fn hash(n: u32) -> String {
    format!("{n:032x}")
}

fn spec() -> BootstrapSpec {
    BootstrapSpec {
        organization_slug: "acme".into(),
        organization_name: "Acme".into(),
        admin_email: "admin@example.com".into(),
        admin_password_hash: "$argon2id$stub".into(),
        project_slug: "backend".into(),
        project_name: "Backend".into(),
    }
}

fn setup<S: Store>(store: &S) -> Bootstrapped {
    store.bootstrap(&spec()).expect("bootstrap")
}

/// An event of `project` with `hashes`, at `T0 + offset_ms`, with a 1 KB JSON payload.
pub fn event(project: ProjectId, hashes: &[&str], offset_ms: i64) -> NewEvent {
    let event_id = Uuid::new_v4();
    let payload = format!(
        r#"{{"event_id":"{}","message":"boom","extra":{{"pad":"{}"}}}}"#,
        event_id.simple(),
        "x".repeat(1000)
    );
    NewEvent {
        project_id: project,
        event_id,
        received_ms: T0 + offset_ms,
        timestamp_ms: T0 + offset_ms,
        hashes: hashes.iter().map(|h| (*h).to_owned()).collect(),
        title: "TypeError: boom".into(),
        culprit: "app.views in index".into(),
        level: Level::Error,
        event_type: "error".into(),
        metadata: br#"{"type":"TypeError","value":"boom"}"#.to_vec(),
        release: None,
        environment: Some("production".into()),
        user: None,
        tags: Vec::new(),
        payload: Payload::compress(payload.as_bytes()).expect("compress"),
        attachments: Vec::new(),
        user_reports: Vec::new(),
    }
}

fn ingest_one<S: Store>(store: &S, e: NewEvent) -> IngestResult {
    store.ingest(&[e]).expect("ingest")[0]
}

fn query(project: ProjectId, filter: IssueFilter) -> IssueQuery {
    IssueQuery {
        project_id: Some(project),
        sort: crate::IssueSort::LastSeen,
        filter,
        cursor: None,
        limit: 100,
    }
}

fn listed<S: Store>(store: &S, project: ProjectId, filter: IssueFilter) -> Vec<IssueId> {
    store
        .issues(&query(project, filter))
        .expect("issues")
        .items
        .iter()
        .map(|i| i.id)
        .collect()
}
