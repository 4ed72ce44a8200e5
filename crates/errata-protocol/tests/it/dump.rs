//! A differential dump of normalization, for changes that must not change its output:
//! every corpus event, every adversarial event, and mutations of the corpus events (each
//! value replaced by values of every JSON shape, escaped strings, long lists, repeated
//! keys) normalized and written as JSON lines to `$ERRATA_DUMP_DIR`, one file per source
//! event. Run before and after a change and compare the directories byte for byte:
//! `ERRATA_DUMP_DIR=/tmp/x cargo test -p errata-protocol --test it dump -- --ignored`.

use errata_protocol::{NormalizeContext, normalize};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::PathBuf;

const EVENT_ID: &str = "0123456789abcdef0123456789abcdef";

/// The normalized event, as JSON when short, else as its length and a hash (outputs of
/// large corpus events times thousands of mutations would fill the disk).
fn out(payload: &[u8], header_id: bool) -> String {
    let text = full(payload, header_id);
    if text.len() <= 4096 {
        return text;
    }
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&text, &mut hasher);
    format!(
        "H {} {:016x}",
        text.len(),
        std::hash::Hasher::finish(&hasher)
    )
}

fn full(payload: &[u8], header_id: bool) -> String {
    let mut ctx = NormalizeContext::new(1_795_288_800.0);
    ctx.client_ip = Some("127.0.0.1".into());
    ctx.client = Some("sentry.python/2.75.0".into());
    if header_id {
        ctx.event_id = Some(EVENT_ID.into());
    }
    match normalize(payload, &ctx) {
        Ok(mut event) => {
            if !header_id {
                event.event_id = String::new();
            }
            serde_json::to_string(&event).unwrap()
        }
        Err(e) => format!("ERR {e}"),
    }
}

/// Replacement values of every shape.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(1),
        json!(-7),
        json!(1.5),
        json!(18_446_744_073_709_551_615_u64),
        json!("s"),
        json!(""),
        json!("ValueError: bad \"quoted\"\n\ttab \u{e9}\u{1F600}"),
        json!("?"),
        json!("true"),
        json!("12"),
        json!("2023-11-14T22:13:20Z"),
        json!("https://x.example/a/b.js?v=1#h"),
        json!("x".repeat(3000)),
        json!([]),
        json!([1, "a", null, true, {"k": "v"}, ["x", "y"]]),
        json!([["k", "v"], ["a\\b", 2]]),
        json!({}),
        json!({"a": 1, "b": "\u{2028}", "values": [{"type": "T"}]}),
        json!({"frames": [{"function": "f"}]}),
    ]
}

/// Every path of containers and leaves in `value`, in order.
fn paths(value: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(Value::String(k.clone()));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prefix.push(json!(i));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, k| match k {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[usize::try_from(i.as_u64().unwrap()).unwrap()],
        _ => unreachable!(),
    })
}

