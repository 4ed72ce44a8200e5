//! The event view built from real SDK events (the corpus, normalized as ingest does) and
//! from hand-written shapes the corpus lacks (a browser error).

use serde_json::{Value, json};

use super::*;

/// The normalized JSON of the corpus event whose name starts with `prefix`.
pub(crate) fn corpus_event(prefix: &str) -> Value {
    let event = errata_corpus::events()
        .into_iter()
        .find(|e| e.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no corpus event {prefix}"));
    serde_json::to_value(&event.event).unwrap()
}

fn all_frames(stack: &StackView) -> Vec<&FrameView> {
    stack.groups.iter().flat_map(|g| &g.frames).collect()
}

#[test]
fn python_chained_exception_reads_outermost_first_with_context() {
    let view = EventView::new(&corpus_event("python/exception_chained/"));
    assert_eq!(view.event_id.len(), 32);
    assert_eq!(view.level, "error");
    let types: Vec<_> = view.exceptions.iter().map(|e| e.ty.as_str()).collect();
    assert_eq!(types, ["ValueError", "KeyError"]);
    assert_eq!(view.exceptions[1].relation.as_deref(), Some("Caused by"));
    let inner = view.exceptions[1].stack.as_ref().unwrap();
    let frames = all_frames(inner);
    // Most recent call first: load_order raised, called by checkout, called by <module>.
    let functions: Vec<_> = frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(functions, ["load_order", "checkout", "<module>"]);
    let top = frames[0];
    assert_eq!(top.filename.as_deref(), Some("python_scenarios.py"));
    assert_eq!(top.lineno, Some(23));
    let current: Vec<_> = top.context.iter().filter(|l| l.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].text, "    return orders[order_id]");
    assert_eq!(current[0].number, Some(23));
    assert_eq!(top.context_start, Some(18));
    // The Python SDK marks no frame here: all are the application's, nothing is folded.
    assert!(inner.groups.iter().all(|g| !g.collapsed));
    assert_eq!(
        inner.groups.len(),
        1,
        "consecutive in-app frames share one list"
    );
    assert!(frames.iter().all(|f| f.in_app && f.expanded));
    assert_eq!(view.sdk.as_ref().unwrap().name, "sentry.python.flask");
    assert!(view.contexts.iter().any(|c| c.name == "runtime"));
    assert_eq!(
        view.contexts[0].name, "runtime",
        "well-known contexts first"
    );
    assert!(view.tags.contains(&("server_name".into(), "web-1".into())));
}

#[test]
fn flask_request_folds_library_frames_and_shows_the_request() {
    let view = EventView::new(&corpus_event("python/flask_request/0000"));
    let stack = view.exceptions[0].stack.as_ref().unwrap();
    assert!(
        !stack.groups[0].collapsed,
        "the raising app frame comes first"
    );
    assert_eq!(stack.groups[0].frames[0].function, "load_order");
    assert!(stack.groups[0].frames[0].in_app);
    let folded: Vec<_> = stack.groups.iter().filter(|g| g.collapsed).collect();
    assert!(!folded.is_empty(), "flask's frames are folded");
    assert!(folded.iter().flat_map(|g| &g.frames).all(|f| {
        f.filename
            .as_deref()
            .is_some_and(|n| n.starts_with("flask"))
    }));
    let vars = &stack.groups[0].frames[0].vars;
    assert!(
        vars.contains(&("order_id".into(), "'B-9'".into())),
        "{vars:?}"
    );
    let request = view.request.unwrap();
    assert_eq!(request.method.as_deref(), Some("GET"));
    assert_eq!(request.url.as_deref(), Some("http://localhost/orders/B-9"));
    assert_eq!(request.query, vec![("expand".into(), "items".into())]);
    assert!(
        request
            .headers
            .contains(&("Authorization".into(), "[Filtered]".into()))
    );
    assert!(
        view.user
            .contains(&("IP address".into(), "127.0.0.1".into()))
    );
}

