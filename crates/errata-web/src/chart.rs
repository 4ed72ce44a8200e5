//! Server-side SVG charts: the issue page's events-over-time bar chart and the stats
//! page's stacked bars of outcomes ([`stacked_bar_chart`]; the issue list's sparkline is
//! in `sparkline.rs`). Only numbers go in (counts, a start time and a bucket length), so
//! the markup that comes out holds no outside text and is safe to embed with `|safe`.
//! Styling is by class and presentation attributes (`fill`), as the CSP forbids `style`.
//! The picture stretches to its box (`preserveAspectRatio="none"`), so it holds no text:
//! the axis labels ([`bucket_label`], the largest count) are the page's own HTML.

use std::fmt::Write as _;

use crate::event_view::moment::civil;

/// Drawing width of the bar chart, in SVG units (CSS scales the whole picture).
const CHART_WIDTH: f64 = 720.0;
/// Height of the bar area.
const PLOT_HEIGHT: f64 = 120.0;
/// Room above the tallest bar.
const TOP: f64 = 2.0;

/// The events-over-time chart: one bar per bucket of `counts`, the first starting at
/// `start_secs` (Unix seconds), each `step_secs` long (3600 for 24 hours, 86400 for 14
/// days). Every bar carries a `<title>` with its count and time.
pub fn bar_chart(counts: &[u64], start_secs: i64, step_secs: i64) -> String {
    let total = counts.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let max = counts.iter().copied().max().unwrap_or(0);
    let unit = if step_secs >= 86_400 { "day" } else { "hour" };
    let height = TOP + PLOT_HEIGHT;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {CHART_WIDTH} {height}\" width=\"100%\" height=\"80\" \
         preserveAspectRatio=\"none\">\
         <title>Events over time: {total} in all, at most {max} per {unit}</title>"
    );
    let _ = write!(
        svg,
        "<line class=\"chart-axis\" x1=\"0\" y1=\"{height}\" x2=\"{CHART_WIDTH}\" y2=\"{height}\" \
         stroke=\"currentColor\" stroke-width=\"1\" vector-effect=\"non-scaling-stroke\"/>",
    );
    if counts.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let slot = CHART_WIDTH / counts.len() as f64;
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    for (i, count) in counts.iter().enumerate() {
        let x = i as f64 * slot;
        let h = if max == 0 {
            0.0
        } else {
            (*count as f64 / max as f64 * PLOT_HEIGHT).max(if *count > 0 { 1.0 } else { 0.0 })
        };
        let when = bucket_label(start_secs, step_secs, i);
        let noun = if *count == 1 { "event" } else { "events" };
        let _ = write!(
            svg,
            "<g class=\"bar\"><title>{count} {noun}, {when}</title>\
             <rect x=\"{x:.2}\" y=\"{TOP}\" width=\"{w:.2}\" height=\"{PLOT_HEIGHT}\" fill=\"transparent\"/>\
             <rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" fill=\"currentColor\"/></g>",
            w = slot - gap,
            y = TOP + PLOT_HEIGHT - h,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One stacked series: its CSS class (which gives its fill, light or dark, from the
/// stylesheet's custom properties), its name in the titles, and a count per bucket.
#[derive(Debug, Clone, Copy)]
pub struct Stack<'a> {
    pub class: &'static str,
    pub label: &'static str,
    pub counts: &'a [u64],
}

/// Stacked bars: one bar per bucket, each series' count stacked in `series` order from
/// the bottom, the tallest bar filling the plot. Every bar carries a `<title>` with its
/// time and each series' count (for pointers and screen readers); the picture's own
/// `<title>` gives the totals. Buckets are the longest series' length.
pub fn stacked_bar_chart(series: &[Stack<'_>], start_secs: i64, step_secs: i64) -> String {
    let buckets = series.iter().map(|s| s.counts.len()).max().unwrap_or(0);
    let count = |s: &Stack<'_>, i: usize| s.counts.get(i).copied().unwrap_or(0);
    let bucket_total = |i: usize| {
        series
            .iter()
            .fold(0u64, |sum, s| sum.saturating_add(count(s, i)))
    };
    let max = (0..buckets).map(bucket_total).max().unwrap_or(0);
    let unit = if step_secs >= 86_400 { "day" } else { "hour" };
    let height = TOP + PLOT_HEIGHT;
    let totals: Vec<String> = series
        .iter()
        .map(|s| {
            let total = s.counts.iter().fold(0u64, |a, b| a.saturating_add(*b));
            format!("{total} {}", s.label)
        })
        .collect();
    let mut svg = format!(
        "<svg class=\"chart stacked\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {CHART_WIDTH} {height}\" width=\"100%\" height=\"160\" \
         preserveAspectRatio=\"none\">\
         <title>Events per {unit}: {}; at most {max} in one {unit}</title>",
        totals.join(", ")
    );
    let _ = write!(
        svg,
        "<line class=\"chart-axis\" x1=\"0\" y1=\"{height}\" x2=\"{CHART_WIDTH}\" y2=\"{height}\" \
         stroke=\"currentColor\" stroke-width=\"1\" vector-effect=\"non-scaling-stroke\"/>",
    );
    if buckets == 0 {
        svg.push_str("</svg>");
        return svg;
    }
    let slot = CHART_WIDTH / buckets as f64;
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    let w = slot - gap;
    for i in 0..buckets {
        let x = i as f64 * slot;
        let when = bucket_label(start_secs, step_secs, i);
        let parts: Vec<String> = series
            .iter()
            .map(|s| format!("{} {}", count(s, i), s.label))
            .collect();
        let _ = write!(
            svg,
            "<g class=\"bar\"><title>{when}: {}</title>\
             <rect x=\"{x:.2}\" y=\"{TOP}\" width=\"{w:.2}\" height=\"{PLOT_HEIGHT}\" fill=\"transparent\"/>",
            parts.join(", ")
        );
        // Heights from the running sum, so rounding never makes a stack taller than its
        // total; a non-zero count stays at least half a unit tall.
        let mut below = 0u64;
        let mut y_bottom = TOP + PLOT_HEIGHT;
        for s in series {
            let n = count(s, i);
            if n == 0 {
                continue;
            }
            below = below.saturating_add(n);
            let top = TOP + PLOT_HEIGHT - below as f64 / max as f64 * PLOT_HEIGHT;
            let top = top.min(y_bottom - 0.5).max(TOP);
            let _ = write!(
                svg,
                "<rect class=\"{}\" x=\"{x:.2}\" y=\"{top:.2}\" width=\"{w:.2}\" height=\"{h:.2}\"/>",
                s.class,
                h = y_bottom - top,
            );
            y_bottom = top;
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// The start of bucket `index` as the axis labels it: a date for daily buckets, a date
/// and hour (UTC) for hourly ones.
pub fn bucket_label(start_secs: i64, step_secs: i64, index: usize) -> String {
    let at = start_secs
        .saturating_add(step_secs.saturating_mul(i64::try_from(index).unwrap_or(i64::MAX)));
    let (date, clock) = civil(at);
    if step_secs >= 86_400 {
        date
    } else {
        format!("{date} {} UTC", &clock[..5])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(svg: &str, needle: &str) -> usize {
        svg.matches(needle).count()
    }

    #[test]
    fn one_bar_per_bucket_with_titles() {
        let svg = bar_chart(&[0, 3, 1], 1_795_287_600, 3_600);
        assert!(
            svg.starts_with("<svg class=\"chart\" role=\"img\""),
            "{svg}"
        );
        assert_eq!(count(&svg, "<g class=\"bar\">"), 3);
        assert!(
            svg.contains("<title>3 events, 2026-11-21 20:00 UTC</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("<title>1 event, 2026-11-21 21:00 UTC</title>"),
            "{svg}"
        );
        assert!(!svg.contains("<text"), "labels are HTML: {svg}");
        assert_eq!(
            bucket_label(1_795_287_600, 3_600, 2),
            "2026-11-21 21:00 UTC"
        );
        assert!(svg.contains("4 in all, at most 3 per hour"), "{svg}");
        assert!(svg.ends_with("</svg>"));
        // The tallest bar fills the plot; a small one is still visible.
        assert!(svg.contains("height=\"120.00\""), "{svg}");
        assert!(svg.contains("height=\"40.00\""), "{svg}");
    }

    #[test]
    fn daily_buckets_are_labelled_by_date() {
        let svg = bar_chart(&[1; 14], 1_795_219_200, 86_400);
        assert_eq!(count(&svg, "<g class=\"bar\">"), 14);
        assert!(svg.contains("1 event, 2026-11-21</title>"), "{svg}");
        assert!(svg.contains("per day"));
    }

    #[test]
    fn stacked_bars_stack_each_series_with_titles() {
        let accepted = [2, 0, 6];
        let filtered = [1, 0, 0];
        let invalid = [1, 0, 0];
        let series = [
            Stack {
                class: "s-accepted",
                label: "accepted",
                counts: &accepted,
            },
            Stack {
                class: "s-filtered",
                label: "filtered",
                counts: &filtered,
            },
            Stack {
                class: "s-invalid",
                label: "invalid",
                counts: &invalid,
            },
        ];
        let svg = stacked_bar_chart(&series, 1_795_287_600, 3_600);
        assert!(
            svg.starts_with("<svg class=\"chart stacked\" role=\"img\""),
            "{svg}"
        );
        assert!(
            svg.contains("<title>Events per hour: 8 accepted, 1 filtered, 1 invalid; at most 6 in one hour</title>"),
            "{svg}"
        );
        assert_eq!(count(&svg, "<g class=\"bar\">"), 3);
        assert!(
            svg.contains("<title>2026-11-21 19:00 UTC: 2 accepted, 1 filtered, 1 invalid</title>"),
            "{svg}"
        );
        // The first bar: 2 + 1 + 1 of a maximum of 6, stacked from the bottom (y 122).
        assert!(
            svg.contains(
                "class=\"s-accepted\" x=\"0.00\" y=\"82.00\" width=\"239.00\" height=\"40.00\""
            ),
            "{svg}"
        );
        assert!(
            svg.contains(
                "class=\"s-filtered\" x=\"0.00\" y=\"62.00\" width=\"239.00\" height=\"20.00\""
            ),
            "{svg}"
        );
        assert!(
            svg.contains(
                "class=\"s-invalid\" x=\"0.00\" y=\"42.00\" width=\"239.00\" height=\"20.00\""
            ),
            "{svg}"
        );
        // The tallest bar fills the plot; an empty bucket draws no series.
        assert!(
            svg.contains("class=\"s-accepted\" x=\"480.00\" y=\"2.00\""),
            "{svg}"
        );
        assert_eq!(count(&svg, "<rect class="), 4);
        assert!(!svg.contains("style") && !svg.contains("<text"), "{svg}");
    }

    #[test]
    fn stacked_bars_survive_zero_empty_and_huge() {
        let zero = [0u64; 24];
        let svg = stacked_bar_chart(
            &[Stack {
                class: "s-accepted",
                label: "accepted",
                counts: &zero,
            }],
            0,
            3_600,
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert_eq!(count(&svg, "<g class=\"bar\">"), 24);
        let empty = stacked_bar_chart(&[], 0, 86_400);
        assert!(empty.contains("at most 0 in one day") && empty.ends_with("</svg>"));
        let huge = [u64::MAX, 1];
        let one = [1u64, u64::MAX];
        let svg = stacked_bar_chart(
            &[
                Stack {
                    class: "a",
                    label: "a",
                    counts: &huge,
                },
                Stack {
                    class: "b",
                    label: "b",
                    counts: &one,
                },
            ],
            0,
            3_600,
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert!(svg.contains(&format!("{} a", u64::MAX)), "{svg}");
        // A count of 1 next to a huge one stays visible (half a unit).
        assert!(svg.contains("height=\"0.50\""), "{svg}");
    }

    #[test]
    fn all_zero_empty_and_huge_do_not_break() {
        let zero = bar_chart(&[0; 24], 0, 3_600);
        assert!(!zero.contains("NaN") && !zero.contains("inf"), "{zero}");
        assert_eq!(count(&zero, "<g class=\"bar\">"), 24);
        let empty = bar_chart(&[], 0, 3_600);
        assert!(
            empty.contains("0 in all") && empty.ends_with("</svg>"),
            "{empty}"
        );
        let huge = bar_chart(&[u64::MAX, 1, u64::MAX], 0, 3_600);
        assert!(!huge.contains("NaN") && !huge.contains("inf"), "{huge}");
        assert!(
            huge.contains(&format!("{} in all", u64::MAX)),
            "saturates: {huge}"
        );
        assert!(
            huge.contains("height=\"1.00\""),
            "a count of 1 stays visible"
        );
        let wide = bar_chart(&[1; 1000], i64::MAX - 10, i64::MAX);
        assert_eq!(count(&wide, "<g class=\"bar\">"), 1000);
    }
}
