//! The transport half end to end on the SDK corpus: for every captured request, read the
//! auth from its headers, undo its `Content-Encoding`, parse the envelope and check the
//! limits, exactly as the server will; then assert what each scenario must contain and
//! snapshot a one-line summary per request.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use errata_protocol::Error;
use errata_protocol::auth::{self, AuthSource, ClientAuth};
use errata_protocol::encoding;
use errata_protocol::envelope::{DataCategory, Envelope, EventId, ItemType};
use errata_protocol::intake::{self, Endpoint, IntakeLimits, RequestHead};
use errata_protocol::limits::Limits;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/sdk-corpus");
const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const PROJECT_ID: u64 = 7;

/// One captured request.
struct Request {
    /// `sdk/scenario/NNNN`.
    name: String,
    scenario: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    entries
}

/// Every request of the corpus, in a stable order. Panics when the corpus is missing.
fn corpus() -> Vec<Request> {
    let root = Path::new(CORPUS);
    assert!(
        root.join("README.md").is_file(),
        "the SDK corpus is missing at {} (expected ../shared/sdk-corpus beside the clone)",
        root.display()
    );
    let mut out = Vec::new();
    for sdk in read_dir_sorted(root).into_iter().filter(|p| p.is_dir()) {
        for scenario in read_dir_sorted(&sdk).into_iter().filter(|p| p.is_dir()) {
            for meta in read_dir_sorted(&scenario)
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
            {
                let json: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(&meta).unwrap_or_else(|e| panic!("{}: {e}", meta.display())),
                )
                .unwrap_or_else(|e| panic!("{}: {e}", meta.display()));
                let body_path = meta.with_extension("body");
                let body = std::fs::read(&body_path)
                    .unwrap_or_else(|e| panic!("{}: {e}", body_path.display()));
                let headers = json["headers"]
                    .as_array()
                    .expect("headers array")
                    .iter()
                    .map(|pair| {
                        (
                            pair[0].as_str().expect("header name").to_owned(),
                            pair[1].as_str().expect("header value").to_owned(),
                        )
                    })
                    .collect();
                let rel = meta
                    .strip_prefix(root)
                    .expect("under the corpus")
                    .with_extension("");
                let name = rel.to_string_lossy().into_owned();
                let scenario = name
                    .rsplit_once('/')
                    .expect("sdk/scenario/NNNN")
                    .0
                    .to_owned();
                out.push(Request {
                    name,
                    scenario,
                    path: json["path"].as_str().expect("path").to_owned(),
                    query: json["query"].as_str().unwrap_or_default().to_owned(),
                    headers,
                    body,
                });
            }
        }
    }
    assert!(!out.is_empty(), "no requests found in {CORPUS}");
    out
}

/// The project id of an `/api/{id}/envelope/` path.
fn path_project_id(path: &str) -> Option<u64> {
    path.strip_prefix("/api/")?.split('/').next()?.parse().ok()
}

/// What the server does with one request, up to the items.
struct Processed {
    auth: ClientAuth,
    decoded_len: usize,
    envelope: Envelope,
}

fn process(req: &Request, limits: &Limits) -> Result<Processed, Error> {
    let mut head = RequestHead::new(Endpoint::Envelope, path_project_id(&req.path));
    head.x_sentry_auth = req.header("x-sentry-auth");
    head.authorization = req.header("authorization");
    head.query = Some(req.query.as_str()).filter(|q| !q.is_empty());
    head.content_encoding = req.header("content-encoding");
    head.content_type = req.header("content-type");
    let intake_limits = IntakeLimits {
        max_envelope_bytes: limits.max_envelope_size,
        ..IntakeLimits::default()
    };
    let (auth, envelope) = intake::read(&head, Bytes::from(req.body.clone()), intake_limits)?;
    // The decoded size, for the checks on encodings (the intake does not expose it).
    let decoded_len =
        encoding::decode(&req.body, head.content_encoding, limits.max_envelope_size)?.len();
    Ok(Processed {
        auth,
        decoded_len,
        envelope,
    })
}

fn types(env: &Envelope) -> BTreeSet<String> {
    env.items().iter().map(|i| i.ty().to_string()).collect()
}

/// Item types each scenario must contain, across all of its requests.
fn expected_types(scenario: &str) -> &'static [&'static str] {
    match scenario {
        "python/attachment" => &["event", "attachment"],
        "python/before_send_filter" => &["event", "client_report"],
        "python/check_in" => &["check_in"],
        "python/flask_request" => &["event", "sessions", "client_report"],
        "python/logs" => &["log"],
        "python/session_release_health" => &["event", "session"],
        "python/transaction" => &["event", "transaction"],
        _ => &["event"],
    }
}

