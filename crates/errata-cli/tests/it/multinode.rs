//! Two `errata serve` processes, each with its own data dir, on one `PostgreSQL` test
//! database behave as one installation: the official Python SDK sends the same
//! fingerprinted error to both at once and one issue counts every event; an issue resolved
//! through one node's Web API regresses on an event sent to the other; and every event a
//! node acknowledged before a `kill -9` is in the database. Without a reachable server the
//! tests follow [`TestDatabase`]: skipped, or failed when `CI` is set.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};

use errata_store::{ActivityKind, IssueId, Store as _, Uuid};
use errata_store_postgres::PgStore;
use errata_store_postgres::testing::TestDatabase;
use serde_json::{Value, json};

use crate::backend::database_url;
use crate::durability::Stream;
use crate::harness::{
    IssueInfo, ServerProcess, event_envelope, message_event, poll, put_json, python,
};

/// Events each Python process sends with the shared fingerprint.
pub(crate) const SHARED_PER_PROCESS: usize = 50;
/// Events each Python process sends with the second fingerprint.
pub(crate) const OTHER_PER_PROCESS: usize = 5;

/// Sends `SHARED_PER_PROCESS` `ZeroDivisionError`s fingerprinted `multinode-shared` and
/// `OTHER_PER_PROCESS` `KeyError`s fingerprinted `multinode-other` through the SDK, then
/// flushes; prints `{"label", "event_id"}` per captured event.
const SDK_SCRIPT: &str = r#"
import json, os, sys
import sentry_sdk

sentry_sdk.init(dsn=os.environ["DSN"], transport_queue_size=1000, default_integrations=False)

def divide(a, b):
    return a / b

def lookup(key):
    return {}[key]

def capture(label, fingerprint, fail):
    try:
        fail()
    except Exception:
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = [fingerprint]
            event_id = sentry_sdk.capture_exception()
    if event_id is None:
        raise SystemExit(f"{label}: the SDK captured nothing")
    print(json.dumps({"label": label, "event_id": event_id}))

for i in range(int(os.environ["SHARED"])):
    capture("shared", "multinode-shared", lambda: divide(i, 0))
for i in range(int(os.environ["OTHER"])):
    capture("other", "multinode-other", lambda: lookup(f"K-{i}"))
sentry_sdk.flush(timeout=60)
"#;

/// Two nodes on one test database (dropped last: the nodes are killed first).
pub(crate) struct Cluster {
    pub(crate) a: ServerProcess,
    pub(crate) b: ServerProcess,
    pub(crate) url: String,
    _dirs: tempfile::TempDir,
    _db: TestDatabase,
}

impl Cluster {
    /// `None` when no `PostgreSQL` server is reachable and `CI` is unset, or in the
    /// `ERRATA_TEST_BACKEND=postgres` run, which would only repeat it (skipped).
    pub(crate) fn start() -> Option<Self> {
        Self::start_with(&[])
    }

    /// [`Cluster::start`] with extra `ERRATA_*` variables for both nodes.
    #[allow(
        clippy::print_stderr,
        reason = "a skipped test says so on the test's output"
    )]
    pub(crate) fn start_with(extra: &[(&str, &str)]) -> Option<Self> {
        if crate::backend::on_postgres() {
            eprintln!("skipped: already runs on PostgreSQL in the default (SQLite) run");
            return None;
        }
        let db = TestDatabase::create()?;
        let url = database_url(db.name());
        let dirs = tempfile::tempdir().unwrap();
        let mut env = vec![("ERRATA_DATABASE_URL", url.as_str())];
        env.extend_from_slice(extra);
        // One after the other: the first migrates and bootstraps, the second finds both done.
        let a = ServerProcess::start_with(&dirs.path().join("a"), &env);
        let b = ServerProcess::start_with(&dirs.path().join("b"), &env);
        assert_eq!(
            (&a.key, a.project_id),
            (&b.key, b.project_id),
            "both nodes serve the same project"
        );
        Some(Self {
            a,
            b,
            url,
            _dirs: dirs,
            _db: db,
        })
    }

    /// The database, read directly (for what the Web API does not show).
    pub(crate) fn store(&self) -> PgStore {
        PgStore::open_url(&self.url).expect("opening the test database")
    }
}

/// Starts the SDK script against `server`.
pub(crate) fn spawn_sdk(server: &ServerProcess) -> Child {
    Command::new(python())
        .args(["-c", SDK_SCRIPT])
        .env("DSN", server.dsn())
        .env("SHARED", SHARED_PER_PROCESS.to_string())
        .env("OTHER", OTHER_PER_PROCESS.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the Python SDK")
}

/// Waits for the SDK script; returns its event ids by label.
pub(crate) fn sdk_ids(child: Child) -> BTreeMap<String, Vec<Uuid>> {
    let output = child.wait_with_output().expect("waiting for Python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the SDK script failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let mut ids: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).expect("a line of the SDK script");
        let id = Uuid::try_parse(v["event_id"].as_str().expect("event_id")).expect("a uuid");
        ids.entry(v["label"].as_str().unwrap().to_owned())
            .or_default()
            .push(id);
    }
    ids
}

/// The issues of `server` once their counts are `expected` (sorted), polled.
fn issues_with_counts(server: &ServerProcess, expected: &[u64]) -> Vec<IssueInfo> {
    let stored = server.stored();
    let mut last = Vec::new();
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        poll("the issue counts", || {
            let issues = stored.issues();
            let mut counts: Vec<u64> = issues.iter().map(|i| i.count).collect();
            counts.sort_unstable();
            last.clone_from(&issues);
            (counts == expected).then_some(issues)
        })
    }));
    found.unwrap_or_else(|_| panic!("expected issue counts {expected:?}, have {last:?}"))
}

