//! The conformance suite every backend runs (feature `test-suite`): one public function
//! per behaviour of the [`Store`] contract, generic over a [`Harness`] that makes fresh
//! stores and reopens them. A backend's integration test expands [`conformance_tests!`]
//! to get one `#[test]` per behaviour. Functions panic (assert) on a violation.

#![allow(clippy::missing_panics_doc, clippy::too_many_lines)]

use std::collections::HashSet;

use uuid::Uuid;

use crate::{
    BootstrapSpec, Bootstrapped, EventQuota, IngestKind, IngestResult, IssueFilter, IssueId,
    IssueQuery, IssueStatus, Level, NewAttachment, NewEvent, NewProject, NewToken, NewUserReport,
    OutcomeCount, OutcomeDelta, Payload, ProjectId, ProjectSettings, QuotaWindow, Store,
    UserReportFields,
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
            events_round_trip_with_their_payload, attachments_round_trip,
            user_reports_join_their_issue, user_reports_are_added_in_one_batch,
            outcomes_are_counted, outcome_counters_saturate,
            tokens_verify_only_their_secret, missing_rows_are_not_found,
            committed_data_survives_reopening);
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
        project_id: project,
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

pub fn bootstrap_is_idempotent<H: Harness>(h: &H) {
    let store = h.fresh();
    let first = setup(&store);
    assert!(first.created);
    assert!(first.admin.is_admin);
    assert_eq!(first.key.project_id, first.project.id);
    let second = store.bootstrap(&spec()).unwrap();
    assert!(!second.created);
    assert_eq!(second.organization, first.organization);
    assert_eq!(second.admin, first.admin);
    assert_eq!(second.project, first.project);
    assert_eq!(second.key, first.key);
    assert_eq!(
        store.organizations().unwrap(),
        vec![first.organization.clone()]
    );
    assert_eq!(
        store.projects(first.organization.id).unwrap(),
        vec![first.project.clone()]
    );
    assert_eq!(
        store.project_keys(first.project.id).unwrap(),
        vec![first.key]
    );
}

pub fn project_keys_are_found_by_public_key<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    assert_eq!(
        store.project_key(&b.key.public_key).unwrap(),
        Some(b.key.clone())
    );
    assert!(b.key.is_active);
    assert_eq!(b.key.public_key.len(), 32);
    assert_eq!(store.project_key(&"0".repeat(32)).unwrap(), None);
    let (other, other_key) = store
        .create_project(&NewProject::named(b.organization.id, "Web App"))
        .unwrap();
    assert_ne!(other_key.public_key, b.key.public_key);
    let found = store.project_key(&other_key.public_key).unwrap().unwrap();
    assert_eq!(found.project_id, other.id);
}

pub fn project_scrubbing_is_on_by_default<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    assert!(b.project.scrub_data);
    let (web, _) = store
        .create_project(&NewProject::named(b.organization.id, "Web"))
        .unwrap();
    assert!(web.scrub_data);
    let scrubbing = |on| ProjectSettings {
        scrub_data: Some(on),
        ..ProjectSettings::default()
    };
    let off = store
        .update_project_settings(web.id, &scrubbing(false))
        .unwrap();
    assert!(!off.scrub_data);
    assert!(!store.project(web.id).unwrap().scrub_data);
    assert!(store.project(b.project.id).unwrap().scrub_data);
    assert!(
        store
            .update_project_settings(crate::ProjectId(9999), &scrubbing(true))
            .unwrap_err()
            .is_not_found()
    );
}

