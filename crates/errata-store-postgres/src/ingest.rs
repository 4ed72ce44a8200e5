//! Batched ingest on `PostgreSQL`: the row operations ([`IngestRows`]) that
//! `errata_store::file_batch`, the backend-neutral rules of ingest, calls inside the batch's
//! one transaction. Stored event ids and hash owners are read for the whole batch up front,
//! the events are inserted together at the end of filing, and issue, tag-value and hourly
//! counters arrive summed, so each kind is written by ONE statement over `unnest`ed arrays:
//! a batch costs a fixed number of round trips, not a few per event.
//!
//! Several nodes may ingest into one database at once; each batch gets the result of some
//! serial order of the concurrent batches (the "Several writers" contract of
//! `Store::ingest`):
//!
//! - Before filing, the batch locks what it will change, in one order every batch follows:
//!   first the hashes of the batch that no issue owns (transaction-scoped advisory locks,
//!   one per bucket of `(project, hash)`es, in key order), then, the owners re-read, every
//!   existing issue its events join (`SELECT ... ORDER BY id FOR UPDATE`), reading their
//!   workflow state there, and last the projects it opens issues in (for their short ids).
//!   So two batches opening an issue for the same new hash run one after the other (the
//!   second finds the first's issue and files under it), a regression, an ignore that ends
//!   and the rules' cooldowns are seen and acted on by one batch at a time, and batches
//!   touching the same issues in different orders wait for each other instead of
//!   deadlocking. Deleting an issue or a project locks in the same order.
//! - Counters are increments applied by the database (`times_seen = times_seen + n`, the
//!   user-tag upsert reports the rows it inserted, `next_short_id` is bumped with
//!   `UPDATE ... RETURNING`), never a value read and written back.
//! - Event ids, hash claims and releases are inserted with `ON CONFLICT DO NOTHING`; an
//!   event id or hash that a concurrent batch stored after this one looked (which the locks
//!   make unexpected for hashes) fails the batch as a lost race, and `PgStore::write` runs
//!   it again as a whole, as it does after a deadlock or a serialization failure: the retry
//!   sees the other batch's rows.

use std::collections::{HashMap, HashSet};

use tokio_postgres::Row;

use errata_store::{
    ActivityKind, Actor, HourCountDelta, IgnoreThresholds, IngestResult, IngestRows, IssueCount,
    IssueId, IssueState, IssueStatus, NewEvent, ProjectId, Result, StoreError, TagCount, Unignore,
    UsageDelta, Uuid,
};

use crate::db::{Db, get_opt_u64, get_u64, to_i64};
use crate::workflow;

/// The issues that already own some of a batch's hashes in one project (at ingest, before
/// new issues are opened).
pub(crate) const HASH_OWNERS: &str =
    "SELECT hash, issue_id FROM grouphashes WHERE project_id = $1 AND hash = ANY($2)";
/// The issues some of a batch's event ids were already stored under in one project (a
/// resent event is not stored twice), read once for the batch.
pub(crate) const STORED_EVENTS: &str =
    "SELECT event_id, issue_id FROM events WHERE project_id = $1 AND event_id = ANY($2)";

/// Files the batch in the caller's transaction.
pub(crate) fn ingest(
    c: &Db<'_>,
    events: &[NewEvent],
    member_email: bool,
    now_ms: i64,
) -> Result<Vec<IngestResult>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = PgRows {
        c,
        owners: HashMap::new(),
        unowned: HashSet::new(),
        states: HashMap::new(),
        stored: HashMap::new(),
        pending: EventColumns::default(),
    };
    rows.lock(events)?;
    errata_store::file_batch(&mut rows, events, now_ms, member_email)
}

