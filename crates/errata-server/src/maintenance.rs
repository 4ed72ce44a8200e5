//! Background upkeep while the server runs: once every `maintenance_period_secs` (30 s by
//! default, `ERRATA_MAINTENANCE_PERIOD_SECS`), ignored issues whose "ignore for a while"
//! has passed come back (events bring back the others as they arrive), and expired
//! sessions are deleted. Runs beside the listener and stops with it; a failed round is
//! logged and retried at the next tick, never fatal. Every node of a shared database runs
//! its own rounds; the store makes each issue come back once (in `PostgreSQL`, the rows are
//! claimed `FOR UPDATE SKIP LOCKED`).

use std::time::Duration;

use crate::state::AppState;

/// Runs until the task is aborted, a round every `maintenance_period_secs` (an ignore
/// expires at most that late).
pub(crate) async fn run(state: AppState) {
    let period = Duration::from_secs(state.config.maintenance_period_secs.max(1));
    let mut tick = tokio::time::interval(period);
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