#[test]
fn every_corpus_request_goes_through_the_transport() {
    let limits = Limits::default();
    let requests = corpus();
    let mut by_scenario: std::collections::BTreeMap<&str, BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for req in &requests {
        let name = &req.name;
        assert_eq!(
            path_project_id(&req.path),
            Some(PROJECT_ID),
            "{name}: path {}",
            req.path
        );
        let p = process(req, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.auth.public_key, KEY, "{name}");
        assert_eq!(p.auth.source, AuthSource::XSentryAuth, "{name}");
        assert_eq!(p.auth.version, 7, "{name}");
        let client = p.auth.client.as_deref().unwrap_or_default();
        assert!(client.starts_with("sentry."), "{name}: client {client:?}");
        let compressed = req.header("content-encoding").is_some();
        assert_eq!(compressed, req.name.starts_with("python/"), "{name}");
        if !compressed {
            assert_eq!(p.decoded_len, req.body.len(), "{name}");
        }

        let report = limits.check(&p.envelope);
        assert!(report.is_ok(), "{name}: {report:?}");
        assert!(!p.envelope.is_empty(), "{name}: no items");
        p.envelope
            .validate()
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        for item in p.envelope.items() {
            assert!(
                !matches!(item.ty(), ItemType::Unknown(_)),
                "{name}: {}",
                item.ty()
            );
            // SDKs in the corpus always send explicit lengths, and they are honoured.
            assert_eq!(item.headers().length, Some(item.len() as u64), "{name}");
            assert!(item.data_category().is_some() || item.ty() == &ItemType::ClientReport);
            if item.is_container() {
                let elements = item
                    .container_items()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(Some(elements.len() as u64), item.item_count(), "{name}");
            } else if item
                .content_type()
                .is_none_or(|ct| ct.as_str() == "application/json")
            {
                let json: serde_json::Value = serde_json::from_slice(item.payload())
                    .unwrap_or_else(|e| panic!("{name}: {} payload: {e}", item.ty()));
                assert!(
                    json.is_object(),
                    "{name}: {} payload is not an object",
                    item.ty()
                );
                // The header's event id, dashed or not, is the payload's.
                if item.ty().is_event_like()
                    && let Some(id) = json.get("event_id").and_then(|v| v.as_str())
                {
                    let id: EventId = id.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(p.envelope.event_id(), Some(id), "{name}");
                }
            }
        }
        by_scenario
            .entry(&req.scenario)
            .or_default()
            .extend(types(&p.envelope));
    }

    for (scenario, seen) in &by_scenario {
        let expected: BTreeSet<String> = expected_types(scenario)
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(seen, &expected, "{scenario}: item types");
    }
    // The scenarios the README promises are all there.
    for scenario in [
        "python/attachment",
        "python/check_in",
        "python/logs",
        "rust/panic",
    ] {
        assert!(
            by_scenario.contains_key(scenario),
            "{scenario} missing from the corpus"
        );
    }
}

#[test]
fn corpus_specifics() {
    let limits = Limits::default();
    let requests = corpus();
    let get = |name: &str| {
        let req = requests
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name} missing from the corpus"));
        process(req, &limits).unwrap_or_else(|e| panic!("{name}: {e}"))
    };

    let p = get("python/attachment/0000");
    let attachment = p
        .envelope
        .items_of(&ItemType::Attachment)
        .next()
        .expect("attachment item");
    assert_eq!(attachment.filename(), Some("order.csv"));
    assert_eq!(
        attachment.payload().as_ref(),
        b"order_id,amount\nA-17,12.99\n"
    );
    assert_eq!(
        attachment.quantities().collect::<Vec<_>>(),
        [
            (DataCategory::Attachment, 27),
            (DataCategory::AttachmentItem, 1)
        ]
    );

    let p = get("rust/panic/0000");
    assert_eq!(
        p.envelope.event_id().map(|id| id.to_string()).as_deref(),
        Some("2c046e02c2d848c69ac536c18085e8ff")
    );
    assert!(p.auth.timestamp.is_some_and(|t| t > 1.7e9));

    let p = get("python/logs/0000");
    let log = p.envelope.items().first().expect("log item");
    assert!(log.is_container());
    assert_eq!(log.item_count(), Some(2));
    assert_eq!(log.quantities().next(), Some((DataCategory::LogItem, 2)));
    assert!(p.envelope.headers().sent_at.is_some());
    assert_eq!(p.envelope.event_id(), None);

    let p = get("python/check_in/0000");
    assert_eq!(
        p.envelope
            .items()
            .first()
            .and_then(errata_protocol::envelope::Item::data_category),
        Some(DataCategory::Monitor)
    );
    let trace = p.envelope.headers().trace.as_ref().expect("trace header");
    assert_eq!(trace.get("public_key").and_then(|v| v.as_str()), Some(KEY));
}