/// Long lists and repeated keys, as text.
fn shaped(event: &Value) -> Vec<Vec<u8>> {
    let mut cases = Vec::new();
    let frame = |i: usize| {
        json!({"function": format!("f{i}"), "filename": "a.py", "lineno": i,
               "context_line": "x", "pre_context": ["a", null], "in_app": i.is_multiple_of(3),
               "vars": {"i": i}})
    };
    let frames: Vec<Value> = (0..600).map(frame).collect();
    let mut e = event.clone();
    e["exception"] = json!({"values": [{"type": "E", "stacktrace": {"frames": frames}}]});
    cases.push(e.to_string().into_bytes());
    let mut e = event.clone();
    e["stacktrace"] = json!({"frames": frames, "registers": {"rip": "0x1"}});
    cases.push(e.to_string().into_bytes());
    let chain: Vec<Value> = (0..150)
        .map(|i| json!({"type": format!("E{i}"), "value": i}))
        .collect();
    let mut e = event.clone();
    e["exception"] = json!(chain);
    cases.push(e.to_string().into_bytes());
    let threads: Vec<Value> = (0..400)
        .map(|i| {
            json!({"id": i, "crashed": i == 390, "current": if i == 5 { json!("true") } else { json!(null) },
                   "stacktrace": {"frames": [frame(i)]}})
        })
        .collect();
    let mut e = event.clone();
    e["threads"] = json!({ "values": threads });
    cases.push(e.to_string().into_bytes());
    let crumbs: Vec<Value> = (0..300)
        .map(|i| {
            json!({"message": format!("m{i}\n\"q\""), "timestamp": 1_795_288_000 + i,
                   "level": if i % 2 == 0 { "warning" } else { "nope" }, "data": {"i": i}})
        })
        .collect();
    for crumbs in [json!(crumbs), json!({"values": crumbs, "x": 1})] {
        let mut e = event.clone();
        e["breadcrumbs"] = crumbs;
        cases.push(e.to_string().into_bytes());
    }
    let mut e = event.clone();
    e["tags"] = Value::Object((0..2000).map(|i| (format!("t{i}"), json!(i))).collect());
    cases.push(e.to_string().into_bytes());
    // Repeated keys at every level the readers look at.
    let text = event.to_string();
    for (from, to) in [
        ("{\"type\":", "{\"type\":\"First\",\"type\":"),
        ("{\"function\":", "{\"function\":1,\"function\":"),
        ("\"frames\":[", "\"frames\":[{}],\"frames\":["),
        ("\"exception\":", "\"exception\":null,\"exception\":"),
        ("\"breadcrumbs\":", "\"breadcrumbs\":[{}],\"breadcrumbs\":"),
        ("\"values\":[", "\"values\":7,\"values\":["),
        ("\"lineno\":", "\"lineno\":\"x\",\"lineno\":"),
        ("\"mechanism\":{", "\"mechanism\":{\"handled\":5,"),
        ("\"a", "\"\\u0061"),
        ("\"f", "\"\\u0066"),
        (":\"", ":\"\\/"),
    ] {
        if text.contains(from) {
            cases.push(text.replacen(from, to, 3).into_bytes());
        }
    }
    cases
}

#[test]
#[ignore = "a differential dump: run by hand with ERRATA_DUMP_DIR"]
fn dump() {
    let dir = PathBuf::from(std::env::var("ERRATA_DUMP_DIR").expect("ERRATA_DUMP_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut count = 0;
    let payloads = errata_corpus::event_payloads();
    for (n, payload) in payloads.iter().enumerate() {
        let mut text = String::new();
        writeln!(text, "{}", full(payload, false)).unwrap();
        writeln!(text, "{}", full(payload, true)).unwrap();
        count += 2;
        let event: Value = serde_json::from_slice(payload).unwrap();
        let mut all = Vec::new();
        paths(&event, &mut Vec::new(), &mut all);
        // Paths under the fields the readers descend into most, and others, sampled.
        let hot = ["exception", "threads", "stacktrace", "breadcrumbs"];
        let is_hot = |path: &Vec<Value>| {
            path.first()
                .and_then(Value::as_str)
                .is_some_and(|k| hot.contains(&k))
        };
        let n_hot = all.iter().filter(|p| is_hot(p)).count();
        let (hot_stride, cold_stride) = (n_hot / 400 + 1, (all.len() - n_hot) / 100 + 1);
        let (mut seen_hot, mut seen_cold) = (0, 0);
        let chosen = all.iter().skip(1).filter(|path| {
            let (i, stride) = if is_hot(path) {
                (&mut seen_hot, hot_stride)
            } else {
                (&mut seen_cold, cold_stride)
            };
            *i += 1;
            *i % stride == 0
        });
        let chosen: Vec<_> = chosen.enumerate().collect();
        for (_, path) in chosen {
            for replacement in replacements() {
                let mut e = event.clone();
                *at(&mut e, path) = replacement;
                writeln!(text, "{}", out(e.to_string().as_bytes(), true)).unwrap();
                count += 1;
            }
        }
        for case in shaped(&event) {
            writeln!(text, "{}", out(&case, true)).unwrap();
            count += 1;
        }
        std::fs::write(dir.join(format!("corpus-{n:04}.jsonl")), text).unwrap();
    }
    for (name, payload) in errata_corpus::adversarial::all() {
        std::fs::write(
            dir.join(format!("adversarial-{name}.json")),
            full(&payload, true),
        )
        .unwrap();
        count += 1;
    }
    // The count, for the record of a run (`--nocapture` shows it on failure only).
    assert!(
        count > 1000,
        "{count} events normalized into {}",
        dir.display()
    );
}