fn fields(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

pub fn project_settings_round_trip_and_patch_partially<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    // Defaults: scrubbing on, no extra fields, IPs kept, no quota.
    for project in [&b.project, &store.project(b.project.id).unwrap()] {
        assert!(project.scrub_data);
        assert!(project.sensitive_fields.is_empty());
        assert!(!project.scrub_ip_addresses);
        assert_eq!(project.event_quota, None);
    }
    let (web, _) = store
        .create_project(&NewProject::named(b.organization.id, "Web"))
        .unwrap();
    assert_eq!(
        (
            web.sensitive_fields.len(),
            web.scrub_ip_addresses,
            web.event_quota
        ),
        (0, false, None)
    );
    let p = b.project.id;
    let daily = EventQuota {
        limit: 1000,
        window: QuotaWindow::Day,
    };
    let all = store
        .update_project_settings(
            p,
            &ProjectSettings {
                scrub_data: Some(false),
                sensitive_fields: Some(fields(&["SSN", "card.number", "ssn", "api-key_2"])),
                scrub_ip_addresses: Some(true),
                event_quota: Some(Some(daily)),
            },
        )
        .unwrap();
    assert!(!all.scrub_data);
    assert_eq!(all.sensitive_fields, ["ssn", "card.number", "api-key_2"]);
    assert!(all.scrub_ip_addresses);
    assert_eq!(all.event_quota, Some(daily));
    assert_eq!(store.project(p).unwrap(), all);
    assert_eq!(
        (all.id, &all.slug, &all.name, all.created_ms),
        (p, &b.project.slug, &b.project.name, b.project.created_ms)
    );
    // An empty patch changes nothing; a partial one changes only what it names.
    assert_eq!(
        store
            .update_project_settings(p, &ProjectSettings::default())
            .unwrap(),
        all
    );
    let monthly = EventQuota {
        limit: crate::MAX_QUOTA_LIMIT,
        window: QuotaWindow::Month,
    };
    let quota_only = store
        .update_project_settings(
            p,
            &ProjectSettings {
                event_quota: Some(Some(monthly)),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    assert_eq!(
        quota_only,
        crate::Project {
            event_quota: Some(monthly),
            ..all.clone()
        }
    );
    let fields_only = store
        .update_project_settings(
            p,
            &ProjectSettings {
                sensitive_fields: Some(Vec::new()),
                scrub_ip_addresses: Some(false),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    assert_eq!(
        fields_only,
        crate::Project {
            sensitive_fields: Vec::new(),
            scrub_ip_addresses: false,
            ..quota_only.clone()
        }
    );
    let removed = store
        .update_project_settings(
            p,
            &ProjectSettings {
                event_quota: Some(None),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    assert_eq!(removed.event_quota, None);
    assert!(!removed.scrub_data);
    // Other projects are untouched; settings are what every read returns.
    assert_eq!(store.project(web.id).unwrap(), web);
    assert_eq!(
        store.project_by_slug(b.organization.id, "backend").unwrap(),
        removed
    );
    assert!(
        store
            .projects(b.organization.id)
            .unwrap()
            .contains(&removed)
    );
    let set = store
        .update_project_settings(
            web.id,
            &ProjectSettings {
                sensitive_fields: Some(fields(&["token"])),
                event_quota: Some(Some(daily)),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    let store = h.reopen(store);
    assert_eq!(store.project(web.id).unwrap(), set);
    assert_eq!(store.project(p).unwrap(), removed);
}

pub fn project_settings_are_validated<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let good = store
        .update_project_settings(
            p,
            &ProjectSettings {
                sensitive_fields: Some(fields(&["ssn"])),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    let quota = |limit| ProjectSettings {
        scrub_data: Some(false),
        event_quota: Some(Some(EventQuota {
            limit,
            window: QuotaWindow::Day,
        })),
        ..ProjectSettings::default()
    };
    let with_fields = |fields: Vec<String>| ProjectSettings {
        scrub_ip_addresses: Some(true),
        sensitive_fields: Some(fields),
        ..ProjectSettings::default()
    };
    let too_many: Vec<String> = (0..=crate::MAX_SENSITIVE_FIELDS)
        .map(|n| format!("field{n}"))
        .collect();
    let bad = [
        quota(0),
        quota(crate::MAX_QUOTA_LIMIT + 1),
        quota(u64::MAX),
        with_fields(too_many),
        with_fields(fields(&[""])),
        with_fields(fields(&["with space"])),
        with_fields(fields(&["ok", "semi;colon"])),
        with_fields(fields(&["naïve"])),
        with_fields(vec!["x".repeat(crate::MAX_SENSITIVE_FIELD_LEN + 1)]),
    ];
    for patch in &bad {
        let e = store.update_project_settings(p, patch).unwrap_err();
        assert!(e.is_invalid(), "{patch:?}: {e}");
        // Nothing of a refused patch is applied.
        assert_eq!(store.project(p).unwrap(), good);
    }
    // The limits themselves are accepted.
    let at_limits: Vec<String> = (0..crate::MAX_SENSITIVE_FIELDS)
        .map(|n| format!("{n}{}", "x".repeat(crate::MAX_SENSITIVE_FIELD_LEN - 2)))
        .collect();
    let updated = store
        .update_project_settings(p, &with_fields(at_limits.clone()))
        .unwrap();
    assert_eq!(updated.sensitive_fields, at_limits);
    assert_eq!(
        store
            .update_project_settings(p, &quota(1))
            .unwrap()
            .event_quota
            .map(|q| q.limit),
        Some(1)
    );
    // A missing project is not found, even with an empty patch.
    let missing = store
        .update_project_settings(ProjectId(9999), &ProjectSettings::default())
        .unwrap_err();
    assert!(missing.is_not_found());
}

pub fn projects_are_created_with_unique_slugs<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let org = b.organization.id;
    let (web, _) = store
        .create_project(&NewProject::named(org, "Web App"))
        .unwrap();
    assert_eq!(web.slug, "web-app");
    assert_eq!(store.project(web.id).unwrap(), web);
    assert_eq!(store.project_by_slug(org, "web-app").unwrap(), web);
    let again = store.create_project(&NewProject::named(org, "web app"));
    assert!(again.unwrap_err().is_conflict());
    let mut bad = NewProject::named(org, "x");
    bad.slug = "Bad Slug".into();
    assert!(store.create_project(&bad).unwrap_err().is_invalid());
    let orphan = NewProject::named(crate::OrganizationId(9999), "y");
    assert!(store.create_project(&orphan).unwrap_err().is_not_found());
    let slugs: Vec<_> = store
        .projects(org)
        .unwrap()
        .into_iter()
        .map(|p| p.slug)
        .collect();
    assert_eq!(slugs, ["backend", "web-app"]);
    assert_eq!(store.organization("acme").unwrap().id, org);
}

pub fn events_group_by_first_known_hash<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let (ha, hb, hc, hd) = (hash(1), hash(2), hash(3), hash(4));
    let first = ingest_one(&store, event(p, &[&ha], 0));
    assert_eq!(first.kind, IngestKind::NewIssue);
    // The second event's first hash is new, its second is known: it joins and adds B.
    let second = ingest_one(&store, event(p, &[&hb, &ha], 1));
    assert_eq!(
        (second.issue_id, second.kind),
        (first.issue_id, IngestKind::Existing)
    );
    let third = ingest_one(&store, event(p, &[&hb], 2));
    assert_eq!(third.issue_id, first.issue_id);
    let fourth = ingest_one(&store, event(p, &[&hc], 3));
    assert_eq!(fourth.kind, IngestKind::NewIssue);
    assert_ne!(fourth.issue_id, first.issue_id);
    // The FIRST known hash decides, even when a later one belongs to another issue.
    let fifth = ingest_one(&store, event(p, &[&hd, &hc, &ha], 4));
    assert_eq!(fifth.issue_id, fourth.issue_id);
    assert_eq!(
        ingest_one(&store, event(p, &[&hd], 5)).issue_id,
        fourth.issue_id
    );
    // Within one batch, an issue opened by an earlier event is found by a later one.
    let batch = store
        .ingest(&[event(p, &[&hash(9)], 6), event(p, &[&hash(9)], 7)])
        .unwrap();
    assert_eq!(batch[0].kind, IngestKind::NewIssue);
    assert_eq!(
        (batch[1].issue_id, batch[1].kind),
        (batch[0].issue_id, IngestKind::Existing)
    );
    // Hashes are per project.
    let (other, _) = store
        .create_project(&NewProject::named(setup(&store).organization.id, "other"))
        .unwrap();
    assert_eq!(
        ingest_one(&store, event(other.id, &[&ha], 8)).kind,
        IngestKind::NewIssue
    );
    assert_eq!(store.issue(first.issue_id).unwrap().times_seen, 3);
    let short_ids: HashSet<_> = [first.issue_id, fourth.issue_id, batch[0].issue_id]
        .map(|i| store.issue(i).unwrap().short_id)
        .into();
    assert_eq!(short_ids, HashSet::from([1, 2, 3]));
}

pub fn issue_counters_follow_events<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let a = hash(1);
    let mut e1 = event(p, &[&a], 1000);
    e1.release = Some("1.0".into());
    e1.level = Level::Warning;
    let mut e2 = event(p, &[&a], 500); // older than e1: does not change "latest" fields
    e2.release = Some("0.9".into());
    e2.title = "old title".into();
    let issue = store.ingest(&[e1, e2]).unwrap()[0].issue_id;
    let i = store.issue(issue).unwrap();
    assert_eq!(
        (i.times_seen, i.first_seen_ms, i.last_seen_ms),
        (2, T0 + 500, T0 + 1000)
    );
    assert_eq!(i.title, "TypeError: boom");
    assert_eq!(i.level, Level::Warning);
    assert_eq!(i.first_release.as_deref(), Some("0.9"));
    assert_eq!(i.last_release.as_deref(), Some("1.0"));
    assert_eq!(i.status, IssueStatus::Unresolved);
    let mut e3 = event(p, &[&a], 2000);
    e3.release = Some("2.0".into());
    e3.level = Level::Fatal;
    e3.title = "TypeError: new".into();
    e3.culprit = "app.new".into();
    e3.metadata = br#"{"v":2}"#.to_vec();
    let e4 = event(p, &[&a], 100); // older: first_seen moves, nothing else
    store.ingest(&[e3]).unwrap();
    store.ingest(&[e4]).unwrap();
    let i = store.issue(issue).unwrap();
    assert_eq!(
        (i.times_seen, i.first_seen_ms, i.last_seen_ms),
        (4, T0 + 100, T0 + 2000)
    );
    assert_eq!(
        (i.title.as_str(), i.culprit.as_str()),
        ("TypeError: new", "app.new")
    );
    assert_eq!(i.level, Level::Fatal);
    assert_eq!(i.metadata, br#"{"v":2}"#);
    assert_eq!(i.first_release.as_deref(), Some("0.9"));
    assert_eq!(i.last_release.as_deref(), Some("2.0"));
}

pub fn distinct_users_are_counted_once<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let a = hash(1);
    let with_user = |user: Option<&str>, t| {
        let mut e = event(p, &[&a], t);
        e.user = user.map(str::to_owned);
        e
    };
    let batch = [
        with_user(Some("id:1"), 0),
        with_user(Some("id:1"), 1),
        with_user(Some("id:2"), 2),
        with_user(None, 3),
    ];
    let issue = store.ingest(&batch).unwrap()[0].issue_id;
    assert_eq!(store.issue(issue).unwrap().user_count, 2);
    store
        .ingest(&[
            with_user(Some("id:2"), 4),
            with_user(Some("ip:10.0.0.1"), 5),
        ])
        .unwrap();
    let i = store.issue(issue).unwrap();
    assert_eq!((i.user_count, i.times_seen), (3, 6));
    let users: Vec<_> = store
        .issue_tags(issue)
        .unwrap()
        .into_iter()
        .filter(|t| t.key == crate::USER_TAG)
        .map(|t| (t.value, t.times_seen))
        .collect();
    assert_eq!(
        users,
        [
            ("id:1".to_owned(), 2),
            ("id:2".to_owned(), 2),
            ("ip:10.0.0.1".to_owned(), 1)
        ]
    );
    // Users are counted per issue.
    let mut other = event(p, &[&hash(2)], 6);
    other.user = Some("id:1".into());
    let other = ingest_one(&store, other).issue_id;
    assert_eq!(store.issue(other).unwrap().user_count, 1);
}

pub fn tag_values_are_counted_per_issue<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let tagged = |tags: &[(&str, &str)], t| {
        let mut e = event(p, &[&hash(1)], t);
        e.tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        e
    };
    let issue = store
        .ingest(&[
            tagged(&[("browser", "Chrome"), ("os", "Linux")], 10),
            tagged(&[("browser", "Chrome")], 30),
        ])
        .unwrap()[0]
        .issue_id;
    store
        .ingest(&[tagged(
            &[("browser", "Firefox"), ("browser.name", "Chrome")],
            20,
        )])
        .unwrap();
    store
        .ingest(&[tagged(&[("browser", "Chrome")], 5)])
        .unwrap();
    let tags: Vec<_> = store
        .issue_tags(issue)
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.key,
                t.value,
                t.times_seen,
                t.first_seen_ms - T0,
                t.last_seen_ms - T0,
            )
        })
        .collect();
    let expected = [
        ("browser", "Chrome", 3, 5, 30),
        ("browser", "Firefox", 1, 20, 20),
        ("browser.name", "Chrome", 1, 20, 20),
        ("os", "Linux", 1, 10, 10),
    ]
    .map(|(k, v, n, f, l)| (k.to_owned(), v.to_owned(), n, f, l));
    assert_eq!(tags, expected);
}

pub fn resolved_issue_regresses_on_new_event<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let issue = ingest_one(&store, event(p, &[&hash(1)], 0)).issue_id;
    let resolved = store
        .set_issue_status(issue, IssueStatus::Resolved)
        .unwrap();
    assert_eq!(resolved.status, IssueStatus::Resolved);
    assert!(resolved.resolved_at_ms.is_some());
    let batch = store
        .ingest(&[event(p, &[&hash(1)], 1), event(p, &[&hash(1)], 2)])
        .unwrap();
    assert_eq!(
        (batch[0].issue_id, batch[0].kind),
        (issue, IngestKind::Regression)
    );
    assert_eq!(batch[1].kind, IngestKind::Existing);
    let i = store.issue(issue).unwrap();
    assert_eq!(
        (i.status, i.resolved_at_ms, i.times_seen),
        (IssueStatus::Unresolved, None, 3)
    );
    // An ignored issue stays ignored.
    store.set_issue_status(issue, IssueStatus::Ignored).unwrap();
    assert_eq!(
        ingest_one(&store, event(p, &[&hash(1)], 3)).kind,
        IngestKind::Existing
    );
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Ignored);
}