/// The row operations of one batch, on its transaction, with what [`PgRows::lock`] read.
pub(crate) struct PgRows<'c, 'p, 'a> {
    pub(crate) c: &'c Db<'p>,
    /// (project, hash) -> owning issue, read after the hash locks.
    owners: HashMap<(i64, &'a str), i64>,
    /// Hashes of the batch that no issue owned once locked (nobody else can claim them).
    unowned: HashSet<(i64, &'a str)>,
    /// Workflow state of the existing issues the batch joins, read as they were locked.
    states: HashMap<i64, IssueState>,
    /// (project, event id) -> issue of the batch's events already stored, read by `lock`
    /// and completed as the batch files its own.
    stored: HashMap<(i64, Uuid), i64>,
    /// The events filed and not yet inserted ([`IngestRows::finish_events`] inserts them
    /// with one statement).
    pending: EventColumns,
}

/// Event rows waiting to be inserted, one array per column (`unnest`'s input).
#[derive(Default)]
struct EventColumns {
    project_id: Vec<i64>,
    event_id: Vec<Vec<u8>>,
    issue_id: Vec<i64>,
    received_ms: Vec<i64>,
    timestamp_ms: Vec<i64>,
    level: Vec<&'static str>,
    event_type: Vec<String>,
    title: Vec<String>,
    release: Vec<Option<String>>,
    environment: Vec<Option<String>>,
    user_key: Vec<Option<String>>,
    payload: Vec<Vec<u8>>,
    payload_len: Vec<i64>,
}

impl<'a> PgRows<'_, '_, 'a> {
    /// Locks what the batch will change, in one order every batch follows (see the module
    /// documentation): the unowned hashes, then the existing issues its events join.
    fn lock(&mut self, events: &'a [NewEvent]) -> Result<()> {
        let mut by_project: HashMap<i64, Vec<&'a str>> = HashMap::new();
        for event in events {
            let hashes = by_project.entry(event.project_id.0).or_default();
            hashes.extend(event.hashes.iter().map(String::as_str));
        }
        let mut keys = Vec::new();
        for (&project, hashes) in &mut by_project {
            hashes.sort_unstable();
            hashes.dedup();
            self.read_owners(project, hashes)?;
            hashes.retain(|h| !self.owners.contains_key(&(project, *h)));
            keys.extend(hashes.iter().map(|h| hash_lock_key(project, h)));
        }
        if !keys.is_empty() {
            keys.sort_unstable();
            keys.dedup();
            // unnest yields the array's order: the locks are taken in key order.
            self.c.execute(
                "SELECT pg_advisory_xact_lock(k) FROM unnest($1::BIGINT[]) AS k",
                &[&keys],
            )?;
            // A batch that held one of these locks has committed: its claims are visible.
            for (&project, hashes) in &by_project {
                self.read_owners(project, hashes)?;
                self.unowned.extend(
                    hashes
                        .iter()
                        .filter(|h| !self.owners.contains_key(&(project, **h)))
                        .map(|h| (project, *h)),
                );
            }
        }
        // Which of the batch's event ids are stored already: one read per project.
        let mut ids: HashMap<i64, Vec<Vec<u8>>> = HashMap::new();
        for e in events {
            ids.entry(e.project_id.0)
                .or_default()
                .push(e.event_id.as_bytes().to_vec());
        }
        for (project, ids) in ids {
            for row in self.c.query(STORED_EVENTS, &[&project, &ids])? {
                let id: Vec<u8> = row.get(0);
                let id = Uuid::from_slice(&id).map_err(|e| StoreError::corrupt(e.to_string()))?;
                self.stored.insert((project, id), row.get(1));
            }
        }
        // The issue each event joins: its first owned hash's (as `file_batch` decides);
        // the project of each event that joins none, which opens an issue.
        let mut joined: Vec<i64> = Vec::new();
        let mut opening: Vec<i64> = Vec::new();
        for e in events {
            let owner = e
                .hashes
                .iter()
                .find_map(|h| self.owners.get(&(e.project_id.0, h.as_str())).copied());
            match owner {
                Some(issue) => joined.push(issue),
                None => opening.push(e.project_id.0),
            }
        }
        joined.sort_unstable();
        joined.dedup();
        if !joined.is_empty() {
            let rows = self.c.query(
                "SELECT id, status, regress_from_release_ms, ignore_until_ms,
                    ignore_until_times_seen, ignore_until_user_count, ignore_minutes,
                    ignore_events, ignore_users
                 FROM issues WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                &[&joined],
            )?;
            if rows.len() != joined.len() {
                // Deleted meanwhile, its hashes freed: a retry files its events afresh.
                return Err(self.lost_race("an issue was deleted while events were filed under it"));
            }
            for row in rows {
                let state = state_from_row(&row)?;
                self.states.insert(row.get(0), state);
            }
        }
        // Opening an issue bumps its project's next short id: lock those rows now, in id
        // order, rather than in the order of the batch's events (a batch over several
        // projects would otherwise deadlock with one taking them the other way round).
        opening.sort_unstable();
        opening.dedup();
        if !opening.is_empty() {
            self.c.execute(
                "SELECT 1 FROM projects WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                &[&opening],
            )?;
        }
        Ok(())
    }

    /// Caches the owners of those of `hashes` that have one.
    fn read_owners(&mut self, project: i64, hashes: &[&'a str]) -> Result<()> {
        let rows = self.c.query(HASH_OWNERS, &[&project, &hashes])?;
        let mut owners: HashMap<&str, i64> = HashMap::with_capacity(rows.len());
        for row in &rows {
            owners.insert(row.get(0), row.get(1));
        }
        for &hash in hashes {
            if let Some(&issue) = owners.get(hash) {
                self.owners.insert((project, hash), issue);
            }
        }
        Ok(())
    }

    /// Fails the batch so that `PgStore::write` runs it again.
    fn lost_race(&self, what: &str) -> StoreError {
        self.c.lost_race();
        StoreError::unavailable(format!("{what}; the batch is retried"))
    }
}

impl IngestRows for PgRows<'_, '_, '_> {
    fn orphan_reports(&mut self) -> Result<bool> {
        Ok(self
            .c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM user_reports WHERE issue_id IS NULL)",
                &[],
            )?
            .get(0))
    }

    fn stored_event(&mut self, project: ProjectId, event_id: Uuid) -> Result<Option<IssueId>> {
        // `lock` read the stored ones; the batch's own are added as it files them.
        Ok(self.stored.get(&(project.0, event_id)).map(|&i| IssueId(i)))
    }

    fn hash_owner(&mut self, project: ProjectId, hash: &str) -> Result<Option<IssueId>> {
        if let Some(&issue) = self.owners.get(&(project.0, hash)) {
            return Ok(Some(IssueId(issue)));
        }
        if self.unowned.contains(&(project.0, hash)) {
            return Ok(None);
        }
        // Every hash of the batch was read by `lock`; this is for completeness only.
        Ok(self
            .c
            .query_opt(
                "SELECT issue_id FROM grouphashes WHERE project_id = $1 AND hash = $2",
                &[&project.0, &hash],
            )?
            .map(|r| IssueId(r.get(0))))
    }

    fn claim_hash(&mut self, project: ProjectId, hash: &str, issue: IssueId) -> Result<()> {
        let claimed = self.c.execute(
            "INSERT INTO grouphashes (project_id, hash, issue_id) VALUES ($1, $2, $3)
             ON CONFLICT (project_id, hash) DO NOTHING",
            &[&project.0, &hash, &issue.0],
        )?;
        if claimed == 0 {
            return Err(self.lost_race("another batch claimed a hash of this batch"));
        }
        Ok(())
    }

    fn release_first_seen(&mut self, project: ProjectId, version: &str) -> Result<Option<i64>> {
        workflow::release_first_seen(self.c, project.0, version)
    }

    fn issue_state(&mut self, issue: IssueId) -> Result<IssueState> {
        if let Some(state) = self.states.remove(&issue.0) {
            return Ok(state);
        }
        // Not locked by `lock` (cannot happen with the batch's own hashes): lock it now.
        let row = self
            .c
            .query_opt(
                "SELECT id, status, regress_from_release_ms, ignore_until_ms,
                    ignore_until_times_seen, ignore_until_user_count, ignore_minutes,
                    ignore_events, ignore_users
                 FROM issues WHERE id = $1 FOR UPDATE",
                &[&issue.0],
            )?
            .ok_or_else(|| {
                self.lost_race("an issue was deleted while events were filed under it")
            })?;
        state_from_row(&row)
    }

    fn open_issue(&mut self, event: &NewEvent, now_ms: i64) -> Result<IssueId> {
        let project = event.project_id.0;
        let short_id: i64 = self
            .c
            .query_opt(
                "UPDATE projects SET next_short_id = next_short_id + 1 WHERE id = $1
                 RETURNING next_short_id - 1",
                &[&project],
            )?
            .ok_or_else(|| {
                StoreError::invalid(format!("event for unknown project {}", event.project_id))
            })?
            .get(0);
        let issue: i64 = self
            .c
            .query_one(
                "INSERT INTO issues (project_id, short_id, title, culprit, level, event_type,
                    metadata, status, first_seen_ms, last_seen_ms, times_seen, user_count)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'unresolved', $8, $8, 0, 0)
                 RETURNING id",
                &[
                    &project,
                    &short_id,
                    &event.title,
                    &event.culprit,
                    &event.level.as_str(),
                    &event.event_type,
                    &event.metadata,
                    &event.timestamp_ms,
                ],
            )?
            .get(0);
        workflow::log(
            self.c,
            issue,
            ActivityKind::FirstSeen,
            &Actor::system(),
            "",
            now_ms,
        )?;
        Ok(IssueId(issue))
    }

    fn regress(&mut self, issue: IssueId, detail: &str, now_ms: i64) -> Result<()> {
        self.c.execute(
            "UPDATE issues SET status = 'unresolved', resolved_at_ms = NULL,
                resolution = NULL, resolved_in_release = NULL,
                regress_from_release_ms = NULL, regressed_at_ms = $2
             WHERE id = $1",
            &[&issue.0, &now_ms],
        )?;
        workflow::log(
            self.c,
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
        self.stored.insert((project, event.event_id), issue.0);
        let p = &mut self.pending;
        p.project_id.push(project);
        p.event_id.push(event_id.to_vec());
        p.issue_id.push(issue.0);
        p.received_ms.push(event.received_ms);
        p.timestamp_ms.push(event.timestamp_ms);
        p.level.push(event.level.as_str());
        p.event_type.push(event.event_type.clone());
        p.title.push(event.title.clone());
        p.release.push(event.release.clone());
        p.environment.push(event.environment.clone());
        p.user_key.push(event.user.clone());
        p.payload.push(event.payload.compressed().to_vec());
        p.payload_len.push(to_i64(event.payload.raw_len() as u64));
        for a in &event.attachments {
            self.c.execute(
                "INSERT INTO attachments (project_id, issue_id, event_id, name, content_type,
                    size, data, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &project,
                    &issue.0,
                    &event_id,
                    &a.name,
                    &a.content_type,
                    &to_i64(a.data.len() as u64),
                    &a.data,
                    &event.received_ms,
                ],
            )?;
        }
        for r in &event.user_reports {
            crate::user_report::insert(
                self.c,
                project,
                event_id,
                Some(issue.0),
                r,
                event.received_ms,
            )?;
        }
        if link_orphan_reports {
            self.c.execute(
                "UPDATE user_reports SET issue_id = $1
                 WHERE project_id = $2 AND event_id = $3 AND issue_id IS NULL",
                &[&issue.0, &project, &event_id],
            )?;
        }
        Ok(())
    }

    fn finish_events(&mut self) -> Result<()> {
        let p = std::mem::take(&mut self.pending);
        if p.project_id.is_empty() {
            return Ok(());
        }
        let inserted = self.c.execute(
            "INSERT INTO events (project_id, event_id, issue_id, received_ms, timestamp_ms,
                level, event_type, title, release, environment, user_key, payload, payload_len)
             SELECT * FROM unnest($1::BIGINT[], $2::BYTEA[], $3::BIGINT[], $4::BIGINT[],
                $5::BIGINT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[],
                $11::TEXT[], $12::BYTEA[], $13::BIGINT[])
             ON CONFLICT (project_id, event_id) DO NOTHING",
            &[
                &p.project_id,
                &p.event_id,
                &p.issue_id,
                &p.received_ms,
                &p.timestamp_ms,
                &p.level,
                &p.event_type,
                &p.title,
                &p.release,
                &p.environment,
                &p.user_key,
                &p.payload,
                &p.payload_len,
            ],
        )?;
        if inserted != p.project_id.len() as u64 {
            // Stored by a concurrent batch after `lock` looked: the retry reports it as a
            // duplicate.
            return Err(self.lost_race("another batch stored an event id of this batch"));
        }
        Ok(())
    }

    fn add_tag_counts(&mut self, rows: &[TagCount<'_>]) -> Result<()> {
        self.upsert_tags(rows)?;
        Ok(())
    }

    fn add_user_counts(&mut self, rows: &[TagCount<'_>]) -> Result<Vec<IssueId>> {
        self.upsert_tags(rows)
    }

    fn add_issue_counts(&mut self, rows: &[IssueCount<'_>]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut cols = IssueColumns::default();
        for d in rows {
            let latest = d.latest;
            cols.id.push(d.issue.0);
            cols.times_seen.push(to_i64(d.times_seen));
            cols.new_users.push(to_i64(d.new_users));
            cols.first_seen.push(d.first_seen_ms);
            cols.latest_ts.push(latest.timestamp_ms);
            cols.title.push(&latest.title);
            cols.culprit.push(&latest.culprit);
            cols.level.push(latest.level.as_str());
            cols.event_type.push(&latest.event_type);
            cols.metadata.push(&latest.metadata);
            cols.release.push(latest.release.as_deref());
            cols.first_release.push(d.first_release);
        }
        self.c.execute(
            "UPDATE issues i SET
                times_seen = i.times_seen + d.times_seen,
                user_count = i.user_count + d.new_users,
                first_seen_ms = least(i.first_seen_ms, d.first_seen),
                title = CASE WHEN d.ts >= i.last_seen_ms THEN d.title ELSE i.title END,
                culprit = CASE WHEN d.ts >= i.last_seen_ms THEN d.culprit ELSE i.culprit END,
                level = CASE WHEN d.ts >= i.last_seen_ms THEN d.level ELSE i.level END,
                event_type = CASE WHEN d.ts >= i.last_seen_ms
                    THEN d.event_type ELSE i.event_type END,
                metadata = CASE WHEN d.ts >= i.last_seen_ms THEN d.metadata ELSE i.metadata END,
                last_release = CASE WHEN d.ts >= i.last_seen_ms AND d.release IS NOT NULL
                    THEN d.release ELSE i.last_release END,
                first_release = coalesce(i.first_release, d.first_release),
                last_seen_ms = greatest(i.last_seen_ms, d.ts)
             FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::BIGINT[],
                    $5::BIGINT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[],
                    $10::BYTEA[], $11::TEXT[], $12::TEXT[])
                AS d(id, times_seen, new_users, first_seen, ts, title, culprit, level,
                    event_type, metadata, release, first_release)
             WHERE i.id = d.id",
            &[
                &cols.id,
                &cols.times_seen,
                &cols.new_users,
                &cols.first_seen,
                &cols.latest_ts,
                &cols.title,
                &cols.culprit,
                &cols.level,
                &cols.event_type,
                &cols.metadata,
                &cols.release,
                &cols.first_release,
            ],
        )?;
        Ok(())
    }

    fn add_project_usage(&mut self, rows: &[UsageDelta]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // In project order (the rows come sorted), so batches of several nodes lock these
        // rows in one order.
        let project: Vec<i64> = rows.iter().map(|r| r.project.0).collect();
        let events: Vec<i64> = rows.iter().map(|r| to_i64(r.events)).collect();
        let bytes: Vec<i64> = rows.iter().map(|r| to_i64(r.stored_bytes)).collect();
        self.c.execute(
            "INSERT INTO project_usage AS u (project_id, events, stored_bytes)
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[])
             ON CONFLICT (project_id) DO UPDATE SET events = u.events + excluded.events,
                 stored_bytes = u.stored_bytes + excluded.stored_bytes",
            &[&project, &events, &bytes],
        )?;
        Ok(())
    }

    fn add_hour_counts(&mut self, rows: &[HourCountDelta]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let issue: Vec<i64> = rows.iter().map(|r| r.issue.0).collect();
        let hour: Vec<i64> = rows.iter().map(|r| r.hour_ms).collect();
        let count: Vec<i64> = rows.iter().map(|r| to_i64(r.count)).collect();
        self.c.execute(
            "INSERT INTO issue_hours AS h (issue_id, hour_ms, count)
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[])
             ON CONFLICT (issue_id, hour_ms) DO UPDATE SET count = h.count + excluded.count",
            &[&issue, &hour, &count],
        )?;
        Ok(())
    }

    fn record_releases(&mut self, new: &[(ProjectId, &str)], now_ms: i64) -> Result<()> {
        let project: Vec<i64> = new.iter().map(|(p, _)| p.0).collect();
        let version: Vec<&str> = new.iter().map(|(_, v)| *v).collect();
        self.c.execute(
            "INSERT INTO releases (project_id, version, first_seen_ms)
             SELECT p, v, $3 FROM unnest($1::BIGINT[], $2::TEXT[]) AS r(p, v)
             ON CONFLICT (project_id, version) DO NOTHING",
            &[&project, &version, &now_ms],
        )?;
        Ok(())
    }

    fn issue_counters(&mut self, issue: IssueId) -> Result<(u64, u64)> {
        let r = self.c.query_one(
            "SELECT times_seen, user_count FROM issues WHERE id = $1",
            &[&issue.0],
        )?;
        Ok((get_u64(&r, 0), get_u64(&r, 1)))
    }

    fn unignore(&mut self, issue: IssueId, why: Unignore, now_ms: i64) -> Result<()> {
        workflow::unignore(self.c, issue.0, why, now_ms)
    }
}

