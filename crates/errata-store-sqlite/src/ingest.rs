//! Batched ingest on `SQLite`: the row operations ([`IngestRows`]) that
//! `errata_store::file_batch`, the backend-neutral rules of ingest, calls inside one IMMEDIATE
//! transaction. Per event it costs one duplicate probe and one event insert; hash lookups are
//! cached for the batch by the rules, and issue counters and tag counts arrive summed, once per
//! issue and per tag value (64 tag rows per statement here), so a batch of 512 events over 200
//! groups makes about 2 x 512 + 2 x 200 + (distinct tag values) / 64 statements. What remains
//! costly is pages: every index with random keys (event ids, per-issue tag values, an issue's
//! events) dirties pages that each commit writes to the WAL, so bigger batches cost less per
//! event; the server's writer should drain its whole queue into one batch.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use errata_store::{
    ActivityKind, Actor, HourCountDelta, IgnoreThresholds, IngestResult, IngestRows, IssueCount,
    IssueId, IssueState, IssueStatus, NewEvent, OutcomeDelta, ProjectId, Result, StoreError,
    TagCount, Unignore, UsageDelta, Uuid,
};

use crate::error::db;
use crate::workflow;

/// Runs the whole batch in one IMMEDIATE transaction.
pub(crate) fn ingest(
    conn: &mut rusqlite::Connection,
    events: &[NewEvent],
    member_email: bool,
) -> Result<Vec<IngestResult>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    ingest_counted(conn, events, member_email, &|_| Vec::new())
}

/// [`ingest`], with the outcome counters `outcomes` gives for the results added in the
/// same transaction.
pub(crate) fn ingest_counted(
    conn: &mut rusqlite::Connection,
    events: &[NewEvent],
    member_email: bool,
    outcomes: &dyn Fn(&[IngestResult]) -> Vec<OutcomeDelta>,
) -> Result<Vec<IngestResult>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let results = if events.is_empty() {
        Vec::new()
    } else {
        errata_store::file_batch(
            &mut SqliteRows { tx: &tx },
            events,
            crate::now_ms(),
            member_email,
        )?
    };
    crate::outcome::upsert(&tx, &outcomes(&results))?;
    tx.commit().map_err(db)?;
    Ok(results)
}

/// The row operations of one batch, on its transaction.
pub(crate) struct SqliteRows<'t> {
    pub(crate) tx: &'t Transaction<'t>,
}

