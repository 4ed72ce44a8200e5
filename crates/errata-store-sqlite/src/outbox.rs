//! The outbox in `SQLite`: deliveries queued by ingest (in the event's transaction) or by
//! hand, claimed by dispatchers with a lease (one `UPDATE ... RETURNING` on the writer, so
//! two claimers never share a row), and their attempts, which move them on.

use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use errata_store::{
    AlertRuleId, AttemptResult, ChannelId, DELIVERY_LEASE_MS, Delivery, DeliveryAttempt,
    DeliveryId, DeliveryState, IssueId, NewDelivery, ProjectId, Recipient, Result, StoreError,
    Trigger, UserId, after_attempt,
};

use crate::error::db;

const DELIVERY_COLUMNS: &str = "id, project_id, channel_id, user_id, rule_id, issue_id,
    event_id, trigger, state, attempts, created_ms, next_attempt_ms, finished_ms, last_error";

fn conversion(column: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
}

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let channel: Option<i64> = r.get(2)?;
    let user: Option<i64> = r.get(3)?;
    let recipient = match (channel, user) {
        (Some(c), _) => Recipient::Channel(ChannelId(c)),
        (None, Some(u)) => Recipient::Member(UserId(u)),
        (None, None) => {
            return Err(conversion(
                2,
                StoreError::corrupt("a delivery without a recipient"),
            ));
        }
    };
    let event_id: Option<Vec<u8>> = r.get(6)?;
    let event_id = event_id
        .map(|b| Uuid::from_slice(&b))
        .transpose()
        .map_err(|e| conversion(6, e))?;
    let trigger: String = r.get(7)?;
    let state: String = r.get(8)?;
    Ok(Delivery {
        id: DeliveryId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        recipient,
        rule_id: r.get::<_, Option<i64>>(4)?.map(AlertRuleId),
        issue_id: IssueId(r.get(5)?),
        event_id,
        trigger: Trigger::parse(&trigger).map_err(|e| conversion(7, e))?,
        state: DeliveryState::parse(&state).map_err(|e| conversion(8, e))?,
        attempts: r.get(9)?,
        created_ms: r.get(10)?,
        next_attempt_ms: r.get(11)?,
        finished_ms: r.get(12)?,
        last_error: r.get(13)?,
    })
}

/// Queues a delivery due at `now_ms`, inside the caller's transaction.
pub(crate) fn insert(
    conn: &Connection,
    new: &NewDelivery,
    rule: Option<AlertRuleId>,
    now_ms: i64,
) -> Result<DeliveryId> {
    let (channel, user) = match new.recipient {
        Recipient::Channel(c) => (Some(c.0), None),
        Recipient::Member(u) => (None, Some(u.0)),
    };
    conn.prepare_cached(
        "INSERT INTO alert_deliveries (project_id, channel_id, user_id, rule_id, issue_id,
            event_id, trigger, state, attempts, created_ms, next_attempt_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![
            new.project_id.0,
            channel,
            user,
            rule.map(|r| r.0),
            new.issue_id.0,
            new.event_id.as_ref().map(|e| &e.as_bytes()[..]),
            new.trigger.as_str(),
            now_ms,
        ])
    })
    .map_err(db)?;
    Ok(DeliveryId(conn.last_insert_rowid()))
}

pub(crate) fn queue(conn: &mut Connection, new: &NewDelivery, now_ms: i64) -> Result<Delivery> {
    let tx = conn.transaction().map_err(db)?;
    let issue_project: Option<i64> = tx
        .prepare_cached("SELECT project_id FROM issues WHERE id = ?1")
        .and_then(|mut s| s.query_row([new.issue_id.0], |r| r.get(0)).optional())
        .map_err(db)?;
    if issue_project != Some(new.project_id.0) {
        return Err(StoreError::not_found(format_args!(
            "issue {} of project {}",
            new.issue_id, new.project_id
        )));
    }
    match new.recipient {
        Recipient::Channel(c) => {
            if crate::channel::get(&tx, c)?.project_id != new.project_id {
                return Err(StoreError::invalid(format!(
                    "channel {c} is not a channel of project {}",
                    new.project_id
                )));
            }
        }
        Recipient::Member(u) => {
            crate::user::get(&tx, u)?;
        }
    }
    let id = insert(&tx, new, None, now_ms)?;
    let delivery = get(&tx, id)?;
    tx.commit().map_err(db)?;
    Ok(delivery)
}