fn issue_with_count(issues: &[IssueInfo], count: u64) -> IssueInfo {
    issues
        .iter()
        .find(|i| i.count == count)
        .unwrap_or_else(|| panic!("no issue counts {count}: {issues:?}"))
        .clone()
}

/// Both nodes get the same error from the SDK at once (plus a second one): one issue per
/// fingerprint, exact counts, the same through either node's Web API; then it is resolved
/// through node A and regresses on an event sent to node B.
#[test]
fn two_nodes_on_one_database_group_concurrent_sdk_events_and_regress_across_nodes() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let processes = [spawn_sdk(a), spawn_sdk(b)];
    let sent: Vec<_> = processes.into_iter().map(sdk_ids).collect();
    for ids in &sent {
        assert_eq!(ids["shared"].len(), SHARED_PER_PROCESS, "{ids:?}");
        assert_eq!(ids["other"].len(), OTHER_PER_PROCESS, "{ids:?}");
    }
    let shared_total = (2 * SHARED_PER_PROCESS) as u64;
    let other_total = (2 * OTHER_PER_PROCESS) as u64;
    let expected = [other_total, shared_total];

    let through_a = issues_with_counts(a, &expected);
    let through_b = issues_with_counts(b, &expected);
    let mut ids_a: Vec<_> = through_a.iter().map(|i| i.id.clone()).collect();
    let mut ids_b: Vec<_> = through_b.iter().map(|i| i.id.clone()).collect();
    ids_a.sort();
    ids_b.sort();
    assert_eq!(ids_a, ids_b, "both nodes show the same issues");
    let shared = issue_with_count(&through_a, shared_total);
    let other = issue_with_count(&through_a, other_total);
    assert_eq!(shared.title, "ZeroDivisionError: division by zero");
    assert!(other.title.starts_with("KeyError: 'K-"), "{other:?}");
    assert_eq!(shared.status, "unresolved");

    // Every event the SDKs captured is stored, in its fingerprint's issue.
    let stored_b = b.stored();
    for ids in &sent {
        for (label, issue) in [("shared", &shared), ("other", &other)] {
            for id in &ids[label] {
                let event = stored_b.wait_event(*id);
                assert_eq!(event.issue.id, issue.id, "event {id} ({label})");
            }
        }
    }

    // Resolved through node A ...
    let reply = put_json(
        &a.url(&format!("/api/0/issues/{}/", shared.id)),
        &[("Authorization", &format!("Bearer {}", a.token()))],
        &json!({"status": "resolved"}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["status"], "resolved", "{reply:?}");
    assert_eq!(
        stored_b.issue(&shared.id).status,
        "resolved",
        "node B sees it"
    );

    // ... an event of it sent to node B reopens it.
    let id = Uuid::new_v4();
    let mut event = message_event(id, "division by zero, once more");
    event["fingerprint"] = json!(["multinode-shared"]);
    let reply = b.send_envelope(&event_envelope(&event));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(stored_b.wait_event(id).issue.id, shared.id);
    let reopened = a.stored().issue(&shared.id);
    assert_eq!(reopened.status, "unresolved", "{reopened:?}");
    assert_eq!(reopened.count, shared_total + 1, "{reopened:?}");
    let activity = cluster
        .store()
        .issue_activity(IssueId(shared.id.parse().expect("a numeric issue id")))
        .expect("the issue's activity");
    let kinds: Vec<_> = activity.iter().map(|a| a.kind).collect();
    let resolved = kinds.iter().position(|k| *k == ActivityKind::Resolved);
    let regressed = kinds.iter().rposition(|k| *k == ActivityKind::Regression);
    assert!(
        resolved.zip(regressed).is_some_and(|(r, g)| r < g),
        "a resolution then a regression: {activity:?}"
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ActivityKind::Regression)
            .count(),
        1,
        "{activity:?}"
    );
    assert_eq!(
        other_total,
        a.stored().issue(&other.id).count,
        "the other issue is untouched"
    );
}

/// Node A is killed with SIGKILL while clients stream events into it: every event it
/// acknowledged with a 200 is in the database, as node B shows.
#[test]
fn sigkill_of_one_node_loses_no_acknowledged_event() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let stream = Stream::start(a);
    stream.wait_for(200);
    // The clients are still sending: this kill lands mid-stream.
    let status = Command::new("kill")
        .args(["-KILL", &a.pid().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -KILL failed");
    let acked = stream.finish();
    assert!(acked.len() >= 200);
    let stored = b.stored();
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| stored.event(**id).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} events node A acknowledged are not in the database: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)]
    );
    // Node B goes on taking events.
    let after = b.send_event("after node A was killed");
    assert!(stored.event(after).is_some());
}
