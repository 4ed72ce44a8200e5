//! Conformance: grouping events into issues, counters, tags, regressions, duplicates,
//! batches, filters, pagination and deletion.

#[allow(clippy::wildcard_imports)]
use super::*;

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
                project_id: Some(p),
                sort: crate::IssueSort::LastSeen,
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
        project_id: Some(p),
        sort: crate::IssueSort::LastSeen,
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
