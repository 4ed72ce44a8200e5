//! A project's outcome counters: `GET /api/0/projects/{org}/{project}/outcomes/`, how
//! many items of each data category were accepted or dropped, and why, over a period
//! (`?statsPeriod=24h` by default, Sentry's syntax: `90s`, `30m`, `24h`, `14d`, `2w`).
//!
//! Errata's own path: Sentry's `stats_v2` is an organization-wide time-series query
//! language; this answers totals per category and reason, which is what the counters
//! hold (hour buckets), and with `?interval=1h` also each hour's counters (`intervals`,
//! e.g. the inbound filters' `filtered:<reason>` drops hour by hour). Counts still in
//! memory (not yet written by the writer, at most a moment old) are not included.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use errata_store::{OutcomeBucket, OutcomeCount, bucket_start};
use serde::Serialize;

use errata_store::Scope;

use super::date::iso8601;
use super::pagination::query_value;
use super::{ApiError, blocking, project};
use crate::auth::Viewer;
use crate::state::AppState;

/// The default period.
const DEFAULT_PERIOD: &str = "24h";

/// The totals of a project since `start`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutcomesView {
    /// The start of the first hour counted.
    start: String,
    stats_period: String,
    outcomes: Vec<OutcomeView>,
    /// With `?interval=1h`: every hour's counters, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    intervals: Option<Vec<IntervalView>>,
}

/// One counter in one hour.
#[derive(Debug, Serialize)]
pub(super) struct IntervalView {
    /// The start of the hour.
    start: String,
    category: String,
    reason: String,
    quantity: u64,
}

/// One counter.
#[derive(Debug, Serialize)]
pub(super) struct OutcomeView {
    category: String,
    reason: String,
    quantity: u64,
}

impl OutcomeView {
    fn new(count: &OutcomeCount) -> Self {
        Self {
            category: count.category.clone(),
            reason: count.reason.clone(),
            quantity: count.quantity,
        }
    }
}

impl IntervalView {
    fn new(bucket: &OutcomeBucket) -> Self {
        Self {
            start: iso8601(bucket.hour_ms),
            category: bucket.category.clone(),
            reason: bucket.reason.clone(),
            quantity: bucket.quantity,
        }
    }
}

/// Sentry's period syntax in milliseconds.
fn period_ms(text: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "statsPeriod must be a number and a unit (s, m, h, d, w), such as 24h, not {text:?}"
        ))
    };
    let unit_at = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(unit_at);
    let number: i64 = number.parse().map_err(|_| bad())?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => return Err(bad()),
    };
    number.checked_mul(unit_ms).ok_or_else(bad)
}

/// `GET /api/0/projects/{org}/{project}/outcomes/` (`?statsPeriod=`, `?interval=1h`).
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<OutcomesView>, ApiError> {
    viewer.require_any(&[Scope::OrgRead, Scope::ProjectRead])?;
    let (_, project) = project::resolve(&state, &params).await?;
    let period = query_value(&pairs, "statsPeriod").unwrap_or(DEFAULT_PERIOD);
    let since = bucket_start(crate::now_ms().saturating_sub(period_ms(period)?));
    let hourly = match query_value(&pairs, "interval") {
        None => false,
        Some("1h") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "interval must be 1h (the counters' hour), not {other:?}"
            )));
        }
    };
    let (counts, series) = blocking(&state, move |store| {
        let counts = store.outcomes(project.id, since)?;
        let series = if hourly {
            Some(store.outcome_series(project.id, since)?)
        } else {
            None
        };
        Ok((counts, series))
    })
    .await?;
    Ok(Json(OutcomesView {
        start: iso8601(since),
        stats_period: period.to_owned(),
        outcomes: counts.iter().map(OutcomeView::new).collect(),
        intervals: series.map(|series| series.iter().map(IntervalView::new).collect()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(period_ms("24h").unwrap(), 86_400_000);
        assert_eq!(period_ms("90s").unwrap(), 90_000);
        assert_eq!(period_ms("2w").unwrap(), 1_209_600_000);
        for bad in ["", "h", "24", "24y", "-1h", "99999999999999999999d"] {
            assert!(period_ms(bad).is_err(), "{bad}");
        }
    }
}
