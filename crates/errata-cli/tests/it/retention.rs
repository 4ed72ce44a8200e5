//! Retention on a real store (`SQLite`, or `PostgreSQL` with `ERRATA_TEST_BACKEND=postgres`)
//! filled past its limits with `errata bench fill`, then enforced by a real `errata serve`:
//! the age limit and the per-project limit hold, and so does a disk budget while events
//! keep arriving; what is kept follows the policy (every issue keeps its latest event and
//! one event per hour, issues keep their counts, the newest events stay whole).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use errata_store::{Issue, IssueFilter, IssueId, IssueQuery, IssueSort, Store};

use crate::backend::ServerEnv;
use crate::harness::ServerProcess;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// `errata bench fill` on `data` (and the database of `env`).
fn fill(data: &Path, env: &ServerEnv, args: &[&str]) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_errata"));
    command
        .arg("--data-dir")
        .arg(data)
        .args(["bench", "fill", "--batch", "500"])
        .args(args)
        .env("ERRATA_ADMIN_PASSWORD", "e2e-password");
    env.database_to(&mut command);
    let output = command.output().expect("running errata bench fill");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The store of `data` / `env`, opened beside the server.
fn open(data: &Path, env: &ServerEnv) -> Box<dyn Store> {
    match env.database_url() {
        Some(url) => Box::new(errata_store_postgres::PgStore::open_url(url).unwrap()),
        None => Box::new(errata_store_sqlite::SqliteStore::open(data).unwrap()),
    }
}

