//! Every event of the SDK corpus, decoded, normalized and grouped as the server will,
//! with the grouping rules each scenario must follow.

use errata_grouping::{Grouping, group, group_with_explanation};
use errata_protocol::Event;
use std::collections::HashMap;

/// Each event of the corpus with its name (`python/fingerprint/0001/0`).
fn corpus_events() -> Vec<(String, Event)> {
    errata_corpus::events()
        .into_iter()
        .map(|e| (e.name, e.event))
        .collect()
}

/// Assigns events to issues the way the store will: the first hash already known wins,
/// else a new issue owning all the event's hashes. Returns the issue index per event.
fn assign(groupings: &[&Grouping]) -> Vec<usize> {
    let mut owner: HashMap<&str, usize> = HashMap::new();
    let mut next = 0;
    groupings
        .iter()
        .map(|g| {
            let issue = g
                .hashes
                .iter()
                .find_map(|h| owner.get(h.as_str()).copied())
                .unwrap_or_else(|| {
                    next += 1;
                    next - 1
                });
            for h in &g.hashes {
                owner.entry(h).or_insert(issue);
            }
            issue
        })
        .collect()
}

fn scenario(events: &[(String, Event)], name: &str) -> Vec<(String, Event, Grouping)> {
    let out: Vec<_> = events
        .iter()
        .filter(|(n, _)| n.starts_with(&format!("{name}/")))
        .map(|(n, e)| (n.clone(), e.clone(), group_with_explanation(e)))
        .collect();
    assert!(!out.is_empty(), "no events in {name}");
    out
}

#[test]
fn every_corpus_event_groups_with_a_title() {
    let events = corpus_events();
    assert!(
        events.len() >= 30,
        "only {} events in the corpus",
        events.len()
    );
    for (name, event) in &events {
        let grouping = group(event);
        assert!(!grouping.hashes.is_empty(), "{name}: no hash");
        assert!(grouping.hashes.iter().all(|h| h.len() == 32), "{name}");
        assert!(!grouping.title.is_empty(), "{name}: no title");
        assert!(grouping.variants.iter().any(|v| v.contributes), "{name}");
    }
}

#[test]
fn grouping_repeat_gives_one_issue_per_code_path() {
    let events = corpus_events();
    let repeat = scenario(&events, "python/grouping_repeat");
    let refs: Vec<&Grouping> = repeat.iter().map(|(_, _, g)| g).collect();
    let issues = assign(&refs);
    let by_type = |ty: &str| -> Vec<usize> {
        repeat
            .iter()
            .zip(&issues)
            .filter(|((_, e, _), _)| e.main_exception().and_then(|x| x.ty.as_deref()) == Some(ty))
            .map(|(_, &i)| i)
            .collect()
    };
    let key_errors = by_type("KeyError");
    let zero_division = by_type("ZeroDivisionError");
    assert_eq!(key_errors.len(), 5);
    assert_eq!(zero_division.len(), 3);
    assert!(
        key_errors.iter().all(|&i| i == key_errors[0]),
        "{key_errors:?}"
    );
    assert!(
        zero_division.iter().all(|&i| i == zero_division[0]),
        "{zero_division:?}"
    );
    assert_ne!(key_errors[0], zero_division[0]);
    // The KeyErrors differ only in the key ('C-0'...'C-4'), which the stack makes moot.
    let titles: Vec<&str> = repeat.iter().map(|(_, _, g)| g.title.as_str()).collect();
    assert!(titles.contains(&"KeyError: 'C-0'") && titles.contains(&"KeyError: 'C-4'"));

    // The messages differ by IP (parameterized) and by user name (not parameterized, as
    // in Sentry): one issue per user.
    let messages: Vec<&(String, Event, Grouping)> = repeat
        .iter()
        .filter(|(_, e, _)| e.exception.is_empty())
        .collect();
    assert_eq!(messages.len(), 3);
    let message_issues: Vec<usize> = repeat
        .iter()
        .zip(&issues)
        .filter(|((_, e, _), _)| e.exception.is_empty())
        .map(|(_, &i)| i)
        .collect();
    let mut distinct = message_issues.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{message_issues:?}");
    let value = messages[0].2.variants[0]
        .component
        .as_ref()
        .unwrap()
        .contributing_values();
    assert_eq!(value, ["login failed for user ana from <ip>"]);
    assert_eq!(
        issues.iter().copied().max(),
        Some(4),
        "5 issues in all: {issues:?}"
    );
}

