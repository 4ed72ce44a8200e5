//! A project's stats page (`/projects/{slug}/stats/?period=1d|7d|30d`): the project's
//! event outcomes per hour (per day over 30 days) from the hourly outcome counters, in one
//! store call (`Store::outcome_series`), summed into the page's buckets by outcome class,
//! with every reason events were dropped (the inbound filters' by filter). Only the event
//! categories count (`error`, `default`, `security`: what the event quota counts too).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use errata_protocol::envelope::DataCategory;
use errata_store::{BUCKET_MS, OutcomeBucket, Scope, bucket_start};
use errata_web::{NavItem, OutcomeClass, OutcomeSeries, ProjectStatsPage, ReasonRow, StatsPeriod};
use rustc_hash::FxHashMap;
use serde::Deserialize;

use super::page::{UiError, layout, not_found, page};
use super::project::all_projects;
use crate::auth::Viewer;
use crate::filter::FilterReason;
use crate::state::AppState;

/// The data categories of events, as the counters name them.
const EVENT_CATEGORIES: [&str; 3] = [
    DataCategory::Error.as_str(),
    DataCategory::Default.as_str(),
    DataCategory::Security.as_str(),
];

/// The page's query.
#[derive(Debug, Deserialize)]
pub(super) struct StatsQuery {
    period: Option<String>,
}

/// `GET /projects/{slug}/stats/`.
pub(super) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<StatsQuery>,
) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectRead)?;
    let period = StatsPeriod::parse(query.period.as_deref().unwrap_or_default());
    let start_ms = period_start(period, crate::now_ms());
    let (project, series) = state
        .store_call(move |s| {
            let project = all_projects(&*s.store)?
                .into_iter()
                .find(|p| p.slug == slug)
                .ok_or_else(|| {
                    errata_store::StoreError::not_found(format_args!("project {slug:?}"))
                })?;
            let series = s.store.outcome_series(project.id, start_ms)?;
            Ok((project, series))
        })
        .await
        .map_err(|e| not_found(e, "project"))?;
    let (series, reasons) = summarize(period, start_ms, &series);
    let view = ProjectStatsPage {
        layout: layout(
            &viewer,
            &headers,
            &format!("{} stats", project.name),
            NavItem::Projects,
        ),
        slug: project.slug,
        name: project.name,
        period,
        start_secs: start_ms / 1000,
        series,
        reasons,
    };
    Ok(page(&headers, view.render()))
}

/// The start of the period's first bucket: `buckets - 1` hours (days) before the current
/// hour (UTC day).
fn period_start(period: StatsPeriod, now_ms: i64) -> i64 {
    let step_ms = period.step_secs() * 1000;
    let current = if step_ms == BUCKET_MS {
        bucket_start(now_ms)
    } else {
        now_ms.div_euclid(step_ms) * step_ms
    };
    let back = i64::try_from(period.buckets())
        .unwrap_or(0)
        .saturating_sub(1);
    current.saturating_sub(back.saturating_mul(step_ms))
}

/// Sums the hourly counters of event categories into one series per outcome class, and
/// the dropped ones into one row per reason (most first; ties by name).
fn summarize(
    period: StatsPeriod,
    start_ms: i64,
    buckets: &[OutcomeBucket],
) -> (Vec<OutcomeSeries>, Vec<ReasonRow>) {
    let step_ms = period.step_secs() * 1000;
    let mut series: Vec<OutcomeSeries> = OutcomeClass::ALL
        .into_iter()
        .map(|class| OutcomeSeries {
            class,
            counts: vec![0; period.buckets()],
        })
        .collect();
    let mut reasons: FxHashMap<&str, (OutcomeClass, u64)> = FxHashMap::default();
    for bucket in buckets {
        if !EVENT_CATEGORIES.contains(&bucket.category.as_str()) {
            continue;
        }
        let Some(class) = OutcomeClass::of(&bucket.reason) else {
            continue;
        };
        let Some(index) = usize::try_from((bucket.hour_ms - start_ms).div_euclid(step_ms))
            .ok()
            .filter(|i| *i < period.buckets())
        else {
            continue;
        };
        if let Some(s) = series.iter_mut().find(|s| s.class == class) {
            s.counts[index] = s.counts[index].saturating_add(bucket.quantity);
        }
        if class != OutcomeClass::Accepted {
            let entry = reasons.entry(&bucket.reason).or_insert((class, 0));
            entry.1 = entry.1.saturating_add(bucket.quantity);
        }
    }
    let mut rows: Vec<ReasonRow> = reasons
        .into_iter()
        .map(|(reason, (class, quantity))| ReasonRow {
            label: reason_label(reason),
            reason: reason.to_owned(),
            class,
            quantity,
        })
        .collect();
    rows.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(a.reason.cmp(&b.reason)));
    (series, rows)
}