fn all_issues(store: &dyn Store) -> Vec<Issue> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .issues(&IssueQuery {
                project_id: None,
                sort: IssueSort::LastSeen,
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

/// The arrival times of every stored event of `issue`, oldest first.
fn event_times(store: &dyn Store, issue: IssueId) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .issue_events(issue, cursor.as_deref(), errata_store::MAX_PAGE)
            .unwrap();
        out.extend(page.items.iter().map(|e| e.received_ms));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.sort_unstable();
    out
}

fn hours(times: &[i64]) -> BTreeSet<i64> {
    times.iter().map(|t| t.div_euclid(HOUR_MS)).collect()
}

/// Polls `check` every 250 ms for up to 90 s.
fn wait_until(server: &ServerProcess, what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{what} did not happen within 90 s:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Every issue is still there with its counts; an issue with events since `cutoff` keeps
/// its latest event and its hourly spread (but the oldest hours, once thinning was not
/// enough); an issue whose events were all older has none left.
fn assert_kept_what_matters(
    store: &dyn Store,
    before: &[Issue],
    before_times: &BTreeMap<IssueId, Vec<i64>>,
    cutoff: i64,
) {
    let after = all_issues(store);
    assert_eq!(after.len(), 30, "issues are never deleted by retention");
    for issue in &after {
        let old = before.iter().find(|i| i.id == issue.id).unwrap();
        // Counts, first and last seen stay whatever was deleted.
        assert_eq!(
            (issue.times_seen, issue.first_seen_ms, issue.last_seen_ms),
            (old.times_seen, old.first_seen_ms, old.last_seen_ms),
            "issue {}",
            issue.id
        );
        let was = &before_times[&issue.id];
        let kept = event_times(store, issue.id);
        assert!(
            kept.iter().all(|&t| t >= cutoff - 60_000),
            "issue {}",
            issue.id
        );
        let recent: Vec<i64> = was.iter().copied().filter(|&t| t >= cutoff).collect();
        match recent.last() {
            // An issue with recent events keeps its latest, and one event in every hour it
            // had events in (the first of each hour, or a later one the walk met first),
            // except that past thinning the oldest of those hourly samples went first:
            // every hour it lost is older than the ones it keeps (but its first event).
            Some(latest) => {
                assert_eq!(kept.last(), Some(latest), "issue {}", issue.id);
                let (had, has) = (hours(&recent), hours(&kept));
                let second = has.iter().nth(1).copied().unwrap_or(i64::MAX);
                let lost: Vec<i64> = had.difference(&has).copied().collect();
                assert!(
                    lost.iter().all(|&h| h < second),
                    "issue {}: lost hours {lost:?}, kept {has:?}",
                    issue.id
                );
                assert!(
                    lost.len() * 5 <= had.len(),
                    "issue {}: events in {} of its {} hours",
                    issue.id,
                    has.len(),
                    had.len()
                );
            }
            // An issue whose events were all older is still there, with no event.
            None => assert!(kept.is_empty(), "issue {}", issue.id),
        }
    }
}

#[test]
fn the_age_and_project_limits_hold_and_keep_what_matters() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut env = ServerEnv::new(&[]);
    fill(
        &data,
        &env,
        &[
            "--issues",
            "30",
            "--events",
            "4000",
            "--projects",
            "2",
            "--days",
            "10",
        ],
    );
    let now = errata_server::now_ms();
    let cutoff = now - 5 * DAY_MS;
    let (before, before_times) = {
        let store = open(&data, &env);
        let issues = all_issues(store.as_ref());
        let times: BTreeMap<IssueId, Vec<i64>> = issues
            .iter()
            .map(|i| (i.id, event_times(store.as_ref(), i.id)))
            .collect();
        (issues, times)
    };
    assert_eq!(before.len(), 30);
    let in_window: usize = before_times
        .values()
        .map(|t| t.iter().filter(|&&t| t >= cutoff).count())
        .sum();
    assert!(in_window > 1_500, "{in_window} events in the last 5 days");

    for (k, v) in [
        ("ERRATA_RETENTION_DAYS", "5"),
        ("ERRATA_RETENTION_PROJECT_MAX_EVENTS", "600"),
        ("ERRATA_RETENTION_PERIOD_SECS", "1"),
        ("ERRATA_RETENTION_PAUSE_MS", "1"),
    ] {
        env.vars.push((k.into(), v.into()));
    }
    let server = ServerProcess::restart_on(&data, &env);
    let store = server.store();
    wait_until(&server, "the age and project limits", || {
        let usage = store.project_usage().unwrap();
        usage.len() == 2
            && usage.iter().all(|u| {
                u.events <= 600 && u.oldest_received_ms.is_none_or(|o| o >= cutoff - 60_000)
            })
    });
    let usage = store.project_usage().unwrap();
    for u in &usage {
        // Thinned down to the limit, not further.
        assert!(u.events > 550, "{usage:?}");
    }

    assert_kept_what_matters(store.as_ref(), &before, &before_times, cutoff);
    // The busiest issue was thinned, not cut: it keeps events from the oldest day allowed.
    let busiest = before.iter().max_by_key(|i| i.times_seen).unwrap();
    let kept = event_times(store.as_ref(), busiest.id);
    let recent = before_times[&busiest.id]
        .iter()
        .filter(|&&t| t >= cutoff)
        .count();
    assert!(kept.len() < recent, "{} of {recent}", kept.len());
    assert!(
        kept[0] < cutoff + DAY_MS,
        "oldest kept {}",
        kept[0] - cutoff
    );
}

#[test]
fn the_disk_budget_holds_while_events_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut env = ServerEnv::new(&[]);
    fill(
        &data,
        &env,
        &["--issues", "20", "--events", "8000", "--days", "2"],
    );
    let (full, issues, latest_ids) = {
        let store = open(&data, &env);
        let issues = all_issues(store.as_ref());
        let latest: Vec<_> = issues
            .iter()
            .map(|i| store.latest_event(i.id).unwrap().row.event_id)
            .collect();
        (store.footprint().unwrap(), issues, latest)
    };
    // Half of what the events take (the other tables, and on PostgreSQL its catalog, stay).
    let events_bytes = {
        let usage = open(&data, &env).project_usage().unwrap();
        usage
            .iter()
            .map(|u| u.stored_bytes + u.events * 400)
            .sum::<u64>()
    };
    let budget = (full.live_bytes - events_bytes / 2).max(2 << 20);
    assert!(full.live_bytes > budget + (1 << 20), "{full:?}");
    for (k, v) in [
        ("ERRATA_RETENTION_MAX_BYTES", budget.to_string()),
        ("ERRATA_RETENTION_PERIOD_SECS", "1".to_owned()),
        ("ERRATA_RETENTION_PAUSE_MS", "1".to_owned()),
    ] {
        env.vars.push((k.into(), v));
    }
    let server = ServerProcess::restart_on(&data, &env);
    let store = server.store();
    let under = |store: &dyn Store| store.footprint().unwrap().live_bytes <= budget;
    wait_until(&server, "the disk budget", || under(store.as_ref()));

    // Events keep arriving: the budget still holds once retention caught up.
    let mut sent = Vec::new();
    for n in 0..500 {
        sent.push(server.send_event(&format!("arriving {}", n % 7)));
    }
    wait_until(&server, "the disk budget after more events", || {
        under(store.as_ref())
    });
    let latest = *sent.last().unwrap();
    assert!(
        server.stored().event(latest).is_some(),
        "the newest event is kept"
    );
    // Every issue keeps its latest event; none loses its counts.
    for (issue, latest) in issues.iter().zip(&latest_ids) {
        let now = store.issue(issue.id).unwrap();
        assert_eq!(now.times_seen, issue.times_seen);
        assert_eq!(
            store.latest_event(issue.id).unwrap().row.event_id,
            *latest,
            "issue {}",
            issue.id
        );
    }
    if env.database_url().is_none() {
        // SQLite gives the space back: the files on disk come under the budget too.
        wait_until(&server, "the files under the budget", || {
            let files: u64 = ["errata.sqlite3", "errata.sqlite3-wal", "errata.sqlite3-shm"]
                .iter()
                .filter_map(|f| std::fs::metadata(data.join(f)).ok())
                .map(|m| m.len())
                .sum();
            files <= budget + budget / 20
        });
    }
}
