//! Retention: which stored events go when a limit bites, written once for every backend.
//!
//! Three limits are enforced in the background by the server (`errata-server`'s
//! `retention` task): a maximum event age (everything older goes), a maximum number of
//! stored events per project, and a disk budget for the whole installation. The age limit
//! is a plain cut. The other two free room by *thinning*, in tiers, so that what is kept
//! is what matters most:
//!
//! 1. [`Tier::Thin`]: walking from the oldest events forward, every event that is neither
//!    the first nor the latest event of its issue nor the first of its issue in its hour
//!    goes. What is left behind the walk is a spread over time: one event per issue per
//!    hour, and the first and latest of every issue; the newest events stay whole.
//! 2. [`Tier::Samples`]: once the walk reached the newest event and room is still needed,
//!    those hourly samples go, oldest first; the first and latest event of every issue
//!    stay.
//! 3. [`Tier::Firsts`]: then the first events of issues, oldest first; the latest event of
//!    every issue stays.
//! 4. [`Tier::Any`]: and finally anything, oldest first.
//!
//! A backend answers [`crate::Store::retention_candidates`] (a window of events in id
//! order with whether each is its issue's first or latest) and
//! [`crate::Store::delete_events`]; [`choose`] is the pure decision, and [`Thinner`] the
//! walk that drives them. An issue whose events are all gone keeps its counts, its first
//! and last seen and its metadata: only event rows (with their attachments) are deleted.

use crate::error::Result;
use crate::id::{IssueId, ProjectId};
use crate::store::Store;

/// How many events one [`crate::Store::delete_events`] call deletes at most: one short
/// write transaction, so the ingest writer never waits long behind retention.
pub const DELETE_BATCH: usize = 250;

/// How many candidates one window holds.
pub const WINDOW: usize = 2_000;

/// Milliseconds in the thinning tier's bucket: one event per issue per hour is kept.
pub const SAMPLE_BUCKET_MS: i64 = 3_600_000;

/// What a project stores, kept by ingest and retention (no scan of the events table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectUsage {
    pub project_id: ProjectId,
    /// Events stored.
    pub events: u64,
    /// Their stored (compressed) payload bytes plus their attachments' bytes.
    pub stored_bytes: u64,
    /// When its oldest stored event arrived (`None`: no event stored).
    pub oldest_received_ms: Option<i64>,
}

/// The room a store takes, measured cheaply enough to check every few seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    /// What the database's files occupy on disk (`SQLite`: the database file and its WAL;
    /// `PostgreSQL`: `pg_database_size`).
    pub disk_bytes: u64,
    /// The part of it holding data: what a disk budget is checked against (`SQLite`: the
    /// pages in use plus the WAL, free pages excluded, since incremental vacuum gives them
    /// back; `PostgreSQL`: the database size less the events table's free space, estimated,
    /// since `PostgreSQL` reuses freed space rather than returning it).
    pub live_bytes: u64,
}

/// What to delete from: the whole installation (the disk budget) or one project (its
/// event count limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetentionScope {
    All,
    Project(ProjectId),
}

/// One stored event as retention sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionCandidate {
    /// The event's row id (ascending with arrival).
    pub row_id: i64,
    pub issue_id: IssueId,
    pub received_ms: i64,
    /// Its stored payload bytes (attachments not included).
    pub stored_bytes: u64,
    /// No older event of its issue is stored.
    pub first_of_issue: bool,
    /// No newer event of its issue is stored.
    pub latest_of_issue: bool,
}

/// What a deletion removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deleted {
    pub events: u64,
    /// Stored payload and attachment bytes removed.
    pub stored_bytes: u64,
}

impl Deleted {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: Deleted) {
        self.events += other.events;
        self.stored_bytes += other.stored_bytes;
    }
}

/// The thinning tiers, in the order they are tried (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Thin,
    Samples,
    Firsts,
    Any,
}

impl Tier {
    /// The next tier, if any.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Thin => Some(Tier::Samples),
            Tier::Samples => Some(Tier::Firsts),
            Tier::Firsts => Some(Tier::Any),
            Tier::Any => None,
        }
    }

    /// The name used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Thin => "thin",
            Tier::Samples => "samples",
            Tier::Firsts => "firsts",
            Tier::Any => "any",
        }
    }
}