pub fn duplicate_event_ids_are_ignored<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let original = event(p, &[&hash(1)], 0);
    let stored = ingest_one(&store, original.clone());
    let mut again = original.clone();
    again.hashes = vec![hash(2)];
    let dup = ingest_one(&store, again.clone());
    assert_eq!(
        (dup.issue_id, dup.kind),
        (stored.issue_id, IngestKind::Duplicate)
    );
    assert_eq!(store.issue(stored.issue_id).unwrap().times_seen, 1);
    assert_eq!(
        listed(&store, p, IssueFilter::default()).len(),
        1,
        "no issue for hash 2"
    );
    // Twice in one batch: the second is the duplicate.
    let twin = event(p, &[&hash(3)], 1);
    let results = store.ingest(&[twin.clone(), twin]).unwrap();
    assert_eq!(results[0].kind, IngestKind::NewIssue);
    assert_eq!(
        (results[1].kind, results[1].issue_id),
        (IngestKind::Duplicate, results[0].issue_id)
    );
    assert_eq!(store.issue(results[0].issue_id).unwrap().times_seen, 1);
    // The same id in another project is another event.
    let (other, _) = store
        .create_project(&NewProject::named(b.organization.id, "o"))
        .unwrap();
    let mut elsewhere = original;
    elsewhere.project_id = other.id;
    assert_eq!(ingest_one(&store, elsewhere).kind, IngestKind::NewIssue);
}

