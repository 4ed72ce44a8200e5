//! Background upkeep while the server runs: once every [`PERIOD`], ignored issues whose
//! "ignore for a while" has passed come back (events bring back the others as they
//! arrive), and expired sessions are deleted. Runs beside the listener and stops with it; a failed round is logged and
//! retried at the next tick, never fatal.

use std::time::Duration;

use crate::state::AppState;

/// How often upkeep runs. An ignore expires at most this late.
pub const PERIOD: Duration = Duration::from_secs(30);

/// Runs until the task is aborted.
pub(crate) async fn run(state: AppState) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        round(&state).await;
    }
}

/// One round of upkeep.
pub(crate) async fn round(state: &AppState) {
    let now = crate::now_ms();
    match state.store_call(move |s| s.store.expire_ignored(now)).await {
        Ok(back) if !back.is_empty() => {
            tracing::info!(issues = back.len(), "ignored issues came back (expired)");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "expiring ignored issues failed"),
    }
    if let Err(e) = state
        .store_call(move |s| s.store.delete_expired_sessions(now))
        .await
    {
        tracing::warn!(error = %e, "deleting expired sessions failed");
    }
}