#[test]
fn fingerprints_override_grouping() {
    let events = corpus_events();
    let fp = scenario(&events, "python/fingerprint");
    assert_eq!(fp.len(), 3);
    // ["{{ default }}", "tenant-7"]: the built-in hash salted with the tenant.
    let (_, hybrid_event, hybrid) = &fp[0];
    let mut unsalted = hybrid_event.clone();
    unsalted.fingerprint = None;
    let plain = group(&unsalted);
    assert_ne!(hybrid.hashes, plain.hashes);
    assert_eq!(hybrid.hashes.len(), plain.hashes.len());
    assert!(
        hybrid
            .variants
            .iter()
            .filter(|v| v.contributes)
            .all(|v| v.fingerprint == ["tenant-7"])
    );
    // Two different messages with the fingerprint ["database-unavailable"]: one issue.
    let (_, _, first) = &fp[1];
    let (_, _, second) = &fp[2];
    assert_eq!(first.hashes, second.hashes);
    assert_eq!(first.hashes.len(), 1);
    assert_eq!(first.variants[0].name, "custom-fingerprint");
    assert_ne!(first.title, second.title, "titles keep the message");
}

#[test]
fn chained_exceptions_take_the_newest_title() {
    let events = corpus_events();
    let chained = scenario(&events, "python/exception_chained");
    let (_, event, grouping) = &chained[0];
    assert_eq!(event.exception.values.len(), 2);
    assert_eq!(grouping.title, "ValueError: order A-17 could not be loaded");
    assert_eq!(grouping.metadata.ty.as_deref(), Some("ValueError"));
    // Both exceptions of the chain contribute.
    let system = grouping
        .variants
        .iter()
        .find(|v| v.name == "system")
        .unwrap();
    let component = system.component.as_ref().unwrap();
    assert_eq!(component.id, "chained-exception");
    assert_eq!(
        component.children.iter().filter(|c| c.contributes).count(),
        2
    );
}

#[test]
fn line_numbers_never_change_the_group() {
    let events = corpus_events();
    let (_, event, grouping) = &scenario(&events, "python/exception_simple")[0];
    let mut moved = event.clone();
    for exception in &mut moved.exception.values {
        for frame in &mut exception.stacktrace.as_mut().unwrap().frames {
            frame.lineno = frame.lineno.map(|l| l + 17);
        }
    }
    assert_eq!(group(&moved).hashes, grouping.hashes);
    let mut renamed = event.clone();
    let frames = &mut renamed.exception.values[0]
        .stacktrace
        .as_mut()
        .unwrap()
        .frames;
    frames.last_mut().unwrap().function = Some("other_function".into());
    assert_ne!(group(&renamed).hashes, grouping.hashes);
}

#[test]
fn rust_panics_group_on_the_application_frames() {
    let events = corpus_events();
    for (name, event, grouping) in scenario(&events, "rust/axum_panic")
        .iter()
        .chain(&scenario(&events, "rust/panic"))
    {
        let app = grouping.variants.iter().find(|v| v.name == "app").unwrap();
        if !app.contributes {
            continue;
        }
        let values = app.component.as_ref().unwrap().contributing_values();
        for runtime in [
            "tokio::",
            "std::",
            "core::",
            "clone3",
            "start_thread",
            "hyper::",
        ] {
            assert!(
                !values.iter().any(|v| v.starts_with(runtime)),
                "{name}: runtime frame {runtime} contributes to the app hash: {values:?}"
            );
        }
        let thrown = event.main_exception().and_then(|e| e.ty.as_deref());
        if thrown == Some("panic") {
            assert!(
                grouping.title.starts_with("panic: "),
                "{name}: {}",
                grouping.title
            );
        }
    }
}

#[test]
fn one_full_explanation_is_pinned_as_json() {
    let events = corpus_events();
    let (_, event) = events
        .iter()
        .find(|(n, _)| n == "python/exception_chained/0000/0")
        .unwrap();
    insta::assert_json_snapshot!(group_with_explanation(event));
}

#[test]
fn grouping_explanations_are_pinned() {
    let events = corpus_events();
    for (name, event) in &events {
        let grouping = group_with_explanation(event);
        assert_eq!(grouping.hashes, group(event).hashes, "{name}");
        let snapshot_name = name.replace('/', "__");
        insta::assert_snapshot!(snapshot_name, grouping.render_explanation());
    }
}
