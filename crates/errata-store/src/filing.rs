//! Filing a batch of events under issues: the rules of ingest, written once for every backend.
//!
//! [`file_batch`] decides, for each event of a batch, which issue owns it (the first of its
//! hashes that an issue owns, or a new issue), whether an existing issue regresses, which of
//! its hashes become the issue's, and what the batch adds to each issue, tag value and hour; at
//! the end it asks which ignored issues come back and which alert rules fire. It never writes
//! SQL: a backend implements [`IngestRows`], the row operations, inside the one transaction it
//! opened for the batch. Counters are summed in memory and handed over once per issue, tag
//! value and hour, in key order (neighbouring rows share pages; several writers lock rows in
//! the same order), so a backend can write them with a few multi-row upserts.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;
use uuid::Uuid;

use crate::alert_rule::Trigger;
use crate::error::Result;
use crate::event::{IngestKind, IngestResult, NewEvent};
use crate::id::{IssueId, ProjectId};
use crate::issue::{IssueStatus, USER_TAG, hour_start};
use crate::workflow::{EventRelease, IgnoreThresholds, StatusDetails, Unignore, regresses};

/// The row operations a backend performs for [`file_batch`], all inside the batch's one
/// transaction (so that any error leaves nothing of the batch behind), with those of the
/// alert rules firing at the batch's end ([`crate::AlertRows`]).
///
/// Several writers: see [`Store::ingest`](crate::Store::ingest) for what a backend shared by
/// several nodes must guarantee; the ones that matter here are `claim_hash` (one owner per
/// hash), `open_issue` (a unique short id) and the `add_*` methods (increments applied by the
/// database, never values read and written back).
pub trait IngestRows: crate::firing::AlertRows {
    /// Whether any user report waits for its event (then every event links its own).
    fn orphan_reports(&mut self) -> Result<bool>;

    /// The issue of the stored event with this id in the project, if it is stored.
    fn stored_event(&mut self, project: ProjectId, event_id: Uuid) -> Result<Option<IssueId>>;

    /// The issue that owns `hash` in the project, if one does.
    fn hash_owner(&mut self, project: ProjectId, hash: &str) -> Result<Option<IssueId>>;

    /// Records that `issue` owns `hash` (no issue did when the batch looked).
    fn claim_hash(&mut self, project: ProjectId, hash: &str, issue: IssueId) -> Result<()>;

    /// When a release was first seen in the project, before this batch.
    fn release_first_seen(&mut self, project: ProjectId, version: &str) -> Result<Option<i64>>;

    /// The workflow state of an existing issue, read at its first event of the batch.
    fn issue_state(&mut self, issue: IssueId) -> Result<IssueState>;

    /// A new issue for `event` (unresolved, counters at zero, the next short id of its
    /// project), with its first activity (`FirstSeen`). Unknown projects are an error.
    fn open_issue(&mut self, event: &NewEvent, now_ms: i64) -> Result<IssueId>;

    /// Reopens a resolved issue that regressed and logs the activity with `detail`.
    fn regress(&mut self, issue: IssueId, detail: &str, now_ms: i64) -> Result<()>;

    /// Stores the event under `issue` with its attachments and user reports; with
    /// `link_orphan_reports`, reports that arrived before the event are linked to the issue.
    fn insert_event(
        &mut self,
        event: &NewEvent,
        issue: IssueId,
        link_orphan_reports: bool,
    ) -> Result<()>;

    /// Called once after the batch's last [`IngestRows::insert_event`], before any counter
    /// is written or rule fired: a backend that buffers event rows inserts them here (and
    /// fails the batch if one was stored meanwhile). Nothing by default.
    fn finish_events(&mut self) -> Result<()> {
        Ok(())
    }

    /// Adds to what projects store (`crate::ProjectUsage`: events and stored bytes),
    /// inserting missing rows; one row per project touched, in project order.
    fn add_project_usage(&mut self, rows: &[UsageDelta]) -> Result<()>;

