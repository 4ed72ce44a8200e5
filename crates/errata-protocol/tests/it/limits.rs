//! Every collection an SDK controls is cut, not rejected: for each one, an event with
//! N-1, N and N+1 items normalizes, keeps exactly min(n, N) of them, and records one
//! `trimmed` error at the collection's path only at N+1. Also the adversarial events of
//! the benchmark (70,000 distinct tags, 50,000 breadcrumbs, JSON 10,000 levels deep)
//! normalize into events, and no corpus event comes near any limit.

use errata_protocol::event::{
    MAX_CONTEXTS, MAX_EXTRA_KEYS, MAX_FINGERPRINT_PARTS, MAX_LOG_PARAMS, MAX_MODULES,
    MAX_OTHER_BYTES, MAX_OTHER_KEYS, MAX_SDK_INTEGRATIONS, MAX_SDK_PACKAGES,
};
use errata_protocol::request::{MAX_COOKIES, MAX_ENV, MAX_HEADERS, MAX_QUERY_PARAMS};
use errata_protocol::stacktrace::{MAX_CONTEXT_LINES, MAX_FRAMES};
use errata_protocol::user::{MAX_USER_DATA_KEYS, MAX_USER_FIELD};
use errata_protocol::{ErrorKind, Event, NormalizeContext, normalize};
use serde_json::{Map, Value, json};

const NOW: f64 = 1_795_288_800.0;

fn run(payload: &Value) -> Event {
    normalize(payload.to_string().as_bytes(), &NormalizeContext::new(NOW)).expect("an event")
}

fn list(n: usize, item: impl Fn(usize) -> Value) -> Value {
    Value::Array((0..n).map(item).collect())
}

fn object(n: usize, entry: impl Fn(usize) -> (String, Value)) -> Value {
    Value::Object((0..n).map(entry).collect::<Map<_, _>>())
}

/// One collection: its limit, a payload with `n` items, how many an event kept, and the
/// path its cut is recorded at.
struct Case {
    limit: usize,
    payload: fn(usize) -> Value,
    kept: fn(&Event) -> usize,
    path: &'static str,
}

