//! Every event of the SDK corpus through normalization, with the normalized events
//! pinned as snapshots (reviewed like code) and the properties that must hold for all.

use errata_protocol::{Event, EventType};

fn corpus_events() -> Vec<(String, Event)> {
    errata_corpus::events()
        .into_iter()
        .map(|e| (e.name, e.event))
        .collect()
}

#[test]
fn every_corpus_event_normalizes_cleanly() {
    let events = corpus_events();
    assert!(events.len() >= 30, "{} events", events.len());
    for (name, event) in &events {
        assert_eq!(event.event_id.len(), 32, "{name}");
        assert!(
            event.event_id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
        // Real SDK payloads need no repairs beyond trimming of oversized data.
        let repairs: Vec<_> = event
            .errors
            .iter()
            .filter(|e| e.kind != errata_protocol::ErrorKind::Trimmed)
            .collect();
        assert!(repairs.is_empty(), "{name}: {repairs:?}");
        assert!(event.sdk.is_some(), "{name}: no sdk");
        if name.starts_with("python/") {
            assert_eq!(event.platform, "python", "{name}");
        }
    }
}

#[test]
fn corpus_shapes_are_normalized() {
    let events = corpus_events();
    let find = |prefix: &str| {
        let found = events.iter().find(|(n, _)| n.starts_with(prefix));
        &found.unwrap_or_else(|| panic!("no event {prefix}")).1
    };
    // Flask: headers canonical, cookies and query split, JSON body parsed.
    let flask = find("python/flask_request/");
    let request = flask.request.as_ref().expect("request");
    assert!(request.headers.iter().all(|(k, _)| {
        k.split('-')
            .all(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
    }));
    assert!(
        request
            .method
            .as_deref()
            .is_some_and(|m| m.chars().all(|c| c.is_ascii_uppercase()))
    );
    // Rust: dashed header event id, numeric timestamps, object headers.
    let rust = find("rust/axum_panic/0001");
    assert_eq!(rust.event_id, "825dbc633b1649599513097847d28586");
    assert_eq!(rust.level, errata_protocol::Level::Fatal);
    let rust_request = rust.request.as_ref().expect("request");
    assert_eq!(
        rust_request.url.as_deref(),
        Some("http://127.0.0.1:35889/orders/boom")
    );
    assert!(rust_request.header("User-Agent").is_some() || rust_request.header("Accept").is_some());
    let with_query = find("rust/axum_panic/0000");
    assert_eq!(
        with_query.request.as_ref().unwrap().query_string,
        vec![("expand".to_owned(), "items".to_owned())]
    );
    // Python logging: the template and its parameters survive, formatted is kept.
    let logging = find("python/logging_integration/0000");
    let entry = logging.logentry.as_ref().expect("logentry");
    assert_eq!(
        entry.message.as_deref(),
        Some("payment provider timeout after %d ms")
    );
    assert_eq!(
        entry.formatted.as_deref(),
        Some("payment provider timeout after 3000 ms")
    );
    // Transactions keep their type and spans.
    let transaction = events
        .iter()
        .find(|(_, e)| e.ty == EventType::Transaction)
        .map(|(_, e)| e)
        .expect("a transaction");
    assert!(transaction.other.contains_key("spans"));
}

#[test]
fn normalized_corpus_events_are_pinned() {
    for (name, event) in corpus_events() {
        let snapshot_name = name.replace('/', "__");
        insta::assert_json_snapshot!(snapshot_name, event);
    }
}
