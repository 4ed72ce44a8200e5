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
    for (index, count) in counts.iter().enumerate() {
        let x = index as u64 * (BAR + GAP);
        if *count == 0 {
            let _ = write!(
                svg,
                "<rect class=\"zero\" x=\"{x}\" y=\"{y}\" width=\"{BAR}\" height=\"1\" \
                 fill=\"currentColor\" fill-opacity=\"0.25\"/>",
                y = HEIGHT - 1,
            );
        } else {
            let height = bar_height(*count, max);
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{BAR}\" height=\"{height}\" \
                 fill=\"currentColor\"/>",
                y = HEIGHT - height,
            );
        }
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
        assert!(
            svg.contains("x=\"8\" y=\"0\" width=\"3\" height=\"20\""),
            "{svg}"
        );
        assert!(
            svg.contains("x=\"4\" y=\"10\" width=\"3\" height=\"10\""),
            "{svg}"
        );
        assert!(svg.contains("class=\"zero\" x=\"0\""), "{svg}");
        assert!(!svg.contains("style"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 3);
    }

    #[test]
    fn tiny_huge_and_empty_series_stay_in_bounds() {
        let svg = sparkline(&[1, u64::MAX]);
        assert!(svg.contains("height=\"1\""), "{svg}");
        assert!(svg.contains("height=\"20\""), "{svg}");
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
