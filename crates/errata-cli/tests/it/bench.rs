//! `errata bench ingest` against real servers, briefly: one node on `SQLite`, and two nodes
//! on one `PostgreSQL` database with the load spread over both. It runs, every request is
//! accepted, every accepted event is visible through the Web API (the processed count), and
//! the store's growth per event, each node's CPU and the machine's CPU split are reported.
//! Speed is not asserted: the benchmark measures, the tests check it works.

use std::process::Command;

use errata_store_postgres::testing::TestDatabase;
use serde_json::Value;

use crate::backend::database_url;
use crate::harness::ServerProcess;

/// The number after `label` in the bench's report (`accepted:     123 events ...`).
pub(crate) fn figure(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label} figure in:\n{report}"))
}

#[test]
fn bench_ingest_reports_accepted_and_processed_events() {
    if !crate::backend::sqlite_only("--data-dir measures the SQLite file's bytes per event") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args([
            "bench",
            "ingest",
            "--concurrency",
            "4",
            "--duration",
            "1",
            "--groups",
            "20",
        ])
        .args(["--dsn", &server.dsn()])
        .arg("--data-dir")
        .arg(&server.data_dir)
        .args(["--server-pid", &server.pid().to_string()])
        .args(["--token", &server.token()])
        .arg("--baseline")
        .arg("--corpus")
        .arg(errata_corpus::root())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The baseline ran first, and Errata's rate is a share of it (the trivial responder
    // does none of the work, so the share is below 1 with margin on any machine).
    let baseline = figure(
        &report,
        "baseline:     a trivial responder in this process answered",
    );
    assert!(baseline > 0, "{report}");
    let share: f64 = report
        .split("vs baseline:  accepted ")
        .nth(1)
        .and_then(|rest| rest.split('x').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no share of the baseline in:\n{report}"));
    assert!(share > 0.0 && share < 1.0, "{report}");
    let accepted = figure(&report, "accepted:");
    assert!(accepted > 0, "{report}");
    assert_eq!(figure(&report, "processed:"), accepted, "{report}");
    assert!(report.contains("visible through the API"), "{report}");
    assert!(report.contains("transport errors"), "{report}");
    assert!(report.contains("p99"), "{report}");
    assert!(report.contains("B per event on disk"), "{report}");
    assert!(report.contains("VmHWM"), "{report}");
    assert!(report.contains("events table:"), "{report}");
    assert!(report.contains("cpu:          of"), "{report}");
    // At most 20 groups: one issue each.
    let issues = server.stored().issues();
    assert!(
        (1..=20).contains(&issues.len()),
        "{} issues for 20 groups",
        issues.len()
    );
    assert_eq!(issues.iter().map(|i| i.count).sum::<u64>(), accepted);
    server.assert_healthy(300);
}

#[test]
fn bench_ingest_spreads_over_two_postgres_nodes_and_measures_the_database() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let url = database_url(db.name());
    let dirs = tempfile::tempdir().unwrap();
    let env = [("ERRATA_DATABASE_URL", url.as_str())];
    let mut a = ServerProcess::start_with(&dirs.path().join("a"), &env);
    let mut b = ServerProcess::start_with(&dirs.path().join("b"), &env);
    let summary = dirs.path().join("summary.json");
    let output = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args([
            "bench",
            "ingest",
            "--concurrency",
            "4",
            "--duration",
            "1",
            "--groups",
            "20",
        ])
        .args(["--dsn", &a.dsn(), "--target", &b.url("")])
        .args(["--database-url", &url])
        .args(["--pid", &a.pid().to_string(), "--pid", &b.pid().to_string()])
        .arg("--summary-json")
        .arg(&summary)
        .arg("--corpus")
        .arg(errata_corpus::root())
        .env("ERRATA_LOG", "warn")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("to 2 node(s)"), "{report}");
    let accepted = figure(&report, "accepted:");
    assert_eq!(figure(&report, "processed:"), accepted, "{report}");
    assert!(
        report.contains("stored (read from the database)"),
        "{report}"
    );
    // Both nodes took load: each used CPU of its own.
    for server in [&a, &b] {
        assert!(
            report.contains(&format!("server {}: RSS", server.pid())),
            "{report}"
        );
    }
    let figures: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(figures["nodes"], 2, "{figures}");
    assert_eq!(figures["accepted"].as_u64(), Some(accepted), "{figures}");
    let storage = &figures["storage"];
    for key in [
        "bytes_per_event",
        "events_bytes_per_event",
        "events_index_bytes_per_event",
    ] {
        assert!(
            storage[key].as_f64().is_some_and(|b| b > 0.0),
            "{key}: {figures}"
        );
    }
    // Measured (0 when the database server runs on another machine).
    assert!(figures["postgres_cpu_share"].is_f64(), "{figures}");
    assert_eq!(
        a.stored().issues().iter().map(|i| i.count).sum::<u64>(),
        accepted
    );
    a.assert_healthy(300);
    b.assert_healthy(300);
}