pub fn a_bad_batch_writes_nothing<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let mut bad = event(p, &[&hash(2)], 1);
    bad.hashes = vec!["NOT-A-HASH".into()];
    let err = store.ingest(&[event(p, &[&hash(1)], 0), bad]).unwrap_err();
    assert!(err.is_invalid());
    let unknown_project = event(ProjectId(9999), &[&hash(3)], 2);
    assert!(
        store
            .ingest(&[event(p, &[&hash(1)], 0), unknown_project])
            .is_err()
    );
    assert!(listed(&store, p, IssueFilter::default()).is_empty());
    assert!(store.ingest(&[]).unwrap().is_empty());
}

pub fn issues_are_filtered_by_status_text_and_tags<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let make = |n: u32, title: &str, culprit: &str, tags: &[(&str, &str)]| {
        let mut e = event(p, &[&hash(n)], i64::from(n));
        e.title = title.into();
        e.culprit = culprit.into();
        e.tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ingest_one(&store, e).issue_id
    };
    let type_error = make(
        1,
        "TypeError: x is undefined",
        "app.js",
        &[("browser", "Chrome")],
    );
    let key_error = make(
        2,
        "KeyError: 'user'",
        "views.py in login",
        &[("browser", "Firefox")],
    );
    let percent = make(
        3,
        "100% CPU",
        "worker",
        &[("browser", "Chrome"), ("os", "Linux")],
    );
    store
        .set_issue_status(key_error, IssueStatus::Resolved)
        .unwrap();
    store
        .set_issue_status(percent, IssueStatus::Ignored)
        .unwrap();
    let by = |q: &str| listed(&store, p, IssueFilter::parse(q).unwrap());
    assert_eq!(by(""), [percent, key_error, type_error]);
    assert_eq!(by("is:unresolved"), [type_error]);
    assert_eq!(by("is:resolved"), [key_error]);
    assert_eq!(by("is:ignored"), [percent]);
    assert_eq!(by("typeerror"), [type_error], "case-insensitive");
    assert_eq!(by("login"), [key_error], "culprit");
    assert_eq!(by("100%"), [percent]);
    assert_eq!(by("%"), [percent], "LIKE wildcards are literal");
    assert_eq!(by("_"), Vec::<IssueId>::new());
    assert_eq!(by("browser:Chrome"), [percent, type_error]);
    assert_eq!(by("browser:Chrome os:Linux"), [percent]);
    assert_eq!(by("browser:Chrome is:unresolved"), [type_error]);
    assert_eq!(by("browser:Safari"), Vec::<IssueId>::new());
    assert_eq!(by("browser:Chrome CPU"), [percent]);
}

