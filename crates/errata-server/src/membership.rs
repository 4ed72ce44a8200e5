//! The nodes of an installation: every [`BEAT`], each `errata serve` tells the store it is
//! alive and learns how many nodes are ([`Store::node_heartbeat`](errata_store::Store)),
//! and the rate limiter takes that share of every limit (see [`crate::ratelimit`]). A node
//! silent for [`LIVE`] (killed, partitioned) stops being counted; a clean stop leaves at
//! once. On `SQLite` the count is always 1. A failed beat keeps the last count.

use std::time::Duration;

use crate::state::AppState;

/// How often a node says it is alive.
pub const BEAT: Duration = Duration::from_secs(5);

/// How long a node is counted after its last beat (three beats).
pub const LIVE: Duration = Duration::from_secs(15);

/// Beats until the task is aborted (the first beat at once).
pub(crate) async fn run(state: AppState) {
    let mut tick = tokio::time::interval(BEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        beat(&state).await;
    }
}

/// One beat: records this node and sets the limiter's share.
pub(crate) async fn beat(state: &AppState) {
    let now = crate::now_ms();
    let name = state.alerts.claimer.clone();
    #[allow(clippy::cast_possible_truncation, reason = "15 s in ms fits i64")]
    let live_since = now - LIVE.as_millis() as i64;
    match state
        .store_call(move |s| s.store.node_heartbeat(&name, now, live_since))
        .await
    {
        Ok(nodes) => {
            let before = state.limiter.set_nodes(nodes);
            if before != nodes {
                tracing::info!(
                    nodes,
                    before,
                    "live nodes changed: each enforces 1/{nodes} of the rate limits"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "node heartbeat failed; keeping the last count"),
    }
}

/// Leaves the installation (a clean stop): the other nodes take up the share at their
/// next beat.
pub(crate) async fn leave(state: &AppState) {
    let name = state.alerts.claimer.clone();
    if let Err(e) = state.store_call(move |s| s.store.node_leave(&name)).await {
        tracing::warn!(error = %e, "leaving the node list failed; it expires by itself");
    }
}