#[allow(
    clippy::too_many_lines,
    reason = "one entry per collection: the list is the point"
)]
fn cases() -> Vec<Case> {
    vec![
        Case {
            limit: errata_protocol::tags::MAX_TAGS,
            payload: |n| json!({"tags": object(n, |i| (format!("t{i}"), json!("v")))}),
            kept: |e| e.tags.len(),
            path: "tags",
        },
        Case {
            limit: errata_protocol::breadcrumb::MAX_BREADCRUMBS,
            payload: |n| json!({"breadcrumbs": {"values": list(n, |i| json!({"message": i.to_string()}))}}),
            kept: |e| e.breadcrumbs.values.len(),
            path: "breadcrumbs.values",
        },
        Case {
            limit: errata_protocol::exception::MAX_EXCEPTIONS,
            payload: |n| json!({"exception": {"values": list(n, |i| json!({"type": format!("E{i}")}))}}),
            kept: |e| e.exception.values.len(),
            path: "exception.values",
        },
        Case {
            limit: errata_protocol::thread::MAX_THREADS,
            payload: |n| json!({"threads": {"values": list(n, |i| json!({"id": i}))}}),
            kept: |e| e.threads.values.len(),
            path: "threads.values",
        },
        Case {
            limit: MAX_FRAMES,
            payload: |n| json!({"stacktrace": {"frames": list(n, |i| json!({"function": format!("f{i}")}))}}),
            kept: |e| e.stacktrace.as_ref().map_or(0, |s| s.frames.len()),
            path: "stacktrace.frames",
        },
        Case {
            limit: MAX_CONTEXT_LINES,
            payload: |n| json!({"stacktrace": {"frames": [{"function": "f", "pre_context": list(n, |i| json!(i.to_string()))}]}}),
            kept: |e| {
                e.stacktrace
                    .as_ref()
                    .map_or(0, |s| s.frames[0].pre_context.len())
            },
            path: "stacktrace.frames.0.pre_context",
        },
        Case {
            limit: MAX_CONTEXT_LINES,
            payload: |n| json!({"stacktrace": {"frames": [{"function": "f", "post_context": list(n, |i| json!(i.to_string()))}]}}),
            kept: |e| {
                e.stacktrace
                    .as_ref()
                    .map_or(0, |s| s.frames[0].post_context.len())
            },
            path: "stacktrace.frames.0.post_context",
        },
        Case {
            limit: MAX_CONTEXTS,
            payload: |n| json!({"contexts": object(n, |i| (format!("c{i}"), json!({"k": i})))}),
            kept: |e| e.contexts.len(),
            path: "contexts",
        },
        Case {
            limit: MAX_EXTRA_KEYS,
            payload: |n| json!({"extra": object(n, |i| (format!("x{i}"), json!(i)))}),
            kept: |e| e.extra.len(),
            path: "extra",
        },
        Case {
            limit: MAX_MODULES,
            payload: |n| json!({"modules": object(n, |i| (format!("m{i}"), json!("1.0")))}),
            kept: |e| e.modules.len(),
            path: "modules",
        },
        Case {
            limit: MAX_FINGERPRINT_PARTS,
            payload: |n| json!({"fingerprint": list(n, |i| json!(format!("p{i}")))}),
            kept: |e| e.fingerprint.as_ref().map_or(0, Vec::len),
            path: "fingerprint",
        },
        Case {
            limit: MAX_LOG_PARAMS,
            payload: |n| json!({"logentry": {"message": "m %s", "params": list(n, |i| json!(i))}}),
            kept: |e| e.logentry.as_ref().map_or(0, |l| l.params.len()),
            path: "logentry.params",
        },
        Case {
            limit: MAX_SDK_INTEGRATIONS,
            payload: |n| json!({"sdk": {"name": "s", "integrations": list(n, |i| json!(format!("i{i}")))}}),
            kept: |e| e.sdk.as_ref().map_or(0, |s| s.integrations.len()),
            path: "sdk.integrations",
        },
        Case {
            limit: MAX_SDK_PACKAGES,
            payload: |n| json!({"sdk": {"name": "s", "packages": list(n, |i| json!({"name": format!("p{i}"), "version": "1"}))}}),
            kept: |e| e.sdk.as_ref().map_or(0, |s| s.packages.len()),
            path: "sdk.packages",
        },
        Case {
            limit: MAX_HEADERS,
            payload: |n| json!({"request": {"headers": list(n, |i| json!([format!("x-h{i}"), "v"]))}}),
            kept: |e| e.request.as_ref().map_or(0, |r| r.headers.len()),
            path: "request.headers",
        },
        Case {
            limit: MAX_COOKIES,
            payload: |n| json!({"request": {"cookies": object(n, |i| (format!("c{i}"), json!("v")))}}),
            kept: |e| e.request.as_ref().map_or(0, |r| r.cookies.len()),
            path: "request.cookies",
        },
        Case {
            limit: MAX_COOKIES,
            payload: |n| {
                let text: Vec<String> = (0..n).map(|i| format!("c{i}=v")).collect();
                json!({"request": {"cookies": text.join("; ")}})
            },
            kept: |e| e.request.as_ref().map_or(0, |r| r.cookies.len()),
            path: "request.cookies",
        },
        Case {
            limit: MAX_QUERY_PARAMS,
            payload: |n| {
                let text: Vec<String> = (0..n).map(|i| format!("q{i}=v")).collect();
                json!({"request": {"query_string": text.join("&")}})
            },
            kept: |e| e.request.as_ref().map_or(0, |r| r.query_string.len()),
            path: "request.query_string",
        },
        Case {
            limit: MAX_ENV,
            payload: |n| json!({"request": {"env": object(n, |i| (format!("E{i}"), json!("v")))}}),
            kept: |e| e.request.as_ref().map_or(0, |r| r.env.len()),
            path: "request.env",
        },
        Case {
            limit: MAX_USER_DATA_KEYS,
            payload: |n| json!({"user": {"id": "u", "data": object(n, |i| (format!("d{i}"), json!(i)))}}),
            kept: |e| e.user.as_ref().map_or(0, |u| u.data.len()),
            path: "user.data",
        },
        Case {
            limit: MAX_USER_DATA_KEYS,
            payload: |n| {
                let mut user = object(n, |i| (format!("d{i}"), json!(i)));
                user["id"] = json!("u");
                json!({ "user": user })
            },
            kept: |e| e.user.as_ref().map_or(0, |u| u.data.len()),
            path: "user.data",
        },
        Case {
            limit: MAX_OTHER_KEYS,
            payload: |n| object(n, |i| (format!("zz{i}"), json!(i))),
            kept: |e| e.other.len(),
            path: "",
        },
    ]
}

#[test]
fn every_collection_is_cut_at_its_limit_and_only_past_it() {
    for case in cases() {
        let n = case.limit;
        for (items, kept) in [(n - 1, n - 1), (n, n), (n + 1, n)] {
            let event = run(&(case.payload)(items));
            let what = format!("{} with {items} items", case.path);
            assert_eq!((case.kept)(&event), kept, "{what}");
            let cuts: Vec<_> = event
                .errors
                .iter()
                .filter(|e| e.kind == ErrorKind::Trimmed && e.name == case.path)
                .collect();
            if items > n {
                assert_eq!(cuts.len(), 1, "{what}: {:?}", event.errors);
                assert!(
                    cuts[0].reason.starts_with("1 "),
                    "{what}: {}",
                    cuts[0].reason
                );
            } else {
                assert!(event.errors.is_empty(), "{what}: {:?}", event.errors);
            }
        }
    }
}

