//! The automation commands beside a running `errata serve`: `send-test-event` reaches
//! the server through the protocol, `token create --json` prints a Bearer token the Web
//! API accepts, `project quota` sets what the Web API then shows, and the DSN `serve`
//! prints is usable as printed.

use std::process::Command;

use errata_store::Uuid;
use serde_json::Value;

use crate::harness::{ServerProcess, get};

/// `errata ARGS` (on `server`'s data dir and database when given), expected to succeed;
/// its stdout.
fn errata(server: Option<&ServerProcess>, args: &[&str]) -> String {
    let output = command(server)
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

/// The `errata` binary, on `server`'s data dir and database when given.
fn command(server: Option<&ServerProcess>) -> Command {
    server.map_or_else(
        || Command::new(env!("CARGO_BIN_EXE_errata")),
        ServerProcess::errata,
    )
}

#[test]
fn send_test_event_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let out = errata(None, &["send-test-event", "--dsn", &server.dsn()]);
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
    let out = errata(Some(&server), &["token", "create", "--json"]);
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

/// Runs `errata` expecting it to fail; returns its stderr.
fn errata_fails(server: Option<&ServerProcess>, args: &[&str]) -> String {
    let output = command(server)
        .args(args)
        .env_remove("SENTRY_DSN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "errata {args:?} succeeded:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

#[test]
fn project_quota_is_set_and_cleared_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let quota = |args: &[&'static str]| [&["project", "quota"][..], args].concat();
    let run = |args: &[&'static str]| errata(Some(&server), &quota(args));
    let fails = |args: &[&'static str]| errata_fails(Some(&server), &quota(args));
    let auth = format!("Bearer {}", server.token());
    let shown = || {
        let reply = crate::harness::get_with(
            &server.url("/api/0/projects/errata/default/"),
            &[("Authorization", &auth)],
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json()["eventQuota"].clone()
    };
    assert_eq!(shown(), Value::Null);

    let out = run(&["default", "--events", "1000", "--per", "day"]);
    assert_eq!(
        out.trim(),
        "Project default: at most 1000 events per day (UTC)."
    );
    assert_eq!(shown(), serde_json::json!({"limit": 1000, "window": "day"}));
    let out = run(&["default", "--per", "month", "--events", "5"]);
    assert_eq!(
        out.trim(),
        "Project default: at most 5 events per month (UTC)."
    );
    assert_eq!(shown(), serde_json::json!({"limit": 5, "window": "month"}));

    for (args, expected) in [
        (
            &["default", "--events", "0", "--per", "day"][..],
            "between 1 and",
        ),
        (
            &["default", "--events", "5", "--per", "week"],
            "expected day or month",
        ),
        (&["default", "--events", "5"], "--per"),
        (&["default", "--per", "day"], "--events"),
        (&["default"], "--events"),
        (
            &["default", "--clear", "--events", "5", "--per", "day"],
            "--clear",
        ),
        (&["nope", "--clear"], "no project \"nope\""),
    ] {
        let stderr = fails(args);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert_eq!(shown(), serde_json::json!({"limit": 5, "window": "month"}));

    let out = run(&["default", "--clear"]);
    assert_eq!(out.trim(), "Project default: no event quota.");
    assert_eq!(shown(), Value::Null);
}

#[test]
fn printed_dsn_names_the_bound_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    assert_eq!(server.printed_dsn, server.dsn());
}

/// Whether `password` matches the argon2id PHC `hash`.
fn verifies(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let parsed = PasswordHash::new(hash).expect("a PHC string");
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[test]
fn users_are_created_and_passwords_reset_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let user = |args: &[&str]| {
        let all = [&["user"][..], args].concat();
        errata(Some(&server), &all)
    };
    let created: Value = serde_json::from_str(&user(&[
        "create",
        "Ana@Example.com",
        "--name",
        "Ana",
        "--json",
    ]))
    .unwrap();
    assert_eq!(created["email"], "ana@example.com");
    assert_eq!(created["role"], "member");
    let first = created["password"].as_str().unwrap().to_owned();
    assert_eq!(first.len(), 20);
    let out = user(&["create", "ops@example.com", "--admin"]);
    assert!(
        out.contains("ops@example.com (admin) created. Password: "),
        "{out}"
    );

    let store = server.store();
    let stored = store.user_by_email("ana@example.com").unwrap();
    assert_eq!(stored.name, "Ana");
    assert!(verifies(&first, &stored.password_hash));

    // A lost password (the first admin's too) is recovered with a reset.
    let reset: Value =
        serde_json::from_str(&user(&["reset-password", "ANA@example.com", "--json"])).unwrap();
    let second = reset["password"].as_str().unwrap();
    assert_ne!(second, first);
    let stored = store.user_by_email("ana@example.com").unwrap();
    assert!(verifies(second, &stored.password_hash));
    assert!(!verifies(&first, &stored.password_hash));
    let admin = user(&["reset-password", "admin@errata.local", "--json"]);
    assert!(admin.contains("\"role\":\"owner\""), "{admin}");

    let listed = user(&["list"]);
    let emails: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(
        emails,
        ["admin@errata.local", "ana@example.com", "ops@example.com"]
    );
    let all = [&["user"][..], &["create", "ana@example.com"]].concat();
    let refused = errata_fails(Some(&server), &all);
    assert!(refused.contains("exists"), "{refused}");
    let all = [&["user"][..], &["reset-password", "nobody@example.com"]].concat();
    let refused = errata_fails(Some(&server), &all);
    assert!(refused.contains("does not exist"), "{refused}");
}

#[test]
fn tokens_are_scoped_listed_and_revoked_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let token = |args: &[&str]| {
        let all = [&["token"][..], args].concat();
        errata(Some(&server), &all)
    };
    let full: Value = serde_json::from_str(token(&["create", "--json"]).trim()).unwrap();
    assert_eq!(full["scopes"].as_array().unwrap().len(), 16);
    let reader: Value = serde_json::from_str(
        token(&[
            "create",
            "--label",
            "reader",
            "--scope",
            "event:read",
            "--scope",
            "org:read",
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(
        reader["scopes"],
        serde_json::json!(["event:read", "org:read"])
    );
    let secret = reader["token"].as_str().unwrap().to_owned();
    let url = server.url("/api/0/organizations/");
    let bearer = format!("Bearer {secret}");
    let reply = crate::harness::get_with(&url, &[("Authorization", &bearer)]);
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = crate::harness::get_with(
        &server.url("/api/0/projects/errata/default/keys/"),
        &[("Authorization", &bearer)],
    );
    assert_eq!(reply.status, 403, "{reply:?}");
    // Listed without secrets, with the last use.
    let listed: Value = serde_json::from_str(token(&["list", "--json"]).trim()).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["label"], "reader");
    assert_eq!(listed[1]["user"], "admin@errata.local");
    assert!(listed[1]["last_used_ms"].is_i64());
    let text = token(&["list"]);
    assert!(!text.contains(&secret) && text.contains("reader"), "{text}");
    // Revoked: refused at once.
    let id = reader["id"].as_i64().unwrap().to_string();
    assert!(token(&["revoke", &id]).contains("revoked"));
    let reply = crate::harness::get_with(&url, &[("Authorization", &bearer)]);
    assert_eq!(reply.status, 401, "{reply:?}");
    let error = errata_fails(Some(&server), &["token", "revoke", &id]);
    assert!(error.contains("not found"), "{error}");
    // Scopes are checked: unknown names, and more than the user's role grants.
    let error = errata_fails(Some(&server), &["token", "create", "--scope", "x:y"]);
    assert!(error.contains("unknown scope"), "{error}");
    errata(Some(&server), &["user", "create", "ana@example.com"]);
    let error = errata_fails(
        Some(&server),
        &[
            "token",
            "create",
            "--user",
            "ana@example.com",
            "--scope",
            "project:write",
        ],
    );
    assert!(error.contains("member"), "{error}");
    let anas: Value = serde_json::from_str(
        token(&[
            "create",
            "--user",
            "ana@example.com",
            "--scope",
            "event:admin",
            "--json",
        ])
        .trim(),
    )
    .unwrap();
    assert_eq!(anas["user"], "ana@example.com");
    // A password reset ends the user's sessions.
    let store = server.store();
    let ana = store.user_by_email("ana@example.com").unwrap();
    let now = errata_server::now_ms();
    let session = store
        .create_session(&errata_store::NewSession::at(ana.id, now))
        .unwrap();
    assert!(store.session(&session.secret, now).unwrap().is_some());
    errata(
        Some(&server),
        &["user", "reset-password", "ana@example.com"],
    );
    assert!(store.session(&session.secret, now).unwrap().is_none());
}