pub fn pagination_has_no_duplicates_or_gaps_while_events_arrive<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let mut initial = HashSet::new();
    for n in 0..25 {
        // Pairs of issues share a last_seen, so ties are broken by id.
        initial.insert(ingest_one(&store, event(p, &[&hash(n)], i64::from(n / 2))).issue_id);
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = store
            .issues(&IssueQuery {
                project_id: p,
                filter: IssueFilter::default(),
                cursor,
                limit: 10,
            })
            .unwrap();
        pages += 1;
        let ids: Vec<IssueId> = page.items.iter().map(|i| i.id).collect();
        // While the client pages: new issues, and new events on issues already listed.
        store
            .ingest(&[event(p, &[&hash(1000 + pages)], 100 + i64::from(pages))])
            .unwrap();
        if let Some(&listed_already) = ids.first() {
            let owner = store.issue(listed_already).unwrap();
            let mut again = event(p, &[&hash(0)], 200 + i64::from(pages));
            again.hashes = vec![hash_of(&store, owner.id, &initial)];
            store.ingest(&[again]).unwrap();
        }
        seen.extend(ids);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().copied().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "an issue was listed twice: {seen:?}"
    );
    assert_eq!(
        unique, initial,
        "an issue was skipped or an unknown one listed"
    );
    assert_eq!(pages, 3);
    let bad = IssueQuery {
        project_id: p,
        filter: IssueFilter::default(),
        cursor: Some("garbage".into()),
        limit: 10,
    };
    assert!(store.issues(&bad).unwrap_err().is_invalid());
}

/// The hash that opened `issue` (issues were opened by `hash(n)`, in id order).
fn hash_of<S: Store>(store: &S, issue: IssueId, initial: &HashSet<IssueId>) -> String {
    let mut ids: Vec<_> = initial.iter().copied().collect();
    ids.sort();
    let n = ids
        .iter()
        .position(|&i| i == issue)
        .expect("an initial issue");
    assert!(store.issue(issue).is_ok());
    hash(u32::try_from(n).unwrap())
}

