//! The official `sentry-cli` (the `PyPI` package ships the real binary; `scripts/test`
//! installs it in the SDK venv) against a real `errata serve`: it sends an event through
//! the protocol, and its Web API commands (`info`, `issues list`, `issues resolve`) work.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::{ServerProcess, poll};

fn sentry_cli() -> PathBuf {
    let cli = crate::harness::python().with_file_name("sentry-cli");
    assert!(
        cli.is_file(),
        "no sentry-cli at {}: run ./scripts/test (it installs sentry-cli==3.8.2 in the SDK venv)",
        cli.display()
    );
    cli
}

fn run(server: &ServerProcess, token: &str, args: &[&str]) -> String {
    let output = Command::new(sentry_cli())
        .args(args)
        .env("SENTRY_URL", server.url(""))
        .env("SENTRY_AUTH_TOKEN", token)
        .env("SENTRY_DSN", server.dsn())
        .env_remove("SENTRY_ORG")
        .env_remove("SENTRY_PROJECT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "sentry-cli {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn sentry_cli_sends_events_and_reads_issues() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let token = server.token();

    run(
        &server,
        &token,
        &["send-event", "-m", "hello from sentry-cli"],
    );
    let info = run(&server, &token, &["info"]);
    assert!(
        info.contains("Method: Auth Token") && info.contains("event:read"),
        "{info}"
    );

    let list = poll("the event in sentry-cli issues list", || {
        let list = run(
            &server,
            &token,
            &["issues", "list", "-o", "errata", "-p", "default"],
        );
        list.contains("hello from sentry-cli").then_some(list)
    });
    assert!(
        list.contains("DEFAULT-1") && list.contains("unresolved"),
        "{list}"
    );

    run(
        &server,
        &token,
        &["issues", "resolve", "-o", "errata", "-p", "default", "-a"],
    );
    let list = run(
        &server,
        &token,
        &[
            "issues", "list", "-o", "errata", "-p", "default", "-s", "resolved",
        ],
    );
    assert!(
        list.contains("hello from sentry-cli") && list.contains("resolved"),
        "{list}"
    );
}
