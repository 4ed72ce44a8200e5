//! Test support for every crate: the real HTTP requests official Sentry SDKs made,
//! captured byte for byte in `../shared/sdk-corpus` (beside the repository), loaded in a
//! stable order and decoded the way the server decodes a request.
//!
//! This crate does file IO and panics with a clear message when the corpus is missing;
//! it is a dev-dependency only.
//!
//! ```
//! let corpus = errata_corpus::load();
//! let first = &corpus[0];
//! let (auth, envelope) = first.decode().unwrap();
//! assert_eq!(auth.public_key, errata_corpus::PUBLIC_KEY);
//! assert!(!envelope.is_empty());
//! ```

pub mod adversarial;

use bytes::Bytes;
use errata_protocol::Error;
use errata_protocol::auth::ClientAuth;
use errata_protocol::envelope::Envelope;
use errata_protocol::envelope::ItemType;
use errata_protocol::intake::{self, Endpoint, IntakeLimits, RequestHead};
use errata_protocol::{Event, EventType, NormalizeContext};
use std::path::{Path, PathBuf};

/// The public key of the DSN the corpus was captured with.
pub const PUBLIC_KEY: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
/// The project id of the DSN the corpus was captured with.
pub const PROJECT_ID: u64 = 7;

/// The corpus directory: `../shared/sdk-corpus` relative to the repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sdk-corpus")
}

/// One captured request.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// `sdk/scenario/NNNN`, such as `python/fingerprint/0001`.
    pub name: String,
    /// `sdk/scenario`, such as `python/fingerprint`.
    pub scenario: String,
    /// The HTTP method.
    pub method: String,
    /// The request path, such as `/api/7/envelope/`.
    pub path: String,
    /// The query string without `?` (often empty).
    pub query: String,
    /// Headers in the order received.
    pub headers: Vec<(String, String)>,
    /// The raw body, still compressed when `Content-Encoding` says so.
    pub body: Vec<u8>,
}

impl CapturedRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The project id in the path (`/api/{id}/envelope/`).
    pub fn project_id(&self) -> Option<u64> {
        self.path
            .strip_prefix("/api/")?
            .split('/')
            .next()?
            .parse()
            .ok()
    }

    /// Auth, decoding and envelope parsing, as the server does them (through
    /// [`errata_protocol::intake`]), with default limits.
    pub fn decode(&self) -> Result<(ClientAuth, Envelope), Error> {
        let endpoint = if self.path.contains("/store") {
            Endpoint::Store
        } else {
            Endpoint::Envelope
        };
        let mut head = RequestHead::new(endpoint, self.project_id());
        head.x_sentry_auth = self.header("x-sentry-auth");
        head.authorization = self.header("authorization");
        head.query = Some(&self.query)
            .filter(|q| !q.is_empty())
            .map(String::as_str);
        head.content_encoding = self.header("content-encoding");
        head.content_type = self.header("content-type");
        head.content_length = Some(self.body.len() as u64);
        intake::read(
            &head,
            Bytes::from(self.body.clone()),
            IntakeLimits::default(),
        )
    }
}

/// The decompressed payload of every event item in the corpus.
///
/// # Panics
/// As [`load`], and when a request does not decode.
pub fn event_payloads() -> Vec<bytes::Bytes> {
    let mut out = Vec::new();
    for request in load() {
        let (_, envelope) = request.decode().expect("corpus request decodes");
        for item in envelope.items() {
            if *item.ty() == ItemType::Event {
                out.push(item.payload().clone());
            }
        }
    }
    out
}

/// Receive time for envelopes without `sent_at` (the Rust captures): just after them.
const RUST_RECEIVED_AT: f64 = 1_795_288_800.0;

/// One event of the corpus, normalized as the server does.
#[derive(Debug, Clone)]
pub struct CorpusEvent {
    /// `sdk/scenario/NNNN/ITEM`, such as `python/fingerprint/0001/0`.
    pub name: String,
    /// The normalized event.
    pub event: Event,
}

