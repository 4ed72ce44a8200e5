//! "A 200 means committed": clients send events concurrently to a real `errata serve`, the
//! server is killed with SIGKILL (or stopped with SIGTERM, which must exit 0) in the middle
//! of the stream, restarted on the same data dir, and every event that got a 200 before
//! must be there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use errata_store::Uuid;

use crate::backend::ServerEnv;
use crate::harness::{ServerProcess, agent, event_envelope, message_event, poll, try_post};

const CLIENTS: usize = 8;
/// Acknowledged events before the kill.
const BEFORE_KILL: usize = 300;

/// Clients sending events to `server` until `stop`, recording the ids answered 200.
pub(crate) struct Stream {
    acked: Arc<Mutex<Vec<Uuid>>>,
    stop: Arc<AtomicBool>,
    clients: Vec<std::thread::JoinHandle<()>>,
}

impl Stream {
    pub(crate) fn start(server: &ServerProcess) -> Self {
        let url = server.envelope_url();
        let auth = server.auth();
        let acked = Arc::new(Mutex::new(Vec::<Uuid>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..CLIENTS)
            .map(|client| {
                let (url, auth, acked, stop) =
                    (url.clone(), auth.clone(), acked.clone(), stop.clone());
                std::thread::spawn(move || send_until_stopped(client, &url, &auth, &acked, &stop))
            })
            .collect();
        Self {
            acked,
            stop,
            clients,
        }
    }

    /// Waits until at least `n` events were acknowledged.
    pub(crate) fn wait_for(&self, n: usize) {
        poll("enough acknowledged events", || {
            (self.acked.lock().unwrap().len() >= n).then_some(())
        });
    }

    /// Stops the clients; returns every acknowledged id.
    pub(crate) fn finish(self) -> Vec<Uuid> {
        self.stop.store(true, Ordering::Relaxed);
        for client in self.clients {
            client.join().expect("a client thread panicked");
        }
        self.acked.lock().unwrap().clone()
    }
}

fn send_until_stopped(
    client: usize,
    url: &str,
    auth: &str,
    acked: &Mutex<Vec<Uuid>>,
    stop: &AtomicBool,
) {
    let agent = agent();
    let mut sent = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let id = Uuid::new_v4();
        let body = event_envelope(&message_event(
            id,
            &format!("durability client {client} event {sent}"),
        ));
        sent += 1;
        let headers = [
            ("X-Sentry-Auth", auth),
            ("Content-Type", "application/x-sentry-envelope"),
        ];
        match try_post(&agent, url, &headers, &body) {
            Ok(reply) if reply.status == 200 => {
                assert_eq!(reply.json()["id"], id.simple().to_string());
                acked.lock().unwrap().push(id);
            }
            // 503: overloaded or stopping; nothing was promised.
            Ok(reply) => assert_eq!(reply.status, 503, "{reply:?}"),
            // The server is gone: stop sending to it.
            Err(_) => break,
        }
    }
}

/// Restarts on `data_dir` and asserts every id in `acked` is stored and the server works.
fn assert_all_stored_after_restart(
    data_dir: &std::path::Path,
    env: &ServerEnv,
    acked: &[Uuid],
    how: &str,
) {
    assert!(acked.len() >= BEFORE_KILL);
    let mut server = ServerProcess::restart_on(data_dir, env);
    server.assert_healthy(300);
    let stored = server.stored();
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| stored.event(**id).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events were lost after {how}: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)]
    );
    let after = server.send_event("after the restart");
    assert!(stored.event(after).is_some());
}

#[test]
fn sigkill_mid_stream_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let stream = Stream::start(&server);
    stream.wait_for(BEFORE_KILL);
    // The clients are still sending: this kill lands mid-stream.
    let env = server.env();
    let data_dir = server.sigkill();
    let acked = stream.finish();
    assert_all_stored_after_restart(&data_dir, &env, &acked, "SIGKILL");
}

#[test]
fn sigterm_mid_stream_exits_cleanly_and_keeps_every_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let stream = Stream::start(&server);
    stream.wait_for(BEFORE_KILL);
    let env = server.env();
    // `stop` asserts the exit status is 0.
    let data_dir = server.stop();
    let acked = stream.finish();
    assert_all_stored_after_restart(&data_dir, &env, &acked, "SIGTERM");
}
