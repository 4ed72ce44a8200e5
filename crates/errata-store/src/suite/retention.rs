//! Conformance: retention. The per-project usage counters follow ingest and every
//! deletion; candidate windows say which events are an issue's first and latest; thinning
//! keeps an issue's first and latest event and one per hour, and goes tier by tier; the
//! age limit deletes only what is old; an issue whose events are gone keeps its counts.

#[allow(clippy::wildcard_imports)]
use super::*;

use crate::retention::SAMPLE_BUCKET_MS;
use crate::{Deleted, ProjectUsage, RetentionCandidate, RetentionScope, Thinner, Tier, Want};

/// The usage row of `project`.
fn usage_of<S: Store>(store: &S, project: ProjectId) -> ProjectUsage {
    store
        .project_usage()
        .unwrap()
        .into_iter()
        .find(|u| u.project_id == project)
        .unwrap_or(ProjectUsage {
            project_id: project,
            events: 0,
            stored_bytes: 0,
            oldest_received_ms: None,
        })
}

/// Every stored event of `issue`, oldest first, as (`received_ms` offset from `T0`).
fn stored_offsets<S: Store>(store: &S, issue: IssueId) -> Vec<i64> {
    let mut offsets: Vec<i64> = store
        .issue_events(issue, None, 100)
        .unwrap()
        .items
        .iter()
        .map(|e| e.received_ms - T0)
        .collect();
    offsets.sort_unstable();
    offsets
}

fn all_candidates<S: Store>(store: &S, scope: RetentionScope) -> Vec<RetentionCandidate> {
    store.retention_candidates(scope, 0, 10_000).unwrap()
}

pub fn usage_counters_follow_ingest_and_deletions<H: Harness>(h: &H) {
    let store = h.fresh();
    let boot = setup(&store);
    let p = boot.project.id;
    let (other, _) = store
        .create_project(&NewProject::named(boot.organization.id, "Other"))
        .unwrap();
    assert_eq!(usage_of(&store, p).events, 0);

    let mut events: Vec<NewEvent> = (0..5).map(|i| event(p, &[&hash(1)], i)).collect();
    events[0].attachments = vec![NewAttachment {
        name: "a.txt".into(),
        content_type: None,
        data: vec![7; 3_000],
    }];
    events.push(event(p, &[&hash(2)], 10));
    events.push(event(other.id, &[&hash(1)], 20));
    let expected: u64 = events[..6].iter().map(NewEvent::stored_bytes).sum();
    let duplicate = events[1].clone();
    let results = store.ingest(&events).unwrap();
    store.ingest(&[duplicate]).unwrap();

    let usage = usage_of(&store, p);
    assert_eq!((usage.events, usage.stored_bytes), (6, expected));
    assert!(expected > 3_000, "attachments count: {expected}");
    assert_eq!(usage.oldest_received_ms, Some(T0));
    assert_eq!(usage_of(&store, other.id).events, 1);

    // Deleting events (the first with its attachment) takes them off the counters.
    let window = all_candidates(&store, RetentionScope::Project(p));
    assert_eq!(window.len(), 6);
    let deleted = store
        .delete_events(&[window[0].row_id, window[1].row_id])
        .unwrap();
    assert_eq!(deleted.events, 2);
    assert_eq!(
        deleted.stored_bytes,
        events[0].stored_bytes() + events[1].stored_bytes()
    );
    assert!(store.attachments(p, events[0].event_id).unwrap().is_empty());
    // Deleting them again deletes nothing.
    assert_eq!(
        store.delete_events(&[window[0].row_id]).unwrap(),
        Deleted::default()
    );
    let usage = usage_of(&store, p);
    assert_eq!(
        (usage.events, usage.stored_bytes),
        (4, expected - deleted.stored_bytes)
    );
    assert_eq!(usage.oldest_received_ms, Some(T0 + 2));

    // Deleting an issue takes its events off too; the other issue's stay counted.
    store.delete_issue(results[0].issue_id).unwrap();
    let usage = usage_of(&store, p);
    assert_eq!(
        (usage.events, usage.stored_bytes),
        (1, events[5].stored_bytes())
    );
    assert_eq!(usage_of(&store, other.id).events, 1);
    let store = h.reopen(store);
    assert_eq!(usage_of(&store, p).events, 1);
}

