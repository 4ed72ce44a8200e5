//! Conformance: the issue workflow (resolve in a release, ignore with conditions, the
//! activity log), hourly counts, listing orders across projects, event navigation, and
//! project and key administration.

use super::{Harness, T0, event, hash, ingest_one, setup};
use crate::{
    ActivityKind, Actor, IgnoreUntil, IngestKind, IssueFilter, IssueId, IssueQuery, IssueSort,
    IssueStatus, KeyChange, NewProject, ProjectId, Resolution, StatusChange, Store, UserId,
    hour_start,
};

fn with_release(mut e: crate::NewEvent, release: &str) -> crate::NewEvent {
    e.release = Some(release.to_owned());
    e
}

fn with_user(mut e: crate::NewEvent, user: &str) -> crate::NewEvent {
    e.user = Some(user.to_owned());
    e
}

pub fn resolving_in_a_release_regresses_only_for_newer_releases<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let issue = ingest_one(&store, with_release(event(p, &[&hash(1)], 0), "1.0")).issue_id;
    let ada = Actor::user(UserId(1), "Ada");
    let resolved = store
        .change_issue_status(
            issue,
            &StatusChange::Resolve(Resolution::InNextRelease),
            &ada,
        )
        .unwrap();
    assert_eq!(resolved.status, IssueStatus::Resolved);
    assert_eq!(resolved.details.resolution, Some(Resolution::InNextRelease));
    // The current release and events without a release do not reopen it.
    for e in [
        with_release(event(p, &[&hash(1)], 1), "1.0"),
        event(p, &[&hash(1)], 2),
    ] {
        assert_eq!(ingest_one(&store, e).kind, IngestKind::Existing);
    }
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Resolved);
    // A new release does.
    let r = ingest_one(&store, with_release(event(p, &[&hash(1)], 3), "1.1"));
    assert_eq!(r.kind, IngestKind::Regression);
    let regressed = store.issue(issue).unwrap();
    assert_eq!(regressed.status, IssueStatus::Unresolved);
    assert!(regressed.details.regressed_at_ms.is_some());
    assert!(regressed.is_regressed(regressed.details.regressed_at_ms.unwrap()));

    // Resolved in 1.1: 1.0 (older) stays resolved; 1.1 itself regresses.
    store
        .change_issue_status(
            issue,
            &StatusChange::Resolve(Resolution::InRelease("1.1".into())),
            &ada,
        )
        .unwrap();
    assert_eq!(
        ingest_one(&store, with_release(event(p, &[&hash(1)], 4), "1.0")).kind,
        IngestKind::Existing
    );
    assert_eq!(
        ingest_one(&store, with_release(event(p, &[&hash(1)], 5), "1.1")).kind,
        IngestKind::Regression
    );
    // Resolving clears the regression mark.
    let again = store
        .change_issue_status(issue, &StatusChange::Resolve(Resolution::Now), &ada)
        .unwrap();
    assert_eq!(again.details.regressed_at_ms, None);
    assert!(
        store
            .change_issue_status(
                issue,
                &StatusChange::Resolve(Resolution::InRelease(String::new())),
                &ada
            )
            .unwrap_err()
            .is_invalid()
    );
}

pub fn ignored_issues_come_back_when_their_condition_is_met<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let issue = ingest_one(&store, event(p, &[&hash(1)], 0)).issue_id;
    let by = Actor::user(UserId(1), "Ada");
    let until = |events, users, minutes| {
        StatusChange::Ignore(IgnoreUntil {
            minutes,
            events,
            users,
        })
    };
    // Until 2 more events: one keeps it ignored, the second brings it back.
    let ignored = store
        .change_issue_status(issue, &until(Some(2), None, None), &by)
        .unwrap();
    assert_eq!(ignored.status, IssueStatus::Ignored);
    assert_eq!(
        ignored.details.describe(IssueStatus::Ignored).unwrap(),
        "Ignored until 2 more events"
    );
    ingest_one(&store, event(p, &[&hash(1)], 1));
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Ignored);
    ingest_one(&store, event(p, &[&hash(1)], 2));
    let back = store.issue(issue).unwrap();
    assert_eq!(back.status, IssueStatus::Unresolved);
    assert_eq!(back.details.ignore, None);
    let log = store.issue_activity(issue).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.kind, ActivityKind::Unignored);
    assert_eq!(last.detail, "came back after 2 more events");
    assert_eq!(last.actor, Actor::system());

    // Until 2 more users: the same user twice is one user.
    store
        .change_issue_status(issue, &until(None, Some(2), None), &by)
        .unwrap();
    store
        .ingest(&[
            with_user(event(p, &[&hash(1)], 3), "id:1"),
            with_user(event(p, &[&hash(1)], 4), "id:1"),
        ])
        .unwrap();
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Ignored);
    ingest_one(&store, with_user(event(p, &[&hash(1)], 5), "id:2"));
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Unresolved);

    // For 30 minutes: expiry brings it back without an event; not before.
    let ignored = store
        .change_issue_status(issue, &until(None, None, Some(30)), &by)
        .unwrap();
    let until_ms = ignored.details.ignore.unwrap().until_ms.unwrap();
    assert!(store.expire_ignored(until_ms - 1).unwrap().is_empty());
    assert_eq!(store.expire_ignored(until_ms).unwrap(), vec![issue]);
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Unresolved);
    assert!(store.expire_ignored(until_ms).unwrap().is_empty());

    // Forever: events never bring it back.
    store
        .change_issue_status(issue, &until(None, None, None), &by)
        .unwrap();
    for i in 0..3 {
        ingest_one(&store, event(p, &[&hash(1)], 10 + i));
    }
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Ignored);
}

