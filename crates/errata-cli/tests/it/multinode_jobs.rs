//! Two real `errata serve` nodes on one `PostgreSQL` test database ([`Cluster`]), for what
//! runs beside ingest and what each node caches: the first events of new issues sent to
//! both nodes at the same moment make each issue's alert arrive at a webhook receiver
//! exactly once, although both nodes' dispatchers poll the one outbox; a DSN key disabled,
//! a project's rate limit set and an API token revoked through node A take effect on node
//! B within the key cache's lifetime ([`errata_server::keys::TTL`]); an ignore that runs
//! out while both nodes run upkeep every second brings its issue back with one activity
//! row; and the load generator (`errata bench ingest`) and the official Python SDK driving
//! both nodes at once leave stored counts equal to the accepted ones, one issue per group.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use errata_store::{ActivityKind, IssueId, ProjectId, Store as _, Uuid};
use serde_json::{Value, json};

use crate::alerts::{add_channel, org_slug, project_slug};
use crate::bench::figure;
use crate::harness::{
    IssueInfo, Reply, ServerProcess, event_envelope, get_with, message_event, poll, post, put_json,
};
use crate::multinode::{Cluster, OTHER_PER_PROCESS, SHARED_PER_PROCESS, sdk_ids, spawn_sdk};
use crate::receiver::Receiver;

/// Room for a loaded test machine on top of a documented bound.
const MARGIN: Duration = Duration::from_secs(5);

/// How often the alert dispatcher of a node polls the outbox
/// (`crates/errata-server/src/alert/dispatcher.rs`).
const DISPATCHER_POLL: Duration = Duration::from_secs(1);

/// `Authorization` for the Web API with `server`'s token.
fn bearer(server: &ServerProcess) -> String {
    format!("Bearer {}", server.token())
}

