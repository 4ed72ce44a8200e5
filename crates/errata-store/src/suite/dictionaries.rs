//! Conformance: payload dictionaries are stored once and forever, loaded when the store
//! opens, trained from the recent payloads, used for new payloads, and learned on a read
//! that names one the store's codec lacks (a dictionary another node trained).

#[allow(clippy::wildcard_imports)]
use super::*;

use crate::{ErrorKind, PayloadDictionary};

/// Event JSON that varies like real events do (ids, messages, line numbers).
fn varied_json(n: usize) -> Vec<u8> {
    format!(
        r#"{{"event_id":"{n:032x}","level":"error","platform":"python","logger":"app.views","message":"order {n} failed","sdk":{{"name":"sentry.python","version":"2.{}.0"}},"exception":{{"values":[{{"type":"KeyError{}","value":"'item-{n}'","stacktrace":{{"frames":[{{"filename":"app/views.py","function":"checkout","lineno":{}}},{{"filename":"app/models.py","function":"total","lineno":{}}}]}}}}]}},"tags":[["server_name","web-{}"]]}}"#,
        n % 9,
        n % 11,
        n % 400,
        n % 97,
        n % 5
    )
    .into_bytes()
}

/// An event of `project` carrying `json`, compressed by `store`'s codec.
fn event_with<S: Store>(store: &S, project: ProjectId, n: usize, json: &[u8]) -> NewEvent {
    let mut e = event(project, &[&hash(u32::try_from(n % 7).unwrap())], 0);
    e.payload = store.payload_codec().compress(json).unwrap();
    e
}

pub fn payload_dictionaries_are_trained_stored_and_used<H: Harness>(h: &H) {
    let store = h.fresh();
    let project = setup(&store).project.id;
    assert!(store.payload_dictionaries().unwrap().is_empty());
    assert!(store.recent_payloads(10, usize::MAX).unwrap().is_empty());
    assert_eq!(store.train_payload_dictionary(T0, 1).unwrap(), None);
    assert!(store.payload_codec().current().is_none());

    let events: Vec<_> = (0..400)
        .map(|n| event_with(&store, project, n, &varied_json(n)))
        .collect();
    assert!(events.iter().all(|e| e.payload.dictionary_id().is_none()));
    let before = events[0].event_id;
    store.ingest(&events).unwrap();
    // A payload over the bound is no sample.
    let big = format!(r#"{{"pad":"{}"}}"#, "y".repeat(5000)).into_bytes();
    store
        .ingest(&[event_with(&store, project, 5000, &big)])
        .unwrap();
    assert_eq!(
        store.recent_payloads(1, usize::MAX).unwrap()[0].raw_len(),
        big.len()
    );
    let recent = store.recent_payloads(3, 4096).unwrap();
    assert_eq!(recent.len(), 3);
    assert_eq!(
        store.payload_codec().decompress(&recent[0]).unwrap(),
        varied_json(399),
        "newest first"
    );
    assert_eq!(store.train_payload_dictionary(T0, 402).unwrap(), None);

    let trained = store.train_payload_dictionary(T0, 300).unwrap().unwrap();
    assert_eq!(store.payload_dictionaries().unwrap(), vec![trained.clone()]);
    assert_eq!(store.payload_codec().current().unwrap().id, trained.id);
    // Storing it again keeps the one row.
    store.add_payload_dictionary(&trained).unwrap();
    assert_eq!(store.payload_dictionaries().unwrap().len(), 1);
    assert_eq!(store.refresh_payload_dictionaries().unwrap(), 0);

    let json = varied_json(1000);
    let latest = event_with(&store, project, 1000, &json);
    assert_eq!(latest.payload.dictionary_id(), Some(trained.id));
    assert!(
        latest.payload.compressed().len() < Payload::compress(&json).unwrap().compressed().len()
    );
    let after = latest.event_id;
    store.ingest(std::slice::from_ref(&latest)).unwrap();
    assert_eq!(store.event(project, after).unwrap().payload, json);
    assert_eq!(
        store.event(project, before).unwrap().payload,
        varied_json(0)
    );

    // Reopened, the store knows its dictionary and compresses with it.
    let store = h.reopen(store);
    assert_eq!(store.payload_codec().current().unwrap().id, trained.id);
    assert_eq!(store.event(project, after).unwrap().payload, json);
    assert_eq!(
        store.event(project, before).unwrap().payload,
        varied_json(0)
    );

    // Another node stored a dictionary this store's codec has not seen: a read learns it.
    let other = h.fresh();
    let other_project = setup(&other).project.id;
    other.add_payload_dictionary(&trained).unwrap();
    assert!(other.payload_codec().current().is_none());
    let mut foreign = latest.clone();
    foreign.project_id = other_project;
    other.ingest(&[foreign]).unwrap();
    assert_eq!(other.event(other_project, after).unwrap().payload, json);
    assert_eq!(other.payload_codec().current().unwrap().id, trained.id);

    // A payload naming a dictionary nobody stored is corrupt data, not a panic.
    let lost = h.fresh();
    let lost_project = setup(&lost).project.id;
    let mut orphan = latest;
    orphan.project_id = lost_project;
    lost.ingest(&[orphan]).unwrap();
    let error = lost.event(lost_project, after).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Corrupt);
    assert!(lost.payload_codec().current().is_none());

    // A dictionary is checked against its header.
    let mut wrong =
        PayloadDictionary::train(&(0..300).map(varied_json).collect::<Vec<_>>(), T0).unwrap();
    wrong.id ^= 1;
    assert_eq!(
        PayloadDictionary::from_stored(Some(wrong.id), T0, wrong.bytes)
            .unwrap_err()
            .kind(),
        ErrorKind::Corrupt
    );
}
