//! The outbox in `PostgreSQL`: deliveries queued by ingest (in the event's transaction) or
//! by hand, claimed by dispatchers on any node with a lease, and their attempts, which move
//! them on. A claim is one `UPDATE ... RETURNING` over rows picked `FOR UPDATE SKIP
//! LOCKED`: concurrent claimers skip each other's rows instead of waiting or sharing them.

use std::sync::LazyLock;

use tokio_postgres::Row;
use uuid::Uuid;

use errata_store::{
    AlertRuleId, AttemptResult, ChannelId, DELIVERY_LEASE_MS, Delivery, DeliveryAttempt,
    DeliveryId, DeliveryState, IssueId, NewDelivery, ProjectId, Recipient, Result, StoreError,
    Trigger, UserId, after_attempt,
};

use crate::db::{Db, to_i64};

const DELIVERY_COLUMNS: &str = "id, project_id, channel_id, user_id, rule_id, issue_id, \
    event_id, trigger, state, attempts, created_ms, next_attempt_ms, finished_ms, last_error";

/// Claims due deliveries for one claimer (`$1`) at `$2` for a lease of `$4` ms, at most `$3`
/// of them; rows another node holds locked right now are skipped, not waited for.
pub(crate) static CLAIM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE alert_deliveries SET claimed_by = $1, lease_until_ms = $2 + $4
         WHERE id IN (
            SELECT id FROM alert_deliveries
            WHERE state = 'pending' AND next_attempt_ms <= $2
                AND (lease_until_ms IS NULL OR lease_until_ms <= $2)
            ORDER BY next_attempt_ms, id LIMIT $3
            FOR UPDATE SKIP LOCKED)
         RETURNING {DELIVERY_COLUMNS}"
    )
});

fn delivery_from_row(r: &Row) -> Result<Delivery> {
    let channel: Option<i64> = r.get(2);
    let user: Option<i64> = r.get(3);
    let recipient = match (channel, user) {
        (Some(c), _) => Recipient::Channel(ChannelId(c)),
        (None, Some(u)) => Recipient::Member(UserId(u)),
        (None, None) => return Err(StoreError::corrupt("a delivery without a recipient")),
    };
    let event_id: Option<&[u8]> = r.get(6);
    let event_id = event_id
        .map(Uuid::from_slice)
        .transpose()
        .map_err(|e| StoreError::corrupt("a delivery's event id is not 16 bytes").with_source(e))?;
    let trigger: String = r.get(7);
    let state: String = r.get(8);
    Ok(Delivery {
        id: DeliveryId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        recipient,
        rule_id: r.get::<_, Option<i64>>(4).map(AlertRuleId),
        issue_id: IssueId(r.get(5)),
        event_id,
        trigger: Trigger::parse(&trigger)?,
        state: DeliveryState::parse(&state)?,
        attempts: u32::try_from(r.get::<_, i64>(9)).unwrap_or(u32::MAX),
        created_ms: r.get(10),
        next_attempt_ms: r.get(11),
        finished_ms: r.get(12),
        last_error: r.get(13),
    })
}

/// Queues a delivery due at `now_ms`, inside the caller's transaction.
pub(crate) fn insert(
    c: &Db<'_>,
    new: &NewDelivery,
    rule: Option<AlertRuleId>,
    now_ms: i64,
) -> Result<DeliveryId> {
    let (channel, user) = match new.recipient {
        Recipient::Channel(c) => (Some(c.0), None),
        Recipient::Member(u) => (None, Some(u.0)),
    };
    let id: i64 = c
        .query_one(
            "INSERT INTO alert_deliveries (project_id, channel_id, user_id, rule_id, issue_id,
                event_id, trigger, state, attempts, created_ms, next_attempt_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) RETURNING id",
            &[
                &new.project_id.0,
                &channel,
                &user,
                &rule.map(|r| r.0),
                &new.issue_id.0,
                &new.event_id.as_ref().map(|e| &e.as_bytes()[..]),
                &new.trigger.as_str(),
                &now_ms,
            ],
        )?
        .get(0);
    Ok(DeliveryId(id))
}

