//! The envelopes `errata bench ingest` sends: the event items of the captured SDK corpus
//! (every SDK, every scenario), one envelope per group renamed so that grouping puts it in
//! its own issue, with a placeholder event id overwritten in place for every request.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use errata_protocol::envelope::{Envelope, ItemType};
use serde_json::{Value, json};

/// A placeholder event id, overwritten in place for every request.
const PLACEHOLDER: &[u8; 32] = b"beefbeefbeefbeefbeefbeefbeefbeef";

/// One ready envelope with the byte offsets of its event id.
#[derive(Debug)]
pub(crate) struct Prepared {
    body: Vec<u8>,
    id_offsets: Vec<usize>,
    pub(crate) raw_json: usize,
}

impl Prepared {
    pub(crate) fn instantiate(&self, id: &uuid::Uuid) -> Vec<u8> {
        let mut body = self.body.clone();
        let mut hex = [0u8; 32];
        id.simple().encode_lower(&mut hex);
        for &at in &self.id_offsets {
            body[at..at + 32].copy_from_slice(&hex);
        }
        body
    }
}

/// The event payloads of the corpus (every SDK, every scenario), in a stable order.
pub(crate) fn load_events(corpus: &Path) -> anyhow::Result<Vec<(String, Value)>> {
    let mut requests = Vec::new();
    for sdk in sorted(corpus)?.into_iter().filter(|p| p.is_dir()) {
        for scenario in sorted(&sdk)?.into_iter().filter(|p| p.is_dir()) {
            for meta in sorted(&scenario)? {
                if meta.extension().is_some_and(|e| e == "json") {
                    requests.push(meta);
                }
            }
        }
    }
    let mut events = Vec::new();
    for meta_path in requests {
        let meta: Value = serde_json::from_slice(&std::fs::read(&meta_path)?)
            .with_context(|| format!("reading {}", meta_path.display()))?;
        let encoding = meta["headers"].as_array().and_then(|headers| {
            headers.iter().find_map(|h| {
                let name = h.get(0)?.as_str()?;
                name.eq_ignore_ascii_case("content-encoding")
                    .then(|| h.get(1)?.as_str().map(str::to_owned))?
            })
        });
        let body = std::fs::read(meta_path.with_extension("body"))?;
        let decoded = errata_protocol::encoding::decode(&body, encoding.as_deref(), 64 << 20)
            .with_context(|| format!("decoding {}", meta_path.display()))?
            .into_owned();
        let Ok(envelope) = Envelope::parse(decoded) else {
            continue;
        };
        for item in envelope.items() {
            if *item.ty() == ItemType::Event
                && let Ok(event) = serde_json::from_slice::<Value>(item.payload())
            {
                events.push((meta_path.display().to_string(), event));
            }
        }
    }
    if events.is_empty() {
        bail!(
            "no events found in the corpus at {} (pass --corpus DIR)",
            corpus.display()
        );
    }
    Ok(events)
}

fn sorted(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// Base-26 letters: group names that survive message parameterization (digits do not).
fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

/// One envelope per group: group `g` takes event `g % events`, renamed by `g`.
pub(crate) fn prepare(events: &[(String, Value)], groups: usize) -> anyhow::Result<Vec<Prepared>> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let placeholder = std::str::from_utf8(PLACEHOLDER)?;
    (0..groups)
        .map(|g| {
            let (_, template) = &events[g % events.len()];
            let mut event = template.clone();
            let suffix = letters(g);
            event["event_id"] = json!(placeholder);
            event["timestamp"] = json!(now);
            let exception = event
                .pointer_mut("/exception/values")
                .and_then(Value::as_array_mut)
                .and_then(|values| values.last_mut());
            if let Some(exception) = exception {
                let ty = exception["type"].as_str().unwrap_or("Error");
                exception["type"] = json!(format!("{ty}Bench{}", suffix.to_uppercase()));
            } else {
                let text = event
                    .pointer("/logentry/message")
                    .or_else(|| event.pointer("/message"))
                    .and_then(Value::as_str)
                    .unwrap_or("bench message")
                    .to_owned();
                if let Some(obj) = event.as_object_mut() {
                    obj.remove("logentry");
                    obj.remove("fingerprint");
                }
                event["message"] = json!(format!("{text} (bench group {suffix})"));
            }
            let payload = serde_json::to_vec(&event)?;
            let mut body = Vec::with_capacity(payload.len() + 200);
            body.extend_from_slice(json!({ "event_id": placeholder }).to_string().as_bytes());
            body.push(b'\n');
            body.extend_from_slice(
                json!({ "type": "event", "content_type": "application/json", "length": payload.len() })
                    .to_string()
                    .as_bytes(),
            );
            body.push(b'\n');
            body.extend_from_slice(&payload);
            body.push(b'\n');
            let id_offsets = body
                .windows(PLACEHOLDER.len())
                .enumerate()
                .filter(|(_, w)| *w == PLACEHOLDER)
                .map(|(i, _)| i)
                .collect();
            Ok(Prepared {
                body,
                id_offsets,
                raw_json: payload.len(),
            })
        })
        .collect()
}