pub fn activity_logs_every_change_with_its_actor<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let issue = ingest_one(&store, event(p, &[&hash(1)], 0)).issue_id;
    let ada = Actor::user(UserId(7), "Ada");
    let slack = Actor {
        user_id: None,
        name: "Slack: grace".into(),
    };
    store
        .change_issue_status(issue, &StatusChange::Resolve(Resolution::Now), &ada)
        .unwrap();
    ingest_one(&store, event(p, &[&hash(1)], 1));
    store
        .change_issue_status(issue, &StatusChange::Ignore(IgnoreUntil::default()), &slack)
        .unwrap();
    store
        .change_issue_status(issue, &StatusChange::Unresolve, &ada)
        .unwrap();
    let log = store.issue_activity(issue).unwrap();
    let kinds: Vec<_> = log.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ActivityKind::FirstSeen,
            ActivityKind::Resolved,
            ActivityKind::Regression,
            ActivityKind::Ignored,
            ActivityKind::Unresolved,
        ]
    );
    assert_eq!(log[1].actor, ada);
    assert_eq!(log[3].actor, slack);
    assert_eq!(log[3].detail, "forever");
    assert!(log.windows(2).all(|w| w[0].created_ms <= w[1].created_ms));
    assert!(
        store
            .issue_activity(IssueId(999_999))
            .unwrap_err()
            .is_not_found()
    );
}

pub fn hourly_counts_follow_events<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let hour = 3_600_000;
    let a = store
        .ingest(&[
            event(p, &[&hash(1)], 0),
            event(p, &[&hash(1)], 1),
            event(p, &[&hash(1)], 2 * hour),
            event(p, &[&hash(2)], 0),
        ])
        .unwrap();
    ingest_one(&store, event(p, &[&hash(1)], 2 * hour + 5));
    let (one, two) = (a[0].issue_id, a[3].issue_id);
    let counts = store.issue_hourly_counts(&[two, one], T0 - hour).unwrap();
    let got: Vec<_> = counts
        .iter()
        .map(|c| (c.issue_id, c.hour_ms, c.count))
        .collect();
    assert_eq!(
        got,
        vec![
            (one, hour_start(T0), 2),
            (one, hour_start(T0 + 2 * hour), 2),
            (two, hour_start(T0), 1),
        ]
    );
    // `since` cuts older hours.
    let recent = store.issue_hourly_counts(&[one], T0 + hour).unwrap();
    assert_eq!(recent.len(), 1);
    store.delete_issue(one).unwrap();
    assert!(store.issue_hourly_counts(&[one], 0).unwrap().is_empty());
}

fn page_ids<S: Store>(store: &S, query: &IssueQuery) -> Vec<IssueId> {
    let mut ids = Vec::new();
    let mut query = query.clone();
    query.limit = 2;
    loop {
        let page = store.issues(&query).unwrap();
        ids.extend(page.items.iter().map(|i| i.id));
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => return ids,
        }
    }
}