/// What the page calls a stored reason.
fn reason_label(reason: &str) -> String {
    if let Some(filter) = FilterReason::parse(reason) {
        return filter.label().to_owned();
    }
    if let Some(discard) = reason.strip_prefix("client_discard:") {
        return format!("Dropped by the SDK: {}", discard.replace('_', " "));
    }
    match reason {
        "rate_limited" => "Rate limit".to_owned(),
        "quota_exceeded" => "Event quota used up".to_owned(),
        "overloaded" => "Server overloaded".to_owned(),
        "invalid" => "Unreadable event".to_owned(),
        "too_large" => "Too large".to_owned(),
        "duplicate" => "Duplicate event id".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(hour_ms: i64, category: &str, reason: &str, quantity: u64) -> OutcomeBucket {
        OutcomeBucket {
            hour_ms,
            category: category.into(),
            reason: reason.into(),
            quantity,
        }
    }

    #[test]
    fn periods_end_with_the_current_hour_or_day() {
        let now = 1_795_288_794_210; // 2026-11-21 19:19:54 UTC
        let hour = 3_600_000;
        assert_eq!(
            period_start(StatsPeriod::Day, now),
            bucket_start(now) - 23 * hour
        );
        assert_eq!(
            period_start(StatsPeriod::Week, now),
            bucket_start(now) - 167 * hour
        );
        let day = 86_400_000;
        assert_eq!(
            period_start(StatsPeriod::Month, now),
            now / day * day - 29 * day
        );
    }

    #[test]
    fn counters_are_summed_by_class_bucket_and_reason() {
        let hour = 3_600_000;
        let start = 1_795_219_200_000;
        let (series, reasons) = summarize(
            StatsPeriod::Day,
            start,
            &[
                bucket(start, "error", "accepted", 3),
                bucket(start, "default", "accepted", 2),
                bucket(start, "error", "filtered:release-version", 4),
                bucket(start + hour, "error", "filtered:release-version", 1),
                bucket(start + hour, "error", "quota_exceeded", 2),
                bucket(start + hour, "transaction", "rate_limited", 99),
                bucket(start + hour, "error", "not_stored", 99),
                bucket(start + 2 * hour, "error", "client_discard:sample_rate", 6),
                bucket(start - hour, "error", "accepted", 99),
                bucket(start + 24 * hour, "error", "accepted", 99),
            ],
        );
        let of = |class| {
            series
                .iter()
                .find(|s| s.class == class)
                .map(|s| s.counts.clone())
                .unwrap()
        };
        assert_eq!(of(OutcomeClass::Accepted)[..3], [5, 0, 0]);
        assert_eq!(of(OutcomeClass::Filtered)[..3], [4, 1, 0]);
        assert_eq!(of(OutcomeClass::RateLimited)[..3], [0, 2, 0]);
        assert_eq!(of(OutcomeClass::ClientDiscarded)[..3], [0, 0, 6]);
        assert_eq!(series.iter().map(OutcomeSeries::total).sum::<u64>(), 18);
        let rows: Vec<(&str, &str, u64)> = reasons
            .iter()
            .map(|r| (r.label.as_str(), r.reason.as_str(), r.quantity))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "Dropped by the SDK: sample rate",
                    "client_discard:sample_rate",
                    6
                ),
                ("Filtered: release", "filtered:release-version", 5),
                ("Event quota used up", "quota_exceeded", 2),
            ]
        );
    }
}
