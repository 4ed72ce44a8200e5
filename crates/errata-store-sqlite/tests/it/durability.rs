//! Durability under SIGKILL: a child process (this test binary, re-run on one test) ingests
//! batches forever and reports each committed event id; the parent kills it with SIGKILL
//! mid-stream, reopens the database and checks that every reported event is there. This
//! is the store's half of "a 200 means committed: kill -9 loses nothing".

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use errata_store::suite::{event, hash};
use errata_store::{ProjectId, Store, Uuid};

use crate::harness::spec;
use errata_store_sqlite::{Durability, SqliteOptions, SqliteStore};

const CHILD_DIR: &str = "ERRATA_STORE_TEST_CHILD_DIR";

/// Kills the child when the test ends, whatever happens.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The child: does nothing unless started by `sigkill_loses_no_committed_event`.
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let options = SqliteOptions {
        durability: Durability::ProcessCrash,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(dir.as_ref(), options).unwrap();
    let project = store.bootstrap(&spec()).unwrap().project.id;
    let mut out = std::io::stdout().lock();
    for batch in 0.. {
        let events: Vec<_> = (0..20)
            .map(|n| event(project, &[&hash(n % 5)], batch * 20 + i64::from(n)))
            .collect();
        store.ingest(&events).unwrap();
        for e in &events {
            writeln!(out, "committed {}", e.event_id.simple()).unwrap();
        }
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_loses_no_committed_event() {
    let tmp = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "durability::child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let mut committed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(Uuid::parse_str(id).unwrap());
            if committed.len() >= 2_000 {
                break;
            }
        }
    }
    child.0.kill().unwrap(); // SIGKILL on Unix: no destructor, no final checkpoint
    child.0.wait().unwrap();
    assert_eq!(committed.len(), 2_000, "the child stopped early");

    let store = SqliteStore::open(tmp.path()).unwrap();
    let project: ProjectId = store.bootstrap(&spec()).unwrap().project.id;
    for id in &committed {
        assert!(
            store.event(project, *id).is_ok(),
            "committed event {id} was lost"
        );
    }
}