impl PgRows<'_, '_, '_> {
    /// Upserts tag counts (in the key order they come in) in one statement; answers the
    /// issue of each row it inserted rather than updated (`xmax = 0`: no older version), a
    /// new user of the issue when the rows are [`errata_store::USER_TAG`] values, also when
    /// another node's batch raced this one.
    fn upsert_tags(&self, rows: &[TagCount<'_>]) -> Result<Vec<IssueId>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let issue: Vec<i64> = rows.iter().map(|r| r.issue.0).collect();
        let key: Vec<&str> = rows.iter().map(|r| r.key).collect();
        let value: Vec<&str> = rows.iter().map(|r| r.value).collect();
        let times: Vec<i64> = rows.iter().map(|r| to_i64(r.times_seen)).collect();
        let first: Vec<i64> = rows.iter().map(|r| r.first_seen_ms).collect();
        let last: Vec<i64> = rows.iter().map(|r| r.last_seen_ms).collect();
        let returned = self.c.query(
            "INSERT INTO issue_tag_values AS t
                (issue_id, key, value, times_seen, first_seen_ms, last_seen_ms)
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[],
                $5::BIGINT[], $6::BIGINT[])
             ON CONFLICT (issue_id, key, value) DO UPDATE SET
                times_seen = t.times_seen + excluded.times_seen,
                first_seen_ms = least(t.first_seen_ms, excluded.first_seen_ms),
                last_seen_ms = greatest(t.last_seen_ms, excluded.last_seen_ms)
             RETURNING issue_id, xmax = 0",
            &[&issue, &key, &value, &times, &first, &last],
        )?;
        Ok(returned
            .iter()
            .filter(|r| r.get::<_, bool>(1))
            .map(|r| IssueId(r.get(0)))
            .collect())
    }
}

