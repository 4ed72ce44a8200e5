//! Limits meant for a whole installation hold across two `errata serve` nodes on one
//! `PostgreSQL` database: each node counts the live nodes (`/readyz` says how many) and
//! enforces its share of a DSN key's rate limit, so the two together admit about the
//! configured limit rather than twice it; a node that stops cleanly leaves, and the other
//! takes the whole limit back within one heartbeat. Skipped without a reachable server
//! unless `CI` is set, as [`Cluster::start`] says.

use std::time::{Duration, Instant};

use crate::harness::{ServerProcess, event_envelope, get, message_event, poll};
use crate::multinode::Cluster;

/// The key's limit for the installation, per minute.
const KEY_PER_MINUTE: u64 = 60;

/// The live nodes `server` counts, from `/readyz`.
fn nodes(server: &ServerProcess) -> u64 {
    let reply = get(&server.url("/readyz"));
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["nodes"].as_u64().expect("/readyz says nodes")
}

/// Sends one fresh event; true when accepted, false when rate limited (429).
fn send(server: &ServerProcess, n: usize) -> bool {
    let id = uuid::Uuid::new_v4();
    let reply = server.send_envelope(&event_envelope(&message_event(id, &format!("m{n}"))));
    match reply.status {
        200 => true,
        429 => false,
        other => panic!("event {n}: unexpected {other}: {reply:?}"),
    }
}

#[test]
fn two_nodes_share_a_keys_rate_limit_and_one_takes_it_back_when_the_other_leaves() {
    let limit = KEY_PER_MINUTE.to_string();
    let Some(cluster) = Cluster::start_with(&[("ERRATA_RATE_LIMIT_KEY_PER_MINUTE", &limit)]) else {
        return;
    };
    let (a, b) = (&cluster.a, &cluster.b);
    // Each counts both within a heartbeat (5 s) of the second's start.
    poll("both nodes count two live nodes", || {
        (nodes(a) == 2 && nodes(b) == 2).then_some(())
    });

    // Three times the limit, alternating between the nodes, as a round-robin balancer does.
    let started = Instant::now();
    let (mut on_a, mut on_b) = (0u64, 0u64);
    for n in 0..usize::try_from(3 * KEY_PER_MINUTE).unwrap() {
        if n % 2 == 0 {
            on_a += u64::from(send(a, n));
        } else {
            on_b += u64::from(send(b, n));
        }
    }
    // Buckets refill at the limit's rate (60 a minute: one a second for the two).
    let refill = started.elapsed().as_secs() + 1;
    let accepted = on_a + on_b;
    assert!(
        accepted <= KEY_PER_MINUTE + refill,
        "two nodes admitted {accepted} (a {on_a}, b {on_b}) of a {KEY_PER_MINUTE}/min key \
         in {:?}",
        started.elapsed()
    );
    // Each node admitted its half, no more (plus its half of the refill).
    for (node, got) in [("a", on_a), ("b", on_b)] {
        assert!(
            (KEY_PER_MINUTE / 2..=KEY_PER_MINUTE / 2 + refill).contains(&got),
            "node {node} admitted {got}"
        );
    }

    // b is stopped as operators do (SIGTERM) and leaves: a counts one node at its next
    // beat and has the whole limit again (its bucket refills towards 60 from here).
    let term = std::process::Command::new("kill")
        .args(["-TERM", &b.pid().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let left = Instant::now();
    poll("a counts one live node after b left", || {
        (nodes(a) == 1).then_some(())
    });
    assert!(
        left.elapsed() < Duration::from_secs(20),
        "{:?}",
        left.elapsed()
    );
}