/// POSTs a form of the web UI with a bearer token (tokens need no CSRF token).
fn post_form(server: &ServerProcess, path: &str, form: &str) -> Reply {
    let reply = post(
        &server.url(path),
        &[
            ("Authorization", &bearer(server)),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert!(
        (200..400).contains(&reply.status),
        "POST {path} {form}: {reply:?}"
    );
    reply
}

/// Sends a message event with `fingerprint` to `server` under the DSN key `key`.
fn send_with_key(server: &ServerProcess, key: &str, message: &str, fingerprint: &str) -> Reply {
    let mut event = message_event(Uuid::new_v4(), message);
    event["fingerprint"] = json!([fingerprint]);
    post(
        &server.envelope_url(),
        &[
            (
                "X-Sentry-Auth",
                &format!("Sentry sentry_key={key}, sentry_version=7, sentry_client=e2e/1.0"),
            ),
            ("Content-Type", "application/x-sentry-envelope"),
        ],
        &event_envelope(&event),
    )
}

/// Checks every 200 ms until `check` holds; panics when it still fails `bound` after
/// `since`.
fn within(what: &str, since: Instant, bound: Duration, mut check: impl FnMut() -> bool) {
    loop {
        if check() {
            return;
        }
        assert!(
            since.elapsed() <= bound,
            "{what}: still not after {bound:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The project's issues once there are `count` of them, through `server`'s Web API.
fn wait_issues(server: &ServerProcess, count: usize) -> Vec<IssueInfo> {
    let stored = server.stored();
    poll(&format!("{count} issues"), || {
        let issues = stored.issues();
        (issues.len() == count).then_some(issues)
    })
}

/// The new-issue webhook requests `receiver` answered with 200, by issue id.
fn deliveries_by_issue(receiver: &Receiver) -> BTreeMap<String, Vec<Value>> {
    let mut by_issue: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for request in receiver.requests("/hook") {
        let body = request.json();
        if request.answered == 200 && body["trigger"] == "new_issue" {
            by_issue
                .entry(body["issue"]["id"].to_string())
                .or_default()
                .push(body);
        }
    }
    by_issue
}

/// The first two events of each of several new issues reach node A and node B at the same
/// moment; the project's default rule ("a new issue, to all channels") sends each issue's
/// alert to the webhook once, though both nodes' dispatchers keep polling the outbox.
#[test]
fn each_alert_is_delivered_once_when_new_issues_reach_both_nodes() {
    const NEW_ISSUES: usize = 6;
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let receiver = Receiver::start();
    add_channel(a, "webhook", &receiver.url("/hook"), None);

    let barrier = Barrier::new(2 * NEW_ISSUES);
    std::thread::scope(|s| {
        for i in 0..NEW_ISSUES {
            for (name, node) in [("a", a), ("b", b)] {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let reply = send_with_key(
                        node,
                        &node.key,
                        &format!("new issue {i} through node {name}"),
                        &format!("alert-once-{i}"),
                    );
                    assert_eq!(reply.status, 200, "issue {i} via {name}: {reply:?}");
                });
            }
        }
    });
    let issues = wait_issues(b, NEW_ISSUES);
    assert!(issues.iter().all(|i| i.count == 2), "{issues:?}");
    let ids: BTreeSet<String> = issues.iter().map(|i| i.id.clone()).collect();

    poll("an alert for every new issue", || {
        let delivered = deliveries_by_issue(&receiver);
        ids.iter()
            .all(|id| delivered.contains_key(id))
            .then_some(())
    });
    // Both dispatchers poll several more times; nothing more may come.
    std::thread::sleep(4 * DISPATCHER_POLL);
    let delivered = deliveries_by_issue(&receiver);
    assert_eq!(
        delivered.keys().cloned().collect::<BTreeSet<_>>(),
        ids,
        "{delivered:?}"
    );
    for (issue, bodies) in &delivered {
        assert_eq!(
            bodies.len(),
            1,
            "issue {issue} alerted {} times: {bodies:?}",
            bodies.len()
        );
    }
    assert_eq!(receiver.requests("/hook").len(), NEW_ISSUES);
    // The outbox holds one delivery per issue, sent at the first attempt.
    let log = get_with(
        &a.url(&format!(
            "/api/0/projects/{}/{}/alert-deliveries/",
            org_slug(a),
            project_slug(a)
        )),
        &[("Authorization", &bearer(a))],
    );
    assert_eq!(log.status, 200, "{log:?}");
    let log = log.json();
    let log = log.as_array().expect("a list of deliveries");
    assert_eq!(log.len(), NEW_ISSUES, "{log:?}");
    assert!(log.iter().all(|d| d["attemptCount"] == 1), "{log:?}");
}

/// A DSN key disabled, a rate limit set and an API token revoked through node A: node A
/// applies them at once, node B (which had the key and the project cached) within the key
/// cache's lifetime. Tokens are not cached: node B refuses a revoked one at its next use.
#[test]
fn key_project_and_token_changes_on_one_node_reach_the_other_within_the_cache_lifetime() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let slug = project_slug(a);
    let org = org_slug(a);
    post_form(
        a,
        &format!("/projects/{slug}/keys"),
        "action=create&label=second",
    );
    let second = cluster
        .store()
        .project_keys(ProjectId(a.project_id))
        .expect("the project's keys")
        .into_iter()
        .find(|k| k.label == "second")
        .expect("the key made through node A");
    let output = a
        .errata()
        .args(["token", "create", "--json", "--label", "second"])
        .output()
        .expect("running errata token create");
    assert!(output.status.success(), "{output:?}");
    let created: Value = serde_json::from_slice(&output.stdout).expect("token JSON");
    let token = format!("Bearer {}", created["token"].as_str().expect("a token"));
    let orgs_with = |node: &ServerProcess| {
        get_with(
            &node.url("/api/0/organizations/"),
            &[("Authorization", &token)],
        )
        .status
    };

    // Node B caches both keys with the project's settings, and takes the token.
    assert_eq!(send_with_key(b, &b.key, "warm", "cache").status, 200);
    assert_eq!(
        send_with_key(b, &second.public_key, "warm", "cache").status,
        200
    );
    assert_eq!(orgs_with(b), 200);

    let changed = Instant::now();
    post_form(
        a,
        &format!("/projects/{slug}/keys"),
        &format!("action=disable&key={}", second.id.0),
    );
    let reply = put_json(
        &a.url(&format!("/api/0/projects/{org}/{slug}/")),
        &[("Authorization", &bearer(a))],
        &json!({"rateLimitPerMinute": 1}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    post_form(a, "/settings/tokens/", &format!("revoke={}", created["id"]));

    // Node A at once.
    assert_eq!(
        send_with_key(a, &second.public_key, "a", "cache").status,
        403
    );
    assert_eq!(orgs_with(a), 401);
    // Tokens are not cached: node B reads the revocation at the token's next use.
    assert_eq!(orgs_with(b), 401);
    // The key and the project's settings: node B's cache expires within the bound.
    let bound = errata_server::keys::TTL + MARGIN;
    within("node B refuses the disabled key", changed, bound, || {
        send_with_key(b, &second.public_key, "b", "cache").status == 403
    });
    within("node B applies the rate limit", changed, bound, || {
        send_with_key(b, &b.key, "b", "cache").status == 429
    });
}

/// Several issues ignored through node A come back when their ignore runs out while both
/// nodes run upkeep every second: each with exactly one "came back" activity row. Upkeep's
/// other job, deleting expired web sessions, is done too.
#[test]
fn an_expired_ignore_comes_back_once_with_both_nodes_running_upkeep() {
    const IGNORED: usize = 4;
    let Some(cluster) = Cluster::start_with(&[("ERRATA_MAINTENANCE_PERIOD_SECS", "1")]) else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    for i in 0..IGNORED {
        let node = if i % 2 == 0 { a } else { b };
        let reply = send_with_key(
            node,
            &node.key,
            &format!("ignored {i}"),
            &format!("ign-{i}"),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    let issues = wait_issues(a, IGNORED);
    for issue in &issues {
        let reply = put_json(
            &a.url(&format!("/api/0/issues/{}/", issue.id)),
            &[("Authorization", &bearer(a))],
            &json!({"status": "ignored", "statusDetails": {"ignoreDuration": 1}}),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    // The shortest ignore the API takes is a minute: its end is moved to 2 s from now, the
    // same instant for every issue, so both nodes' rounds may reach them together.
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let store = cluster.store();
    let moved = store
        .pool()
        .with_client(async |c| {
            Ok(c.execute(
                "UPDATE issues SET ignore_until_ms = $1 WHERE status = 'ignored'",
                &[&(now_ms + 2_000)],
            )
            .await?)
        })
        .expect("moving the ignores' end");
    assert_eq!(moved, IGNORED as u64);
    // Upkeep's other job: an expired web session is deleted.
    let expired_sessions = || {
        store
            .pool()
            .with_client(async |c| {
                Ok(c.query_one(
                    "SELECT count(*) FROM sessions WHERE secret_hash = 'expired'",
                    &[],
                )
                .await?
                .get::<_, i64>(0))
            })
            .expect("counting sessions")
    };
    store
        .pool()
        .with_client(async |c| {
            Ok(c.execute(
                "INSERT INTO sessions
                     (user_id, secret_hash, csrf_token, created_ms, last_seen_ms, expires_ms)
                 SELECT id, 'expired', '', 0, 0, 1 FROM users ORDER BY id LIMIT 1",
                &[],
            )
            .await?)
        })
        .expect("an expired session");
    assert_eq!(expired_sessions(), 1);

    let stored = b.stored();
    poll("every ignored issue back", || {
        issues
            .iter()
            .all(|i| stored.issue(&i.id).status == "unresolved")
            .then_some(())
    });
    // Both nodes run several more rounds.
    std::thread::sleep(Duration::from_secs(3));
    for issue in &issues {
        let activity = store
            .issue_activity(IssueId(issue.id.parse().expect("a numeric id")))
            .expect("the issue's activity");
        let back: Vec<_> = activity
            .iter()
            .filter(|a| a.kind == ActivityKind::Unignored)
            .collect();
        assert_eq!(back.len(), 1, "issue {}: {activity:?}", issue.id);
        assert_eq!(stored.issue(&issue.id).status, "unresolved");
    }
    assert_eq!(expired_sessions(), 0);
}

/// Starts `errata bench ingest` against `server` for `secs` seconds.
fn spawn_bench(server: &ServerProcess, secs: u32) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_errata"))
        .args(["bench", "ingest", "--concurrency", "4", "--groups", "20"])
        .args(["--duration", &secs.to_string(), "--dsn", &server.dsn()])
        .arg("--corpus")
        .arg(errata_corpus::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running errata bench ingest")
}

/// The events the load generator reports accepted.
fn bench_accepted(child: std::process::Child) -> u64 {
    let output = child.wait_with_output().expect("waiting for the bench");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let accepted = figure(&report, "accepted:");
    assert!(accepted > 0, "{report}");
    accepted
}

/// The load generator on both nodes at once, with the Python SDK beside it on both: the
/// stored counts add up to what the generators and the SDKs had accepted, and each of the
/// generators' groups (the same 20 on both nodes) and each SDK fingerprint is one issue.
#[test]
fn the_load_generator_and_the_sdk_on_both_nodes_store_every_accepted_event() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let benches = [spawn_bench(a, 3), spawn_bench(b, 3)];
    let sdks = [spawn_sdk(a), spawn_sdk(b)];
    let accepted: u64 = benches.into_iter().map(bench_accepted).sum();
    let sent: usize = sdks
        .into_iter()
        .map(sdk_ids)
        .map(|ids| ids.values().map(Vec::len).sum::<usize>())
        .sum();
    assert_eq!(sent, 2 * (SHARED_PER_PROCESS + OTHER_PER_PROCESS));
    let expected = accepted + sent as u64;

    let stored = a.stored();
    let mut last = Vec::new();
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        poll("every accepted event counted", || {
            last = stored.issues();
            (last.iter().map(|i| i.count).sum::<u64>() == expected).then_some(())
        });
    }));
    let counted: u64 = last.iter().map(|i| i.count).sum();
    assert!(
        found.is_ok(),
        "{accepted} + {sent} events accepted, {counted} counted: {last:?}"
    );
    // One issue per group: no title twice (a group split by a race would be).
    let titles: BTreeSet<&str> = last.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles.len(), last.len(), "{last:?}");
    assert!(last.len() <= 20 + 2, "{} issues: {last:?}", last.len());
    let through_b: u64 = b.stored().issues().iter().map(|i| i.count).sum();
    assert_eq!(through_b, expected);
}