#[test]
fn breadcrumbs_keep_their_order_and_data() {
    let view = EventView::new(&corpus_event("python/breadcrumbs/"));
    let categories: Vec<_> = view
        .breadcrumbs
        .iter()
        .map(|b| b.category.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(categories, ["auth", "http", "query"]);
    assert_eq!(
        view.breadcrumbs[0].message.as_deref(),
        Some("Authenticated user ana")
    );
    assert_eq!(view.breadcrumbs[1].ty, "http");
    assert!(
        view.breadcrumbs[1]
            .data
            .contains(&("status_code".into(), "200".into()))
    );
    let time = view.breadcrumbs[0].time.as_ref().unwrap();
    assert!(
        time.iso.ends_with('Z') && time.human.ends_with(" UTC"),
        "{time:?}"
    );
    assert!(
        view.extra
            .iter()
            .any(|(k, v)| k == "sys.argv" && v.contains("breadcrumbs"))
    );
}

#[test]
fn rust_panic_shows_in_app_frames_and_folds_the_rest() {
    let view = EventView::new(&corpus_event("rust/panic/"));
    let exception = &view.exceptions[0];
    assert_eq!(exception.ty, "panic");
    assert_eq!(exception.handled_text(), "unhandled");
    assert_eq!(exception.mechanism.as_deref(), Some("panic"));
    let stack = exception.stack.as_ref().unwrap();
    assert!(stack.frame_count > 10);
    assert!(
        stack
            .groups
            .iter()
            .any(|g| g.collapsed && !g.frames.is_empty())
    );
    for group in &stack.groups {
        assert!(group.frames.iter().all(|f| f.in_app != group.collapsed));
    }
    // Consecutive frames of one kind share one group.
    for pair in stack.groups.windows(2) {
        assert_ne!(pair[0].collapsed, pair[1].collapsed);
    }
    assert!(
        all_frames(stack)
            .iter()
            .any(|f| f.instruction_addr.is_some())
    );
}

#[test]
fn rust_message_event_shows_its_message_and_threads() {
    let view = EventView::new(&corpus_event("rust/tracing_integration/"));
    assert_eq!(view.message.as_deref(), Some("payment provider timeout"));
    assert!(view.exceptions.is_empty());
    assert!(!view.threads.is_empty());
    assert!(view.threads[0].current);
    assert_eq!(view.breadcrumbs[0].ty, "log");
}

#[test]
fn large_payload_lists_what_ingest_trimmed() {
    let view = EventView::new(&corpus_event("python/large_payload/"));
    assert!(view.processing_errors.len() >= 2);
    assert!(view.processing_errors.iter().all(|e| e.kind == "Trimmed"));
    assert!(
        view.processing_errors
            .iter()
            .any(|e| e.path == "exception.values.0.stacktrace.frames")
    );
}

#[test]
fn every_corpus_event_builds() {
    for event in errata_corpus::events() {
        let json = serde_json::to_value(&event.event).unwrap();
        let view = EventView::new(&json);
        assert!(!view.event_id.is_empty(), "{}", event.name);
    }
}

/// A browser error as the JavaScript SDK sends it, normalized.
pub(crate) fn browser_error() -> Value {
    json!({
        "event_id": "0123456789abcdef0123456789abcdef",
        "level": "error", "platform": "javascript", "timestamp": 1_795_288_517.5,
        "exception": {"values": [{
            "type": "TypeError",
            "value": "Cannot read properties of undefined (reading 'total')",
            "mechanism": {"type": "onerror", "handled": false},
            "stacktrace": {"frames": [
                {"filename": "https://shop.example/static/vendor.js", "function": "HTMLButtonElement.dispatch",
                 "in_app": false, "lineno": 2, "colno": 41203},
                {"filename": "https://shop.example/static/vendor.js", "function": "r.handle",
                 "in_app": false, "lineno": 2, "colno": 39001},
                {"filename": "https://shop.example/static/app.js", "abs_path": "https://shop.example/static/app.js",
                 "function": "renderCart", "in_app": true, "lineno": 88, "colno": 17,
                 "pre_context": ["function renderCart(cart) {"],
                 "context_line": "  const total = cart.summary.total;",
                 "post_context": ["  return total;", "}"]}
            ]}
        }]},
        "breadcrumbs": {"values": [
            {"timestamp": 1_795_288_510.0, "type": "navigation", "category": "navigation",
             "level": "info", "data": {"from": "/", "to": "/cart"}},
            {"timestamp": 1_795_288_516.0, "type": "default", "category": "ui.click",
             "level": "info", "message": "button#checkout"}
        ]},
        "request": {"url": "https://shop.example/cart", "headers": [["User-Agent", "Mozilla/5.0"]]},
        "contexts": {"browser": {"type": "browser", "name": "Firefox", "version": "133.0"},
                     "os": {"type": "os", "name": "Windows", "version": "10"}},
        "sdk": {"name": "sentry.javascript.browser", "version": "9.1.0",
                "integrations": ["InboundFilters", "GlobalHandlers"]},
        "tags": [["browser", "Firefox 133.0"], ["url", "https://shop.example/cart"]]
    })
}

#[test]
fn browser_error_reads_like_sentry_shows_it() {
    let view = EventView::new(&browser_error());
    let stack = view.exceptions[0].stack.as_ref().unwrap();
    assert_eq!(stack.groups.len(), 2);
    assert!(!stack.groups[0].collapsed);
    let app = &stack.groups[0].frames[0];
    assert_eq!(app.function, "renderCart");
    assert_eq!((app.lineno, app.colno), (Some(88), Some(17)));
    assert!(app.expanded);
    assert_eq!(app.abs_path, None, "same as the filename");
    assert!(
        app.context
            .iter()
            .any(|l| l.current && l.number == Some(88))
    );
    assert!(stack.groups[1].collapsed);
    let names: Vec<_> = stack.groups[1]
        .frames
        .iter()
        .map(|f| f.function.as_str())
        .collect();
    assert_eq!(names, ["r.handle", "HTMLButtonElement.dispatch"]);
    let contexts: Vec<_> = view.contexts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(contexts, ["os", "browser"]);
    assert_eq!(view.breadcrumbs[1].category.as_deref(), Some("ui.click"));
}

#[test]
fn nonsense_does_not_panic() {
    for value in [
        json!(null),
        json!([]),
        json!("event"),
        json!({"exception": 4, "threads": "x", "breadcrumbs": {"values": {}}, "request": [],
               "user": "u", "contexts": [1], "sdk": {"name": 5, "integrations": "x"},
               "tags": {"a": {"b": 1}}, "extra": [1], "errors": {"x": 1}, "_meta": [1],
               "timestamp": "soon", "level": 40, "message": {"formatted": 3},
               "fingerprint": [1, null, "x"], "stacktrace": {"frames": [{"vars": {"a": null}}]}}),
    ] {
        let view = EventView::new(&value);
        let _ = format!("{view:?}");
    }
}