pub(crate) fn get(conn: &Connection, id: DeliveryId) -> Result<Delivery> {
    conn.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id.0], delivery_from_row).optional())
    .map_err(db)?
    .ok_or_else(|| StoreError::not_found(format_args!("delivery {id}")))
}

pub(crate) fn claim(
    conn: &mut Connection,
    claimer: &str,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<Delivery>> {
    let tx = conn.transaction().map_err(db)?;
    let mut taken: Vec<Delivery> = tx
        .prepare_cached(&format!(
            "UPDATE alert_deliveries SET claimed_by = ?1, lease_until_ms = ?2 + ?4
             WHERE id IN (
                SELECT id FROM alert_deliveries
                WHERE state = 'pending' AND next_attempt_ms <= ?2
                    AND (lease_until_ms IS NULL OR lease_until_ms <= ?2)
                ORDER BY next_attempt_ms, id LIMIT ?3)
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .and_then(|mut s| {
            s.query_map(
                params![claimer, now_ms, limit as u64, DELIVERY_LEASE_MS],
                delivery_from_row,
            )?
            .collect()
        })
        .map_err(db)?;
    tx.commit().map_err(db)?;
    taken.sort_unstable_by_key(|d| (d.next_attempt_ms, d.id));
    Ok(taken)
}

pub(crate) fn record(
    conn: &mut Connection,
    claimer: &str,
    attempt: &DeliveryAttempt,
) -> Result<Delivery> {
    let tx = conn.transaction().map_err(db)?;
    let delivery = get(&tx, attempt.delivery_id)?;
    let holder: Option<String> = tx
        .prepare_cached("SELECT claimed_by FROM alert_deliveries WHERE id = ?1")
        .and_then(|mut s| s.query_row([delivery.id.0], |r| r.get(0)))
        .map_err(db)?;
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
    tx.execute(
        "UPDATE alert_deliveries SET state = ?2, attempts = attempts + 1, next_attempt_ms = ?3,
            finished_ms = ?4, last_error = ?5, claimed_by = NULL, lease_until_ms = NULL
         WHERE id = ?1",
        params![delivery.id.0, state.as_str(), next_ms, finished, error],
    )
    .map_err(db)?;
    tx.execute(
        "INSERT INTO alert_attempts (delivery_id, at_ms, status, error, duration_ms, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            delivery.id.0,
            attempt.at_ms,
            attempt.status,
            attempt.error,
            attempt.duration_ms,
            attempt.result.as_str()
        ],
    )
    .map_err(db)?;
    let delivery = get(&tx, delivery.id)?;
    tx.commit().map_err(db)?;
    Ok(delivery)
}

pub(crate) fn of_project(
    conn: &Connection,
    project: ProjectId,
    limit: usize,
) -> Result<Vec<Delivery>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE project_id = ?1
             ORDER BY id DESC LIMIT ?2"
        ))
        .map_err(db)?;
    stmt.query_map(params![project.0, limit as u64], delivery_from_row)
        .and_then(Iterator::collect)
        .map_err(db)
}

pub(crate) fn attempts(conn: &Connection, id: DeliveryId) -> Result<Vec<DeliveryAttempt>> {
    get(conn, id)?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT at_ms, status, error, duration_ms, result FROM alert_attempts
             WHERE delivery_id = ?1 ORDER BY id",
        )
        .map_err(db)?;
    stmt.query_map([id.0], |r| {
        let result: String = r.get(4)?;
        Ok(DeliveryAttempt {
            delivery_id: id,
            at_ms: r.get(0)?,
            status: r.get(1)?,
            error: r.get(2)?,
            duration_ms: r.get(3)?,
            result: AttemptResult::parse(&result).map_err(|e| conversion(4, e))?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(db)
}
