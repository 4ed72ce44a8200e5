//! `errata bench fill` on a fresh data dir, small: exactly the issues and events asked
//! for, spread over two projects and the last 14 days, read back through the store; then
//! `errata serve` starts on the filled dir and the Web API shows them.

use std::process::Command;

use errata_store::{IssueFilter, IssueQuery, ProjectId, Store as _};
use errata_store_sqlite::SqliteStore;

use crate::harness::ServerProcess;

fn issues_of(store: &SqliteStore, project: ProjectId) -> Vec<errata_store::Issue> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .issues(&IssueQuery {
                project_id: Some(project),
                sort: errata_store::IssueSort::LastSeen,
                filter: IssueFilter::default(),
                cursor: cursor.take(),
                limit: errata_store::MAX_PAGE,
            })
            .unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

#[test]
fn bench_fill_makes_the_issues_and_events_asked_for() {
    if !crate::backend::sqlite_only("bench fill writes into a SQLite data dir") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let output = Command::new(env!("CARGO_BIN_EXE_errata"))
        .arg("--data-dir")
        .arg(&data)
        .args(["bench", "fill", "--issues", "50", "--events", "2000"])
        .args(["--projects", "2", "--batch", "300"])
        .env("ERRATA_ADMIN_PASSWORD", "e2e-password")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}\n{progress}");
    assert!(
        report.contains("2000 events in 50 issues (50 new)"),
        "{report}"
    );
    assert!(report.contains("events/s"), "{report}");
    assert!(progress.contains("(100.0%)"), "{progress}");

    let store = SqliteStore::open(&data).unwrap();
    let organization = store.organizations().unwrap().remove(0);
    let projects = store.projects(organization.id).unwrap();
    assert_eq!(projects.len(), 2, "{projects:?}");
    let issues: Vec<_> = projects
        .iter()
        .flat_map(|p| issues_of(&store, p.id))
        .collect();
    assert_eq!(issues.len(), 50);
    assert_eq!(issues.iter().map(|i| i.times_seen).sum::<u64>(), 2000);
    let busiest = issues.iter().map(|i| i.times_seen).max().unwrap();
    let rarest = issues.iter().map(|i| i.times_seen).min().unwrap();
    assert!(
        rarest >= 1 && busiest > 10 * rarest,
        "{busiest} vs {rarest}"
    );
    let first = issues.iter().map(|i| i.first_seen_ms).min().unwrap();
    let last = issues.iter().map(|i| i.last_seen_ms).max().unwrap();
    let day = 86_400_000;
    assert!(
        last - first > 12 * day,
        "events span {} days",
        (last - first) / day
    );
    assert!(issues.iter().all(|i| i.user_count >= 1));
    assert!(issues.iter().any(|i| i.last_release.is_some()));
    let busy = issues.iter().max_by_key(|i| i.times_seen).unwrap();
    let tags = store.issue_tags(busy.id).unwrap();
    for key in [
        "environment",
        "release",
        "browser.name",
        "os.name",
        "region",
    ] {
        assert!(
            tags.iter().any(|t| t.key == key),
            "no {key} tag in {tags:?}"
        );
    }
    drop(store);

    // The server starts on the filled dir and serves them.
    let server = ServerProcess::start_with(&data, &[]);
    assert_eq!(server.login.0, "admin@errata.local");
    let listed = server.stored().issues();
    assert!(!listed.is_empty() && listed.len() <= 50);
}