/// How much room is wanted: events, or bytes of stored payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Events(u64),
    Bytes(u64),
}

impl Want {
    fn met_by(self, deleted: Deleted) -> bool {
        match self {
            Want::Events(n) => deleted.events >= n,
            Want::Bytes(n) => deleted.stored_bytes >= n,
        }
    }
}

/// The hour bucket of the latest event the thinning walk looked at, per issue: an event in
/// the same bucket is not its hour's sample.
pub type SampledHours = rustc_hash::FxHashMap<IssueId, i64>;

/// The row ids of `window` (in id order) that `tier` deletes, in id order, stopping once
/// `want` is met by the candidates chosen (`already` is what earlier windows freed).
/// `sampled` carries the thinning walk's hour buckets from one window to the next.
pub fn choose(
    window: &[RetentionCandidate],
    tier: Tier,
    want: Want,
    already: Deleted,
    sampled: &mut SampledHours,
) -> Vec<i64> {
    let mut chosen = Vec::new();
    let mut freed = already;
    for c in window {
        if want.met_by(freed) {
            break;
        }
        let keep = match tier {
            Tier::Thin => {
                let hour = c.received_ms.div_euclid(SAMPLE_BUCKET_MS);
                let first_in_hour = sampled.insert(c.issue_id, hour) != Some(hour);
                c.first_of_issue || c.latest_of_issue || first_in_hour
            }
            Tier::Samples => c.first_of_issue || c.latest_of_issue,
            Tier::Firsts => c.latest_of_issue,
            Tier::Any => false,
        };
        if !keep {
            chosen.push(c.row_id);
            freed.add(Deleted {
                events: 1,
                stored_bytes: c.stored_bytes,
            });
        }
    }
    chosen
}

/// The walk of one scope through the tiers. It remembers how far [`Tier::Thin`] got (the
/// events behind that point are already thinned), so every pass continues where the last
/// one stopped instead of reading the thinned part again; kept by the caller between
/// passes (in memory: after a restart the first pass walks the thinned part once).
#[derive(Debug, Clone, Default)]
pub struct Thinner {
    /// The row id the thinning walk reached.
    thinned_to: i64,
    /// The walk's hour bucket per issue (bounded: cleared past [`MAX_SAMPLED_ISSUES`]).
    sampled: SampledHours,
}

/// Issues whose hour bucket the walk remembers at most; past it the map starts over (at
/// worst one more sample is kept per issue).
pub const MAX_SAMPLED_ISSUES: usize = 100_000;

impl Thinner {
    /// How far the thinning walk got (row id).
    pub fn thinned_to(&self) -> i64 {
        self.thinned_to
    }

    /// Deletes events of `scope` until `want` is met or nothing is left to delete, tier by
    /// tier, at most [`DELETE_BATCH`] events per store call; `pause` runs between calls
    /// (the server sleeps there so ingest's writer gets the lock). Returns what was deleted
    /// and the last tier used.
    pub fn free(
        &mut self,
        store: &dyn Store,
        scope: RetentionScope,
        want: Want,
        pause: impl FnMut(),
    ) -> Result<(Deleted, Tier)> {
        self.free_up_to(store, scope, want, Tier::Any, pause)
    }

    /// [`Thinner::free`], going no further than `last` tier.
    pub fn free_up_to(
        &mut self,
        store: &dyn Store,
        scope: RetentionScope,
        want: Want,
        last: Tier,
        mut pause: impl FnMut(),
    ) -> Result<(Deleted, Tier)> {
        let mut deleted = Deleted::default();
        let mut tier = Tier::Thin;
        // Where the current tier's walk is (the thinning tier resumes where it stopped).
        let mut after = self.thinned_to;
        loop {
            if want.met_by(deleted) {
                return Ok((deleted, tier));
            }
            let window = store.retention_candidates(scope, after, WINDOW)?;
            let Some(last_id) = window.last().map(|c| c.row_id) else {
                // The walk reached the newest event: the next tier starts from the oldest.
                match tier.next().filter(|next| *next <= last) {
                    Some(next) => {
                        tier = next;
                        after = 0;
                        continue;
                    }
                    None => return Ok((deleted, tier)),
                }
            };
            if self.sampled.len() > MAX_SAMPLED_ISSUES {
                self.sampled.clear();
            }
            let mut scratch = SampledHours::default();
            let sampled = if tier == Tier::Thin {
                &mut self.sampled
            } else {
                &mut scratch
            };
            let chosen = choose(&window, tier, want, deleted, sampled);
            // Past the window, or (when `want` is met inside it) up to the last event
            // chosen, so the rest of the window is looked at again next time.
            after = if want.met_by(deleted_after(&window, &chosen, deleted)) {
                chosen.last().copied().unwrap_or(last_id)
            } else {
                last_id
            };
            if tier == Tier::Thin {
                self.thinned_to = after;
            }
            for ids in chosen.chunks(DELETE_BATCH) {
                deleted.add(store.delete_events(ids)?);
                pause();
            }
        }
    }
}

