//! Tests of the stats page: the chart, totals and reasons from the view model, the period
//! toggle, the classification of stored reasons, and escaping.

use super::*;

fn page() -> ProjectStatsPage {
    let buckets = StatsPeriod::Day.buckets();
    let counts = |at: &[(usize, u64)]| {
        let mut counts = vec![0; buckets];
        for (i, n) in at {
            counts[*i] = *n;
        }
        counts
    };
    let series = vec![
        OutcomeSeries {
            class: OutcomeClass::Accepted,
            counts: counts(&[(0, 5), (23, 7)]),
        },
        OutcomeSeries {
            class: OutcomeClass::Filtered,
            counts: counts(&[(23, 4)]),
        },
        OutcomeSeries {
            class: OutcomeClass::RateLimited,
            counts: counts(&[(10, 2)]),
        },
        OutcomeSeries {
            class: OutcomeClass::Invalid,
            counts: counts(&[]),
        },
        OutcomeSeries {
            class: OutcomeClass::ClientDiscarded,
            counts: counts(&[(3, 1)]),
        },
    ];
    ProjectStatsPage {
        layout: Layout {
            csrf: "tok".into(),
            user: Some("ann".into()),
            ..Layout::default()
        },
        slug: "backend".into(),
        name: "Backend".into(),
        period: StatsPeriod::Day,
        // 2026-11-21 00:00 UTC.
        start_secs: 1_795_219_200,
        series,
        reasons: vec![
            ReasonRow {
                label: "Filtered: release".into(),
                reason: "filtered:release-version".into(),
                class: OutcomeClass::Filtered,
                quantity: 4,
            },
            ReasonRow {
                label: "Quota exceeded".into(),
                reason: "quota_exceeded".into(),
                class: OutcomeClass::RateLimited,
                quantity: 2,
            },
        ],
    }
}

#[test]
fn the_chart_totals_and_reasons_show_the_counters() {
    let page = page();
    assert_eq!(page.total(), 19);
    assert_eq!(page.max(), 11);
    let html = page.render();
    for hook in [
        "<h1>Backend <span class=\"muted\">stats</span></h1>",
        "19 in the last 24 hours, per hour",
        "<span class=\"chart-max\" title=\"Most events in one hour\">11</span>",
        "<svg class=\"chart stacked\" role=\"img\"",
        "<title>Events per hour: 12 accepted, 4 filtered, 2 rate limited, 0 invalid, 1 client discarded; at most 11 in one hour</title>",
        "<title>2026-11-21 23:00 UTC: 7 accepted, 4 filtered, 0 rate limited, 0 invalid, 0 client discarded</title>",
        "<span class=\"chart-start\">2026-11-21 00:00 UTC</span>",
        "<span class=\"chart-end\">2026-11-21 23:00 UTC</span>",
        "<rect class=\"s-filtered\"",
        "<td class=\"num\">12</td>",
        "<th scope=\"row\">Filtered: release <code class=\"muted\">filtered:release-version</code></th><td data-label=\"Outcome\">filtered</td><td class=\"num\" data-label=\"Events\">4</td>",
        "<a href=\"/projects/backend/stats/?period=1d\" class=\"current\" aria-current=\"page\">1d</a>",
        "<a href=\"/projects/backend/stats/?period=30d\">30d</a>",
        "href=\"/projects/backend/settings/\"",
    ] {
        assert!(html.contains(hook), "missing {hook}: {html}");
    }
    assert_eq!(html.matches("<g class=\"bar\">").count(), 24);
    assert!(!html.contains("style="), "{html}");
}

#[test]
fn no_drops_says_so() {
    let mut page = page();
    page.reasons.clear();
    let html = page.render();
    assert!(
        html.contains("No event was dropped in the last 24 hours."),
        "{html}"
    );
}

#[test]
fn periods_and_reasons_are_classified() {
    assert_eq!(StatsPeriod::parse("30d"), StatsPeriod::Month);
    assert_eq!(StatsPeriod::parse("bogus"), StatsPeriod::Week);
    assert_eq!(StatsPeriod::Week.buckets(), 168);
    assert_eq!(StatsPeriod::Month.step_secs(), 86_400);
    for (reason, class) in [
        ("accepted", Some(OutcomeClass::Accepted)),
        ("filtered:web-crawlers", Some(OutcomeClass::Filtered)),
        ("rate_limited", Some(OutcomeClass::RateLimited)),
        ("quota_exceeded", Some(OutcomeClass::RateLimited)),
        ("too_large", Some(OutcomeClass::Invalid)),
        ("duplicate", Some(OutcomeClass::Invalid)),
        (
            "client_discard:sample_rate",
            Some(OutcomeClass::ClientDiscarded),
        ),
        ("not_stored", None),
    ] {
        assert_eq!(OutcomeClass::of(reason), class, "{reason}");
    }
}

#[test]
fn hostile_names_are_escaped() {
    let mut page = page();
    page.name = "<script>alert(1)</script>".into();
    page.slug = "\"><script>".into();
    page.reasons[0].label = "<img src=x onerror=alert(1)>".into();
    page.reasons[0].reason = "<b>".into();
    let html = page.render();
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
}
