//! Batched ingest in `PostgreSQL`: files a batch of events under issues in one transaction
//! (a port of the `SQLite` backend's `ingest.rs`, keeping its batching: hash owners and
//! releases cached per batch, issue counters, hourly and tag counts summed in memory and
//! written once per issue, hour and tag value at the end, each kind in ONE statement over
//! `unnest`ed arrays).
//!
//! Several nodes may ingest into one database at once; the batch gets the result of some
//! serial order of the concurrent batches:
//!
//! - Before filing anything the batch locks, in one global order, what it will change:
//!   first every hash of the batch that no issue owns (transaction-scoped advisory locks,
//!   one per bucket of `(project, hash)`es, in key order), then, the owners re-read, every existing issue its
//!   events join (`SELECT ... ORDER BY id FOR UPDATE`), reading their workflow state there.
//!   So two batches that open an issue for the same new hash run one after the other (the
//!   second finds the first's issue), a regression, an ignore that ends and the rules'
//!   cooldowns are seen and acted on by one batch at a time, and batches touching the same
//!   issues in different orders wait for each other instead of deadlocking.
//! - A new hash is still claimed with `INSERT ... ON CONFLICT DO NOTHING` then the owner
//!   re-read; should a claim ever lose anyway, the issue just opened is dropped and the
//!   event joins the winner's.
//! - Counters are increments applied by the database (`times_seen = times_seen + $n`, the
//!   tag upsert reports the user rows it inserted, `next_short_id` is bumped with
//!   `UPDATE ... RETURNING`), never a value read and written back.
//! - An event id is inserted with `ON CONFLICT DO NOTHING`: a concurrent batch that stored
//!   it first makes it a duplicate here.
//! - Deadlocks and serialization failures retry the whole batch (see `PgStore::write`).

use std::collections::{HashMap, HashSet};

use errata_store::{
    ActivityKind, Actor, EventRelease, IgnoreThresholds, IngestKind, IngestResult, IssueId,
    IssueStatus, NewEvent, Result, StoreError, Trigger, hour_start,
};

use crate::db::{Db, get_opt_u64, get_u64, to_i64};
use crate::{alerting, workflow};

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
    Batch::new(c, events, now_ms)?.run(events, member_email)
}

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

/// What the batch knows of an existing issue's workflow, read (and locked) at its first
/// event.
struct IssueState {
    status: IssueStatus,
    /// While resolved in a release: see [`errata_store::regresses`].
    regress_from_release_ms: Option<i64>,
    /// While ignored with conditions.
    ignore: Option<IgnoreThresholds>,
}

