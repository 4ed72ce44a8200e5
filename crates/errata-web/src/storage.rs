//! The storage page (`/settings/storage/`, admins only): the installation's footprint
//! against its disk budget (a server-drawn SVG bar, each project's share in its own
//! shade), how fast it grows and how many days the budget lasts at that rate, the retention
//! limits in force with what they deleted, and a table of projects with their events,
//! bytes, share, oldest event and daily growth.

use askama::Template;

use crate::layout::Layout;
use crate::page::render_page;

/// Shades the bar gives projects, in order (CSS classes `share-0`...).
const SHADES: usize = 6;

/// One project's storage.
#[derive(Debug, Clone, Default)]
pub struct StorageRow {
    pub slug: String,
    pub name: String,
    pub events: u64,
    pub stored_bytes: u64,
    /// Its share of the live bytes.
    pub live_bytes: u64,
    /// When its oldest stored event arrived (already formatted), if any.
    pub oldest: Option<String>,
    pub events_per_day: u64,
    pub bytes_per_day: u64,
}

/// Events retention deleted for one reason.
#[derive(Debug, Clone, Default)]
pub struct DeletedRow {
    /// `age`, `project_limit` or `disk_budget`.
    pub reason: String,
    pub events: u64,
    pub stored_bytes: u64,
}

/// One segment of the usage bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// From 0 to 100 (percent of the bar).
    pub x: f64,
    pub width: f64,
    /// `share-0`...`share-5`.
    pub class: String,
    /// The tooltip.
    pub title: String,
}

/// The storage page.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "storage.html")]
pub struct StoragePage {
    pub layout: Layout,
    pub disk_bytes: u64,
    pub live_bytes: u64,
    pub budget_bytes: Option<u64>,
    pub retention_days: Option<u32>,
    pub project_max_events: Option<u64>,
    pub events: u64,
    pub bytes_per_day: u64,
    pub days_until_full: Option<f64>,
    pub days_held: Option<f64>,
    pub deleted: Vec<DeletedRow>,
    /// When retention last ran (formatted).
    pub last_pass: Option<String>,
    pub projects: Vec<StorageRow>,
}

/// `n` bytes for people: `512 B`, `1.4 KB`, `23 MB`, `1.2 GB` (powers of 1000, as disks).
pub fn bytes(n: impl std::borrow::Borrow<u64>) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    let n = *n.borrow();
    if n < 1_000 {
        return format!("{n} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1_000.0 {
            break;
        }
        value /= 1_000.0;
        unit = u;
    }
    if value < 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.0} {unit}")
    }
}

