//! `errata bench ingest` against a real server, briefly: it runs, every request is
//! accepted, and every accepted event is visible through the Web API (the processed count). Speed
//! is not asserted: the benchmark measures, the tests check it works.

use std::process::Command;

use crate::harness::ServerProcess;

/// The number after `label` in the bench's report (`accepted:     123 events ...`).
fn figure(report: &str, label: &str) -> u64 {
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
    let accepted = figure(&report, "accepted:");
    assert!(accepted > 0, "{report}");
    assert_eq!(figure(&report, "processed:"), accepted, "{report}");
    assert!(report.contains("visible through the API"), "{report}");
    assert!(report.contains("transport errors"), "{report}");
    assert!(report.contains("p99"), "{report}");
    assert!(report.contains("B per event on disk"), "{report}");
    assert!(report.contains("VmHWM"), "{report}");
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
