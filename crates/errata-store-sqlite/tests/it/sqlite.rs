//! `SQLite`-specific behaviour the generic suite cannot see: the database file in the data
//! dir, WAL journaling, the migrations table, and refusing a newer schema.

use errata_store::Store;
use errata_store_sqlite::{DATABASE_FILE, Durability, SqliteOptions, SqliteStore};

#[test]
fn creates_the_data_dir_and_uses_wal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/data");
    let store = SqliteStore::open(&dir).unwrap();
    assert_eq!(store.path(), dir.join(DATABASE_FILE));
    assert!(store.path().exists());
    drop(store);
    let conn = rusqlite::Connection::open(dir.join(DATABASE_FILE)).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(version >= 1);
}

#[test]
fn refuses_a_database_from_a_newer_binary() {
    let tmp = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(tmp.path()).unwrap());
    let conn = rusqlite::Connection::open(tmp.path().join(DATABASE_FILE)).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations VALUES (9999, 'future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let refused = SqliteStore::open(tmp.path()).unwrap_err();
    assert!(refused.is_newer_schema(), "{refused}");
    assert!(
        refused
            .to_string()
            .contains("written by a newer Errata (schema 9999"),
        "{refused}"
    );
    let plan = SqliteStore::migration_plan(tmp.path()).unwrap();
    assert!(
        plan.status.is_newer() && plan.pending.is_empty(),
        "{plan:?}"
    );
}

#[test]
fn process_crash_durability_opens_and_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        durability: Durability::ProcessCrash,
        max_idle_readers: 1,
        checkpoint_interval: None,
    };
    let store = SqliteStore::open_with(tmp.path(), options).unwrap();
    assert!(store.organizations().unwrap().is_empty());
    store.checkpoint().unwrap();
    assert!(store.disk_usage() > 0);
}

