//! `errata bench ingest` against real servers, briefly: one node on `SQLite`, and two nodes
//! on one `PostgreSQL` database with the load spread over both. It runs, every request is
//! accepted, every accepted event is visible through the Web API (the processed count), and
//! the store's growth per event, each node's CPU and the machine's CPU split are reported.
//! Speed is not asserted: the benchmark measures, the tests check it works.

use std::process::Command;

use serde_json::Value;

use crate::harness::ServerProcess;
use crate::multinode::Cluster;

/// `errata bench ingest` for one second on 4 connections over 20 groups, from the corpus;
/// the caller names the targets.
fn short_run() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_errata"));
    command
        .args(["bench", "ingest", "--concurrency", "4", "--duration", "1"])
        .args(["--groups", "20", "--corpus"])
        .arg(errata_corpus::root());
    command
}

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
    let output = short_run()
        .args(["--dsn", &server.dsn()])
        .arg("--data-dir")
        .arg(&server.data_dir)
        .args(["--server-pid", &server.pid().to_string()])
        .args(["--token", &server.token()])
        .arg("--baseline")
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
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = short_run()
        .args(["--dsn", &cluster.a.dsn(), "--target", &cluster.b.url("")])
        .args(["--database-url", &url])
        .args(["--pid", &cluster.a.pid().to_string()])
        .args(["--pid", &cluster.b.pid().to_string()])
        .arg("--summary-json")
        .arg(&summary)
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
    for server in [&cluster.a, &cluster.b] {
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
        cluster
            .a
            .stored()
            .issues()
            .iter()
            .map(|i| i.count)
            .sum::<u64>(),
        accepted
    );
    cluster.a.assert_healthy(300);
    cluster.b.assert_healthy(300);
}