    /// Adds to the counts of tag values other than users (inserting missing rows).
    fn add_tag_counts(&mut self, rows: &[TagCount<'_>]) -> Result<()>;

    /// Adds to the counts of the issues' users (the [`USER_TAG`] values), answering the issue
    /// of each row that did not exist before: a new user of that issue.
    fn add_user_counts(&mut self, rows: &[TagCount<'_>]) -> Result<Vec<IssueId>>;

    /// Adds the batch's counters to its issues; an issue whose `latest` event is at least as
    /// recent as its last seen takes that event's title, culprit, level, type, metadata and
    /// release.
    fn add_issue_counts(&mut self, rows: &[IssueCount<'_>]) -> Result<()>;

    /// Adds to the hourly event counts of the issues.
    fn add_hour_counts(&mut self, rows: &[HourCountDelta]) -> Result<()>;

    /// Records releases first seen in this batch (keeping an earlier record if one appeared).
    fn record_releases(&mut self, new: &[(ProjectId, &str)], now_ms: i64) -> Result<()>;

    /// An issue's counters after the batch's increments: `(times_seen, user_count)`.
    fn issue_counters(&mut self, issue: IssueId) -> Result<(u64, u64)>;

    /// An ignored issue whose condition is met comes back, with the activity saying why.
    fn unignore(&mut self, issue: IssueId, why: Unignore, now_ms: i64) -> Result<()>;
}

/// What the batch knows of an existing issue's workflow, read at its first event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueState {
    /// Its status.
    pub status: IssueStatus,
    /// While resolved in a release: see [`regresses`].
    pub regress_from_release_ms: Option<i64>,
    /// While ignored with conditions: the thresholds (`None` otherwise).
    pub ignore: Option<IgnoreThresholds>,
}

/// What the batch adds to one tag value of one issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagCount<'a> {
    /// The issue.
    pub issue: IssueId,
    /// The tag key.
    pub key: &'a str,
    /// The tag value.
    pub value: &'a str,
    /// Events of the batch with this value.
    pub times_seen: u64,
    /// The earliest of their timestamps.
    pub first_seen_ms: i64,
    /// The latest of their timestamps.
    pub last_seen_ms: i64,
}

/// What the batch adds to one issue.
#[derive(Debug, Clone, Copy)]
pub struct IssueCount<'a> {
    /// The issue.
    pub issue: IssueId,
    /// Events of the batch.
    pub times_seen: u64,
    /// Users new to the issue.
    pub new_users: u64,
    /// The earliest event timestamp of the batch.
    pub first_seen_ms: i64,
    /// The event with the greatest timestamp (title, culprit, level... come from it).
    pub latest: &'a NewEvent,
    /// The release of the batch's earliest event that has one.
    pub first_release: Option<&'a str>,
}

/// What the batch adds to one hour of one issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourCountDelta {
    /// The issue.
    pub issue: IssueId,
    /// The hour's start (ms since the epoch).
    pub hour_ms: i64,
    /// Events of the batch in that hour.
    pub count: u64,
}

/// An issue the batch touched, for the alert rules.
#[derive(Debug, Clone)]
pub struct Touched<'a> {
    /// The issue.
    pub issue: IssueId,
    /// Its project.
    pub project: ProjectId,
    /// State changes in the order they happened, each with the event that caused it.
    pub changes: Vec<(Trigger, &'a NewEvent)>,
    /// The batch's latest event of the issue.
    pub latest: &'a NewEvent,
}

/// Files `events` through `rows` (see the module docs); results are in input order.
/// `member_email` is whether rules may email members (an SMTP server is configured).
pub fn file_batch<R: IngestRows + ?Sized>(
    rows: &mut R,
    events: &[NewEvent],
    now_ms: i64,
    member_email: bool,
) -> Result<Vec<IngestResult>> {
    for event in events {
        event.validate()?;
    }
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut batch = Batch::new(rows, events, now_ms)?;
    let mut results = Vec::with_capacity(events.len());
    for event in events {
        results.push(batch.file(event)?);
    }
    batch.rows.finish_events()?;
    batch.flush_tags()?;
    batch.flush_issues()?;
    batch.flush_hours()?;
    batch.flush_usage()?;
    batch.flush_releases()?;
    batch.unignore_reached()?;
    let touched = batch.touched();
    let queued = crate::firing::fire(batch.rows, &touched, member_email, now_ms)?;
    if !queued.is_empty() {
        for r in &mut results {
            if r.kind != IngestKind::Duplicate {
                r.alerts = queued.get(&r.event_id).copied().unwrap_or(0);
            }
        }
    }
    Ok(results)
}

/// What a batch adds to one project's stored events and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageDelta {
    pub project: ProjectId,
    pub events: u64,
    /// Stored payload bytes plus attachment bytes.
    pub stored_bytes: u64,
}

/// What the batch adds to one issue, written once at the end.
struct IssueDelta<'a> {
    times_seen: u64,
    new_users: u64,
    first_seen_ms: i64,
    latest: &'a NewEvent,
    /// The release of the earliest event that has one, with that event's timestamp.
    first_release: Option<(i64, &'a str)>,
}

/// What the batch adds to one tag value of one issue.
struct TagDelta {
    times_seen: u64,
    first_seen_ms: i64,
    last_seen_ms: i64,
}

/// `FxHash`: the batch's maps are keyed by ids and short strings from our own caller, so
/// `HashDoS` resistance buys nothing and `SipHash` cost about 8% of ingest.
type Map<K, V> = HashMap<K, V, FxBuildHasher>;

struct Batch<'r, 'a, R: ?Sized> {
    rows: &'r mut R,
    now_ms: i64,
    /// Workflow state of the existing issues the batch touched.
    states: Map<IssueId, IssueState>,
    /// (project, release) -> first seen before this batch (`None`: new in this batch).
    releases: Map<(ProjectId, &'a str), Option<i64>>,
    /// (issue, hour) -> events.
    hours: Map<(IssueId, i64), u64>,
    /// project -> (events, stored bytes) inserted.
    usage: Map<ProjectId, (u64, u64)>,
    /// (project, hash) -> owning issue, for hashes looked up or recorded in this batch.
    owners: Map<(ProjectId, &'a str), IssueId>,
    issues: Map<IssueId, IssueDelta<'a>>,
    tags: Map<(IssueId, &'a str, &'a str), TagDelta>,
    /// Whether any user report waits for its event (then each event links them).
    orphan_reports: bool,
    /// State changes that may alert: (issue, trigger, causing event), in order.
    changes: Vec<(IssueId, Trigger, &'a NewEvent)>,
}

impl<'r, 'a, R: IngestRows + ?Sized> Batch<'r, 'a, R> {
    fn new(rows: &'r mut R, events: &[NewEvent], now_ms: i64) -> Result<Self> {
        let orphan_reports = rows.orphan_reports()?;
        let n = events.len();
        Ok(Self {
            rows,
            now_ms,
            states: HashMap::with_capacity_and_hasher(n, FxBuildHasher),
            releases: HashMap::with_hasher(FxBuildHasher),
            hours: HashMap::with_capacity_and_hasher(n, FxBuildHasher),
            usage: Map::default(),
            owners: HashMap::with_capacity_and_hasher(n * 2, FxBuildHasher),
            issues: HashMap::with_capacity_and_hasher(n, FxBuildHasher),
            tags: HashMap::with_capacity_and_hasher(
                events.iter().map(|e| e.tags.len()).sum(),
                FxBuildHasher,
            ),
            orphan_reports,
            changes: Vec::new(),
        })
    }

    /// Every issue the batch touched, in id order, with its state changes.
    fn touched(&self) -> Vec<Touched<'a>> {
        let mut touched: Vec<Touched<'a>> = self
            .issues
            .iter()
            .map(|(&issue, delta)| Touched {
                issue,
                project: delta.latest.project_id,
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
        let project = event.project_id;
        if let Some(issue) = self.rows.stored_event(project, event.event_id)? {
            return Ok(IngestResult {
                event_id: event.event_id,
                issue_id: issue,
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
            None => (
                self.rows.open_issue(event, self.now_ms)?,
                IngestKind::NewIssue,
            ),
        };
        for (hash, owner) in event.hashes.iter().zip(&owners) {
            if owner.is_none() && !self.owners.contains_key(&(project, hash.as_str())) {
                self.rows.claim_hash(project, hash, issue)?;
                self.owners.insert((project, hash), issue);
            }
        }
        self.rows.insert_event(event, issue, self.orphan_reports)?;
        let usage = self.usage.entry(project).or_default();
        usage.0 += 1;
        usage.1 += event.stored_bytes();
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
        match kind {
            IngestKind::NewIssue => self.changes.push((issue, Trigger::NewIssue, event)),
            IngestKind::Regression => self.changes.push((issue, Trigger::Regression, event)),
            IngestKind::Existing | IngestKind::Duplicate => {}
        }
        Ok(IngestResult {
            event_id: event.event_id,
            issue_id: issue,
            kind,
            alerts: 0,
        })
    }

    /// The issue owning `hash`, from the batch's cache or the database.
    fn owner(&mut self, project: ProjectId, hash: &'a str) -> Result<Option<IssueId>> {
        if let Some(&issue) = self.owners.get(&(project, hash)) {
            return Ok(Some(issue));
        }
        let owner = self.rows.hash_owner(project, hash)?;
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
        let key = (event.project_id, version);
        let first_seen = if let Some(&first_seen) = self.releases.get(&key) {
            first_seen
        } else {
            let first_seen = self.rows.release_first_seen(key.0, version)?;
            self.releases.insert(key, first_seen);
            first_seen
        };
        Ok(first_seen.map_or(EventRelease::New, EventRelease::FirstSeen))
    }

    /// An existing issue gets an event: a resolved issue regresses when the rules say so
    /// (the first such event of the batch reports the regression).
    fn touch(
        &mut self,
        issue: IssueId,
        event: &NewEvent,
        release: EventRelease,
    ) -> Result<IngestKind> {
        if !self.states.contains_key(&issue) {
            let state = self.rows.issue_state(issue)?;
            self.states.insert(issue, state);
        }
        let Some(state) = self.states.get_mut(&issue) else {
            return Ok(IngestKind::Existing);
        };
        if state.status != IssueStatus::Resolved {
            return Ok(IngestKind::Existing);
        }
        let details = StatusDetails {
            regress_from_release_ms: state.regress_from_release_ms,
            ..Default::default()
        };
        if !regresses(&details, release) {
            return Ok(IngestKind::Existing);
        }
        state.status = IssueStatus::Unresolved;
        let detail = event
            .release
            .as_deref()
            .map(|r| format!("in release {r}"))
            .unwrap_or_default();
        self.rows.regress(issue, &detail, self.now_ms)?;
        Ok(IngestKind::Regression)
    }

    fn add_to_issue(&mut self, issue: IssueId, event: &'a NewEvent) {
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

    /// Hands over the batch's tag counts in key order; user rows that did not exist are new
    /// users of their issue.
    fn flush_tags(&mut self) -> Result<()> {
        let mut rows: Vec<TagCount<'a>> = self
            .tags
            .iter()
            .map(|(&(issue, key, value), d)| TagCount {
                issue,
                key,
                value,
                times_seen: d.times_seen,
                first_seen_ms: d.first_seen_ms,
                last_seen_ms: d.last_seen_ms,
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.issue, r.key, r.value));
        let (users, others): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.key == USER_TAG);
        if !others.is_empty() {
            self.rows.add_tag_counts(&others)?;
        }
        if !users.is_empty() {
            for issue in self.rows.add_user_counts(&users)? {
                if let Some(delta) = self.issues.get_mut(&issue) {
                    delta.new_users += 1;
                }
            }
        }
        Ok(())
    }

    fn flush_issues(&mut self) -> Result<()> {
        let mut rows: Vec<IssueCount<'a>> = self
            .issues
            .iter()
            .map(|(&issue, d)| IssueCount {
                issue,
                times_seen: d.times_seen,
                new_users: d.new_users,
                first_seen_ms: d.first_seen_ms,
                latest: d.latest,
                first_release: d.first_release.map(|(_, r)| r),
            })
            .collect();
        rows.sort_unstable_by_key(|r| r.issue);
        self.rows.add_issue_counts(&rows)
    }

    fn flush_hours(&mut self) -> Result<()> {
        let mut rows: Vec<HourCountDelta> = self
            .hours
            .iter()
            .map(|(&(issue, hour_ms), &count)| HourCountDelta {
                issue,
                hour_ms,
                count,
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.issue, r.hour_ms));
        self.rows.add_hour_counts(&rows)
    }

    fn flush_usage(&mut self) -> Result<()> {
        let mut rows: Vec<UsageDelta> = self
            .usage
            .iter()
            .map(|(&project, &(events, stored_bytes))| UsageDelta {
                project,
                events,
                stored_bytes,
            })
            .collect();
        rows.sort_unstable_by_key(|r| r.project);
        self.rows.add_project_usage(&rows)
    }

    fn flush_releases(&mut self) -> Result<()> {
        let mut new: Vec<(ProjectId, &str)> = self
            .releases
            .iter()
            .filter(|(_, first_seen)| first_seen.is_none())
            .map(|(&key, _)| key)
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        new.sort_unstable();
        self.rows.record_releases(&new, self.now_ms)
    }

    /// Ignored issues of the batch whose conditions are now met come back (an alert
    /// trigger, with the batch's latest event of the issue).
    fn unignore_reached(&mut self) -> Result<()> {
        let mut ignored: Vec<(IssueId, IgnoreThresholds)> = self
            .states
            .iter()
            .filter_map(|(issue, state)| state.ignore.clone().map(|t| (*issue, t)))
            .collect();
        ignored.sort_unstable_by_key(|(issue, _)| *issue);
        for (issue, thresholds) in ignored {
            let (times_seen, user_count) = self.rows.issue_counters(issue)?;
            if let Some(why) = thresholds.reached(self.now_ms, times_seen, user_count) {
                self.rows.unignore(issue, why, self.now_ms)?;
                if let Some(delta) = self.issues.get(&issue) {
                    self.changes.push((issue, Trigger::Unignored, delta.latest));
                }
            }
        }
        Ok(())
    }
}