/// Every query of the store, as written in its modules, must be answered from an index:
/// no full scan of a table that grows with events or issues. (The LIKE text filter scans
/// the project's issues by design; it is not listed.)
#[test]
fn every_query_uses_an_index() {
    let tmp = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(tmp.path()).unwrap());
    let conn = rusqlite::Connection::open(tmp.path().join(DATABASE_FILE)).unwrap();
    let queries = [
        "SELECT * FROM project_keys WHERE public_key = ?1",
        "SELECT * FROM project_keys WHERE project_id = ?1 ORDER BY id",
        "SELECT * FROM projects WHERE organization_id = ?1 AND slug = ?2",
        "SELECT issue_id FROM events WHERE project_id = ?1 AND event_id = ?2",
        "SELECT issue_id FROM grouphashes WHERE project_id = ?1 AND hash = ?2",
        "SELECT * FROM issues i WHERE project_id = ? ORDER BY last_seen_ms DESC, id DESC LIMIT ?",
        "SELECT * FROM issues i WHERE project_id = ? AND status = ? \
         AND (last_seen_ms < ? OR (last_seen_ms = ? AND id < ?)) \
         ORDER BY last_seen_ms DESC, id DESC LIMIT ?",
        "SELECT * FROM issues i WHERE project_id = ? AND EXISTS (SELECT 1 FROM issue_tag_values t \
         WHERE t.issue_id = i.id AND t.key = ? AND t.value = ?) \
         ORDER BY last_seen_ms DESC, id DESC LIMIT ?",
        "SELECT * FROM events WHERE issue_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
        "SELECT * FROM events WHERE issue_id = ?1 ORDER BY id DESC LIMIT 1",
        "SELECT * FROM events WHERE project_id = ?1 AND event_id = ?2",
        "SELECT * FROM attachments WHERE project_id = ?1 AND event_id = ?2 ORDER BY id",
        "SELECT * FROM issue_tag_values WHERE issue_id = ?1 ORDER BY key, times_seen DESC, value",
        "SELECT * FROM user_reports WHERE issue_id = ?1 ORDER BY id DESC",
        "SELECT EXISTS (SELECT 1 FROM user_reports WHERE issue_id IS NULL)",
        "UPDATE user_reports SET issue_id = ?1 WHERE project_id = ?2 AND event_id = ?3 \
         AND issue_id IS NULL",
        "SELECT * FROM api_tokens WHERE token_hash = ?1",
        "SELECT category, reason, sum(quantity >> 32), sum(quantity & 4294967295) FROM outcomes \
         WHERE project_id = ?1 AND bucket_ms >= ?2 GROUP BY category, reason \
         ORDER BY category, reason",
        "DELETE FROM attachments WHERE issue_id = ?1",
        "DELETE FROM user_reports WHERE issue_id = ?1",
        "DELETE FROM events WHERE issue_id = ?1",
        "DELETE FROM grouphashes WHERE issue_id = ?1",
        // alerting
        "SELECT 1 FROM alert_rules WHERE project_id = ?1 AND enabled = 1",
        "SELECT 1 FROM alert_rules WHERE project_id = ?1 AND enabled = 1 \
         AND (frequency_count IS NOT NULL OR users_count IS NOT NULL)",
        "SELECT * FROM alert_rules WHERE project_id = ?1 ORDER BY id",
        "SELECT * FROM alert_channels WHERE project_id = ?1 ORDER BY id",
        "SELECT last_fired_ms FROM alert_rule_issues WHERE rule_id = ?1 AND issue_id = ?2",
        "SELECT received_ms FROM events WHERE issue_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
        "SELECT count(DISTINCT user_key) FROM (SELECT user_key, received_ms FROM events \
         WHERE issue_id = ?1 ORDER BY id DESC LIMIT ?2) \
         WHERE received_ms >= ?3 AND user_key IS NOT NULL",
        "UPDATE alert_deliveries SET claimed_by = ?1, lease_until_ms = ?2 + ?4 \
         WHERE id IN (SELECT id FROM alert_deliveries WHERE state = 'pending' \
         AND next_attempt_ms <= ?2 AND (lease_until_ms IS NULL OR lease_until_ms <= ?2) \
         ORDER BY next_attempt_ms, id LIMIT ?3)",
        "SELECT * FROM alert_deliveries WHERE project_id = ?1 ORDER BY id DESC LIMIT ?2",
        "SELECT * FROM alert_attempts WHERE delivery_id = ?1 ORDER BY id",
        "DELETE FROM alert_deliveries WHERE issue_id = ?1",
        "DELETE FROM alert_deliveries WHERE channel_id = ?1",
        "DELETE FROM alert_rule_issues WHERE issue_id = ?1",
        "DELETE FROM issue_links WHERE issue_id = ?1",
        // retention
        "SELECT e.id, NOT EXISTS (SELECT 1 FROM events AS f WHERE f.issue_id = e.issue_id \
         AND f.id < e.id), NOT EXISTS (SELECT 1 FROM events AS f WHERE f.issue_id = e.issue_id \
         AND f.id > e.id) FROM events AS e WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
        "SELECT e.id FROM events AS e WHERE e.project_id = ?3 AND e.id > ?1 \
         ORDER BY e.id LIMIT ?2",
        "SELECT e.received_ms FROM events AS e WHERE e.project_id = ?1 ORDER BY e.id LIMIT 1",
        "DELETE FROM events WHERE id = ?1 RETURNING project_id, event_id, length(payload)",
        "DELETE FROM attachments WHERE project_id = ?1 AND event_id = ?2 RETURNING size",
        "UPDATE project_usage SET events = events - 1 WHERE project_id = ?1",
    ];
    for sql in queries {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query(); // parameters stay unbound: NULL is fine for a plan
        let mut plan: Vec<String> = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            plan.push(row.get(3).unwrap());
        }
        let full_scans: Vec<_> = plan
            .iter()
            .filter(|step| {
                // A subquery's rows are bounded by its own (indexed) LIMIT.
                step.starts_with("SCAN")
                    && !step.contains("USING")
                    && *step != "SCAN CONSTANT ROW"
                    && !step.starts_with("SCAN (subquery")
            })
            .collect();
        assert!(
            full_scans.is_empty(),
            "{sql}\nscans without an index: {plan:?}"
        );
    }
}

/// Readers on their own connections run while the single writer commits batches: no
/// `SQLITE_BUSY`, and each reader sees a consistent, growing snapshot.
#[test]
fn readers_run_while_the_writer_commits() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use errata_store::suite::{event, hash};
    use errata_store::{IssueFilter, IssueQuery};

    let tmp = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(tmp.path()).unwrap();
    let project = store.bootstrap(&crate::harness::spec()).unwrap().project.id;
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let (mut last_total, mut reads) = (0, 0);
                    while !done.load(Ordering::Acquire) || reads == 0 {
                        let query = IssueQuery {
                            project_id: Some(project),
                            sort: errata_store::IssueSort::LastSeen,
                            filter: IssueFilter::default(),
                            cursor: None,
                            limit: 100,
                        };
                        let page = store.issues(&query).unwrap();
                        let total: u64 = page.items.iter().map(|i| i.times_seen).sum();
                        assert!(total >= last_total, "a reader went back in time");
                        assert_eq!(total % 50, 0, "a reader saw half a batch");
                        last_total = total;
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for batch in 0..20 {
            let events: Vec<_> = (0..50)
                .map(|n| event(project, &[&hash(n % 7)], batch * 50 + i64::from(n)))
                .collect();
            store.ingest(&events).unwrap();
        }
        done.store(true, Ordering::Release);
        for reader in readers {
            assert!(reader.join().unwrap() > 0);
        }
    });
    let all = store
        .issues(&IssueQuery {
            project_id: Some(project),
            sort: errata_store::IssueSort::LastSeen,
            filter: IssueFilter::default(),
            cursor: None,
            limit: 100,
        })
        .unwrap();
    assert_eq!(all.items.iter().map(|i| i.times_seen).sum::<u64>(), 1000);
}