/// A count with thousands separators: `12,345`.
pub fn count(n: impl std::borrow::Borrow<u64>) -> String {
    let digits = n.borrow().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number of days for people: `less than an hour`, `5 hours`, `12 days`, `3.4 years`.
pub fn days(d: f64) -> String {
    if !d.is_finite() {
        return "forever".into();
    }
    let hours = d * 24.0;
    if hours < 1.0 {
        "less than an hour".into()
    } else if d < 2.0 {
        format!("{hours:.0} hours")
    } else if d < 730.0 {
        format!("{d:.0} days")
    } else {
        format!("{:.1} years", d / 365.0)
    }
}

impl StoragePage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    /// The bar's scale: the budget, or the live bytes without one (at least 1).
    fn scale(&self) -> u64 {
        self.budget_bytes
            .unwrap_or(self.live_bytes)
            .max(self.live_bytes)
            .max(1)
    }

    /// Live bytes as a percentage of the budget, if there is one.
    pub fn budget_percent(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        self.budget_bytes
            .map(|b| self.live_bytes as f64 * 100.0 / b.max(1) as f64)
    }

    /// `ok`, `warn` (past 80% of the budget) or `full` (retention is thinning).
    pub fn level(&self) -> &'static str {
        match self.budget_percent() {
            Some(p) if p >= 97.0 => "full",
            Some(p) if p >= 80.0 => "warn",
            _ => "ok",
        }
    }

    /// The bar's segments: each project's live bytes, then what is left of the budget.
    pub fn segments(&self) -> Vec<Segment> {
        #[allow(clippy::cast_precision_loss)]
        let scale = self.scale() as f64;
        let mut x = 0.0;
        let mut out = Vec::new();
        for (i, p) in self.projects.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let width = p.live_bytes as f64 * 100.0 / scale;
            if width <= 0.0 {
                continue;
            }
            out.push(Segment {
                x: round2(x),
                width: round2(width),
                class: format!("share-{}", i % SHADES),
                title: format!("{}: {}", p.name, bytes(p.live_bytes)),
            });
            x += width;
        }
        out
    }

    /// The share of the live bytes a project takes, as text.
    fn share(&self, row: &StorageRow) -> String {
        if self.live_bytes == 0 {
            return "0%".into();
        }
        #[allow(clippy::cast_precision_loss)]
        let p = row.live_bytes as f64 * 100.0 / self.live_bytes as f64;
        format!("{p:.0}%")
    }

    fn shade(i: impl std::borrow::Borrow<usize>) -> String {
        format!("share-{}", i.borrow() % SHADES)
    }

    fn days_text(d: impl std::borrow::Borrow<f64>) -> String {
        days(*d.borrow())
    }

    fn percent_text(p: impl std::borrow::Borrow<f64>) -> String {
        format!("{:.0}%", p.borrow())
    }

    fn reason_label(reason: &str) -> &'static str {
        match reason {
            "age" => "Older than the age limit",
            "project_limit" => "Over a project's event limit",
            "disk_budget" => "Over the disk budget",
            _ => "Other",
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "\"><script>alert(1)</script>";

    fn page() -> StoragePage {
        StoragePage {
            layout: Layout {
                csrf: "tok".into(),
                user: Some("root".into()),
                is_admin: true,
                nav: crate::NavItem::Storage,
                ..Layout::default()
            },
            disk_bytes: 60_000_000,
            live_bytes: 45_000_000,
            budget_bytes: Some(50_000_000),
            retention_days: Some(90),
            project_max_events: None,
            events: 120_000,
            bytes_per_day: 5_000_000,
            days_until_full: Some(1.0),
            days_held: Some(10.0),
            deleted: vec![DeletedRow {
                reason: "disk_budget".into(),
                events: 1_234,
                stored_bytes: 600_000,
            }],
            last_pass: Some("2026-12-02 15:00 UTC".into()),
            projects: vec![
                StorageRow {
                    slug: "backend".into(),
                    name: "Backend".into(),
                    events: 100_000,
                    stored_bytes: 30_000_000,
                    live_bytes: 36_000_000,
                    oldest: Some("2026-11-30 10:00 UTC".into()),
                    events_per_day: 8_000,
                    bytes_per_day: 4_000_000,
                },
                StorageRow {
                    slug: "web".into(),
                    name: HOSTILE.into(),
                    events: 20_000,
                    stored_bytes: 7_500_000,
                    live_bytes: 9_000_000,
                    oldest: None,
                    events_per_day: 2_000,
                    bytes_per_day: 1_000_000,
                },
            ],
        }
    }

    #[test]
    fn units_read_like_people_write_them() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1_400), "1.4 KB");
        assert_eq!(bytes(23_000_000), "23 MB");
        assert_eq!(bytes(1_200_000_000), "1.2 GB");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(days(0.01), "less than an hour");
        assert_eq!(days(0.5), "12 hours");
        assert_eq!(days(12.2), "12 days");
        assert_eq!(days(1_000.0), "2.7 years");
    }

    #[test]
    fn bar_table_and_forecast() {
        let page = page();
        assert_eq!(page.level(), "warn");
        let segments = page.segments();
        assert_eq!(segments.len(), 2);
        assert!((segments[0].width - 72.0).abs() < 0.01, "{segments:?}");
        assert!((segments[1].x - 72.0).abs() < 0.01, "{segments:?}");
        let html = page.render();
        for hook in [
            "<svg class=\"usage-bar\"",
            "role=\"img\"",
            "<rect class=\"share-0\" x=\"0\" width=\"72\"",
            "<table id=\"storage\"",
            "<td data-label=\"Events\" class=\"col-num\">100,000</td>",
            "45 MB",
            "50 MB",
            "90%",
            "24 hours",
            "10 days",
            "Over the disk budget",
            "1,234",
            "aria-current=\"page\">Storage</a>",
        ] {
            assert!(html.contains(hook), "missing {hook}: {html}");
        }
        assert!(!html.contains("<script>alert"), "{html}");
    }

    #[test]
    fn without_a_budget_there_is_no_forecast() {
        let mut page = page();
        page.budget_bytes = None;
        page.days_until_full = None;
        page.days_held = None;
        let html = page.render();
        assert!(html.contains("No disk budget"), "{html}");
        assert_eq!(page.level(), "ok");
        assert!((page.segments()[0].width - 80.0).abs() < 0.01);
    }
}
