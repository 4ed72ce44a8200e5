//! Batched ingest: files a batch of events under issues in one transaction. Per event it
//! costs one duplicate probe and one event insert; hash lookups are cached for the batch,
//! and issue counters and tag counts are summed in memory and written once per issue and
//! per tag value at the end of the batch (64 tag rows per statement), so a batch of 512
//! events over 200 groups makes about 2 x 512 + 2 x 200 + (distinct tag values) / 64
//! statements. What remains costly is pages: every index with random keys (event ids,
//! per-issue tag values, an issue's events) dirties pages that each commit writes to the
//! WAL, so bigger batches cost less per event; the server's writer should drain its whole
//! queue into one batch.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use errata_store::{
    ActivityKind, Actor, EventRelease, IgnoreThresholds, IngestKind, IngestResult, IssueId,
    IssueStatus, NewEvent, Result, StoreError, Trigger, hour_start,
};

use crate::error::db;
use crate::{alerting, workflow};

/// Runs the whole batch in one IMMEDIATE transaction.
pub(crate) fn ingest(
    conn: &mut rusqlite::Connection,
    events: &[NewEvent],
    member_email: bool,
) -> Result<Vec<IngestResult>> {
    for event in events {
        event.validate()?;
    }
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let results = Batch::new(&tx, events, crate::now_ms())?.run(events, member_email)?;
    tx.commit().map_err(db)?;
    Ok(results)
}

/// `FxHash` (rustc's hasher): the batch's maps are keyed by ids and short strings that come
/// from our own caller, so `HashDoS` resistance buys nothing and `SipHash` cost ~8% of ingest.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, i: i64) {
        self.write_u64(i.cast_unsigned());
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Fx = BuildHasherDefault<FxHasher>;

/// What the batch adds to one issue, written once at the end.
struct IssueDelta<'a> {
    times_seen: u64,
    new_users: u64,
    first_seen_ms: i64,
    /// The event with the greatest timestamp (title, culprit, level... come from it).
    latest: &'a NewEvent,
    /// The release of the earliest event that has one.
    first_release: Option<(i64, &'a str)>,
}

/// What the batch adds to one tag value of one issue.
struct TagDelta {
    times_seen: u64,
    first_seen_ms: i64,
    last_seen_ms: i64,
}

/// What the batch knows of an existing issue's workflow, read at its first event.
struct IssueState {
    status: IssueStatus,
    /// While resolved in a release: see [`errata_store::regresses`].
    regress_from_release_ms: Option<i64>,
    /// While ignored with conditions.
    ignore: Option<IgnoreThresholds>,
}