pub fn retention_candidates_know_first_and_latest_events<H: Harness>(h: &H) {
    let store = h.fresh();
    let boot = setup(&store);
    let p = boot.project.id;
    let (other, _) = store
        .create_project(&NewProject::named(boot.organization.id, "Other"))
        .unwrap();
    let events = vec![
        event(p, &[&hash(1)], 0),
        event(p, &[&hash(2)], 1),
        event(other.id, &[&hash(1)], 2),
        event(p, &[&hash(1)], 3),
        event(p, &[&hash(1)], 4),
    ];
    store.ingest(&events).unwrap();
    let all = all_candidates(&store, RetentionScope::All);
    let flags: Vec<(i64, bool, bool)> = all
        .iter()
        .map(|c| (c.received_ms - T0, c.first_of_issue, c.latest_of_issue))
        .collect();
    assert_eq!(
        flags,
        vec![
            (0, true, false),
            (1, true, true),
            (2, true, true),
            (3, false, false),
            (4, false, true)
        ]
    );
    assert!(all.windows(2).all(|w| w[0].row_id < w[1].row_id));
    assert!(all.iter().all(|c| c.stored_bytes > 0));
    let mine = all_candidates(&store, RetentionScope::Project(p));
    assert_eq!(mine.len(), 4);
    // Paging: after a row id, at most `limit`.
    let page = store
        .retention_candidates(RetentionScope::Project(p), mine[1].row_id, 1)
        .unwrap();
    assert_eq!(page, vec![mine[2]]);
    // Once the first event is gone, the next one is its issue's first.
    store.delete_events(&[mine[0].row_id]).unwrap();
    let after = all_candidates(&store, RetentionScope::Project(p));
    assert!(after[1].first_of_issue, "{after:?}");
}

pub fn thinning_keeps_first_latest_and_hourly_samples<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    // Issue A: 4 events in each of hours 0, 1 and 2; issue B: one event in hour 1.
    let hour = SAMPLE_BUCKET_MS;
    let mut events = Vec::new();
    for h in 0..3 {
        for i in 0..4 {
            events.push(event(p, &[&hash(1)], h * hour + i * 60_000));
        }
    }
    events.push(event(p, &[&hash(2)], hour + 30 * 60_000));
    events.sort_by_key(|e| e.received_ms);
    let issue_a = store.ingest(&events).unwrap()[0].issue_id;
    let before = store.issue(issue_a).unwrap();
    let mut thinner = Thinner::default();

    // Thinning frees at most what is asked.
    let (deleted, tier) = thinner
        .free(&store, RetentionScope::All, Want::Events(2), || {})
        .unwrap();
    assert_eq!((deleted.events, tier), (2, Tier::Thin));
    // Then everything it can: A keeps its first, its latest and one event per hour (the
    // walk resumes where it stopped, in the middle of hour 0).
    let (deleted, tier) = thinner
        .free(&store, RetentionScope::All, Want::Events(6), || {})
        .unwrap();
    assert_eq!((deleted.events, tier), (6, Tier::Thin));
    assert_eq!(
        stored_offsets(&store, issue_a),
        vec![0, hour, 2 * hour, 2 * hour + 3 * 60_000]
    );
    // The issue keeps its counts and first/last seen.
    let after = store.issue(issue_a).unwrap();
    assert_eq!(
        (after.times_seen, after.first_seen_ms, after.last_seen_ms),
        (before.times_seen, before.first_seen_ms, before.last_seen_ms)
    );
    // Past thinning, the hourly samples go (oldest first), then firsts, then anything.
    let (deleted, tier) = thinner
        .free(&store, RetentionScope::All, Want::Events(2), || {})
        .unwrap();
    assert_eq!((deleted.events, tier), (2, Tier::Samples));
    assert_eq!(
        stored_offsets(&store, issue_a),
        vec![0, 2 * hour + 3 * 60_000]
    );
    let (_, tier) = thinner
        .free(&store, RetentionScope::All, Want::Events(1), || {})
        .unwrap();
    assert_eq!(tier, Tier::Firsts);
    assert_eq!(stored_offsets(&store, issue_a), vec![2 * hour + 3 * 60_000]);
    let (deleted, tier) = thinner
        .free(&store, RetentionScope::All, Want::Events(100), || {})
        .unwrap();
    assert_eq!((deleted.events, tier), (2, Tier::Any));
    assert!(stored_offsets(&store, issue_a).is_empty());
    // An issue whose events are all gone is still listed with its counts.
    let gone = store.issue(issue_a).unwrap();
    assert_eq!(gone.times_seen, 12);
    assert_eq!(usage_of(&store, p).events, 0);
    assert!(listed(&store, p, IssueFilter::default()).contains(&issue_a));
}

pub fn expiry_deletes_only_old_events_and_space_is_measured<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let events: Vec<NewEvent> = (0..10).map(|i| event(p, &[&hash(1)], i * 1_000)).collect();
    store.ingest(&events).unwrap();
    let before = store.footprint().unwrap();
    assert!(before.disk_bytes > 0 && before.live_bytes > 0, "{before:?}");
    assert!(before.live_bytes <= before.disk_bytes, "{before:?}");

    // Older than T0 + 4.5 s: 5 events; in batches of 3.
    let first = store.expire_events(T0 + 4_500, 3).unwrap();
    assert_eq!(first.events, 3);
    let second = store.expire_events(T0 + 4_500, 3).unwrap();
    assert_eq!(second.events, 2);
    assert_eq!(store.expire_events(T0 + 4_500, 3).unwrap().events, 0);
    assert_eq!(usage_of(&store, p).events, 5);
    assert_eq!(usage_of(&store, p).oldest_received_ms, Some(T0 + 5_000));
    // Giving space back never fails, whatever the backend does with it.
    store.reclaim_space(1 << 20).unwrap();
    let after = store.footprint().unwrap();
    assert!(after.disk_bytes > 0, "{after:?}");
}
