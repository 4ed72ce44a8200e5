//! The issue list's sparklines: a tiny bar chart of an issue's events per bucket (hour or
//! day), drawn on the server as SVG from numbers only, so it is safe to put into the page
//! unescaped. Presentation attributes only (the CSP forbids `style`); the bars take the
//! text colour through `currentColor`, and a `<title>` gives the total to screen readers.

use std::fmt::Write;

/// Bar width and gap, in SVG user units.
const BAR: u64 = 3;
const GAP: u64 = 1;
/// The drawing's height; a bucket with events is at least one unit tall.
const HEIGHT: u64 = 20;

/// `<svg class="sparkline">` with one bar per count, scaled to the largest.
pub fn sparkline(counts: &[u64]) -> String {
    let total: u64 = counts
        .iter()
        .fold(0, |sum, count| sum.saturating_add(*count));
    let max = counts.iter().copied().max().unwrap_or(0);
    let width = (counts.len() as u64 * (BAR + GAP))
        .saturating_sub(GAP)
        .max(1);
    let mut svg = format!(
        "<svg class=\"sparkline\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" \
         width=\"{width}\" height=\"{HEIGHT}\" viewBox=\"0 0 {width} {HEIGHT}\" \
         preserveAspectRatio=\"none\"><title>{total} {noun} in this period</title>",
        noun = if total == 1 { "event" } else { "events" },
    );
    // Two paths (bars, and the faint baseline of empty buckets) rather than a rect per
    // bucket: a 50-row list carries 50 of these.
    let mut bars = String::new();
    let mut empty = String::new();
    for (index, count) in counts.iter().enumerate() {
        let x = index as u64 * (BAR + GAP);
        if *count == 0 {
            let _ = write!(empty, "M{x} {}h{BAR}v1h-{BAR}z", HEIGHT - 1);
        } else {
            let height = bar_height(*count, max);
            let _ = write!(bars, "M{x} {}h{BAR}v{height}h-{BAR}z", HEIGHT - height);
        }
    }
    if !empty.is_empty() {
        let _ = write!(
            svg,
            "<path class=\"zero\" d=\"{empty}\" fill=\"currentColor\" fill-opacity=\"0.25\"/>"
        );
    }
    if !bars.is_empty() {
        let _ = write!(svg, "<path d=\"{bars}\" fill=\"currentColor\"/>");
    }
    svg.push_str("</svg>");
    svg
}

/// The bar's height for `count` when `max` fills the drawing: at least 1, at most `HEIGHT`.
fn bar_height(count: u64, max: u64) -> u64 {
    let scaled = u128::from(count) * u128::from(HEIGHT) / u128::from(max.max(1));
    (scaled as u64).clamp(1, HEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_bucket_and_the_title_gives_the_total() {
        let svg = sparkline(&[0, 5, 10]);
        assert!(svg.starts_with("<svg class=\"sparkline\""), "{svg}");
        assert!(
            svg.contains("<title>15 events in this period</title>"),
            "{svg}"
        );
        assert!(svg.contains("M8 0h3v20h-3z"), "{svg}");
        assert!(svg.contains("M4 10h3v10h-3z"), "{svg}");
        assert!(svg.contains("class=\"zero\" d=\"M0 19h3v1h-3z\""), "{svg}");
        assert!(!svg.contains("style"), "{svg}");
        assert_eq!(svg.matches("<path").count(), 2);
    }

    #[test]
    fn tiny_huge_and_empty_series_stay_in_bounds() {
        let svg = sparkline(&[1, u64::MAX]);
        assert!(
            svg.contains("M0 19h3v1h-3z"),
            "a count of 1 stays visible: {svg}"
        );
        assert!(svg.contains("M4 0h3v20h-3z"), "{svg}");
        assert!(
            svg.contains(&format!("<title>{} events", u64::MAX)),
            "{svg}"
        );
        let empty = sparkline(&[]);
        assert!(
            empty.contains("<title>0 events in this period</title>"),
            "{empty}"
        );
        assert!(sparkline(&[1]).contains("<title>1 event in this period"));
    }
}