#[test]
fn corpus_auth_variants() {
    let requests = corpus();
    let req = requests.first().expect("a request");
    let header = req.header("x-sentry-auth").expect("X-Sentry-Auth");
    // The same credentials in the Authorization header or the query string.
    let as_authorization = ClientAuth::from_request(None, Some(header), None)
        .expect("authorization")
        .expect("present");
    assert_eq!(as_authorization.public_key, KEY);
    let query =
        format!("sentry_key={KEY}&sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0");
    let as_query = ClientAuth::from_request(None, None, Some(&query))
        .expect("query")
        .expect("present");
    assert_eq!(as_query.public_key, KEY);
    // Both at once is rejected.
    let r = ClientAuth::from_request(Some(header), None, Some(&query));
    assert!(matches!(
        r,
        Err(Error::MultipleAuth(
            AuthSource::XSentryAuth,
            AuthSource::Query
        ))
    ));
    // Only the envelope header's dsn (a tunnel).
    let dsn = format!("http://{KEY}@127.0.0.1:33712/{PROJECT_ID}");
    let tunnel = auth::extract(None, None, None, Some(&dsn), Some(PROJECT_ID)).expect("dsn");
    assert_eq!(tunnel.public_key, KEY);
    assert!(matches!(
        auth::extract(None, None, None, None, Some(PROJECT_ID)),
        Err(Error::MissingAuth)
    ));
}

#[test]
fn corpus_limits_are_enforced() {
    let requests = corpus();
    let large = requests
        .iter()
        .find(|r| r.name == "python/large_payload/0000")
        .expect("large_payload in the corpus");
    // The decoded body is over 80 KB: a smaller decode limit rejects it.
    let r = encoding::decode(&large.body, large.header("content-encoding"), 64 * 1024);
    assert!(r.is_err_and(|e| e.is_too_large()));
    // A smaller event limit drops just the event item.
    let limits = Limits {
        max_event_size: 64 * 1024,
        ..Limits::default()
    };
    let p = process(large, &limits).expect("processes");
    let report = limits.check(&p.envelope);
    assert!(report.envelope.is_none());
    let violation = report.item(0).expect("event over the limit");
    assert_eq!(violation.item_type, ItemType::Event);
    assert!(violation.size > 64 * 1024);
}

#[test]
fn corrupted_corpus_bodies_never_panic() {
    let limits = Limits::default();
    for req in corpus() {
        let body = encoding::decode(
            &req.body,
            req.header("content-encoding"),
            limits.max_envelope_size,
        )
        .expect("decodes")
        .into_owned();
        let step = (body.len() / 64).max(1);
        for cut in (0..body.len()).step_by(step) {
            let _ = Envelope::parse(Bytes::copy_from_slice(body.get(..cut).expect("prefix")));
            let mut flipped = body.clone();
            if let Some(b) = flipped.get_mut(cut) {
                *b ^= 0x5a;
            }
            let _ = Envelope::parse(flipped);
        }
        let step = (req.body.len() / 16).max(1);
        for cut in (0..req.body.len()).step_by(step) {
            let r = encoding::decode(
                req.body.get(..cut).expect("prefix"),
                req.header("content-encoding"),
                limits.max_envelope_size,
            );
            if req.header("content-encoding").is_some() {
                assert!(r.is_err(), "{}: a truncated body decoded", req.name);
            }
        }
    }
}

#[test]
fn corpus_summary_snapshot() {
    let limits = Limits::default();
    let mut out = String::new();
    for req in corpus() {
        let p = process(&req, &limits).unwrap_or_else(|e| panic!("{}: {e}", req.name));
        let _ = writeln!(
            out,
            "{} encoding={} decoded={} event_id={}",
            req.name,
            req.header("content-encoding").unwrap_or("none"),
            p.decoded_len,
            p.envelope
                .event_id()
                .map_or_else(|| "-".to_owned(), |id| id.to_string()),
        );
        for item in p.envelope.items() {
            let _ = writeln!(
                out,
                "  {} len={} content_type={} category={} quantity={}{}",
                item.ty(),
                item.len(),
                item.content_type().map_or("-", |c| c.as_str()),
                item.data_category().map_or("-", DataCategory::as_str),
                item.quantity(),
                item.filename()
                    .map(|f| format!(" filename={f}"))
                    .unwrap_or_default(),
            );
        }
    }
    insta::assert_snapshot!(out);
}
