//! Events over time for charts and sparklines: the store keeps hourly counts per issue;
//! the view's [`Period`] (24 hourly or 14 daily buckets) says how to add them up into
//! buckets that end now.

use std::collections::HashMap;

use errata_store::{HourCount, IssueId, hour_start};
use errata_web::issue_detail::Period;

const DAY_MS: i64 = 24 * 3_600_000;

/// The first bucket's start (Unix ms): the last bucket holds `now_ms`.
pub(crate) fn start_ms(period: Period, now_ms: i64) -> i64 {
    let last = match period {
        Period::Day => hour_start(now_ms),
        Period::TwoWeeks => now_ms.div_euclid(DAY_MS) * DAY_MS,
    };
    let buckets = i64::try_from(period.buckets()).unwrap_or(i64::MAX);
    last - (buckets - 1) * period.step_secs() * 1000
}

/// Each issue's counts per bucket (issues without events get zeros).
pub(crate) fn bucket(
    period: Period,
    ids: &[IssueId],
    counts: &[HourCount],
    now_ms: i64,
) -> HashMap<IssueId, Vec<u64>> {
    let start = start_ms(period, now_ms);
    let step = period.step_secs() * 1000;
    let mut out: HashMap<IssueId, Vec<u64>> = ids
        .iter()
        .map(|id| (*id, vec![0; period.buckets()]))
        .collect();
    for c in counts.iter().filter(|c| c.hour_ms >= start) {
        let index = usize::try_from((c.hour_ms - start) / step).unwrap_or(usize::MAX);
        if let Some(slot) = out
            .get_mut(&c.issue_id)
            .and_then(|buckets| buckets.get_mut(index))
        {
            *slot = slot.saturating_add(c.count);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: i64 = 3_600_000;

    #[test]
    fn hours_fall_into_their_buckets() {
        let now = 100 * DAY_MS + 5 * HOUR_MS + 30 * 60_000;
        let id = IssueId(1);
        let at = |hours_ago: i64, count| HourCount {
            issue_id: id,
            hour_ms: hour_start(now) - hours_ago * HOUR_MS,
            count,
        };
        let counts = [at(0, 3), at(1, 2), at(23, 1), at(24, 9), at(30, 4)];
        let day = bucket(Period::Day, &[id, IssueId(2)], &counts, now);
        assert_eq!(day[&id].len(), 24);
        assert_eq!((day[&id][23], day[&id][22], day[&id][0]), (3, 2, 1));
        assert_eq!(day[&id].iter().sum::<u64>(), 6, "older than 24 h left out");
        assert_eq!(day[&IssueId(2)], vec![0; 24]);
        let weeks = bucket(Period::TwoWeeks, &[id], &counts, now);
        assert_eq!(weeks[&id].len(), 14);
        assert_eq!(weeks[&id].iter().sum::<u64>(), 19);
        assert_eq!(weeks[&id][13], 5, "today: the last 5 hours");
    }
}