/// Under continuous writes the background checkpointer keeps the WAL small: a PASSIVE pass
/// alone never lets `SQLite` start the WAL over while commits keep coming (the WAL grew to
/// the writer's 256 MiB safety net, then one commit stalled copying and truncating it), so
/// past 16 MiB the checkpointer restarts it. Here the writer commits prepared batches back
/// to back, with no pause in which a PASSIVE pass could catch up, until the database holds
/// three times that bound; the WAL file must never pass twice the bound.
#[test]
fn the_wal_stays_bounded_under_continuous_writes() {
    use errata_store::Payload;
    use errata_store::suite::{event, hash};
    use std::time::Duration;

    const BOUND: u64 = 16 * 1024 * 1024;
    const PAYLOAD: usize = 4096;
    let tmp = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        checkpoint_interval: Some(Duration::from_millis(20)),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(tmp.path(), options).unwrap();
    let project = store.bootstrap(&crate::harness::spec()).unwrap().project.id;
    // Incompressible bytes, stored as they are (the store does not look inside payloads).
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let noise: Vec<u8> = (0..1 << 20)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 56) as u8
        })
        .collect();
    let events = 7 * BOUND as usize / 2 / PAYLOAD;
    let batches: Vec<Vec<_>> = (0..events)
        .map(|n| {
            let mut e = event(
                project,
                &[&hash(u32::try_from(n % 13).unwrap())],
                i64::try_from(n).unwrap(),
            );
            let at = n * 4099 % (noise.len() - PAYLOAD);
            e.payload = Payload::from_compressed(noise[at..at + PAYLOAD].to_vec(), PAYLOAD);
            e
        })
        .collect::<Vec<_>>()
        .chunks(50)
        .map(<[_]>::to_vec)
        .collect();
    let wal = store.path().with_extension("sqlite3-wal");
    let mut largest_wal = 0;
    for batch in &batches {
        store.ingest(batch).unwrap();
        largest_wal = largest_wal.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
    }
    store.checkpoint().unwrap();
    let database = std::fs::metadata(store.path()).unwrap().len();
    assert!(database >= 3 * BOUND, "only {database} bytes were written");
    assert!(
        largest_wal <= 2 * BOUND,
        "the WAL grew to {largest_wal} bytes while {events} events were written"
    );
}

/// A new database gives pages freed by retention back to the filesystem: it is created
/// with incremental auto-vacuum, and `reclaim_space` shrinks the file.
#[test]
fn retention_gives_space_back_to_the_filesystem() {
    use errata_store::{RetentionScope, Thinner, Want};

    let tmp = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(tmp.path()).unwrap();
    let project = store.bootstrap(&crate::harness::spec()).unwrap().project.id;
    for batch in 0..20 {
        let events: Vec<_> = (0..100)
            .map(|i| {
                let mut e = errata_store::suite::event(
                    project,
                    &[&errata_store::suite::hash(i % 5)],
                    i64::from(batch * 100 + i),
                );
                // Incompressible, so the file grows by megabytes.
                let noise: Vec<u8> = (0..4_000u32)
                    .map(|n| u8::try_from((n * 7919 + i * 31 + batch) % 251).unwrap())
                    .collect();
                e.payload = errata_store::Payload::from_compressed(noise, 4_000);
                e
            })
            .collect();
        store.ingest(&events).unwrap();
    }
    store.checkpoint().unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mode: i64 = conn
        .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, 2, "incremental");
    let full = std::fs::metadata(store.path()).unwrap().len();
    let before = store.footprint().unwrap();
    assert!(full > 8_000_000, "{full}");

    let (deleted, _) = Thinner::default()
        .free(&store, RetentionScope::All, Want::Events(1_500), || {})
        .unwrap();
    assert_eq!(deleted.events, 1_500);
    let freed = store.footprint().unwrap();
    assert!(
        freed.live_bytes < before.live_bytes / 2,
        "{before:?} -> {freed:?}"
    );
    // One call gives back up to the bytes asked for (the WAL, 1 MiB or less here, stays).
    let given_back = store.reclaim_space(64 << 20).unwrap();
    store.checkpoint().unwrap();
    let shrunk = std::fs::metadata(store.path()).unwrap().len();
    assert!(given_back > 4_000_000, "{given_back}");
    assert!(shrunk < full / 2, "{full} -> {shrunk}");
}
