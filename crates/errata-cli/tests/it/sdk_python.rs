//! End to end with the official Python `sentry-sdk` (2.75.0, in the venv `scripts/test`
//! creates; `ERRATA_TEST_PYTHON` names its interpreter): `python_scenarios.py` drives the
//! SDK against a real `errata serve`, and the tests check what the server kept: issues,
//! grouping, titles, request data, scrubbed secrets, attachments, feedback, and the
//! counted transaction and session items.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use errata_store::Uuid;
use serde_json::Value;

use crate::harness::{ServerProcess, StoredEvent, poll, python};

/// Runs one scenario of `python_scenarios.py`; returns the captured event ids by label.
fn run(server: &ServerProcess, scenario: &str) -> BTreeMap<String, Vec<Uuid>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/python_scenarios.py");
    let python = python();
    let output = Command::new(&python)
        .arg(&script)
        .arg(scenario)
        .env("DSN", server.dsn())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "scenario {scenario} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let mut ids: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).expect("a scenario line");
        let id = Uuid::try_parse(v["event_id"].as_str().expect("event_id")).expect("a uuid");
        ids.entry(v["label"].as_str().unwrap().to_owned())
            .or_default()
            .push(id);
    }
    ids
}

/// The value of `key` in a list of `[key, value]` pairs (headers, cookies) or of
/// `{key, value}` objects (the API's tags).
pub(crate) fn pair<'a>(pairs: &'a Value, key: &str) -> Option<&'a str> {
    pairs.as_array()?.iter().find_map(|p| {
        let (k, v) = match p.as_array() {
            Some(p) => (p.first()?, p.get(1)?),
            None => (p.get("key")?, p.get("value")?),
        };
        k.as_str()?.eq_ignore_ascii_case(key).then(|| v.as_str())?
    })
}

fn exception_types(event: &StoredEvent) -> Vec<String> {
    event.payload["exception"]["values"]
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(|e| e["type"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn python_exceptions_are_grouped_per_code_path_and_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let simple = run(&server, "exception_simple");
    let chained = run(&server, "exception_chained");
    let repeat = run(&server, "grouping_repeat");
    let fingerprint = run(&server, "fingerprint");
    let stored = server.stored();

    let zero = stored.wait_event(simple["zero"][0]);
    assert_eq!(zero.issue.title, "ZeroDivisionError: division by zero");
    assert!(
        zero.issue.culprit.contains("divide"),
        "{}",
        zero.issue.culprit
    );
    assert_eq!(exception_types(&zero), ["ZeroDivisionError"]);
    let frames = &zero.payload["exception"]["values"][0]["stacktrace"]["frames"];
    assert!(
        frames
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["function"] == "divide")),
        "{frames}"
    );

    let chain = stored.wait_event(chained["chained"][0]);
    assert_eq!(
        chain.issue.title,
        "ValueError: order A-17 could not be loaded"
    );
    assert_eq!(exception_types(&chain), ["KeyError", "ValueError"]);

    // One issue per code path: 5 KeyErrors with different keys, 3 ZeroDivisionErrors.
    let key_errors: Vec<_> = repeat["keyerror"]
        .iter()
        .map(|id| stored.wait_event(*id))
        .collect();
    assert_eq!(key_errors.len(), 5);
    let key_issue = key_errors[0].issue.id.as_str();
    assert!(key_errors.iter().all(|e| e.issue.id == key_issue));
    let divisions: Vec<_> = repeat["zero"]
        .iter()
        .map(|id| stored.wait_event(*id))
        .collect();
    let division_issue = divisions[0].issue.id.as_str();
    assert!(divisions.iter().all(|e| e.issue.id == division_issue));
    assert_ne!(key_issue, division_issue);
    let issues = stored.issues();
    let count = |id: &str| issues.iter().find(|i| i.id == id).unwrap().count;
    assert_eq!(count(key_issue), 5);
    assert_eq!(count(division_issue), 3);
    assert!(
        issues
            .iter()
            .find(|i| i.id == key_issue)
            .unwrap()
            .title
            .starts_with("KeyError: 'C-"),
        "{issues:?}"
    );

    // `["database-unavailable"]`: two different messages, one issue; the salted default
    // fingerprint opens an issue of its own.
    let database: Vec<_> = fingerprint["database"]
        .iter()
        .map(|id| stored.wait_event(*id))
        .collect();
    assert_eq!(database.len(), 2);
    assert_eq!(database[0].issue.id, database[1].issue.id);
    assert_eq!(count(&database[0].issue.id), 2);
    assert!(
        database[0]
            .issue
            .title
            .starts_with("could not connect to db-")
    );
    let tenant = stored.wait_event(fingerprint["tenant"][0]);
    assert_eq!(tenant.issue.title, "ZeroDivisionError: division by zero");
    assert_ne!(tenant.issue.id, zero.issue.id);
    assert_ne!(tenant.issue.id, division_issue);
    assert_eq!(count(&tenant.issue.id), 1);
}