#[test]
fn lists_keep_the_end_that_matters() {
    let last = |e: &Event| e.breadcrumbs.values.last().and_then(|b| b.message.clone());
    let crumbs = run(&json!({"breadcrumbs": list(101, |i| json!({"message": i.to_string()}))}));
    assert_eq!(crumbs.breadcrumbs.values[0].message.as_deref(), Some("1"));
    assert_eq!(last(&crumbs).as_deref(), Some("100"));
    let chain = run(&json!({"exception": list(101, |i| json!({"type": format!("E{i}")}))}));
    assert_eq!(chain.main_exception().unwrap().ty.as_deref(), Some("E100"));
    let threads = run(&json!({"threads": list(400, |i| json!({"id": i, "crashed": i == 399}))}));
    let threads = &threads.threads.values;
    assert_eq!(threads.len(), errata_protocol::thread::MAX_THREADS);
    assert_eq!(threads.last().unwrap().id, Some(json!(399)));
    assert_eq!(threads.last().unwrap().crashed, Some(true));
    let tags =
        run(&json!({"tags": list(300, |i| json!([format!("t{i}"), "v"])), "server_name": "web-1"}));
    assert_eq!(tags.tags.len(), errata_protocol::tags::MAX_TAGS);
    assert_eq!(tags.tag("server_name"), Some("web-1"));
    assert_eq!(tags.tags[0].0, "t0");
}

#[test]
fn unknown_keys_and_user_fields_have_byte_budgets() {
    let half = "x".repeat(MAX_OTHER_BYTES / 2 + 1);
    let event = run(&json!({"zz_a": half, "zz_b": half, "zz_c": 1}));
    assert!(event.other.contains_key("zz_a") && event.other.contains_key("zz_c"));
    assert!(!event.other.contains_key("zz_b"));
    assert_eq!(event.errors.len(), 1);
    assert_eq!(event.errors[0].name, "zz_b");
    let long = "u".repeat(MAX_USER_FIELD + 1);
    let user = run(&json!({"user": {"id": long, "email": "a@b.c"}}))
        .user
        .unwrap();
    assert_eq!(user.id.unwrap().len(), MAX_USER_FIELD);
    assert_eq!(user.email.as_deref(), Some("a@b.c"));
}

#[test]
fn adversarial_events_normalize_into_events() {
    // 70,000 distinct tags, ~840 kB.
    let tags = object(70_000, |i| (i.to_string(), json!("v")));
    let event = run(&json!({ "tags": tags }));
    assert_eq!(event.tags.len(), errata_protocol::tags::MAX_TAGS);
    let cut = event
        .errors
        .iter()
        .find(|e| e.name == "tags")
        .expect("a cut");
    assert!(
        cut.reason.starts_with("69800 of 70000 tags"),
        "{}",
        cut.reason
    );
    // 50,000 breadcrumbs, ~800 kB: only the last 100 are read.
    let mut crumbs: Vec<Value> = (0..50_000).map(|_| json!({"message": "m"})).collect();
    crumbs[49_999] = json!({"message": "last"});
    let event = run(&json!({ "breadcrumbs": crumbs }));
    assert_eq!(event.breadcrumbs.values.len(), 100);
    let last = event.breadcrumbs.values.last().unwrap();
    assert_eq!(last.message.as_deref(), Some("last"));
    assert_eq!(event.errors.len(), 1, "{:?}", event.errors);
    // 10,000 levels of JSON in `extra`.
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let payload = format!("{{\"message\": \"m\", \"extra\": {{\"deep\": {deep}, \"ok\": 1}}}}");
    let event = normalize(payload.as_bytes(), &NormalizeContext::new(NOW)).expect("an event");
    assert_eq!(event.extra["ok"], 1);
    assert_eq!(event.errors[0].name, "");
    assert!(event.errors[0].reason.contains("deeper than"));
}

#[test]
fn corpus_events_are_far_from_every_limit() {
    for corpus_event in errata_corpus::events() {
        for error in &corpus_event.event.errors {
            let reason = &error.reason;
            assert!(
                !reason.contains("over the limit of")
                    && !reason.contains("byte budget")
                    && !reason.contains("deeper than"),
                "{}: {error:?}",
                corpus_event.name
            );
        }
    }
}