pub(crate) fn queue(c: &Db<'_>, new: &NewDelivery, now_ms: i64) -> Result<Delivery> {
    let issue_project: Option<i64> = c
        .query_opt(
            "SELECT project_id FROM issues WHERE id = $1",
            &[&new.issue_id.0],
        )?
        .map(|r| r.get(0));
    if issue_project != Some(new.project_id.0) {
        return Err(StoreError::not_found(format_args!(
            "issue {} of project {}",
            new.issue_id, new.project_id
        )));
    }
    match new.recipient {
        Recipient::Channel(ch) => {
            if crate::channel::get(c, ch)?.project_id != new.project_id {
                return Err(StoreError::invalid(format!(
                    "channel {ch} is not a channel of project {}",
                    new.project_id
                )));
            }
        }
        Recipient::Member(u) => {
            crate::user::get(c, u)?;
        }
    }
    let id = insert(c, new, None, now_ms)?;
    get(c, id)
}

pub(crate) fn get(c: &Db<'_>, id: DeliveryId) -> Result<Delivery> {
    c.query_opt(
        &format!("SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE id = $1"),
        &[&id.0],
    )?
    .map(|r| delivery_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found(format_args!("delivery {id}")))
}

pub(crate) fn claim(c: &Db<'_>, claimer: &str, now_ms: i64, limit: usize) -> Result<Vec<Delivery>> {
    let mut taken = c
        .query(
            &CLAIM,
            &[&claimer, &now_ms, &to_i64(limit as u64), &DELIVERY_LEASE_MS],
        )?
        .iter()
        .map(delivery_from_row)
        .collect::<Result<Vec<_>>>()?;
    taken.sort_unstable_by_key(|d| (d.next_attempt_ms, d.id));
    Ok(taken)
}

pub(crate) fn record(c: &Db<'_>, claimer: &str, attempt: &DeliveryAttempt) -> Result<Delivery> {
    // Locked: a claimer whose lease ran out races the new holder's attempt here.
    c.execute(
        "SELECT 1 FROM alert_deliveries WHERE id = $1 FOR UPDATE",
        &[&attempt.delivery_id.0],
    )?;
    let delivery = get(c, attempt.delivery_id)?;
    let holder: Option<String> = c
        .query_one(
            "SELECT claimed_by FROM alert_deliveries WHERE id = $1",
            &[&delivery.id.0],
        )?
        .get(0);
    if holder.as_deref() != Some(claimer) || delivery.state != DeliveryState::Pending {
        return Err(StoreError::conflict(format!(
            "delivery {} is not held by {claimer}",
            delivery.id
        )));
    }
    let (state, next_ms) = after_attempt(&delivery, &attempt.result, attempt.at_ms);
    let finished = (state != DeliveryState::Pending).then_some(attempt.at_ms);
    let error = match (&attempt.result, &attempt.error) {
        (AttemptResult::Delivered, _) => None,
        (_, e) => e.clone(),
    };
    c.execute(
        "UPDATE alert_deliveries SET state = $2, attempts = attempts + 1,
            next_attempt_ms = $3, finished_ms = $4, last_error = $5, claimed_by = NULL,
            lease_until_ms = NULL
         WHERE id = $1",
        &[&delivery.id.0, &state.as_str(), &next_ms, &finished, &error],
    )?;
    c.execute(
        "INSERT INTO alert_attempts (delivery_id, at_ms, status, error, duration_ms, result)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &delivery.id.0,
            &attempt.at_ms,
            &attempt.status.map(i64::from),
            &attempt.error,
            &attempt.duration_ms,
            &attempt.result.as_str(),
        ],
    )?;
    get(c, delivery.id)
}

pub(crate) fn of_project(c: &Db<'_>, project: ProjectId, limit: usize) -> Result<Vec<Delivery>> {
    c.query(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE project_id = $1
             ORDER BY id DESC LIMIT $2"
        ),
        &[&project.0, &to_i64(limit as u64)],
    )?
    .iter()
    .map(delivery_from_row)
    .collect()
}

pub(crate) fn attempts(c: &Db<'_>, id: DeliveryId) -> Result<Vec<DeliveryAttempt>> {
    get(c, id)?;
    c.query(
        "SELECT at_ms, status, error, duration_ms, result FROM alert_attempts
         WHERE delivery_id = $1 ORDER BY id",
        &[&id.0],
    )?
    .iter()
    .map(|r| {
        let result: String = r.get(4);
        Ok(DeliveryAttempt {
            delivery_id: id,
            at_ms: r.get(0),
            status: r
                .get::<_, Option<i64>>(1)
                .map(|s| u16::try_from(s).unwrap_or(u16::MAX)),
            error: r.get(2),
            duration_ms: r.get(3),
            result: AttemptResult::parse(&result)?,
        })
    })
    .collect()
}
