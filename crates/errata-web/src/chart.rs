//! Server-side SVG charts: the issue page's events-over-time bar chart (the issue list's
//! sparkline is in `sparkline.rs`). Only numbers go in (counts, a start time and a bucket length), so
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