#[test]
fn python_message_keeps_scope_tags_user_and_breadcrumbs() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let ids = run(&server, "message_with_scope");
    let event = server.stored().wait_event(ids["message"][0]);
    assert_eq!(event.issue.title, "Something went wrong");
    assert_eq!(event.issue.level, "warning");
    let p = &event.payload;
    assert_eq!(pair(&p["tags"], "tenant"), Some("acme"), "{}", p["tags"]);
    assert_eq!(pair(&p["tags"], "region"), Some("eu-west-1"));
    assert_eq!(p["user"]["id"], "42");
    assert_eq!(p["user"]["email"], "ana@example.com");
    assert_eq!(p["contexts"]["order"]["id"], "A-17");
    assert_eq!(p["release"], "shop@1.4.2");
    assert_eq!(p["environment"], "production");
    let crumbs = p["breadcrumbs"]["values"].as_array().expect("breadcrumbs");
    assert!(
        crumbs.iter().any(|c| c["message"] == "user logged in"),
        "{crumbs:?}"
    );
    assert_eq!(event.issue.last_release.as_deref(), Some("shop@1.4.2"));
    assert_eq!(event.issue.user_count, 1);
}

#[test]
fn python_flask_request_data_is_kept_and_secrets_are_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let ids = run(&server, "flask_request");
    let stored = server.stored();
    let get = stored.wait_event(ids["get"][0]);
    let post = stored.wait_event(ids["post"][0]);
    assert_eq!(get.issue.id, post.issue.id, "one code path, one issue");
    assert!(
        get.issue.title.starts_with("KeyError: 'B-"),
        "{}",
        get.issue.title
    );

    let request = &get.payload["request"];
    assert_eq!(request["method"], "GET", "{request}");
    assert!(
        request["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/orders/B-9")),
        "{request}"
    );
    assert_eq!(pair(&request["query_string"], "expand"), Some("items"));
    assert_eq!(pair(&request["headers"], "User-Agent"), Some("curl/8.0"));
    assert_eq!(
        pair(&request["headers"], "Authorization"),
        Some("[Filtered]"),
        "{request}"
    );
    let cookies_filtered = pair(&request["cookies"], "session") == Some("[Filtered]")
        || request["cookies"] == "[Filtered]"
        || pair(&request["headers"], "Cookie") == Some("[Filtered]");
    assert!(
        cookies_filtered,
        "the session cookie is not filtered: {request}"
    );

    let data = &post.payload["request"]["data"];
    assert_eq!(data["password"], "[Filtered]", "{data}");
    assert_eq!(data["amount"], 12, "{data}");

    for event in [&get, &post] {
        let text = event.payload.to_string();
        for secret in [
            "tok-very-secret-123",
            "s3ss10n-c00k1e-value",
            "hunter2-plaintext",
        ] {
            assert!(!text.contains(secret), "{secret} was stored: {text}");
        }
    }
}

#[test]
fn python_attachment_feedback_transaction_and_session_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let attachment = run(&server, "attachment");
    let feedback = run(&server, "user_feedback");
    let session = run(&server, "session_release_health");
    run(&server, "transaction");
    let stored = server.stored();

    let id = attachment["with_attachment"][0];
    let event = stored.wait_event(id);
    assert_eq!(event.issue.title, "KeyError: 'A-17'");
    assert_eq!(
        stored.attachments(id),
        [(
            "order.csv".to_owned(),
            b"order_id,amount\nA-17,12.99\n".to_vec()
        )]
    );

    let crash = stored.wait_event(feedback["crash"][0]);
    assert_eq!(crash.issue.title, "checkout page crashed");
    let reports = poll("the user feedback to be stored", || {
        Some(stored.user_reports(&crash.issue)).filter(|r| !r.is_empty())
    });
    assert_eq!(
        reports,
        [(
            "Ana".to_owned(),
            "ana@example.com".to_owned(),
            "The checkout button did nothing".to_owned()
        )]
    );

    let in_session = stored.wait_event(session["in_session"][0]);
    assert_eq!(in_session.payload["release"], "shop@1.4.3");

    // Transactions and sessions are accepted and counted; counters are written with the
    // writer's batches, and a graceful stop persists the rest.
    drop(stored);
    let env = server.env();
    let data_dir = server.stop();
    let server = ServerProcess::restart_on(&data_dir, &env);
    let outcomes = server.stored().outcomes();
    let count = |category: &str, reason: &str| {
        outcomes
            .get(&(category.to_owned(), reason.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    assert!(count("transaction", "not_stored") >= 1, "{outcomes:?}");
    assert!(
        count("session", "not_stored") + count("sessions", "not_stored") >= 1,
        "{outcomes:?}"
    );
    // Errors count as `error`, message events as `default` (Sentry's data categories).
    assert!(count("error", "accepted") >= 2, "{outcomes:?}");
    assert!(
        count("error", "accepted") + count("default", "accepted") >= 3,
        "{outcomes:?}"
    );
}