struct Batch<'t, 'a> {
    tx: &'t Transaction<'t>,
    now_ms: i64,
    /// Workflow state of the existing issues the batch touched.
    states: HashMap<i64, IssueState, Fx>,
    /// (project, release) -> first seen before this batch (`None`: new in this batch).
    releases: HashMap<(i64, &'a str), Option<i64>, Fx>,
    /// (issue, hour) -> events.
    hours: HashMap<(i64, i64), u64, Fx>,
    /// (project, hash) -> owning issue, for hashes looked up or recorded in this batch.
    owners: HashMap<(i64, &'a str), i64, Fx>,
    issues: HashMap<i64, IssueDelta<'a>, Fx>,
    tags: HashMap<(i64, &'a str, &'a str), TagDelta, Fx>,
    /// Whether any user report waits for its event (then each event links them).
    orphan_reports: bool,
    /// State changes that may alert: (issue, trigger, causing event), in order.
    changes: Vec<(i64, Trigger, &'a NewEvent)>,
}

impl<'t, 'a> Batch<'t, 'a> {
    fn new(tx: &'t Transaction<'t>, events: &[NewEvent], now_ms: i64) -> Result<Self> {
        let orphan_reports = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM user_reports WHERE issue_id IS NULL)")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(db)?;
        Ok(Self {
            tx,
            now_ms,
            states: HashMap::with_capacity_and_hasher(events.len(), Fx::default()),
            releases: HashMap::with_hasher(Fx::default()),
            hours: HashMap::with_capacity_and_hasher(events.len(), Fx::default()),
            owners: HashMap::with_capacity_and_hasher(events.len() * 2, Fx::default()),
            issues: HashMap::with_capacity_and_hasher(events.len(), Fx::default()),
            tags: HashMap::with_capacity_and_hasher(
                events.iter().map(|e| e.tags.len()).sum(),
                Fx::default(),
            ),
            orphan_reports,
            changes: Vec::new(),
        })
    }

    fn run(mut self, events: &'a [NewEvent], member_email: bool) -> Result<Vec<IngestResult>> {
        let mut results = Vec::with_capacity(events.len());
        for event in events {
            results.push(self.file(event)?);
        }
        self.flush_tags()?;
        self.flush_issues()?;
        self.flush_hours()?;
        self.flush_releases()?;
        self.unignore_reached()?;
        let queued = crate::alerting::fire(self.tx, &self.touched(), member_email, self.now_ms)?;
        if !queued.is_empty() {
            for r in &mut results {
                if r.kind != IngestKind::Duplicate {
                    r.alerts = queued.get(&r.event_id).copied().unwrap_or(0);
                }
            }
        }
        Ok(results)
    }

    /// Every issue the batch touched, in id order, with its state changes.
    fn touched(&self) -> Vec<alerting::Touched<'a>> {
        let mut touched: Vec<alerting::Touched<'a>> = self
            .issues
            .iter()
            .map(|(&issue, delta)| alerting::Touched {
                issue,
                project: delta.latest.project_id.0,
                changes: Vec::new(),
                latest: delta.latest,
            })
            .collect();
        touched.sort_unstable_by_key(|t| t.issue);
        for &(issue, trigger, event) in &self.changes {
            if let Ok(i) = touched.binary_search_by_key(&issue, |t| t.issue) {
                touched[i].changes.push((trigger, event));
            }
        }
        touched
    }

    fn file(&mut self, event: &'a NewEvent) -> Result<IngestResult> {
        let project = event.project_id.0;
        let event_id = &event.event_id.as_bytes()[..];
        let existing: Option<i64> = self
            .tx
            .prepare_cached("SELECT issue_id FROM events WHERE project_id = ?1 AND event_id = ?2")
            .and_then(|mut s| {
                s.query_row(params![project, event_id], |r| r.get(0))
                    .optional()
            })
            .map_err(db)?;
        if let Some(issue) = existing {
            return Ok(IngestResult {
                event_id: event.event_id,
                issue_id: IssueId(issue),
                kind: IngestKind::Duplicate,
                alerts: 0,
            });
        }

        let mut owners = Vec::with_capacity(event.hashes.len());
        for hash in &event.hashes {
            owners.push(self.owner(project, hash)?);
        }
        let release = self.release(event)?;
        let (issue, kind) = match owners.iter().flatten().next() {
            Some(&issue) => (issue, self.touch(issue, event, release)?),
            None => (self.open_issue(event)?, IngestKind::NewIssue),
        };
        for (hash, owner) in event.hashes.iter().zip(&owners) {
            if owner.is_none() && !self.owners.contains_key(&(project, hash.as_str())) {
                self.tx
                    .prepare_cached(
                        "INSERT INTO grouphashes (project_id, hash, issue_id) VALUES (?1, ?2, ?3)",
                    )
                    .and_then(|mut s| s.execute(params![project, hash, issue]))
                    .map_err(db)?;
                self.owners.insert((project, hash), issue);
            }
        }

        self.insert_event(event, issue)?;
        self.add_to_issue(issue, event);
        *self
            .hours
            .entry((issue, hour_start(event.timestamp_ms)))
            .or_insert(0) += 1;
        let user = event.user.as_deref().map(|user| (USER_TAG, user));
        let tags = event.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        for (key, value) in tags.chain(user) {
            let delta = self.tags.entry((issue, key, value)).or_insert(TagDelta {
                times_seen: 0,
                first_seen_ms: event.timestamp_ms,
                last_seen_ms: event.timestamp_ms,
            });
            delta.times_seen += 1;
            delta.first_seen_ms = delta.first_seen_ms.min(event.timestamp_ms);
            delta.last_seen_ms = delta.last_seen_ms.max(event.timestamp_ms);
        }
        self.insert_attachments_and_reports(event, issue)?;
        match kind {
            IngestKind::NewIssue => self.changes.push((issue, Trigger::NewIssue, event)),
            IngestKind::Regression => self.changes.push((issue, Trigger::Regression, event)),
            IngestKind::Existing | IngestKind::Duplicate => {}
        }
        Ok(IngestResult {
            event_id: event.event_id,
            issue_id: IssueId(issue),
            kind,
            alerts: 0,
        })
    }

    /// The issue owning `hash`, from the batch's cache or the database.
    fn owner(&mut self, project: i64, hash: &'a str) -> Result<Option<i64>> {
        if let Some(&issue) = self.owners.get(&(project, hash)) {
            return Ok(Some(issue));
        }
        let owner: Option<i64> = self
            .tx
            .prepare_cached("SELECT issue_id FROM grouphashes WHERE project_id = ?1 AND hash = ?2")
            .and_then(|mut s| s.query_row(params![project, hash], |r| r.get(0)).optional())
            .map_err(db)?;
        if let Some(issue) = owner {
            self.owners.insert((project, hash), issue);
        }
        Ok(owner)
    }

    /// When the event's release was first seen before this batch (a release new in this
    /// batch is [`EventRelease::New`]).
    fn release(&mut self, event: &'a NewEvent) -> Result<EventRelease> {
        let Some(version) = event.release.as_deref() else {
            return Ok(EventRelease::Unknown);
        };
        let key = (event.project_id.0, version);
        let first_seen = if let Some(&first_seen) = self.releases.get(&key) {
            first_seen
        } else {
            let first_seen = workflow::release_first_seen(self.tx, key.0, version)?;
            self.releases.insert(key, first_seen);
            first_seen
        };
        Ok(first_seen.map_or(EventRelease::New, EventRelease::FirstSeen))
    }

    /// An existing issue gets an event: a resolved issue regresses when the rules say so
    /// (the first such event of the batch reports the regression).
    fn touch(&mut self, issue: i64, event: &NewEvent, release: EventRelease) -> Result<IngestKind> {
        if !self.states.contains_key(&issue) {
            let state = self.load_state(issue)?;
            self.states.insert(issue, state);
        }
        let Some(state) = self.states.get_mut(&issue) else {
            return Ok(IngestKind::Existing);
        };
        if state.status != IssueStatus::Resolved {
            return Ok(IngestKind::Existing);
        }
        let details = errata_store::StatusDetails {
            regress_from_release_ms: state.regress_from_release_ms,
            ..Default::default()
        };
        if !errata_store::regresses(&details, release) {
            return Ok(IngestKind::Existing);
        }
        state.status = IssueStatus::Unresolved;
        self.tx
            .prepare_cached(
                "UPDATE issues SET status = 'unresolved', resolved_at_ms = NULL,
                    resolution = NULL, resolved_in_release = NULL,
                    regress_from_release_ms = NULL, regressed_at_ms = ?2
                 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![issue, self.now_ms]))
            .map_err(db)?;
        let detail = event
            .release
            .as_deref()
            .map(|r| format!("in release {r}"))
            .unwrap_or_default();
        workflow::log(
            self.tx,
            issue,
            ActivityKind::Regression,
            &Actor::system(),
            &detail,
            self.now_ms,
        )?;
        Ok(IngestKind::Regression)
    }

