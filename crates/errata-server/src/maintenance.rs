//! Background upkeep while the server runs: once every `maintenance_period_secs` (30 s by
//! default, `ERRATA_MAINTENANCE_PERIOD_SECS`), ignored issues whose "ignore for a while"
//! has passed come back (events bring back the others as they arrive), and expired
//! sessions are deleted. Runs beside the listener and stops with it; a failed round is
//! logged and retried at the next tick, never fatal. Every node of a shared database runs
//! its own rounds; the store makes each issue come back once (in `PostgreSQL`, the rows are
//! claimed `FOR UPDATE SKIP LOCKED`).
//!
//! The same rounds keep the payload dictionary (see [`errata_store::PayloadCodec`]): every
//! few minutes the store's codec learns the dictionaries other nodes stored, and once the
//! installation has `payload_dictionary_min_events` events without a dictionary (or its
//! newest is a month old) one is trained on the recent payloads, stored, and compresses
//! every new payload from then on.

use std::time::Duration;

use crate::state::AppState;

/// How often a node looks for dictionaries another node trained (until then it compresses
/// with the one it has, which stays valid).
const REFRESH_EVERY_MS: i64 = 5 * 60 * 1000;

/// After a training attempt that found too few events, or failed, the next is this many
/// rounds later, and at most this late, or sooner: as soon as this node has stored
/// `payload_dictionary_min_events` more events (a fresh server under load gets its
/// dictionary within a round or two).
const RETRY_TRAINING_ROUNDS: i64 = 10;
const RETRY_TRAINING_AFTER_MS: i64 = 5 * 60 * 1000;

/// When the payload dictionary work is next due; this node's alone.
#[derive(Debug, Default)]
pub(crate) struct DictionaryUpkeep {
    next_refresh_ms: i64,
    next_training_ms: i64,
    /// This node's writer's event count at the last training attempt.
    events_at_training: u64,
}

/// Runs until the task is aborted, a round every `maintenance_period_secs` (an ignore
/// expires at most that late).
pub(crate) async fn run(state: AppState) {
    let period = Duration::from_secs(state.config.maintenance_period_secs.max(1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dictionary = DictionaryUpkeep::default();
    loop {
        tick.tick().await;
        round(&state).await;
        dictionary_round(&state, &mut dictionary).await;
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

/// Learns other nodes' dictionaries when due, and trains one when due and needed.
pub(crate) async fn dictionary_round(state: &AppState, upkeep: &mut DictionaryUpkeep) {
    let now = crate::now_ms();
    if now >= upkeep.next_refresh_ms {
        upkeep.next_refresh_ms = now + REFRESH_EVERY_MS;
        match state
            .store_call(|s| s.store.refresh_payload_dictionaries())
            .await
        {
            Ok(0) => {}
            Ok(learned) => tracing::info!(learned, "learned payload dictionaries"),
            Err(e) => tracing::warn!(error = %e, "reading payload dictionaries failed"),
        }
    }
    let min_events = state.config.payload_dictionary_min_events;
    let events = state.writer.events();
    let stored_enough = events.saturating_sub(upkeep.events_at_training) >= min_events as u64;
    if min_events == 0
        || (now < upkeep.next_training_ms && !stored_enough)
        || !state.store.payload_codec().needs_training(now)
    {
        return;
    }
    upkeep.events_at_training = events;
    let period_ms = i64::try_from(state.config.maintenance_period_secs)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    upkeep.next_training_ms =
        now + RETRY_TRAINING_AFTER_MS.min(period_ms.saturating_mul(RETRY_TRAINING_ROUNDS));
    match state
        .store_call(move |s| s.store.train_payload_dictionary(now, min_events))
        .await
    {
        Ok(Some(dictionary)) => tracing::info!(
            id = dictionary.id,
            bytes = dictionary.bytes.len(),
            "trained a payload dictionary: new payloads are compressed with it"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "training a payload dictionary failed"),
    }
}
