//! `errata backup` and `errata restore` on real `SQLite` installations: a backup taken
//! while a real server ingests over HTTP restores to an installation holding at least
//! every event acknowledged before the backup started; restore refuses a live data dir
//! (with or without `--force`) and an existing database without `--force`; a backup of
//! an older Errata's database restores and is migrated forward; `PostgreSQL`
//! installations are pointed to `pg_dump`.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use errata_store::Uuid;
use errata_store_sqlite::{DATABASE_FILE, SqliteStore, testing};
use serde_json::Value;

use crate::backend::sqlite_only;
use crate::harness::{ServerProcess, agent, event_envelope, message_event, poll, try_post};

/// No rate limit: the sender thread sends as fast as the server acknowledges.
const UNLIMITED: &[(&str, &str)] = &[
    ("ERRATA_RATE_LIMIT_KEY_PER_MINUTE", "0"),
    ("ERRATA_RATE_LIMIT_PROJECT_PER_MINUTE", "0"),
    ("ERRATA_RATE_LIMIT_GLOBAL_PER_MINUTE", "0"),
];

/// `errata --data-dir DATA ARGS` (no server needed).
fn errata(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_errata"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ERRATA_DATABASE_URL")
        .output()
        .expect("running errata")
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "errata failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn failed(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "errata succeeded:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Events in the database of `data_dir`, and its `integrity_check` answer.
fn events_and_integrity(data_dir: &Path) -> (u64, String) {
    let conn = rusqlite::Connection::open(data_dir.join(DATABASE_FILE)).unwrap();
    let events: u64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    (events, integrity)
}

#[test]
fn a_backup_taken_during_ingest_restores_every_event_acknowledged_before_it() {
    if !sqlite_only("errata backup copies SQLite installations") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(&dir.path().join("data"), UNLIMITED);
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (url, auth) = (server.envelope_url(), server.auth());
        let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
        std::thread::spawn(move || {
            let agent = agent();
            let mut refused = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                let body = event_envelope(&message_event(Uuid::new_v4(), "during the backup"));
                let headers = [
                    ("X-Sentry-Auth", auth.as_str()),
                    ("Content-Type", "application/x-sentry-envelope"),
                ];
                match try_post(&agent, &url, &headers, &body) {
                    Ok(reply) if reply.status == 200 => {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => refused += 1,
                }
            }
            refused
        })
    };
    poll("300 events acknowledged", || {
        (acked.load(Ordering::SeqCst) >= 300).then_some(())
    });
    let before = acked.load(Ordering::SeqCst);
    let dest = dir.path().join("backup");
    let out = succeeded(&server.errata().arg("backup").arg(&dest).output().unwrap());
    let during = acked.load(Ordering::SeqCst) - before;
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let refused = sender.join().unwrap();
    let total = acked.load(Ordering::SeqCst);
    assert_eq!(refused, 0, "every event is accepted");
    assert!(
        during > 0,
        "ingest went on while the backup ran (no event acknowledged meanwhile)"
    );
    assert!(out.contains("integrity ok"), "{out}");

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dest.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema_version"], testing::latest_version());
    assert_eq!(manifest["errata_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["backend"], "sqlite");

    let restored = dir.path().join("restored");
    let out = succeeded(&errata(&restored, &["restore", dest.to_str().unwrap()]));
    assert!(out.contains("(current)"), "{out}");
    let (events, integrity) = events_and_integrity(&restored);
    assert_eq!(integrity, "ok");
    assert!(
        (before..=total).contains(&events),
        "the backup holds {events} events: at least the {before} acknowledged before it \
         started, at most the {total} acknowledged in all"
    );
    assert_eq!(manifest["events"], events);
    drop(server);
}

#[test]
fn restore_refuses_a_live_data_dir_and_an_existing_database_without_force() {
    if !sqlite_only("errata restore puts back SQLite backups") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let first = server.send_event("kept in the backup");
    let dest = dir.path().join("backup");
    succeeded(&server.errata().arg("backup").arg(&dest).output().unwrap());
    let second = server.send_event("after the backup");
    let src = dest.to_str().unwrap();

    // A destination that holds a backup needs --force.
    let again = dir.path().join("again");
    succeeded(&server.errata().arg("backup").arg(&again).output().unwrap());
    let e = failed(&server.errata().arg("backup").arg(&again).output().unwrap());
    assert!(e.contains("already holds a backup"), "{e}");
    succeeded(
        &server
            .errata()
            .args(["backup", "--force"])
            .arg(&again)
            .output()
            .unwrap(),
    );

    // A live data dir is refused, forced or not.
    let data_dir = server.data_dir.clone();
    for args in [vec!["restore", src], vec!["restore", "--force", src]] {
        let e = failed(&errata(&data_dir, &args));
        assert!(e.contains("is in use"), "{args:?}: {e}");
    }
    assert!(
        server.stored().event(second).is_some(),
        "nothing was touched"
    );
    let env = server.env();
    server.stop();

    let e = failed(&errata(&data_dir, &["restore", src]));
    assert!(e.contains("already holds a database"), "{e}");
    assert!(e.contains("--force"), "{e}");
    let out = succeeded(&errata(&data_dir, &["restore", "--force", src]));
    assert!(out.contains("replacing its database"), "{out}");
    // The installation is back to the backup's state: the later event is gone.
    let server = ServerProcess::restart_on(&data_dir, &env);
    assert!(server.stored().event(first).is_some());
    assert!(server.stored().event(second).is_none());
}

#[test]
fn an_older_installations_backup_restores_and_is_migrated_forward() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    let older = testing::latest_version() - 3;
    testing::create_at_schema(&old, older).unwrap();

    // Backing up never migrates the source.
    let dest = dir.path().join("backup");
    let out = succeeded(&errata(&old, &["backup", dest.to_str().unwrap()]));
    assert!(out.contains(&format!("schema {older}")), "{out}");
    let plan = SqliteStore::migration_plan(&old).unwrap();
    assert_eq!(plan.status.database, older);

    let restored = dir.path().join("restored");
    let out = succeeded(&errata(&restored, &["restore", dest.to_str().unwrap()]));
    let latest = testing::latest_version();
    assert!(
        out.contains(&format!("migrated from {older} to {latest}")),
        "{out}"
    );
    let plan = SqliteStore::migration_plan(&restored).unwrap();
    assert!(plan.status.is_current(), "{:?}", plan.status);
    assert_eq!(events_and_integrity(&restored), (0, "ok".to_owned()));

    // A truncated backup is refused before anything is written.
    let file = dest.join(DATABASE_FILE);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let e = failed(&errata(
        &dir.path().join("other"),
        &["restore", dest.to_str().unwrap()],
    ));
    assert!(e.contains("incomplete"), "{e}");
    assert!(!dir.path().join("other").join(DATABASE_FILE).exists());
}

#[test]
fn postgres_installations_are_pointed_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args([
            "--database-url",
            "postgres://errata:hunter2@127.0.0.1:9/errata",
            "backup",
        ])
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    let e = failed(&out);
    assert!(e.contains("pg_dump") && e.contains("pg_basebackup"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}
