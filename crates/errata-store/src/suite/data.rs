//! Conformance: event payloads, attachments, user reports and outcome counters.

#[allow(clippy::wildcard_imports)]
use super::*;

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

/// `ingest_counted` files the batch and its counters together: both are visible after it
/// (whether the backend wrote the counters or handed them back to be written), the callback
/// sees the batch's results, and a batch that fails writes neither.
pub fn counted_ingest_writes_events_and_counters<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let first = event(p, &[&hash(1)], 0);
    let batch = [first.clone(), event(p, &[&hash(2)], 1), first];
    let counters = |results: &[IngestResult]| {
        let duplicates = results
            .iter()
            .filter(|r| r.kind == IngestKind::Duplicate)
            .count();
        [
            ("accepted", results.len() - duplicates),
            ("duplicate", duplicates),
        ]
        .into_iter()
        .map(|(reason, n)| OutcomeDelta {
            project_id: p,
            timestamp_ms: T0,
            category: "error".into(),
            reason: reason.into(),
            quantity: n as u64,
        })
        .collect()
    };
    let (results, unwritten) = store.ingest_counted(&batch, &counters).unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2].kind, IngestKind::Duplicate);
    store.add_outcomes(&unwritten).unwrap();
    let count = |reason: &str, quantity| OutcomeCount {
        category: "error".into(),
        reason: reason.into(),
        quantity,
    };
    assert_eq!(
        store.outcomes(p, T0).unwrap(),
        [count("accepted", 2), count("duplicate", 1)]
    );
    assert_eq!(store.issue(results[0].issue_id).unwrap().times_seen, 1);

    // Counters only: an empty batch still writes what the callback gives.
    let (results, unwritten) = store.ingest_counted(&[], &counters).unwrap();
    assert!(results.is_empty());
    store.add_outcomes(&unwritten).unwrap();
    assert_eq!(store.outcomes(p, T0).unwrap().len(), 2);

    // A batch with an event of an unknown project fails whole: no event, no counter.
    let stray = event(ProjectId(999_999), &[&hash(3)], 2);
    let bad = [event(p, &[&hash(4)], 3), stray];
    assert!(store.ingest_counted(&bad, &counters).is_err());
    assert_eq!(
        store.outcomes(p, T0).unwrap(),
        [count("accepted", 2), count("duplicate", 1)]
    );
    assert!(store.event(p, bad[0].event_id).is_err());
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

pub fn storage_grows_as_events_are_stored<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let before = store.storage_usage().unwrap();
    assert!(
        before.total_bytes > 0,
        "an empty database still has a schema"
    );
    // Payloads that do not compress, so that some of them leave the row's page.
    let events: Vec<_> = (0..500_i64)
        .map(|i| {
            let mut e = event(p, &[&hash(u32::try_from(i % 5).unwrap())], i);
            let mut x = 0x9E37_79B9_7F4A_7C15_u64 ^ i.unsigned_abs();
            let noise: String = (0..4_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    char::from(b'a' + (x % 26) as u8)
                })
                .collect();
            e.payload = Payload::compress(
                format!(r#"{{"message":"boom","extra":{{"noise":"{noise}"}}}}"#).as_bytes(),
            )
            .unwrap();
            e
        })
        .collect();
    for batch in events.chunks(100) {
        store.ingest(batch).unwrap();
    }
    let after = store.storage_usage().unwrap();
    let grown = after.since(&before);
    assert!(grown.total_bytes > 0, "{before:?} -> {after:?}");
    assert!(grown.events_bytes > 0, "{before:?} -> {after:?}");
    assert!(grown.events_index_bytes > 0, "{before:?} -> {after:?}");
    assert!(
        after.total_bytes >= after.events_bytes + after.events_index_bytes,
        "the events' share is part of the whole: {after:?}"
    );
    assert!(
        after.events_out_of_line_bytes <= after.events_bytes,
        "{after:?}"
    );
}