pub fn issues_sort_by_each_order_across_projects<H: Harness>(h: &H) {
    let store = h.fresh();
    let boot = setup(&store);
    let p = boot.project.id;
    let (q, _) = store
        .create_project(&NewProject {
            organization_id: boot.organization.id,
            slug: "frontend".into(),
            name: "Frontend".into(),
            platform: None,
        })
        .unwrap();
    // first: old, 3 events, 1 user; second (other project): newer, 1 event, 2 users...
    let first = store
        .ingest(&[
            with_user(event(p, &[&hash(1)], 0), "id:1"),
            event(p, &[&hash(1)], 10),
            event(p, &[&hash(1)], 20),
        ])
        .unwrap()[0]
        .issue_id;
    let second = store
        .ingest(&[
            with_user(event(q.id, &[&hash(2)], 5), "id:1"),
            with_user(event(q.id, &[&hash(2)], 6), "id:2"),
        ])
        .unwrap()[0]
        .issue_id;
    let third = ingest_one(&store, event(p, &[&hash(3)], 30)).issue_id;
    let order = |sort, project: Option<ProjectId>| {
        page_ids(
            &store,
            &IssueQuery {
                project_id: project,
                sort,
                filter: IssueFilter::default(),
                cursor: None,
                limit: 100,
            },
        )
    };
    assert_eq!(order(IssueSort::LastSeen, None), vec![third, first, second]);
    assert_eq!(
        order(IssueSort::FirstSeen, None),
        vec![third, second, first]
    );
    assert_eq!(order(IssueSort::Events, None), vec![first, second, third]);
    assert_eq!(order(IssueSort::Users, None), vec![second, first, third]);
    assert_eq!(order(IssueSort::Events, Some(p)), vec![first, third]);
    assert_eq!(order(IssueSort::LastSeen, Some(q.id)), vec![second]);
}

pub fn event_navigation_walks_an_issue<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let events: Vec<_> = (0..3).map(|i| event(p, &[&hash(1)], i)).collect();
    let ids: Vec<_> = events.iter().map(|e| e.event_id).collect();
    let issue = store.ingest(&events).unwrap()[0].issue_id;
    let middle = store.event_navigation(issue, ids[1]).unwrap();
    assert_eq!(
        (middle.oldest, middle.previous, middle.next, middle.latest),
        (Some(ids[0]), Some(ids[0]), Some(ids[2]), Some(ids[2]))
    );
    let first = store.event_navigation(issue, ids[0]).unwrap();
    assert_eq!((first.oldest, first.previous), (None, None));
    assert_eq!(first.next, Some(ids[1]));
    let last = store.event_navigation(issue, ids[2]).unwrap();
    assert_eq!((last.next, last.latest), (None, None));
    // An event of another issue is not found through this one.
    let other = ingest_one(&store, event(p, &[&hash(2)], 9));
    assert!(
        store
            .event_navigation(issue, other.event_id)
            .unwrap_err()
            .is_not_found()
    );
}

pub fn projects_and_keys_are_administered<H: Harness>(h: &H) {
    let store = h.fresh();
    let boot = setup(&store);
    let p = boot.project.id;
    let key = store.create_key(p, " Mobile app ").unwrap();
    assert_eq!((key.label.as_str(), key.is_active), ("Mobile app", true));
    assert_eq!(store.project_keys(p).unwrap().len(), 2);
    let disabled = store.change_key(key.id, KeyChange::Disable).unwrap();
    assert!(!disabled.is_active);
    assert!(
        !store
            .project_key(&key.public_key)
            .unwrap()
            .unwrap()
            .is_active
    );
    assert!(
        store
            .change_key(key.id, KeyChange::Enable)
            .unwrap()
            .is_active
    );
    let rotated = store.change_key(key.id, KeyChange::Rotate).unwrap();
    assert_ne!(rotated.public_key, key.public_key);
    assert_ne!(rotated.secret_key, key.secret_key);
    assert!(store.project_key(&key.public_key).unwrap().is_none());
    assert_eq!(
        store.project_key(&rotated.public_key).unwrap().unwrap().id,
        key.id
    );
    assert!(
        store
            .change_key(crate::KeyId(999_999), KeyChange::Rotate)
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        store
            .create_key(ProjectId(999_999), "x")
            .unwrap_err()
            .is_not_found()
    );

    // Deleting a project removes its issues and keys; its slug becomes free.
    let issue = ingest_one(&store, event(p, &[&hash(1)], 0)).issue_id;
    store.delete_project(p).unwrap();
    assert!(store.project(p).unwrap_err().is_not_found());
    assert!(store.issue(issue).unwrap_err().is_not_found());
    assert!(store.project_key(&rotated.public_key).unwrap().is_none());
    assert!(store.delete_project(p).unwrap_err().is_not_found());
    let (again, _) = store
        .create_project(&NewProject {
            organization_id: boot.organization.id,
            slug: boot.project.slug.clone(),
            name: "Again".into(),
            platform: None,
        })
        .unwrap();
    let none = IssueQuery {
        project_id: Some(again.id),
        ..IssueQuery::default()
    };
    assert!(
        store.issues(&none).unwrap().items.is_empty(),
        "nothing inherited"
    );
}
