//! The payload dictionary end to end: once enough events are stored, upkeep trains the
//! installation's dictionary; events that arrive after are stored compressed with it
//! (their frames name it) and read back through the API exactly as the same events stored
//! before, without it.

use std::time::{Duration, Instant};

use errata_corpus::CapturedRequest;
use errata_store::{ProjectId, Uuid};
use serde_json::Value;

use crate::support::TestServer;

/// A `/store/` request of the corpus DSN carrying `event` with a new event id; returns it
/// with the id.
fn store_request(event: &Value) -> (CapturedRequest, String) {
    let mut event = event.clone();
    let id = Uuid::new_v4().simple().to_string();
    event["event_id"] = Value::String(id.clone());
    if let Some(object) = event.as_object_mut() {
        // Stamped at receipt: the captured times may be older than the retention.
        object.remove("timestamp");
    }
    let request = CapturedRequest {
        name: "dictionary".into(),
        scenario: "dictionary".into(),
        method: "POST".into(),
        path: format!("/api/{}/store/", errata_corpus::PROJECT_ID),
        query: String::new(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            (
                "X-Sentry-Auth".into(),
                format!(
                    "Sentry sentry_key={}, sentry_version=7, sentry_client=test/1.0",
                    errata_corpus::PUBLIC_KEY
                ),
            ),
        ],
        body: serde_json::to_vec(&event).expect("serializes"),
    };
    (request, id)
}

/// The API's view of an event, without what differs between two events of the same
/// content (ids and times of receipt).
async fn api_event(server: &TestServer, id: &str) -> Value {
    let reply = server
        .get(&server.project_path(&format!("/events/{id}/")))
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let mut json = reply.json();
    strip(&mut json, id);
    if let Some(object) = json.as_object_mut() {
        // Times, and the JSON's size, which varies with the digits of the times.
        for key in ["received", "timestamp", "size"] {
            object.remove(key);
        }
    }
    json
}

/// Replaces every string that contains `id` (either form) and every date by a marker.
fn strip(value: &mut Value, id: &str) {
    let dashed = Uuid::parse_str(id).expect("uuid").hyphenated().to_string();
    match value {
        Value::String(s) if s.contains(id) || s.contains(&dashed) => *s = "<id>".into(),
        Value::String(s) if s.len() >= 19 && s.as_bytes()[4] == b'-' && s.contains('T') => {
            *s = "<date>".into();
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, id)),
        Value::Object(map) => map.values_mut().for_each(|v| strip(v, id)),
        _ => {}
    }
}

#[tokio::test]
async fn after_training_new_events_are_stored_with_the_dictionary_and_read_back_the_same() {
    let server = TestServer::start_with(|config| {
        config.maintenance_period_secs = 1;
        config.payload_dictionary_min_events = 40;
    })
    .await;
    let templates: Vec<Value> = errata_corpus::event_payloads()
        .iter()
        .filter_map(|p| serde_json::from_slice(p).ok())
        .collect();
    let mut before = Vec::new();
    for round in 0..2 {
        for event in &templates {
            let (request, id) = store_request(event);
            let (status, body) = server.send(&request).await;
            assert_eq!(status, 200, "{body}");
            if round == 0 {
                before.push(id);
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let dictionary = loop {
        if let Some(dictionary) = server.state.store.payload_codec().current() {
            break dictionary;
        }
        assert!(Instant::now() < deadline, "no dictionary was trained");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let stored = server.store_call(|s| s.payload_dictionaries()).await;
    assert_eq!(stored.expect("dictionaries").len(), 1);

    for (event, old_id) in templates.iter().zip(&before) {
        let (request, id) = store_request(event);
        let (status, body) = server.send(&request).await;
        assert_eq!(status, 200, "{body}");
        let newest = server
            .store_call(|s| s.recent_payloads(1, usize::MAX))
            .await
            .expect("recent payloads");
        assert_eq!(newest[0].dictionary_id(), Some(dictionary.id));
        let project = ProjectId(server.project_id);
        let event_id = Uuid::parse_str(&id).expect("uuid");
        let raw = server
            .store_call(move |s| s.event(project, event_id))
            .await
            .expect("stored");
        let raw: Value = serde_json::from_slice(&raw.payload).expect("JSON");
        assert_eq!(raw["event_id"], id.as_str());
        assert_eq!(
            api_event(&server, &id).await,
            api_event(&server, old_id).await
        );
    }
    server.stop().await;
}