pub fn deleting_an_issue_removes_its_events_and_frees_its_hashes<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let mut e = event(p, &[&hash(1), &hash(2)], 0);
    e.tags = vec![("k".into(), "v".into())];
    e.user = Some("id:1".into());
    e.attachments = vec![NewAttachment {
        name: "a.txt".into(),
        content_type: None,
        data: b"hi".to_vec(),
    }];
    let event_id = e.event_id;
    let issue = ingest_one(&store, e).issue_id;
    let keep = ingest_one(&store, event(p, &[&hash(3)], 1));
    let attachment = store.attachments(p, event_id).unwrap()[0].id;
    store.delete_issue(issue).unwrap();
    assert!(store.issue(issue).unwrap_err().is_not_found());
    assert!(store.event(p, event_id).unwrap_err().is_not_found());
    assert!(store.attachments(p, event_id).unwrap().is_empty());
    assert!(
        store
            .attachment_data(p, attachment)
            .unwrap_err()
            .is_not_found()
    );
    assert!(store.issue_tags(issue).unwrap_err().is_not_found());
    assert!(store.delete_issue(issue).unwrap_err().is_not_found());
    assert_eq!(listed(&store, p, IssueFilter::default()), [keep.issue_id]);
    let reborn = ingest_one(&store, event(p, &[&hash(2)], 2));
    assert_eq!(reborn.kind, IngestKind::NewIssue);
    let i = store.issue(reborn.issue_id).unwrap();
    assert_eq!((i.times_seen, i.user_count), (1, 0));
    assert!(store.issue_tags(reborn.issue_id).unwrap().is_empty());
}

pub fn events_round_trip_with_their_payload<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let raw = br#"{"exception":{"values":[{"type":"E","value":"\u00e9\u4e2d"}]},"n":1.5}"#.to_vec();
    let mut e = event(p, &[&hash(1)], 7);
    e.payload = Payload::compress(&raw).unwrap();
    e.release = Some("r1".into());
    e.user = Some("id:9".into());
    e.received_ms = T0 + 9;
    let event_id = e.event_id;
    let issue = ingest_one(&store, e).issue_id;
    let got = store.event(p, event_id).unwrap();
    assert_eq!(got.payload, raw);
    assert_eq!(got.row.event_id, event_id);
    assert_eq!((got.row.project_id, got.row.issue_id), (p, issue));
    assert_eq!(
        (got.row.timestamp_ms, got.row.received_ms),
        (T0 + 7, T0 + 9)
    );
    assert_eq!(got.row.payload_len, raw.len() as u64);
    assert_eq!(got.row.release.as_deref(), Some("r1"));
    assert_eq!(got.row.user.as_deref(), Some("id:9"));
    assert_eq!(got.row.environment.as_deref(), Some("production"));
    assert_eq!(
        (got.row.level, got.row.event_type.as_str()),
        (Level::Error, "error")
    );
    let later: Vec<_> = (0..4).map(|t| event(p, &[&hash(1)], 10 + t)).collect();
    let later_ids: Vec<_> = later.iter().map(|e| e.event_id).collect();
    store.ingest(&later).unwrap();
    assert_eq!(
        store.latest_event(issue).unwrap().row.event_id,
        later_ids[3]
    );
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.issue_events(issue, cursor.as_deref(), 2).unwrap();
        assert!(page.items.len() <= 2);
        all.extend(page.items.iter().map(|e| e.event_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let expected: Vec<_> = later_ids.iter().rev().copied().chain([event_id]).collect();
    assert_eq!(all, expected, "newest received first, no gaps");
    assert!(
        store
            .event(ProjectId(p.0 + 1), event_id)
            .unwrap_err()
            .is_not_found()
    );
}

pub fn attachments_round_trip<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let mut e = event(p, &[&hash(1)], 0);
    e.attachments = vec![
        NewAttachment {
            name: "dump.dmp".into(),
            content_type: Some("application/octet-stream".into()),
            data: binary.clone(),
        },
        NewAttachment {
            name: "log.txt".into(),
            content_type: None,
            data: Vec::new(),
        },
    ];
    let event_id = e.event_id;
    let issue = ingest_one(&store, e).issue_id;
    let list = store.attachments(p, event_id).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].name.as_str(), list[0].size, list[0].issue_id),
        ("dump.dmp", 100_000, issue)
    );
    assert_eq!(
        list[0].content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(
        (
            list[1].name.as_str(),
            list[1].size,
            list[1].content_type.as_deref()
        ),
        ("log.txt", 0, None)
    );
    let (meta, data) = store.attachment_data(p, list[0].id).unwrap();
    assert_eq!(meta, list[0]);
    assert_eq!(data, binary);
    assert!(store.attachment_data(p, list[1].id).unwrap().1.is_empty());
    assert!(
        store
            .attachment_data(ProjectId(p.0 + 1), list[0].id)
            .unwrap_err()
            .is_not_found()
    );
    assert!(store.attachments(p, Uuid::new_v4()).unwrap().is_empty());
}

