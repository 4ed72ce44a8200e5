//! Query plans of the hot paths, as the `SQLite` backend's `every_query_uses_an_index`
//! checks its own: a test database is filled with enough rows (20 projects, 20,000 issues,
//! 100,000 events, ...) and analyzed, and each query of
//! [`errata_store_postgres::testing::hot_queries`] (the SQL text the backend sends, not a
//! copy) is planned with `EXPLAIN (FORMAT JSON)` for realistic parameter values. Its plan
//! must read through the index made for it, scan no table sequentially, and sort nothing
//! but the few rows of one issue where that is the design. Sequential scans are switched
//! off (`enable_seqscan`), so that a plan falls back to one only when no index serves the
//! query at all; which index it picked is then what the test checks.

use std::collections::BTreeSet;

use errata_store_postgres::PgPool;
use errata_store_postgres::testing::{TestDatabase, hot_queries};
use serde_json::Value;

/// A hot query's parameters (SQL literals, in placeholder order), the indexes its plan must
/// use, and whether it may sort (only rows already narrowed down by an index).
struct Expected {
    name: &'static str,
    args: &'static str,
    indexes: &'static [&'static str],
    sorts: bool,
}

const EXPECTED: &[Expected] = &[
    Expected {
        name: "key by public key",
        args: "'k77'",
        indexes: &["project_keys_public_key_key"],
        sorts: false,
    },
    Expected {
        name: "token by hash",
        args: "'t77'",
        indexes: &["api_tokens_token_hash_key"],
        sorts: false,
    },
    Expected {
        name: "session by secret hash",
        args: "'s77', 0",
        indexes: &["sessions_secret_hash_key", "users_pkey"],
        sorts: false,
    },
    Expected {
        name: "stored events at ingest",
        args: "3, ARRAY[decode(md5('77'), 'hex'), decode(md5('78'), 'hex')]",
        indexes: &["events_project_event_id"],
        sorts: false,
    },
    Expected {
        name: "hash owners at ingest",
        args: "3, ARRAY['h3', 'h23', 'h43']",
        indexes: &["grouphashes_pkey"],
        sorts: false,
    },
    Expected {
        name: "event by event id",
        args: "3, decode(md5('77'), 'hex')",
        indexes: &["events_project_event_id"],
        sorts: false,
    },
    Expected {
        name: "events of an issue",
        // The second page of an issue of 500 events spread over the table.
        args: "77, 50000, 51",
        indexes: &["events_issue"],
        sorts: false,
    },
    Expected {
        name: "latest event of an issue",
        // An issue of five events: the planner may pick them out and sort those five.
        args: "78",
        indexes: &["events_issue"],
        sorts: true,
    },
    Expected {
        name: "tag values of an issue",
        args: "77",
        indexes: &["issue_tag_values_pkey"],
        // By count within each key: one issue's values, found by the index.
        sorts: true,
    },
    Expected {
        name: "issues of a project",
        args: "3, 26",
        indexes: &["issues_project_last_seen"],
        sorts: false,
    },
    Expected {
        name: "issues of a project by status",
        args: "3, 'resolved', 26",
        indexes: &["issues_project_status_last_seen"],
        sorts: false,
    },
    Expected {
        name: "next page by status",
        args: "3, 'resolved', 10000000, 10000, 26",
        indexes: &["issues_project_status_last_seen"],
        sorts: false,
    },
    Expected {
        name: "issues of a project with a tag",
        args: "3, 'k1', 'v20077', 26",
        indexes: &["issue_tag_values_key_value", "issues_pkey"],
        // The few issues that have seen the value, by last seen.
        sorts: true,
    },
    Expected {
        name: "issues of every project by status",
        args: "'resolved', 26",
        indexes: &["issues_status_last_seen"],
        sorts: false,
    },
    Expected {
        name: "outbox claim",
        // A backlog of 400 due deliveries.
        args: "'node-a', 100000, 100, 60000",
        indexes: &["alert_deliveries_due"],
        sorts: false,
    },
    Expected {
        name: "expired ignores",
        args: "5000",
        indexes: &["issues_ignore_until"],
        // By id, for a stable lock order: the due ignores only, found by the index.
        sorts: true,
    },
];