    fn load_state(&self, issue: i64) -> Result<IssueState> {
        let (status, regress_from_release_ms, ignore) = self
            .tx
            .prepare_cached(
                "SELECT status, regress_from_release_ms, ignore_until_ms, ignore_until_times_seen,
                    ignore_until_user_count, ignore_minutes, ignore_events, ignore_users
                 FROM issues WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([issue], |r| {
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

    fn open_issue(&mut self, event: &NewEvent) -> Result<i64> {
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
            self.now_ms,
        )?;
        Ok(issue)
    }

    fn insert_event(&self, event: &NewEvent, issue: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO events (project_id, event_id, issue_id, received_ms, timestamp_ms,
                    level, event_type, title, release, environment, user_key, payload, payload_len)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    event.project_id.0,
                    &event.event_id.as_bytes()[..],
                    issue,
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
        Ok(())
    }

    fn add_to_issue(&mut self, issue: i64, event: &'a NewEvent) {
        let delta = self.issues.entry(issue).or_insert(IssueDelta {
            times_seen: 0,
            new_users: 0,
            first_seen_ms: event.timestamp_ms,
            latest: event,
            first_release: None,
        });
        delta.times_seen += 1;
        delta.first_seen_ms = delta.first_seen_ms.min(event.timestamp_ms);
        if event.timestamp_ms >= delta.latest.timestamp_ms {
            delta.latest = event;
        }
        if let Some(release) = &event.release
            && delta
                .first_release
                .is_none_or(|(ts, _)| event.timestamp_ms < ts)
        {
            delta.first_release = Some((event.timestamp_ms, release));
        }
    }

    fn insert_attachments_and_reports(&self, event: &NewEvent, issue: i64) -> Result<()> {
        let project = event.project_id.0;
        let event_id = &event.event_id.as_bytes()[..];
        for a in &event.attachments {
            self.tx
                .prepare_cached(
                    "INSERT INTO attachments (project_id, issue_id, event_id, name, content_type,
                        size, data, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        project,
                        issue,
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
                Some(issue),
                r,
                event.received_ms,
            )?;
        }
        if self.orphan_reports {
            self.tx
                .prepare_cached(
                    "UPDATE user_reports SET issue_id = ?1
                     WHERE project_id = ?2 AND event_id = ?3 AND issue_id IS NULL",
                )
                .and_then(|mut s| s.execute(params![issue, project, event_id]))
                .map_err(db)?;
        }
        Ok(())
    }

    fn flush_issues(&self) -> Result<()> {
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
        // In id order: neighbouring rows share B-tree pages.
        let mut issues: Vec<_> = self.issues.iter().collect();
        issues.sort_unstable_by_key(|(issue, _)| **issue);
        for (issue, d) in issues {
            let latest = d.latest;
            update
                .execute(params![
                    issue,
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
                    d.first_release.map(|(_, r)| r),
                ])
                .map_err(db)?;
        }
        Ok(())
    }

    /// Upserts the batch's tag counts. Distinct users are the values of [`USER_TAG`]: a
    /// user row that the upsert inserted (rather than updated) is a new user of the issue.
    fn flush_tags(&mut self) -> Result<()> {
        // In primary key order: the upserts walk the B-tree forward instead of at random.
        let mut tags: Vec<_> = self.tags.iter().collect();
        tags.sort_unstable_by_key(|(key, _)| *key);
        let (users, others): (Vec<_>, Vec<_>) = tags
            .into_iter()
            .partition(|((_, key, _), _)| *key == USER_TAG);
        // Many rows per statement: per-statement overhead (bind, step, reset) is most of
        // the cost of a small upsert.
        for chunk in chunked(&others) {
            self.upsert_tags(chunk, false)?;
        }
        let mut new_users: Vec<i64> = Vec::new();
        for chunk in chunked(&users) {
            new_users.extend(self.upsert_tags(chunk, true)?);
        }
        for issue in new_users {
            if let Some(delta) = self.issues.get_mut(&issue) {
                delta.new_users += 1;
            }
        }
        Ok(())
    }

    /// Upserts `rows`; with `returning`, answers the issues of the rows newly inserted.
    fn upsert_tags(
        &self,
        rows: &[(&(i64, &str, &str), &TagDelta)],
        returning: bool,
    ) -> Result<Vec<i64>> {
        let mut stmt = self
            .tx
            .prepare_cached(&upsert_tags_sql(rows.len(), returning))
            .map_err(db)?;
        let mut i = 0;
        for ((issue, key, value), d) in rows {
            stmt.raw_bind_parameter(i + 1, issue).map_err(db)?;
            stmt.raw_bind_parameter(i + 2, key).map_err(db)?;
            stmt.raw_bind_parameter(i + 3, value).map_err(db)?;
            stmt.raw_bind_parameter(i + 4, d.times_seen).map_err(db)?;
            stmt.raw_bind_parameter(i + 5, d.first_seen_ms)
                .map_err(db)?;
            stmt.raw_bind_parameter(i + 6, d.last_seen_ms).map_err(db)?;
            i += 6;
        }
        if !returning {
            stmt.raw_execute().map_err(db)?;
            return Ok(Vec::new());
        }
        let mut inserted = Vec::new();
        let mut returned = stmt.raw_query();
        while let Some(row) = returned.next().map_err(db)? {
            let issue: i64 = row.get(0).map_err(db)?;
            let value = row.get_ref(1).and_then(|v| Ok(v.as_str()?)).map_err(db)?;
            let times_seen: u64 = row.get(2).map_err(db)?;
            let delta = self.tags.get(&(issue, USER_TAG, value));
            if delta.is_some_and(|d| d.times_seen == times_seen) {
                inserted.push(issue);
            }
        }
        Ok(inserted)
    }
}

impl Batch<'_, '_> {
    /// Upserts the batch's hourly counts, in key order.
    fn flush_hours(&self) -> Result<()> {
        let mut hours: Vec<_> = self.hours.iter().collect();
        hours.sort_unstable_by_key(|(key, _)| **key);
        let mut upsert = self
            .tx
            .prepare_cached(
                "INSERT INTO issue_hours (issue_id, hour_ms, count) VALUES (?1, ?2, ?3)
                 ON CONFLICT (issue_id, hour_ms) DO UPDATE SET count = count + excluded.count",
            )
            .map_err(db)?;
        for ((issue, hour), count) in hours {
            upsert.execute(params![issue, hour, count]).map_err(db)?;
        }
        Ok(())
    }

    /// Records the releases first seen in this batch.
    fn flush_releases(&self) -> Result<()> {
        let mut insert = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO releases (project_id, version, first_seen_ms)
                 VALUES (?1, ?2, ?3)",
            )
            .map_err(db)?;
        for ((project, version), first_seen) in &self.releases {
            if first_seen.is_none() {
                insert
                    .execute(params![project, version, self.now_ms])
                    .map_err(db)?;
            }
        }
        Ok(())
    }

    /// Ignored issues of the batch whose conditions are now met come back (an alert
    /// trigger, with the batch's latest event of the issue).
    fn unignore_reached(&mut self) -> Result<()> {
        let mut counters = self
            .tx
            .prepare_cached("SELECT times_seen, user_count FROM issues WHERE id = ?1")
            .map_err(db)?;
        let mut ignored: Vec<_> = self
            .states
            .iter()
            .filter_map(|(issue, state)| state.ignore.as_ref().map(|t| (*issue, t)))
            .collect();
        ignored.sort_unstable_by_key(|(issue, _)| *issue);
        for (issue, thresholds) in ignored {
            let (times_seen, user_count): (u64, u64) = counters
                .query_row([issue], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?;
            if let Some(why) = thresholds.reached(self.now_ms, times_seen, user_count) {
                workflow::unignore(self.tx, issue, why, self.now_ms)?;
                if let Some(delta) = self.issues.get(&issue) {
                    self.changes.push((issue, Trigger::Unignored, delta.latest));
                }
            }
        }
        Ok(())
    }
}

/// The tag whose values are an issue's users; counting its distinct values counts them.
pub(crate) const USER_TAG: &str = errata_store::USER_TAG;

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