pub fn user_reports_join_their_issue<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let fields = |name: &str| UserReportFields {
        name: name.into(),
        email: format!("{name}@example.com"),
        comments: "it broke".into(),
    };
    let mut with_report = event(p, &[&hash(1)], 0);
    with_report.user_reports = vec![fields("ann")];
    let issue = ingest_one(&store, with_report.clone()).issue_id;
    let after = store
        .add_user_reports(&[NewUserReport {
            project_id: p,
            event_id: with_report.event_id,
            received_ms: T0,
            fields: fields("bob"),
        }])
        .unwrap();
    assert_eq!(after[0].issue_id, Some(issue));
    // A report that arrives before its event joins the issue when the event arrives.
    let early_event = event(p, &[&hash(1)], 1);
    let early = store
        .add_user_reports(&[NewUserReport {
            project_id: p,
            event_id: early_event.event_id,
            received_ms: T0,
            fields: fields("cy"),
        }])
        .unwrap();
    assert_eq!(early[0].issue_id, None);
    ingest_one(&store, early_event);
    let names: Vec<_> = store
        .issue_user_reports(issue)
        .unwrap()
        .into_iter()
        .map(|r| r.fields.name)
        .collect();
    assert_eq!(names, ["cy", "bob", "ann"]);
    let reports = store.issue_user_reports(issue).unwrap();
    assert_eq!(reports[2].fields, fields("ann"));
    assert_eq!(reports[2].event_id, with_report.event_id);
}

pub fn user_reports_are_added_in_one_batch<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    assert!(store.add_user_reports(&[]).unwrap().is_empty());
    let (other, _) = store
        .create_project(&NewProject::named(b.organization.id, "o"))
        .unwrap();
    let stored = event(p, &[&hash(1)], 0);
    let issue = ingest_one(&store, stored.clone()).issue_id;
    let later = event(p, &[&hash(2)], 1);
    let report = |project, event_id, name: &str, offset_ms| NewUserReport {
        project_id: project,
        event_id,
        received_ms: T0 + offset_ms,
        fields: UserReportFields {
            name: name.into(),
            email: format!("{name}@example.com"),
            comments: format!("{name} says it broke"),
        },
    };
    let batch = [
        report(p, stored.event_id, "ann", 10),
        report(p, later.event_id, "bob", 11),
        report(p, stored.event_id, "cy", 12),
        // The same event id in another project is another event.
        report(other.id, stored.event_id, "dee", 13),
    ];
    let added = store.add_user_reports(&batch).unwrap();
    assert_eq!(added.len(), batch.len());
    for (new, got) in batch.iter().zip(&added) {
        assert_eq!(
            (got.project_id, got.event_id, &got.fields, got.created_ms),
            (new.project_id, new.event_id, &new.fields, new.received_ms)
        );
    }
    let issues: Vec<_> = added.iter().map(|r| r.issue_id).collect();
    assert_eq!(issues, [Some(issue), None, Some(issue), None]);
    let ids: HashSet<_> = added.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), added.len());
    assert_eq!(
        store.issue_user_reports(issue).unwrap(),
        [added[2].clone(), added[0].clone()]
    );
    // The unlinked report joins its issue when its event arrives.
    let later_issue = ingest_one(&store, later).issue_id;
    let joined = store.issue_user_reports(later_issue).unwrap();
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].fields.name, "bob");
    assert_eq!(joined[0].issue_id, Some(later_issue));
}

pub fn outcomes_are_counted<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let (other, _) = store
        .create_project(&NewProject::named(b.organization.id, "o"))
        .unwrap();
    let delta = |project, offset_ms: i64, category: &str, reason: &str, quantity| OutcomeDelta {
        project_id: project,
        timestamp_ms: T0 + offset_ms,
        category: category.into(),
        reason: reason.into(),
        quantity,
    };
    let hour = crate::BUCKET_MS;
    store
        .add_outcomes(&[
            delta(p, 0, "error", "rate_limited", 2),
            delta(p, 1, "error", "rate_limited", 3),
        ])
        .unwrap();
    store
        .add_outcomes(&[
            delta(p, 2 * hour, "error", "rate_limited", 5),
            delta(p, 2 * hour, "attachment", "too_large", 1),
            delta(p, -3 * hour, "error", "too_large", 7),
            delta(other.id, 0, "error", "rate_limited", 100),
        ])
        .unwrap();
    store.add_outcomes(&[]).unwrap();
    let count = |category: &str, reason: &str, quantity| OutcomeCount {
        category: category.into(),
        reason: reason.into(),
        quantity,
    };
    assert_eq!(
        store.outcomes(p, T0).unwrap(),
        [
            count("attachment", "too_large", 1),
            count("error", "rate_limited", 10)
        ]
    );
    assert_eq!(store.outcomes(p, T0 - 3 * hour).unwrap().len(), 3);
    assert_eq!(
        store.outcomes(other.id, 0).unwrap(),
        [count("error", "rate_limited", 100)]
    );
    assert!(store.outcomes(p, T0 + 10 * hour).unwrap().is_empty());
}