impl IngestRows for SqliteRows<'_> {
    fn orphan_reports(&mut self) -> Result<bool> {
        self.tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM user_reports WHERE issue_id IS NULL)")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(db)
    }

    fn stored_event(&mut self, project: ProjectId, event_id: Uuid) -> Result<Option<IssueId>> {
        self.tx
            .prepare_cached("SELECT issue_id FROM events WHERE project_id = ?1 AND event_id = ?2")
            .and_then(|mut s| {
                s.query_row(params![project.0, &event_id.as_bytes()[..]], |r| r.get(0))
                    .optional()
            })
            .map(|issue| issue.map(IssueId))
            .map_err(db)
    }

    fn hash_owner(&mut self, project: ProjectId, hash: &str) -> Result<Option<IssueId>> {
        self.tx
            .prepare_cached("SELECT issue_id FROM grouphashes WHERE project_id = ?1 AND hash = ?2")
            .and_then(|mut s| {
                s.query_row(params![project.0, hash], |r| r.get(0))
                    .optional()
            })
            .map(|issue| issue.map(IssueId))
            .map_err(db)
    }

    fn claim_hash(&mut self, project: ProjectId, hash: &str, issue: IssueId) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO grouphashes (project_id, hash, issue_id) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![project.0, hash, issue.0]))
            .map_err(db)?;
        Ok(())
    }

    fn release_first_seen(&mut self, project: ProjectId, version: &str) -> Result<Option<i64>> {
        workflow::release_first_seen(self.tx, project.0, version)
    }

    fn issue_state(&mut self, issue: IssueId) -> Result<IssueState> {
        let (status, regress_from_release_ms, ignore) = self
            .tx
            .prepare_cached(
                "SELECT status, regress_from_release_ms, ignore_until_ms, ignore_until_times_seen,
                    ignore_until_user_count, ignore_minutes, ignore_events, ignore_users
                 FROM issues WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([issue.0], |r| {
                    let ignore = IgnoreThresholds {
                        until_ms: r.get(2)?,
                        times_seen: r.get(3)?,
                        user_count: r.get(4)?,
                        asked: errata_store::IgnoreUntil {
                            minutes: r.get(5)?,
                            events: r.get(6)?,
                            users: r.get(7)?,
                        },
                    };
                    Ok((r.get::<_, String>(0)?, r.get(1)?, ignore))
                })
            })
            .map_err(db)?;
        let status = IssueStatus::parse(&status)?;
        Ok(IssueState {
            status,
            regress_from_release_ms,
            ignore: (status == IssueStatus::Ignored && ignore != IgnoreThresholds::default())
                .then_some(ignore),
        })
    }

    fn open_issue(&mut self, event: &NewEvent, now_ms: i64) -> Result<IssueId> {
        let short_id: Option<i64> = self
            .tx
            .prepare_cached(
                "UPDATE projects SET next_short_id = next_short_id + 1 WHERE id = ?1
                 RETURNING next_short_id - 1",
            )
            .and_then(|mut s| s.query_row([event.project_id.0], |r| r.get(0)).optional())
            .map_err(db)?;
        let short_id = short_id.ok_or_else(|| {
            StoreError::invalid(format!("event for unknown project {}", event.project_id))
        })?;
        self.tx
            .prepare_cached(
                "INSERT INTO issues (project_id, short_id, title, culprit, level, event_type,
                    metadata, status, first_seen_ms, last_seen_ms, times_seen, user_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'unresolved', ?8, ?8, 0, 0)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    event.project_id.0,
                    short_id,
                    event.title,
                    event.culprit,
                    event.level.as_str(),
                    event.event_type,
                    event.metadata,
                    event.timestamp_ms,
                ])
            })
            .map_err(db)?;
        let issue = self.tx.last_insert_rowid();
        workflow::log(
            self.tx,
            issue,
            ActivityKind::FirstSeen,
            &Actor::system(),
            "",
            now_ms,
        )?;
        Ok(IssueId(issue))
    }

    fn regress(&mut self, issue: IssueId, detail: &str, now_ms: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE issues SET status = 'unresolved', resolved_at_ms = NULL,
                    resolution = NULL, resolved_in_release = NULL,
                    regress_from_release_ms = NULL, regressed_at_ms = ?2
                 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![issue.0, now_ms]))
            .map_err(db)?;
        workflow::log(
            self.tx,
            issue.0,
            ActivityKind::Regression,
            &Actor::system(),
            detail,
            now_ms,
        )
    }

    fn insert_event(
        &mut self,
        event: &NewEvent,
        issue: IssueId,
        link_orphan_reports: bool,
    ) -> Result<()> {
        let project = event.project_id.0;
        let event_id = &event.event_id.as_bytes()[..];
        self.tx
            .prepare_cached(
                "INSERT INTO events (project_id, event_id, issue_id, received_ms, timestamp_ms,
                    level, event_type, title, release, environment, user_key, payload, payload_len)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    project,
                    event_id,
                    issue.0,
                    event.received_ms,
                    event.timestamp_ms,
                    event.level.as_str(),
                    event.event_type,
                    event.title,
                    event.release,
                    event.environment,
                    event.user,
                    event.payload.compressed(),
                    event.payload.raw_len() as u64,
                ])
            })
            .map_err(db)?;
        for a in &event.attachments {
            self.tx
                .prepare_cached(
                    "INSERT INTO attachments (project_id, issue_id, event_id, name, content_type,
                        size, data, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        project,
                        issue.0,
                        event_id,
                        a.name,
                        a.content_type,
                        a.data.len() as u64,
                        a.data,
                        event.received_ms,
                    ])
                })
                .map_err(db)?;
        }
        for r in &event.user_reports {
            crate::user_report::insert(
                self.tx,
                project,
                event_id,
                Some(issue.0),
                r,
                event.received_ms,
            )?;
        }
        if link_orphan_reports {
            self.tx
                .prepare_cached(
                    "UPDATE user_reports SET issue_id = ?1
                     WHERE project_id = ?2 AND event_id = ?3 AND issue_id IS NULL",
                )
                .and_then(|mut s| s.execute(params![issue.0, project, event_id]))
                .map_err(db)?;
        }
        Ok(())
    }

    fn add_tag_counts(&mut self, rows: &[TagCount<'_>]) -> Result<()> {
        // Many rows per statement: per-statement overhead (bind, step, reset) is most of
        // the cost of a small upsert.
        for chunk in chunked(rows) {
            self.upsert_tags(chunk, false)?;
        }
        Ok(())
    }

    fn add_user_counts(&mut self, rows: &[TagCount<'_>]) -> Result<Vec<IssueId>> {
        let mut new_users = Vec::new();
        for chunk in chunked(rows) {
            new_users.extend(self.upsert_tags(chunk, true)?);
        }
        Ok(new_users)
    }

    fn add_issue_counts(&mut self, rows: &[IssueCount<'_>]) -> Result<()> {
        let mut update = self
            .tx
            .prepare_cached(
                "UPDATE issues SET
                    times_seen = times_seen + ?2,
                    user_count = user_count + ?3,
                    first_seen_ms = min(first_seen_ms, ?4),
                    title = CASE WHEN ?5 >= last_seen_ms THEN ?6 ELSE title END,
                    culprit = CASE WHEN ?5 >= last_seen_ms THEN ?7 ELSE culprit END,
                    level = CASE WHEN ?5 >= last_seen_ms THEN ?8 ELSE level END,
                    event_type = CASE WHEN ?5 >= last_seen_ms THEN ?9 ELSE event_type END,
                    metadata = CASE WHEN ?5 >= last_seen_ms THEN ?10 ELSE metadata END,
                    last_release = CASE WHEN ?5 >= last_seen_ms AND ?11 IS NOT NULL
                        THEN ?11 ELSE last_release END,
                    first_release = coalesce(first_release, ?12),
                    last_seen_ms = max(last_seen_ms, ?5)
                 WHERE id = ?1",
            )
            .map_err(db)?;
        for d in rows {
            let latest = d.latest;
            update
                .execute(params![
                    d.issue.0,
                    d.times_seen,
                    d.new_users,
                    d.first_seen_ms,
                    latest.timestamp_ms,
                    latest.title,
                    latest.culprit,
                    latest.level.as_str(),
                    latest.event_type,
                    latest.metadata,
                    latest.release,
                    d.first_release,
                ])
                .map_err(db)?;
        }
        Ok(())
    }

    fn add_project_usage(&mut self, rows: &[UsageDelta]) -> Result<()> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO project_usage (project_id, events, stored_bytes) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project_id) DO UPDATE SET events = events + excluded.events,
                     stored_bytes = stored_bytes + excluded.stored_bytes",
            )
            .map_err(db)?;
        for r in rows {
            upsert
                .execute(params![r.project.0, r.events, r.stored_bytes])
                .map_err(db)?;
        }
        Ok(())
    }

    fn add_hour_counts(&mut self, rows: &[HourCountDelta]) -> Result<()> {
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO issue_hours (issue_id, hour_ms, count) VALUES (?1, ?2, ?3)
                 ON CONFLICT (issue_id, hour_ms) DO UPDATE SET count = count + excluded.count",
            )
            .map_err(db)?;
        for r in rows {
            upsert
                .execute(params![r.issue.0, r.hour_ms, r.count])
                .map_err(db)?;
        }
        Ok(())
    }

    fn record_releases(&mut self, new: &[(ProjectId, &str)], now_ms: i64) -> Result<()> {
        let mut insert = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO releases (project_id, version, first_seen_ms)
                 VALUES (?1, ?2, ?3)",
            )
            .map_err(db)?;
        for (project, version) in new {
            insert
                .execute(params![project.0, version, now_ms])
                .map_err(db)?;
        }
        Ok(())
    }

    fn issue_counters(&mut self, issue: IssueId) -> Result<(u64, u64)> {
        self.tx
            .prepare_cached("SELECT times_seen, user_count FROM issues WHERE id = ?1")
            .and_then(|mut s| s.query_row([issue.0], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(db)
    }

    fn unignore(&mut self, issue: IssueId, why: Unignore, now_ms: i64) -> Result<()> {
        workflow::unignore(self.tx, issue.0, why, now_ms)
    }
}

impl SqliteRows<'_> {
    /// Upserts `rows`; with `returning`, answers the issues of the rows newly inserted.
    fn upsert_tags(&self, rows: &[TagCount<'_>], returning: bool) -> Result<Vec<IssueId>> {
        let mut stmt = self
            .tx
            .prepare_cached(&upsert_tags_sql(rows.len(), returning))
            .map_err(db)?;
        let mut i = 0;
        for r in rows {
            stmt.raw_bind_parameter(i + 1, r.issue.0).map_err(db)?;
            stmt.raw_bind_parameter(i + 2, r.key).map_err(db)?;
            stmt.raw_bind_parameter(i + 3, r.value).map_err(db)?;
            stmt.raw_bind_parameter(i + 4, r.times_seen).map_err(db)?;
            stmt.raw_bind_parameter(i + 5, r.first_seen_ms)
                .map_err(db)?;
            stmt.raw_bind_parameter(i + 6, r.last_seen_ms).map_err(db)?;
            i += 6;
        }
        if !returning {
            stmt.raw_execute().map_err(db)?;
            return Ok(Vec::new());
        }
        // A row is new when its count after the upsert is the batch's own count.
        let mut inserted = Vec::new();
        let mut returned = stmt.raw_query();
        while let Some(row) = returned.next().map_err(db)? {
            let issue: i64 = row.get(0).map_err(db)?;
            let value = row.get_ref(1).and_then(|v| Ok(v.as_str()?)).map_err(db)?;
            let times_seen: u64 = row.get(2).map_err(db)?;
            // `rows` come sorted by (issue, key, value), and the key is the same for all.
            let delta = rows
                .binary_search_by(|r| (r.issue.0, r.value).cmp(&(issue, value)))
                .ok()
                .map(|i| &rows[i]);
            if delta.is_some_and(|d| d.times_seen == times_seen) {
                inserted.push(IssueId(issue));
            }
        }
        Ok(inserted)
    }
}

/// Tag rows upserted by one statement (6 parameters each).
const TAG_ROWS_PER_STATEMENT: usize = 64;

/// Full chunks of 64 rows, then the rest one by one (two prepared statements in all).
fn chunked<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let full = rows.len() / TAG_ROWS_PER_STATEMENT * TAG_ROWS_PER_STATEMENT;
    rows[..full]
        .chunks(TAG_ROWS_PER_STATEMENT)
        .chain(rows[full..].chunks(1))
}

fn upsert_tags_sql(rows: usize, returning: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO issue_tag_values
            (issue_id, key, value, times_seen, first_seen_ms, last_seen_ms) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?)");
    }
    sql.push_str(
        " ON CONFLICT (issue_id, key, value) DO UPDATE SET
            times_seen = times_seen + excluded.times_seen,
            first_seen_ms = min(first_seen_ms, excluded.first_seen_ms),
            last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)",
    );
    if returning {
        sql.push_str(" RETURNING issue_id, value, times_seen");
    }
    sql
}
