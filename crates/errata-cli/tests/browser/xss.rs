//! Hostile event data in the browser: every DSN key is public, so every field the UI
//! shows may carry markup. An event with script, HTML, SVG, `javascript:` and remote
//! image payloads in each displayed field (with an attachment and a user report) goes in
//! through the real envelope endpoint; the issue list, the detail and the raw JSON must
//! show the payloads as text: no dialog, no script run, no injected element, no request
//! to the leak listener.

use serde_json::{Value, json};

use crate::harness::ServerProcess;
use crate::webdriver::Browser;
use crate::{LeakListener, browser, login, ui_missing};

const SCRIPT: &str = "<script>window.__pwned=1</script>";
const IMG: &str = "\"><img src=x onerror=\"window.__pwned=2\">";
const SVG: &str = "<svg onload=\"window.__pwned=3\">";
const JS_URL: &str = "javascript:window.__pwned=4";

/// Everything at once, with the remote image pointing at `port`.
fn payload(port: u16) -> String {
    format!("{SCRIPT}{IMG}{SVG}<img src=\"http://127.0.0.1:{port}/leak\">'\"</textarea></title>")
}

fn hostile_event(id: &str, p: &str) -> Value {
    json!({
        "event_id": id,
        "timestamp": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64(),
        "level": "error",
        "platform": "python",
        "message": format!("message {p}"),
        "logger": format!("logger {p}"),
        "transaction": format!("/checkout {p}"),
        "environment": "production",
        "release": "shop@1.0",
        "exception": { "values": [{
            "type": format!("Type{p}"),
            "value": format!("value {p}"),
            "module": format!("module {p}"),
            "mechanism": { "type": "generic", "handled": false },
            "stacktrace": { "frames": [{
                "function": format!("func {p}"),
                "filename": format!("file {p}.py"),
                "abs_path": format!("/app/{p}.py"),
                "module": format!("mod {p}"),
                "lineno": 3,
                "in_app": true,
                "pre_context": [format!("pre {p}")],
                "context_line": format!("context {p}"),
                "post_context": [format!("post {p}")],
                "vars": { format!("var {p}"): format!("val {p}") },
            }]},
        }]},
        "breadcrumbs": { "values": [{
            "timestamp": 1.7e9,
            "category": format!("cat {p}"),
            "message": format!("crumb {p}"),
            "data": { format!("k {p}"): format!("v {p}"), "url": JS_URL },
            "level": "info",
        }]},
        // A key outside Sentry's charset is dropped at ingest (and listed among the
        // processing errors); the hostile value rides on a valid key.
        "tags": { format!("tag{p}"): "dropped", "payload": format!("tagvalue {p}"), "site": format!("site {p}") },
        "request": {
            "url": format!("http://shop.example/{p}"),
            "method": "GET",
            "query_string": format!("q={p}"),
            "headers": { "X-Hostile": format!("header {p}"), "Referer": JS_URL },
            "data": { "field": format!("data {p}") },
        },
        "user": {
            "id": format!("id {p}"),
            "username": format!("name {p}"),
            "email": format!("{p}@example.com"),
            "ip_address": "127.0.0.1",
            "data": { "homepage": JS_URL },
        },
        "contexts": {
            "os": { "type": "os", "name": format!("os {p}"), "version": format!("ver {p}") },
            "browser": { "type": "browser", "name": format!("browser {p}") },
            "hostile": { "type": "default", "link": JS_URL, "html": format!("ctx {p}") },
        },
        "extra": { format!("extra {p}"): format!("extravalue {p}"), "link": JS_URL },
        "fingerprint": ["xss-test"],
    })
}

/// An envelope: the event, an attachment with a hostile filename, a user report.
fn hostile_envelope(id: &str, p: &str) -> Vec<u8> {
    let mut body = Vec::new();
    let mut item = |header: Value, payload: &[u8]| {
        let mut header = header;
        header["length"] = json!(payload.len());
        body.extend_from_slice(header.to_string().as_bytes());
        body.push(b'\n');
        body.extend_from_slice(payload);
        body.push(b'\n');
    };
    let event = hostile_event(id, p).to_string();
    let report = json!({
        "event_id": id,
        "name": format!("reporter {p}"),
        "email": "reporter@example.com",
        "comments": format!("feedback {p}"),
    })
    .to_string();
    let mut envelope = json!({ "event_id": id }).to_string().into_bytes();
    envelope.push(b'\n');
    item(json!({ "type": "event" }), event.as_bytes());
    item(
        json!({ "type": "attachment", "filename": format!("att {p}.txt"),
                "content_type": "text/html" }),
        format!("<html>{p}</html>").as_bytes(),
    );
    item(json!({ "type": "user_report" }), report.as_bytes());
    envelope.extend_from_slice(&body);
    envelope
}