pub fn outcome_counters_saturate<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let delta = |offset_ms: i64, category: &str, quantity| OutcomeDelta {
        project_id: p,
        timestamp_ms: T0 + offset_ms,
        category: category.into(),
        reason: "rate_limited".into(),
        quantity,
    };
    let max = i64::MAX.unsigned_abs();
    let near = max - 10;
    let hour = crate::BUCKET_MS;
    // Two deltas near the limit in one counter, in one call and across calls.
    store
        .add_outcomes(&[delta(0, "error", near), delta(1, "error", near)])
        .unwrap();
    store.add_outcomes(&[delta(2, "error", 5)]).unwrap();
    // A quantity above i64::MAX counts as i64::MAX.
    store
        .add_outcomes(&[delta(0, "attachment", u64::MAX)])
        .unwrap();
    store
        .add_outcomes(&[delta(0, "session", max / 2 + 1)])
        .unwrap();
    // Counters in different hours sum past the limit on read.
    store
        .add_outcomes(&[
            delta(0, "transaction", near),
            delta(hour, "transaction", near),
        ])
        .unwrap();
    // Small counters beside them stay exact.
    store
        .add_outcomes(&[delta(0, "span", 3), delta(hour, "span", 4)])
        .unwrap();
    let count = |category: &str, quantity| OutcomeCount {
        category: category.into(),
        reason: "rate_limited".into(),
        quantity,
    };
    let expected = [
        count("attachment", max),
        count("error", max),
        count("session", max / 2 + 1),
        count("span", 7),
        count("transaction", max),
    ];
    assert_eq!(store.outcomes(p, T0).unwrap(), expected);
    // Still saturated (not wrapped) after more is added, and after reopening.
    store
        .add_outcomes(&[delta(0, "session", max), delta(0, "error", 1)])
        .unwrap();
    let store = h.reopen(store);
    let totals = store.outcomes(p, T0).unwrap();
    assert_eq!(totals[1], count("error", max));
    assert_eq!(totals[2], count("session", max));
    assert_eq!(
        store.outcomes(p, T0 + hour).unwrap(),
        [count("span", 4), count("transaction", near)]
    );
}

pub fn tokens_verify_only_their_secret<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let created = store
        .create_token(&NewToken {
            user_id: Some(b.admin.id),
            label: "cli".into(),
        })
        .unwrap();
    assert_eq!(created.secret.len(), 64);
    assert_eq!(
        store.verify_token(&created.secret).unwrap(),
        Some(created.token.clone())
    );
    assert_eq!(created.token.user_id, Some(b.admin.id));
    let other = store
        .create_token(&NewToken {
            user_id: None,
            label: "ci".into(),
        })
        .unwrap();
    assert_ne!(other.secret, created.secret);
    assert_eq!(
        store.verify_token(&other.secret).unwrap().unwrap().id,
        other.token.id
    );
    assert_eq!(store.verify_token("").unwrap(), None);
    assert_eq!(store.verify_token(&created.secret[..63]).unwrap(), None);
    assert_eq!(
        store
            .verify_token(&crate::hash_secret(&created.secret))
            .unwrap(),
        None
    );
}

pub fn missing_rows_are_not_found<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let nobody = IssueId(424_242);
    assert!(store.issue(nobody).unwrap_err().is_not_found());
    assert!(
        store
            .set_issue_status(nobody, IssueStatus::Resolved)
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        store
            .issue_events(nobody, None, 10)
            .unwrap_err()
            .is_not_found()
    );
    assert!(store.latest_event(nobody).unwrap_err().is_not_found());
    assert!(store.issue_user_reports(nobody).unwrap_err().is_not_found());
    assert!(store.event(p, Uuid::new_v4()).unwrap_err().is_not_found());
    assert!(store.project(ProjectId(999)).unwrap_err().is_not_found());
    assert!(
        store
            .project_keys(ProjectId(999))
            .unwrap_err()
            .is_not_found()
    );
    assert!(store.organization("nope").unwrap_err().is_not_found());
    assert!(
        store
            .project_by_slug(crate::OrganizationId(1), "nope")
            .unwrap_err()
            .is_not_found()
    );
}

pub fn committed_data_survives_reopening<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let events: Vec<_> = (0..50)
        .map(|n| event(p, &[&hash(n % 5)], i64::from(n)))
        .collect();
    let results = store.ingest(&events).unwrap();
    store
        .set_issue_status(results[0].issue_id, IssueStatus::Resolved)
        .unwrap();
    let token = store
        .create_token(&NewToken {
            user_id: None,
            label: "t".into(),
        })
        .unwrap();
    let before = store.issues(&query(p, IssueFilter::default())).unwrap();
    let store = h.reopen(store);
    assert!(!store.bootstrap(&spec()).unwrap().created);
    assert_eq!(
        store.issues(&query(p, IssueFilter::default())).unwrap(),
        before
    );
    for e in &events {
        assert_eq!(
            store.event(p, e.event_id).unwrap().payload,
            e.payload.decompress().unwrap()
        );
    }
    assert!(store.verify_token(&token.secret).unwrap().is_some());
    assert_eq!(
        store.issue(results[0].issue_id).unwrap().status,
        IssueStatus::Resolved
    );
    // New events after reopening still find their issues.
    assert_eq!(
        ingest_one(&store, event(p, &[&hash(1)], 100)).issue_id,
        results[1].issue_id
    );
}