struct Batch<'c, 'p, 'a> {
    c: &'c Db<'p>,
    now_ms: i64,
    /// Workflow state of the existing issues the batch touched (and locked).
    states: HashMap<i64, IssueState>,
    /// (project, release) -> first seen before this batch (`None`: new in this batch).
    releases: HashMap<(i64, &'a str), Option<i64>>,
    /// (issue, hour) -> events.
    hours: HashMap<(i64, i64), u64>,
    /// (project, hash) -> owning issue, for hashes looked up or recorded in this batch.
    owners: HashMap<(i64, &'a str), i64>,
    /// Hashes no issue owned when the batch locked them (until the batch claims them).
    unowned: HashSet<(i64, &'a str)>,
    issues: HashMap<i64, IssueDelta<'a>>,
    tags: HashMap<(i64, &'a str, &'a str), TagDelta>,
    /// Whether any user report waits for its event (then each event links them).
    orphan_reports: bool,
    /// State changes that may alert: (issue, trigger, causing event), in order.
    changes: Vec<(i64, Trigger, &'a NewEvent)>,
}

impl<'c, 'p, 'a> Batch<'c, 'p, 'a> {
    fn new(c: &'c Db<'p>, events: &[NewEvent], now_ms: i64) -> Result<Self> {
        let orphan_reports = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM user_reports WHERE issue_id IS NULL)",
                &[],
            )?
            .get(0);
        Ok(Self {
            c,
            now_ms,
            states: HashMap::with_capacity(events.len()),
            releases: HashMap::new(),
            hours: HashMap::with_capacity(events.len()),
            owners: HashMap::with_capacity(events.len() * 2),
            unowned: HashSet::new(),
            issues: HashMap::with_capacity(events.len()),
            tags: HashMap::with_capacity(events.iter().map(|e| e.tags.len()).sum()),
            orphan_reports,
            changes: Vec::new(),
        })
    }

    fn run(mut self, events: &'a [NewEvent], member_email: bool) -> Result<Vec<IngestResult>> {
        self.lock(events)?;
        let mut results = Vec::with_capacity(events.len());
        for event in events {
            results.push(self.file(event)?);
        }
        self.flush_tags()?;
        self.flush_issues()?;
        self.flush_hours()?;
        self.flush_releases()?;
        self.unignore_reached()?;
        let queued = alerting::fire(self.c, &self.touched(), member_email, self.now_ms)?;
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

    fn duplicate(&self, event: &NewEvent) -> Result<Option<IngestResult>> {
        let existing = self.c.query_opt(
            "SELECT issue_id FROM events WHERE project_id = $1 AND event_id = $2",
            &[&event.project_id.0, &&event.event_id.as_bytes()[..]],
        )?;
        Ok(existing.map(|r| IngestResult {
            event_id: event.event_id,
            issue_id: IssueId(r.get(0)),
            kind: IngestKind::Duplicate,
            alerts: 0,
        }))
    }

    fn file(&mut self, event: &'a NewEvent) -> Result<IngestResult> {
        let project = event.project_id.0;
        if let Some(duplicate) = self.duplicate(event)? {
            return Ok(duplicate);
        }

        let mut owners = Vec::with_capacity(event.hashes.len());
        for hash in &event.hashes {
            owners.push(self.owner(project, hash)?);
        }
        let release = self.release(event)?;
        let (issue, kind) = match owners.iter().flatten().next() {
            Some(&issue) => (issue, self.touch(issue, event, release)?),
            None => self.open_issue(event, release)?,
        };
        for (hash, owner) in event.hashes.iter().zip(&owners) {
            if owner.is_none() && !self.owners.contains_key(&(project, hash.as_str())) {
                // A later hash another batch claimed meanwhile stays that batch's issue's.
                let owner = self.claim(project, hash, issue)?;
                self.owners.insert((project, hash), owner);
            }
        }

        if !self.insert_event(event, issue)? {
            // A concurrent batch stored this event id after our probe.
            return self.duplicate(event)?.ok_or_else(|| {
                StoreError::backend("an event id conflicted but its event is gone")
            });
        }
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
        let mut joined: Vec<i64> = events
            .iter()
            .filter_map(|e| {
                e.hashes
                    .iter()
                    .find_map(|h| self.owners.get(&(e.project_id.0, h.as_str())).copied())
            })
            .collect();
        joined.sort_unstable();
        joined.dedup();
        if joined.is_empty() {
            return Ok(());
        }
        let rows = self.c.query(
            "SELECT id, status, regress_from_release_ms, ignore_until_ms,
                ignore_until_times_seen, ignore_until_user_count, ignore_minutes, ignore_events,
                ignore_users
             FROM issues WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&joined],
        )?;
        if rows.len() != joined.len() {
            // Its hashes were freed: a retry of the whole batch files its events afresh.
            self.c.lost_race();
            return Err(StoreError::unavailable(
                "an issue was deleted while events were filed under it; retry the batch",
            ));
        }
        for row in rows {
            let state = state_from_row(&row)?;
            self.states.insert(row.get(0), state);
        }
        Ok(())
    }

    /// Caches the owners of those of `hashes` that have one.
    fn read_owners(&mut self, project: i64, hashes: &[&'a str]) -> Result<()> {
        let rows = self.c.query(
            "SELECT hash, issue_id FROM grouphashes WHERE project_id = $1 AND hash = ANY($2)",
            &[&project, &hashes],
        )?;
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

    /// The issue owning `hash`, from the batch's cache or the database.
    fn owner(&mut self, project: i64, hash: &'a str) -> Result<Option<i64>> {
        if let Some(&issue) = self.owners.get(&(project, hash)) {
            return Ok(Some(issue));
        }
        if self.unowned.contains(&(project, hash)) {
            // Locked by this batch: nobody else can have claimed it.
            return Ok(None);
        }
        let owner: Option<i64> = self
            .c
            .query_opt(
                "SELECT issue_id FROM grouphashes WHERE project_id = $1 AND hash = $2",
                &[&project, &hash],
            )?
            .map(|r| r.get(0));
        if let Some(issue) = owner {
            self.owners.insert((project, hash), issue);
        }
        Ok(owner)
    }

    /// Records `issue` as the owner of `hash` unless a concurrent batch did first (the
    /// insert waits for that batch's commit); returns the owner.
    fn claim(&self, project: i64, hash: &str, issue: i64) -> Result<i64> {
        let inserted = self.c.query_opt(
            "INSERT INTO grouphashes (project_id, hash, issue_id) VALUES ($1, $2, $3)
             ON CONFLICT (project_id, hash) DO NOTHING RETURNING issue_id",
            &[&project, &hash, &issue],
        )?;
        if inserted.is_some() {
            return Ok(issue);
        }
        Ok(self
            .c
            .query_one(
                "SELECT issue_id FROM grouphashes WHERE project_id = $1 AND hash = $2",
                &[&project, &hash],
            )?
            .get(0))
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
            let first_seen = workflow::release_first_seen(self.c, key.0, version)?;
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
        self.c.execute(
            "UPDATE issues SET status = 'unresolved', resolved_at_ms = NULL,
                resolution = NULL, resolved_in_release = NULL,
                regress_from_release_ms = NULL, regressed_at_ms = $2
             WHERE id = $1",
            &[&issue, &self.now_ms],
        )?;
        let detail = event
            .release
            .as_deref()
            .map(|r| format!("in release {r}"))
            .unwrap_or_default();
        workflow::log(
            self.c,
            issue,
            ActivityKind::Regression,
            &Actor::system(),
            &detail,
            self.now_ms,
        )?;
        Ok(IngestKind::Regression)
    }

    /// Locks the issue's row until the batch commits and reads its workflow state (for an
    /// issue [`Batch::lock`] did not lock: the owner of a claim this batch lost).
    fn load_state(&self, issue: i64) -> Result<IssueState> {
        let row = self.c.query_one(
            "SELECT id, status, regress_from_release_ms, ignore_until_ms,
                ignore_until_times_seen, ignore_until_user_count, ignore_minutes, ignore_events,
                ignore_users
             FROM issues WHERE id = $1 FOR UPDATE",
            &[&issue],
        )?;
        state_from_row(&row)
    }

    /// Opens an issue for an event none of whose hashes has an owner, and claims its first
    /// hash. When a concurrent batch claimed that hash first, the issue opened here is
    /// dropped and the event joins the winner's issue (its short id stays unused).
    fn open_issue(
        &mut self,
        event: &'a NewEvent,
        release: EventRelease,
    ) -> Result<(i64, IngestKind)> {
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
        if let Some(first) = event.hashes.first() {
            let owner = self.claim(project, first, issue)?;
            self.owners.insert((project, first), owner);
            if owner != issue {
                self.c
                    .execute("DELETE FROM issues WHERE id = $1", &[&issue])?;
                let kind = self.touch(owner, event, release)?;
                return Ok((owner, kind));
            }
        }
        workflow::log(
            self.c,
            issue,
            ActivityKind::FirstSeen,
            &Actor::system(),
            "",
            self.now_ms,
        )?;
        Ok((issue, IngestKind::NewIssue))
    }

    /// Inserts the event; `false` when its id is already stored in the project.
    fn insert_event(&self, event: &NewEvent, issue: i64) -> Result<bool> {
        let inserted = self.c.execute(
            "INSERT INTO events (project_id, event_id, issue_id, received_ms, timestamp_ms,
                level, event_type, title, release, environment, user_key, payload, payload_len)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (project_id, event_id) DO NOTHING",
            &[
                &event.project_id.0,
                &&event.event_id.as_bytes()[..],
                &issue,
                &event.received_ms,
                &event.timestamp_ms,
                &event.level.as_str(),
                &event.event_type,
                &event.title,
                &event.release,
                &event.environment,
                &event.user,
                &event.payload.compressed(),
                &to_i64(event.payload.raw_len() as u64),
            ],
        )?;
        Ok(inserted == 1)
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
            self.c.execute(
                "INSERT INTO attachments (project_id, issue_id, event_id, name, content_type,
                    size, data, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &project,
                    &issue,
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
                Some(issue),
                r,
                event.received_ms,
            )?;
        }
        if self.orphan_reports {
            self.c.execute(
                "UPDATE user_reports SET issue_id = $1
                 WHERE project_id = $2 AND event_id = $3 AND issue_id IS NULL",
                &[&issue, &project, &event_id],
            )?;
        }
        Ok(())
    }

    /// Adds the batch's counters to its issues (database-side increments), in id order,
    /// in one statement.
    fn flush_issues(&self) -> Result<()> {
        let mut issues: Vec<_> = self.issues.iter().collect();
        issues.sort_unstable_by_key(|(issue, _)| **issue);
        let mut cols = IssueColumns::default();
        for (issue, d) in issues {
            let latest = d.latest;
            cols.id.push(*issue);
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
            cols.first_release.push(d.first_release.map(|(_, r)| r));
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

    /// Upserts the batch's tag counts in one statement. Distinct users are the values of
    /// [`USER_TAG`]: a user row the upsert inserted (`xmax = 0`: no older version was
    /// updated) is a new user of the issue, even when another node's batch raced this one.
    fn flush_tags(&mut self) -> Result<()> {
        if self.tags.is_empty() {
            return Ok(());
        }
        // In primary key order: concurrent batches lock rows in the same order.
        let mut tags: Vec<_> = self.tags.iter().collect();
        tags.sort_unstable_by_key(|(key, _)| *key);
        let (mut issue, mut key, mut value) = (Vec::new(), Vec::new(), Vec::new());
        let (mut times, mut first, mut last) = (Vec::new(), Vec::new(), Vec::new());
        for ((i, k, v), d) in tags {
            issue.push(*i);
            key.push(*k);
            value.push(*v);
            times.push(to_i64(d.times_seen));
            first.push(d.first_seen_ms);
            last.push(d.last_seen_ms);
        }
        let rows = self.c.query(
            "INSERT INTO issue_tag_values AS t
                (issue_id, key, value, times_seen, first_seen_ms, last_seen_ms)
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[],
                $5::BIGINT[], $6::BIGINT[])
             ON CONFLICT (issue_id, key, value) DO UPDATE SET
                times_seen = t.times_seen + excluded.times_seen,
                first_seen_ms = least(t.first_seen_ms, excluded.first_seen_ms),
                last_seen_ms = greatest(t.last_seen_ms, excluded.last_seen_ms)
             RETURNING issue_id, key = $7 AND xmax = 0",
            &[&issue, &key, &value, &times, &first, &last, &USER_TAG],
        )?;
        for row in rows {
            if row.get::<_, bool>(1)
                && let Some(delta) = self.issues.get_mut(&row.get::<_, i64>(0))
            {
                delta.new_users += 1;
            }
        }
        Ok(())
    }

    /// Upserts the batch's hourly counts, in key order, in one statement.
    fn flush_hours(&self) -> Result<()> {
        let mut hours: Vec<_> = self.hours.iter().collect();
        hours.sort_unstable_by_key(|(key, _)| **key);
        let issue: Vec<i64> = hours.iter().map(|((i, _), _)| *i).collect();
        let hour: Vec<i64> = hours.iter().map(|((_, h), _)| *h).collect();
        let count: Vec<i64> = hours.iter().map(|(_, n)| to_i64(**n)).collect();
        self.c.execute(
            "INSERT INTO issue_hours AS h (issue_id, hour_ms, count)
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[])
             ON CONFLICT (issue_id, hour_ms) DO UPDATE SET count = h.count + excluded.count",
            &[&issue, &hour, &count],
        )?;
        Ok(())
    }

    /// Records the releases first seen in this batch (a concurrent batch's record wins), in
    /// key order (concurrent inserts of the same keys wait in one order).
    fn flush_releases(&self) -> Result<()> {
        let mut releases: Vec<_> = self.releases.iter().collect();
        releases.sort_unstable_by_key(|(key, _)| **key);
        for ((project, version), first_seen) in releases {
            if first_seen.is_none() {
                self.c.execute(
                    "INSERT INTO releases (project_id, version, first_seen_ms)
                     VALUES ($1, $2, $3) ON CONFLICT (project_id, version) DO NOTHING",
                    &[project, version, &self.now_ms],
                )?;
            }
        }
        Ok(())
    }

    /// Ignored issues of the batch whose conditions are now met come back (an alert
    /// trigger, with the batch's latest event of the issue). Their rows are locked by this
    /// batch, so exactly one batch brings each back.
    fn unignore_reached(&mut self) -> Result<()> {
        let mut ignored: Vec<_> = self
            .states
            .iter()
            .filter_map(|(issue, state)| state.ignore.clone().map(|t| (*issue, t)))
            .collect();
        ignored.sort_unstable_by_key(|(issue, _)| *issue);
        for (issue, thresholds) in ignored {
            let r = self.c.query_one(
                "SELECT times_seen, user_count FROM issues WHERE id = $1",
                &[&issue],
            )?;
            let (times_seen, user_count) = (get_u64(&r, 0), get_u64(&r, 1));
            if let Some(why) = thresholds.reached(self.now_ms, times_seen, user_count) {
                workflow::unignore(self.c, issue, why, self.now_ms)?;
                if let Some(delta) = self.issues.get(&issue) {
                    self.changes.push((issue, Trigger::Unignored, delta.latest));
                }
            }
        }
        Ok(())
    }
}

/// The workflow state of an issue row (`id, status, regress_from_release_ms`, then the
/// six ignore columns).
fn state_from_row(r: &tokio_postgres::Row) -> Result<IssueState> {
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
/// hashes takes at most this many locks (`PostgreSQL`'s lock table is sized for about 64 per
/// transaction); two batches opening issues in one project already wait for each other on
/// the project's `next_short_id`, so sharing buckets costs little more.
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

/// The columns of `flush_issues`'s `unnest`, one array per column.
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

/// The tag whose values are an issue's users; counting its distinct values counts them.
const USER_TAG: &str = errata_store::USER_TAG;
