//! `errata migrate-store`: a real `errata serve` on `SQLite` gets events and a Web API token,
//! is stopped, and its data dir is copied into a `PostgreSQL` test database; a server on
//! that database then shows the same issues and counts to the same token, groups a new
//! event into the existing issue, and gives a new issue a fresh id (the identity sequences
//! were moved past the copied ids). A second run without `--force` is refused. Without a
//! reachable server the test follows [`TestDatabase`]: skipped, or failed when `CI` is set.

use std::path::Path;
use std::process::{Command, Output};

use errata_store_postgres::testing::TestDatabase;

use crate::backend::database_url;
use crate::harness::{IssueInfo, ServerProcess, poll};

fn migrate(from: &Path, to: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_errata"))
        .arg("migrate-store")
        .arg("--from")
        .arg(from)
        .args(["--to", to])
        .args(extra)
        .output()
        .expect("running errata migrate-store")
}

/// The (sqlite, postgres) counts the command printed for `table`.
fn printed_counts(stdout: &str, table: &str) -> (u64, u64) {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(table))
        .unwrap_or_else(|| panic!("no count for {table} in:\n{stdout}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    (fields[1].parse().unwrap(), fields[2].parse().unwrap())
}

fn sorted(mut issues: Vec<IssueInfo>) -> Vec<IssueInfo> {
    issues.sort_by(|a, b| a.id.cmp(&b.id));
    issues
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one migration scenario, from the first event to the refusal"
)]
fn a_sqlite_installation_moves_to_postgres_with_its_ids_counts_and_tokens() {
    if !crate::backend::sqlite_only(
        "its source is a SQLite installation; its target is PostgreSQL on every run",
    ) {
        return;
    }
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let url = database_url(db.name());
    let dir = tempfile::tempdir().unwrap();

    let a = ServerProcess::start(dir.path());
    for message in ["alpha", "alpha", "alpha", "beta", "beta"] {
        a.send_event(message);
    }
    let stored = a.stored();
    let before = sorted(poll("the issues on SQLite", || {
        let issues = stored.issues();
        let mut counts: Vec<u64> = issues.iter().map(|i| i.count).collect();
        counts.sort_unstable();
        (counts == [2, 3]).then_some(issues)
    }));
    let token = a.token();
    let (key, project_id) = (a.key.clone(), a.project_id);
    let data_dir = a.stop();

    let out = migrate(&data_dir, &url, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "migrate-store failed:\n{stdout}\n{stderr}"
    );
    assert_eq!(printed_counts(&stdout, "events"), (5, 5), "{stdout}");
    assert_eq!(printed_counts(&stdout, "issues"), (2, 2), "{stdout}");
    assert_eq!(printed_counts(&stdout, "api_tokens"), (1, 1), "{stdout}");
    assert_eq!(printed_counts(&stdout, "projects"), (1, 1), "{stdout}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("] events ") && l.contains(" 100% 5/5 rows")),
        "progress: {stderr}"
    );

    // A second run into the now non-empty database is refused and changes nothing.
    let again = migrate(&data_dir, &url, &[]);
    let again_err = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "a second run was not refused");
    assert!(
        again_err.contains("the target database is not empty") && again_err.contains("--force"),
        "{again_err}"
    );

    let b = ServerProcess::start_with(
        &dir.path().join("b"),
        &[("ERRATA_DATABASE_URL", url.as_str())],
    );
    assert_eq!(
        (&b.key, b.project_id),
        (&key, project_id),
        "the same project and key"
    );
    // The token made on SQLite works on PostgreSQL.
    b.use_token(token);
    let stored = b.stored();
    assert_eq!(sorted(stored.issues()), before);

    let alpha = before.iter().find(|i| i.count == 3).unwrap().clone();
    b.send_event("alpha");
    b.send_event("gamma");
    let after = sorted(poll("the issues on PostgreSQL", || {
        let issues = stored.issues();
        (issues.len() == 3).then_some(issues)
    }));
    let alpha_after = poll("alpha's count", || {
        let issue = stored.issue(&alpha.id);
        (issue.count == 4).then_some(issue)
    });
    assert_eq!(alpha_after.id, alpha.id);
    let max_old: i64 = before
        .iter()
        .map(|i| i.id.parse::<i64>().unwrap())
        .max()
        .unwrap();
    let new = after
        .iter()
        .find(|i| !before.iter().any(|o| o.id == i.id))
        .expect("a new issue");
    assert!(
        new.id.parse::<i64>().unwrap() > max_old,
        "{new:?} after {before:?}"
    );
    drop(b);

    // --force empties the target and copies again: the counts are those of the source.
    let forced = migrate(&data_dir, &url, &["--force"]);
    let forced_out = String::from_utf8_lossy(&forced.stdout).into_owned();
    assert!(
        forced.status.success(),
        "{forced_out}\n{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(
        printed_counts(&forced_out, "events"),
        (5, 5),
        "{forced_out}"
    );
    assert_eq!(
        printed_counts(&forced_out, "issues"),
        (2, 2),
        "{forced_out}"
    );
}