/// Rows enough for the planner to tell an index from a scan; ids are dense from 1. Issue
/// 77 has 500 events spread over the table, the others about five; one issue in ten is
/// resolved, one in ten ignored, one in a hundred has an ignore that runs out; one delivery
/// in fifty is pending.
const FILL: &str = "
    INSERT INTO organizations (slug, name, created_ms) VALUES ('o', 'O', 0);
    INSERT INTO projects (organization_id, slug, name, created_ms)
        SELECT 1, 'p' || i, 'P', 0 FROM generate_series(1, 20) i;
    INSERT INTO project_keys (project_id, public_key, secret_key, label, created_ms)
        SELECT i % 20 + 1, 'k' || i, 's' || i, '', 0 FROM generate_series(1, 2000) i;
    INSERT INTO users (email, password_hash, created_ms)
        SELECT 'u' || i || '@x', '', 0 FROM generate_series(1, 100) i;
    INSERT INTO api_tokens (user_id, token_hash, label, created_ms)
        SELECT i % 100 + 1, 't' || i, '', 0 FROM generate_series(1, 2000) i;
    INSERT INTO sessions (user_id, secret_hash, csrf_token, created_ms, last_seen_ms, expires_ms)
        SELECT i % 100 + 1, 's' || i, '', 0, 0, i FROM generate_series(1, 2000) i;
    INSERT INTO issues (project_id, short_id, title, culprit, level, event_type, metadata,
            status, first_seen_ms, last_seen_ms, times_seen, user_count, ignore_until_ms)
        SELECT i % 20 + 1, i, 'issue ' || i, '', 'error', 'error', '\\x',
            CASE i % 10 WHEN 0 THEN 'resolved' WHEN 1 THEN 'ignored' ELSE 'unresolved' END,
            i * 1000, i * 1000, 5, 0,
            CASE WHEN i % 100 = 1 THEN i * 1000 END
        FROM generate_series(1, 20000) i;
    INSERT INTO grouphashes (project_id, hash, issue_id)
        SELECT i % 20 + 1, 'h' || i, i FROM generate_series(1, 20000) i;
    INSERT INTO events (project_id, event_id, issue_id, received_ms, timestamp_ms, level,
            event_type, title, payload, payload_len)
        SELECT issue % 20 + 1, decode(md5(i::TEXT), 'hex'), issue, i, i, 'error', 'error', '',
            '\\x', 0
        FROM generate_series(1, 100000) i,
            LATERAL (SELECT CASE WHEN i % 200 = 0 THEN 77 ELSE i % 20000 + 1 END AS issue) e;
    INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen_ms, last_seen_ms)
        SELECT i % 20000 + 1, 'k' || i / 20000, 'v' || i, 1, 0, 0
        FROM generate_series(1, 60000) i;
    INSERT INTO alert_deliveries (project_id, issue_id, trigger, state, attempts, created_ms,
            next_attempt_ms)
        SELECT i % 20 + 1, i, 'new_issue', CASE WHEN i % 50 = 0 THEN 'pending' ELSE 'sent' END,
            1, i, i
        FROM generate_series(1, 20000) i;
    ANALYZE;
";

/// Every node of a JSON plan, depth first.
fn nodes(plan: &Value, out: &mut Vec<Value>) {
    out.push(plan.clone());
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

/// `sql`'s plan for `args` (SQL literals), as its JSON nodes.
fn plan(pool: &PgPool, sql: &str, args: &str) -> Vec<Value> {
    let explain =
        format!("DEALLOCATE ALL; PREPARE hot AS {sql}; EXPLAIN (FORMAT JSON) EXECUTE hot({args})");
    let text = pool
        .with_client(async |c| {
            let messages = c.simple_query(&explain).await?;
            Ok(messages
                .iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                    _ => None,
                })
                .expect("EXPLAIN answers a row"))
        })
        .unwrap_or_else(|e| panic!("{sql}\n({args}): {e}"));
    let plan: Value = serde_json::from_str(&text).expect("EXPLAIN's JSON");
    let mut out = Vec::new();
    nodes(&plan[0]["Plan"], &mut out);
    out
}

#[test]
fn every_hot_query_reads_through_its_index() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    // One connection: the session settings and the prepared statement stay on it.
    let pool = PgPool::open(&db.config().with_max_connections(1)).unwrap();
    pool.with_client(async |c| {
        c.batch_execute(FILL).await?;
        Ok(c.batch_execute("SET enable_seqscan = off").await?)
    })
    .unwrap();

    let queries = hot_queries();
    let named: BTreeSet<_> = queries.iter().map(|(name, _)| *name).collect();
    let expected: BTreeSet<_> = EXPECTED.iter().map(|e| e.name).collect();
    assert_eq!(
        named, expected,
        "every hot query has its expected plan here"
    );

    let mut failures = Vec::new();
    for (name, sql) in &queries {
        let want = EXPECTED.iter().find(|e| e.name == *name).unwrap();
        let nodes = plan(&pool, sql, want.args);
        let used: BTreeSet<&str> = nodes
            .iter()
            .filter_map(|n| n["Index Name"].as_str())
            .collect();
        let scans: Vec<&str> = nodes
            .iter()
            .filter(|n| n["Node Type"] == "Seq Scan")
            .filter_map(|n| n["Relation Name"].as_str())
            .collect();
        let sorts = nodes
            .iter()
            .any(|n| n["Node Type"].as_str().is_some_and(|t| t.ends_with("Sort")));
        let missing: Vec<_> = want
            .indexes
            .iter()
            .filter(|i| !used.contains(**i))
            .collect();
        if !missing.is_empty() || !scans.is_empty() || (sorts && !want.sorts) {
            let shape: Vec<String> = nodes
                .iter()
                .map(|n| {
                    format!(
                        "{} {}",
                        n["Node Type"].as_str().unwrap_or("?"),
                        n["Index Name"]
                            .as_str()
                            .or(n["Relation Name"].as_str())
                            .unwrap_or("")
                    )
                })
                .collect();
            failures.push(format!(
                "{name}: missing {missing:?}, sequential scans of {scans:?}, sorts {sorts}: \
                 {shape:?}\n{sql}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