/// Every event, transaction and feedback item of the corpus, normalized with a receive
/// time equal to the envelope's `sent_at` (so no clock drift is applied) and the client
/// address `127.0.0.1`.
///
/// # Panics
/// As [`load`], and when a request does not decode or an item does not normalize.
pub fn events() -> Vec<CorpusEvent> {
    let mut out = Vec::new();
    for request in load() {
        let (auth, envelope) = request
            .decode()
            .unwrap_or_else(|e| panic!("{}: {e}", request.name));
        let sent_at = envelope.headers().sent_at_secs();
        for (index, item) in envelope.items().iter().enumerate() {
            let item_type = match item.ty() {
                ItemType::Event => None,
                ItemType::Transaction => Some(EventType::Transaction),
                ItemType::Feedback => Some(EventType::Feedback),
                _ => continue,
            };
            let mut ctx = NormalizeContext::new(sent_at.unwrap_or(RUST_RECEIVED_AT));
            ctx.sent_at = sent_at;
            ctx.event_id = envelope.event_id().map(|id| id.to_string());
            ctx.client.clone_from(&auth.client);
            ctx.client_ip = Some("127.0.0.1".into());
            ctx.item_type = item_type;
            let event = errata_protocol::normalize(item.payload(), &ctx)
                .unwrap_or_else(|e| panic!("{} item {index}: {e}", request.name));
            out.push(CorpusEvent {
                name: format!("{}/{index}", request.name),
                event,
            });
        }
    }
    out
}

/// Every request of the corpus, sorted by name.
///
/// # Panics
/// When the corpus is missing or a capture is unreadable: tests must not pass without it.
pub fn load() -> Vec<CapturedRequest> {
    let root = root();
    assert!(
        root.join("README.md").is_file(),
        "the SDK corpus is missing at {} (expected ../shared/sdk-corpus beside the clone)",
        root.display()
    );
    let mut out = Vec::new();
    for sdk in sorted_dirs(&root) {
        for scenario in sorted_dirs(&sdk) {
            for entry in sorted_entries(&scenario) {
                if entry.extension().is_some_and(|e| e == "json") {
                    out.push(read_request(&root, &entry));
                }
            }
        }
    }
    assert!(!out.is_empty(), "no requests found in {}", root.display());
    out
}

/// The requests of one scenario (`python/grouping_repeat`), in order.
///
/// # Panics
/// As [`load`], and when the scenario has no requests.
pub fn scenario(name: &str) -> Vec<CapturedRequest> {
    let requests: Vec<_> = load().into_iter().filter(|r| r.scenario == name).collect();
    assert!(!requests.is_empty(), "no corpus scenario named {name}");
    requests
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .collect();
    entries.sort();
    entries
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| p.is_dir())
        .collect()
}

fn read_request(root: &Path, meta_path: &Path) -> CapturedRequest {
    let fail = |what: &str| -> ! { panic!("{}: {what}", meta_path.display()) };
    let text = std::fs::read(meta_path).unwrap_or_else(|e| fail(&e.to_string()));
    let meta: serde_json::Value =
        serde_json::from_slice(&text).unwrap_or_else(|e| fail(&e.to_string()));
    let body_path = meta_path.with_extension("body");
    let body = std::fs::read(&body_path).unwrap_or_else(|e| fail(&e.to_string()));
    let headers = meta["headers"]
        .as_array()
        .unwrap_or_else(|| fail("no headers array"))
        .iter()
        .map(|pair| {
            let part = |i: usize| {
                pair[i]
                    .as_str()
                    .unwrap_or_else(|| fail("bad header pair"))
                    .to_owned()
            };
            (part(0), part(1))
        })
        .collect();
    let name = meta_path
        .strip_prefix(root)
        .unwrap_or_else(|_| fail("outside the corpus"))
        .with_extension("")
        .to_string_lossy()
        .replace('\\', "/");
    let scenario = name
        .rsplit_once('/')
        .map_or_else(|| name.clone(), |(s, _)| s.to_owned());
    let text = |key: &str| meta[key].as_str().unwrap_or_default().to_owned();
    CapturedRequest {
        scenario,
        method: text("method"),
        path: text("path"),
        query: text("query"),
        headers,
        body,
        name,
    }
}
