//! Every request of `../shared/sdk-corpus`, replayed over HTTP to a real `errata serve`
//! with the capture's DSN rewritten to the server's (the key in `X-Sentry-Auth`, the query
//! and the envelope header; the project id in the path), is accepted: `200 {"id"}` for
//! envelopes holding an event, and the event is then stored.

use std::io::{Read as _, Write as _};

use errata_corpus::CapturedRequest;
use errata_protocol::envelope::ItemType;
use errata_store::Uuid;
use serde_json::Value;

use crate::harness::{ServerProcess, post};

/// The capture with the corpus DSN replaced by the server's.
pub(crate) fn rewrite(
    request: &CapturedRequest,
    server: &ServerProcess,
) -> (String, Vec<(String, String)>, Vec<u8>) {
    let corpus_key = errata_corpus::PUBLIC_KEY;
    let corpus_path = format!("/api/{}/", errata_corpus::PROJECT_ID);
    let path = request
        .path
        .replacen(&corpus_path, &format!("/api/{}/", server.project_id), 1);
    let query = request.query.replace(corpus_key, &server.key);
    let url = if query.is_empty() {
        server.url(&path)
    } else {
        server.url(&format!("{path}?{query}"))
    };
    let headers = request
        .headers
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length")
        })
        .map(|(k, v)| (k.clone(), v.replace(corpus_key, &server.key)))
        .collect();
    let gzipped = request
        .header("content-encoding")
        .is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
    let mut body = if gzipped {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&request.body[..])
            .read_to_end(&mut plain)
            .unwrap_or_else(|e| panic!("{}: gunzip: {e}", request.name));
        plain
    } else {
        request.body.clone()
    };
    // The envelope header may carry the DSN: point it at the server too.
    let end = body.iter().position(|b| *b == b'\n').unwrap_or(body.len());
    if let Ok(mut header) = serde_json::from_slice::<Value>(&body[..end])
        && header.get("dsn").is_some()
    {
        header["dsn"] = Value::String(server.dsn());
        let mut rewritten = serde_json::to_vec(&header).unwrap();
        rewritten.extend_from_slice(&body[end..]);
        body = rewritten;
    }
    if gzipped {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&body).unwrap();
        body = encoder.finish().unwrap();
    }
    (url, headers, body)
}

#[test]
fn every_corpus_request_is_accepted_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let corpus = errata_corpus::load();
    assert!(
        corpus.len() >= 40,
        "only {} requests in the corpus",
        corpus.len()
    );
    let mut events = Vec::new();
    for request in &corpus {
        let (_, envelope) = request
            .decode()
            .unwrap_or_else(|e| panic!("{}: {e}", request.name));
        let has_event = envelope.items().iter().any(|i| *i.ty() == ItemType::Event);
        let (url, headers, body) = rewrite(request, &server);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(request.method, "POST", "{}", request.name);
        let reply = post(&url, &headers, &body);
        assert_eq!(reply.status, 200, "{}: {reply:?}", request.name);
        let answer = reply.json();
        if has_event {
            let expected = envelope.event_id().expect("an event envelope has an id").0;
            let id = answer["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: no id in {answer}", request.name));
            assert_eq!(Uuid::try_parse(id).unwrap(), expected, "{}", request.name);
            events.push((request.name.clone(), expected));
        } else {
            assert!(answer.is_object(), "{}: {answer}", request.name);
        }
    }
    assert!(events.len() >= 30, "only {} event envelopes", events.len());
    let stored = server.stored();
    for (name, id) in events {
        assert!(
            stored.event(id).is_some(),
            "{name}: event {id} is not stored"
        );
    }
    let mut server = server;
    server.assert_healthy(300);
}