/// The page ran nothing and loaded nothing of the payloads, and shows `p` as text.
fn assert_inert(browser: &Browser, leak: &LeakListener, page: &str, must_show: &[&str]) {
    if let Some(text) = browser.alert_text() {
        browser.dismiss_alert();
        panic!("{page}: a dialog opened: {text:?}");
    }
    let pwned = browser.execute(
        "return typeof window.__pwned === 'undefined' ? null : String(window.__pwned);",
        &[],
    );
    assert!(
        pwned.is_null(),
        "{page}: a payload ran (window.__pwned = {pwned})"
    );
    let injected = browser.execute(
        "return Array.from(document.querySelectorAll('img[src=\"x\"], svg[onload], script:not([src]), [onerror], [onload], a[href^=\"javascript:\"]')).map(e => e.outerHTML);",
        &[],
    );
    assert_eq!(injected, json!([]), "{page}: injected elements");
    // Give a lazily loaded image a moment before asking the listener.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (hits, requests) = leak.hits();
    assert_eq!(
        hits, 0,
        "{page}: the leak listener got requests: {requests:?}"
    );
    let text = browser.page_text();
    for shown in must_show {
        assert!(
            text.contains(shown),
            "{page}: {shown:?} is not shown as text; {}",
            ui_missing(browser, "the payload shown literally")
        );
    }
}

#[test]
fn xss() {
    let Some(browser) = browser() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let leak = LeakListener::start();
    let p = payload(leak.port);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let reply = server.send_envelope(&hostile_envelope(&id, &p));
    assert_eq!(reply.status, 200, "{reply:?}");

    login(&browser, &server);
    browser.goto(&server.url("/issues/"));
    assert!(
        browser.try_find("table#issues").is_some(),
        "{}",
        ui_missing(&browser, "no table#issues on /issues/")
    );
    assert_inert(&browser, &leak, "issue list", &[SCRIPT]);
    let link = browser
        .find_all("table#issues tr.issue a.issue-title")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{}", ui_missing(&browser, "no a.issue-title")));
    let href = browser.attribute(&link, "href").unwrap_or_default();
    assert!(!href.starts_with("javascript:"), "title link {href:?}");
    browser.activate(&link);
    assert_inert(
        &browser,
        &leak,
        "issue detail",
        &[
            SCRIPT,
            &format!("message {p}"),
            &format!("value {p}"),
            &format!("func {p}"),
            &format!("context {p}"),
            &format!("crumb {p}"),
            &format!("tagvalue {p}"),
            // User fields are cut to 128 bytes at ingest (the cut is in the processing
            // errors); the kept part shows.
            &format!("name {p}")[..120],
            &format!("feedback {p}"),
            &format!("att {p}.txt"),
        ],
    );
    // Every link on the page stays on http(s) or the page itself.
    let hrefs = browser.execute(
        "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')).filter(h => !/^(https?:|\\/|#|\\?|mailto:)/.test(h) && h !== '');",
        &[],
    );
    assert_eq!(hrefs, json!([]), "links with other schemes");

    // The raw JSON: served as JSON, shown as text.
    let raw = browser
        .try_find("a#raw-json")
        .unwrap_or_else(|| panic!("{}", ui_missing(&browser, "no a#raw-json")));
    let raw_url = browser.attribute(&raw, "href").unwrap_or_default();
    let absolute = if raw_url.starts_with('/') {
        server.url(&raw_url)
    } else {
        raw_url
    };
    let cookies = crate::cookie_header(&browser);
    let reply = crate::harness::get_with(&absolute, &[("Cookie", &cookies)]);
    assert_eq!(reply.status, 200, "{absolute}");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "raw JSON served as {:?}",
        reply.header("content-type")
    );
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert!(
        reply.body.contains("__pwned"),
        "the raw JSON lacks the payload"
    );
    browser.goto(&absolute);
    assert_inert(&browser, &leak, "raw JSON", &[]);

    // The pages forbid inline scripts, whatever slips through.
    let page = crate::harness::get_with(&server.url("/issues/"), &[("Cookie", &cookies)]);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "Content-Security-Policy of /issues/: {csp:?}"
    );
}
