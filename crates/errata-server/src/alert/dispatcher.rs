//! The dispatcher: claims due deliveries from the outbox (a lease per delivery, so nodes
//! sharing a database never send one twice while it runs), sends up to
//! `alerts.concurrency` at once, records each attempt (which retries it with backoff for a
//! day, or finishes it), and files tracker links. It wakes when a handler committed an
//! event that queued deliveries, and looks every second anyway (for retries that came
//! due and for deliveries queued by other nodes). A failed round is logged and retried.
//! Every attempt is counted by channel kind and result (`errata_alert_deliveries_total`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use errata_notify::sender::Attempt;
use errata_store::{
    AttemptResult, ChannelKind, Delivery, DeliveryAttempt, IssueLink, Recipient, StoreError,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::state::AppState;

/// How often the outbox is looked at without a wake-up.
const POLL: Duration = Duration::from_secs(1);
/// Deliveries claimed per round.
const CLAIM: usize = 64;

/// Runs until the task is aborted.
pub(crate) async fn run(state: AppState) {
    let permits = Arc::new(Semaphore::new(state.config.alerts.concurrency));
    loop {
        let claimed = round(&state, &permits).await;
        if claimed < CLAIM {
            tokio::select! {
                () = state.alerts.woken() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// One round: claims what is due and sends it; returns how many were claimed.
pub(crate) async fn round(state: &AppState, permits: &Arc<Semaphore>) -> usize {
    let claimer = state.alerts.claimer.clone();
    let now = crate::now_ms();
    let due = match state
        .store_call(move |s| s.store.claim_deliveries(&claimer, now, CLAIM))
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "claiming alert deliveries failed");
            tokio::time::sleep(POLL).await;
            return 0;
        }
    };
    let count = due.len();
    let mut running = JoinSet::new();
    for delivery in due {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let state = state.clone();
        running.spawn(async move {
            deliver(&state, &delivery).await;
            drop(permit);
        });
    }
    while running.join_next().await.is_some() {}
    count
}

/// Sends one delivery and records the attempt.
async fn deliver(state: &AppState, delivery: &Delivery) {
    let started = Instant::now();
    let (attempt, kind, tracker) = match send(state, delivery).await {
        Ok(sent) => sent,
        Err(e) => (
            Attempt {
                result: if e.is_not_found() {
                    AttemptResult::Failed
                } else {
                    AttemptResult::Retry
                },
                status: None,
                error: Some(format!("cannot prepare the alert: {e}")),
                duration_ms: 0,
                link: None,
            },
            None,
            None,
        ),
    };
    state.metrics.alerts.count(kind, &attempt.result);
    let record = DeliveryAttempt {
        delivery_id: delivery.id,
        at_ms: crate::now_ms(),
        status: attempt.status,
        error: attempt.error.clone(),
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        result: attempt.result.clone(),
    };
    let claimer = state.alerts.claimer.clone();
    let link = attempt.link.zip(tracker).map(|(created, kind)| IssueLink {
        issue_id: delivery.issue_id,
        kind,
        url: created.url,
        reference: created.reference,
        created_ms: record.at_ms,
    });
    let result = state
        .store_call(move |s| {
            let done = s.store.record_attempt(&claimer, &record)?;
            if let Some(link) = &link {
                s.store.add_issue_link(link)?;
            }
            Ok(done)
        })
        .await;
    match result {
        Ok(done) => tracing::info!(
            delivery = %done.id,
            trigger = %done.trigger,
            state = %done.state,
            attempts = done.attempts,
            error = ?done.last_error,
            "alert delivery attempt"
        ),
        Err(e) => {
            tracing::warn!(delivery = %delivery.id, error = %e, "recording an alert attempt failed");
        }
    }
}

/// Builds the notification and sends it to the delivery's recipient; with the kind of
/// channel it went through, and that kind again when the recipient is a tracker (its
/// issue link is of that kind).
async fn send(
    state: &AppState,
    delivery: &Delivery,
) -> Result<(Attempt, Option<ChannelKind>, Option<ChannelKind>), StoreError> {
    let d = delivery.clone();
    let (project, issue, event, rule, target) = state
        .store_call(move |s| {
            let project = s.store.project(d.project_id)?;
            let issue = s.store.issue(d.issue_id)?;
            let event = match d.event_id {
                Some(id) => match s.store.event(d.project_id, id) {
                    Ok(e) => Some(e),
                    Err(e) if e.is_not_found() => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let rule = match d.rule_id {
                Some(id) => s.store.alert_rule(id).ok().map(|r| r.spec.name),
                None => None,
            };
            let target = match d.recipient {
                Recipient::Channel(id) => Target::Channel(s.store.channel(id)?),
                Recipient::Member(id) => Target::Email(s.store.user(id)?.email),
            };
            Ok((project, issue, event, rule, target))
        })
        .await?;
    let n = super::notification::build(
        &state.public_url,
        &project,
        &issue,
        event.as_ref(),
        delivery.trigger,
        delivery.message_id(),
        rule,
    );
    Ok(match target {
        Target::Channel(channel) if !channel.enabled => (
            Attempt {
                result: AttemptResult::Skipped,
                status: None,
                error: Some("the channel is disabled".to_owned()),
                duration_ms: 0,
                link: None,
            },
            Some(channel.kind),
            None,
        ),
        Target::Channel(channel) => {
            let tracker = channel.kind.is_tracker().then_some(channel.kind);
            (
                state.alerts.sender.deliver(&channel, &n).await,
                Some(channel.kind),
                tracker,
            )
        }
        Target::Email(address) => (
            state.alerts.sender.deliver_email(&address, &n).await,
            Some(ChannelKind::Email),
            None,
        ),
    })
}

enum Target {
    Channel(errata_store::Channel),
    Email(String),
}
