//! The automation commands beside a running `errata serve`: `send-test-event` reaches
//! the server through the protocol, `token create --json` prints a Bearer token the Web
//! API accepts, and the DSN `serve` prints is usable as printed.

use std::process::Command;

use errata_store::Uuid;
use serde_json::Value;

use crate::harness::{ServerProcess, get};

fn errata(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(args)
        .env_remove("SENTRY_DSN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "errata {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn send_test_event_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let out = errata(&["send-test-event", "--dsn", &server.dsn()]);
    let id = out
        .split_whitespace()
        .skip_while(|w| *w != "event")
        .nth(1)
        .and_then(|w| Uuid::try_parse(w).ok())
        .unwrap_or_else(|| panic!("no event id in {out:?}"));
    let event = server.stored().wait_event(id);
    assert_eq!(
        event.issue.title,
        "This is a test event from errata send-test-event"
    );
}

#[test]
fn token_create_prints_a_token_the_api_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let data_dir = server.data_dir.to_string_lossy().into_owned();
    let out = errata(&["--data-dir", &data_dir, "token", "create", "--json"]);
    let created: Value = serde_json::from_str(out.trim()).expect("JSON");
    let token = created["token"].as_str().expect("a token");
    assert!(token.len() >= 32, "{token}");
    let url = server.url("/api/0");
    assert_eq!(get(&url).status, 401);
    let reply = crate::harness::get_with(&url, &[("Authorization", &format!("Bearer {token}"))]);
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = crate::harness::get_with(&url, &[("Authorization", "Bearer not-a-token")]);
    assert_eq!(reply.status, 401, "{reply:?}");
}

#[test]
fn printed_dsn_names_the_bound_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    assert_eq!(server.printed_dsn, server.dsn());
}