/// The workflow state of an issue row (`id, status, regress_from_release_ms`, then the
/// six ignore columns).
fn state_from_row(r: &Row) -> Result<IssueState> {
    let ignore = IgnoreThresholds {
        until_ms: r.get(3),
        times_seen: get_opt_u64(r, 4),
        user_count: get_opt_u64(r, 5),
        asked: errata_store::IgnoreUntil {
            minutes: get_opt_u64(r, 6),
            events: get_opt_u64(r, 7),
            users: get_opt_u64(r, 8),
        },
    };
    let status = IssueStatus::parse(r.get(1))?;
    Ok(IssueState {
        status,
        regress_from_release_ms: r.get(2),
        ignore: (status == IssueStatus::Ignored && ignore != IgnoreThresholds::default())
            .then_some(ignore),
    })
}

/// Buckets of `(project, hash)` advisory locks. Few, so that a batch of thousands of new
/// hashes takes at most this many locks (`PostgreSQL`'s lock table is sized for about 64
/// per transaction); two batches opening issues in one project already wait for each other
/// on the project's `next_short_id`, so sharing buckets costs little more.
const HASH_LOCK_BUCKETS: u64 = 64;

/// The first advisory lock key of the buckets ("errata:h" in ASCII, low byte cleared).
const HASH_LOCK_BASE: i64 = 0x6572_7261_7461_3a00;

/// The advisory lock key of a `(project, hash)`: its bucket by FNV-1a over both (the same
/// on every node; two hashes sharing a bucket only make their batches wait for each other).
fn hash_lock_key(project: i64, hash: &str) -> i64 {
    let mut key: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in project.to_le_bytes().iter().chain(hash.as_bytes()) {
        key ^= u64::from(*byte);
        key = key.wrapping_mul(0x0100_0000_01b3);
    }
    HASH_LOCK_BASE + i64::try_from(key % HASH_LOCK_BUCKETS).unwrap_or(0)
}

/// The columns of `add_issue_counts`'s `unnest`, one array per column.
#[derive(Default)]
struct IssueColumns<'a> {
    id: Vec<i64>,
    times_seen: Vec<i64>,
    new_users: Vec<i64>,
    first_seen: Vec<i64>,
    latest_ts: Vec<i64>,
    title: Vec<&'a str>,
    culprit: Vec<&'a str>,
    level: Vec<&'static str>,
    event_type: Vec<&'a str>,
    metadata: Vec<&'a [u8]>,
    release: Vec<Option<&'a str>>,
    first_release: Vec<Option<&'a str>>,
}