/// What `deleted` becomes once the `chosen` events of `window` are deleted.
fn deleted_after(window: &[RetentionCandidate], chosen: &[i64], deleted: Deleted) -> Deleted {
    let mut after = deleted;
    for c in window
        .iter()
        .filter(|c| chosen.binary_search(&c.row_id).is_ok())
    {
        after.add(Deleted {
            events: 1,
            stored_bytes: c.stored_bytes,
        });
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(row_id: i64, issue: i64, hour: i64, first: bool, latest: bool) -> RetentionCandidate {
        RetentionCandidate {
            row_id,
            issue_id: IssueId(issue),
            received_ms: hour * SAMPLE_BUCKET_MS + row_id,
            stored_bytes: 100,
            first_of_issue: first,
            latest_of_issue: latest,
        }
    }

    fn window() -> Vec<RetentionCandidate> {
        vec![
            c(1, 1, 0, true, false),  // issue 1's first
            c(2, 1, 0, false, false), // same hour as 1
            c(3, 2, 0, true, false),  // issue 2's first
            c(4, 1, 1, false, false), // issue 1's sample of hour 1
            c(5, 1, 1, false, false), // same hour
            c(6, 2, 1, false, false), // issue 2's sample of hour 1
            c(7, 2, 1, false, true),  // issue 2's latest
            c(8, 1, 1, false, true),  // issue 1's latest
        ]
    }

    #[test]
    fn thinning_keeps_firsts_latests_and_one_per_issue_and_hour() {
        let none = Deleted::default();
        // Event 2 is the second of issue 1's hour 0 (event 1 being its first, kept as
        // such, also counts as the hour's sample); 5 the second of its hour 1.
        assert_eq!(
            choose(
                &window(),
                Tier::Thin,
                Want::Events(100),
                none,
                &mut SampledHours::default()
            ),
            vec![2, 5]
        );
        assert_eq!(
            choose(
                &window(),
                Tier::Samples,
                Want::Events(100),
                none,
                &mut SampledHours::default()
            ),
            vec![2, 4, 5, 6]
        );
        assert_eq!(
            choose(
                &window(),
                Tier::Firsts,
                Want::Events(100),
                none,
                &mut SampledHours::default()
            ),
            vec![1, 2, 3, 4, 5, 6]
        );
        assert_eq!(
            choose(
                &window(),
                Tier::Any,
                Want::Events(100),
                none,
                &mut SampledHours::default()
            )
            .len(),
            8
        );
    }

    #[test]
    fn choosing_stops_when_enough_is_freed() {
        let none = Deleted::default();
        assert_eq!(
            choose(
                &window(),
                Tier::Samples,
                Want::Events(2),
                none,
                &mut SampledHours::default()
            ),
            vec![2, 4]
        );
        assert_eq!(
            choose(
                &window(),
                Tier::Samples,
                Want::Bytes(150),
                none,
                &mut SampledHours::default()
            ),
            vec![2, 4]
        );
        let already = Deleted {
            events: 1,
            stored_bytes: 100,
        };
        assert_eq!(
            choose(
                &window(),
                Tier::Samples,
                Want::Events(2),
                already,
                &mut SampledHours::default()
            ),
            vec![2]
        );
        assert!(
            choose(
                &window(),
                Tier::Any,
                Want::Events(0),
                none,
                &mut SampledHours::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn tiers_go_in_order() {
        let mut tier = Tier::Thin;
        let mut seen = vec![tier.as_str()];
        while let Some(next) = tier.next() {
            assert!(next > tier);
            tier = next;
            seen.push(tier.as_str());
        }
        assert_eq!(seen, ["thin", "samples", "firsts", "any"]);
    }
}
