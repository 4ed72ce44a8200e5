//! Log lines: with `--log-format json` (or `ERRATA_LOG_FORMAT=json`) every line the
//! binary writes is one JSON object, and every line written while a request was served
//! carries the request's id in its `request` span: the id the response's `X-Request-Id`
//! names (the client's own when it sent a valid one).

use serde_json::Value;

use crate::harness::{ServerProcess, get, poll, post};

/// The lines of `log` as JSON objects (panics on a line that is not one).
fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect()
}

/// The lines whose current span is a request with `id`.
fn lines_of(lines: &[Value], id: &str) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| l["span"]["name"] == "request" && l["span"]["id"] == id)
        .cloned()
        .collect()
}

fn messages(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect()
}

#[test]
fn json_log_lines_carry_their_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[
            ("ERRATA_LOG_FORMAT", "json"),
            // The access line of each request is at debug.
            ("ERRATA_LOG", "info,errata_server::request_id=debug"),
        ],
    );
    // An unreadable envelope: the handler logs why, the layer the access line.
    let rejected = post(
        &server.envelope_url(),
        &[
            ("X-Sentry-Auth", &server.auth()),
            ("X-Request-Id", "e2e-log-1"),
        ],
        b"this is not an envelope",
    );
    assert_eq!(rejected.status, 400, "{rejected:?}");
    assert_eq!(rejected.header("x-request-id"), Some("e2e-log-1"));
    // Without an id, the server makes one.
    let missing = get(&server.url("/nothing/here"));
    assert_eq!(missing.status, 404);
    let made = missing
        .header("x-request-id")
        .expect("an X-Request-Id")
        .to_owned();
    assert!(made.len() == 16 && made != "e2e-log-1", "{made}");

    let lines = poll("both requests' access lines", || {
        let lines = json_lines(&server.log());
        let done = |id: &str| messages(&lines_of(&lines, id)).contains(&"request finished");
        (done("e2e-log-1") && done(&made)).then_some(lines)
    });
    // Every line is an object with a level and a message (startup lines too).
    assert!(lines.len() > 3, "{lines:?}");
    for line in &lines {
        assert!(
            line["level"].is_string() && line["fields"].is_object(),
            "{line}"
        );
    }
    let first = lines_of(&lines, "e2e-log-1");
    let said = messages(&first);
    assert!(said.contains(&"ingest rejected"), "{first:?}");
    assert_eq!(said.last(), Some(&"request finished"), "{first:?}");
    for line in &first {
        assert_eq!(line["span"]["method"], "POST", "{line}");
        assert_eq!(
            line["span"]["path"],
            format!("/api/{}/envelope/", server.project_id)
        );
    }
    let finished = first
        .iter()
        .find(|l| l["fields"]["message"] == "request finished")
        .unwrap();
    assert_eq!(finished["fields"]["status"], 400, "{finished}");
    let second = lines_of(&lines, &made);
    assert_eq!(messages(&second), ["request finished"], "{second:?}");
    assert_eq!(second[0]["fields"]["status"], 404);
    assert_eq!(second[0]["span"]["path"], "/nothing/here");
}

#[test]
fn the_flag_picks_the_format_and_a_bad_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_errata"))
            .arg("--data-dir")
            .arg(&data)
            .args(["--log-format", format, "user", "list"])
            .env_remove("ERRATA_LOG_FORMAT")
            .env_remove("ERRATA_DATABASE_URL")
            .env("ERRATA_LOG", "info")
            .output()
            .unwrap()
    };
    // Opening the store logs (migrations, the store's path): as JSON.
    let json = run("json");
    assert!(json.status.success(), "{json:?}");
    let lines = json_lines(&String::from_utf8_lossy(&json.stderr));
    assert!(
        messages(&lines).contains(&"opened SQLite store"),
        "{lines:?}"
    );
    // And as text by default.
    let text = run("text");
    assert!(text.status.success(), "{text:?}");
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains("opened SQLite store") && !stderr.trim_start().starts_with('{'),
        "{stderr}"
    );
    let bad = run("xml");
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.contains("--log-format") && said.contains("json"),
        "{said}"
    );
}
