//! "A 200 means committed": clients send events concurrently to a real `errata serve`, the
//! server is killed with SIGKILL in the middle of the stream, restarted on the same data
//! dir, and every event that got a 200 before the kill must be there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use errata_store::Uuid;

use crate::harness::{ServerProcess, agent, event_envelope, message_event, poll, try_post};

const CLIENTS: usize = 8;
/// Acknowledged events before the kill.
const BEFORE_KILL: usize = 300;

#[test]
fn sigkill_mid_stream_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let url = server.envelope_url();
    let auth = server.auth();
    let acked = Arc::new(Mutex::new(Vec::<Uuid>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (url, auth, acked, stop) = (url.clone(), auth.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut refused = 0usize;
                let mut sent = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let id = Uuid::new_v4();
                    let body = event_envelope(&message_event(
                        id,
                        &format!("durability client {client} event {sent}"),
                    ));
                    sent += 1;
                    let headers = [
                        ("X-Sentry-Auth", auth.as_str()),
                        ("Content-Type", "application/x-sentry-envelope"),
                    ];
                    match try_post(&agent, &url, &headers, &body) {
                        Ok(reply) if reply.status == 200 => {
                            assert_eq!(reply.json()["id"], id.simple().to_string());
                            acked.lock().unwrap().push(id);
                        }
                        Ok(reply) => {
                            // 503 under load is allowed: nothing was promised.
                            assert_eq!(reply.status, 503, "{reply:?}");
                        }
                        // The server is gone: stop sending to it.
                        Err(_) => refused += 1,
                    }
                    if refused > 0 {
                        break;
                    }
                }
            })
        })
        .collect();
    poll("enough acknowledged events", || {
        (acked.lock().unwrap().len() >= BEFORE_KILL).then_some(())
    });
    // The clients are still sending: this kill lands mid-stream.
    let env = server.env();
    let data_dir = server.sigkill();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("a client thread panicked");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= BEFORE_KILL);

    let mut server = ServerProcess::restart_on(&data_dir, &env);
    server.assert_healthy(300);
    let stored = server.stored();
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| stored.event(**id).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events were lost after SIGKILL: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)]
    );
    let after = server.send_event("after the restart");
    assert!(stored.event(after).is_some());
}
