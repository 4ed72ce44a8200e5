//! A project's stats page (Sentry's "Stats"): what happened to the project's events over
//! the last day, 7 days or 30 days, from the outcome counters: accepted, filtered by the
//! inbound filters, rate-limited (rate limits, the event quota, an overloaded server),
//! invalid (unreadable, too large, duplicates) and discarded by the SDK itself, as stacked
//! bars per hour (per day over 30 days) drawn on the server, the totals per outcome, and
//! a table of every reason events were dropped.
//!
//! [`OutcomeClass::of`] sorts the stored reason names into those outcomes.

use askama::Template;

use crate::chart::{Stack, bucket_label, stacked_bar_chart};
use crate::issue_list::ProjectLink;
use crate::layout::Layout;
use crate::page::render_page;

/// The periods the page offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatsPeriod {
    /// The last 24 hours, hour by hour.
    Day,
    /// The last 7 days, hour by hour (the default).
    #[default]
    Week,
    /// The last 30 days, day by day.
    Month,
}

impl StatsPeriod {
    /// Every period, in the toggle's order.
    pub const ALL: [Self; 3] = [Self::Day, Self::Week, Self::Month];

    /// The query value (`1d`, `7d`, `30d`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "1d",
            Self::Week => "7d",
            Self::Month => "30d",
        }
    }

    /// The period a query names (anything else is the default).
    pub fn parse(text: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .unwrap_or_default()
    }

    /// How many buckets the chart has.
    pub fn buckets(self) -> usize {
        match self {
            Self::Day => 24,
            Self::Week => 168,
            Self::Month => 30,
        }
    }

    /// Each bucket's length in seconds.
    pub fn step_secs(self) -> i64 {
        match self {
            Self::Day | Self::Week => 3_600,
            Self::Month => 86_400,
        }
    }

    /// How the heading says it.
    pub fn text(self) -> &'static str {
        match self {
            Self::Day => "the last 24 hours",
            Self::Week => "the last 7 days",
            Self::Month => "the last 30 days",
        }
    }
}

/// What happened to events, as the chart stacks them (bottom to top).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeClass {
    Accepted,
    Filtered,
    RateLimited,
    Invalid,
    ClientDiscarded,
}

impl OutcomeClass {
    /// Every outcome, bottom of the stack first.
    pub const ALL: [Self; 5] = [
        Self::Accepted,
        Self::Filtered,
        Self::RateLimited,
        Self::Invalid,
        Self::ClientDiscarded,
    ];

    /// The outcome of a stored reason name: `accepted`; `filtered:*`; `rate_limited`,
    /// `quota_exceeded` and `overloaded`; `invalid`, `too_large` and `duplicate` (as
    /// Sentry counts duplicates); `client_discard:*`. Other reasons (items that are not
    /// events) have none.
    pub fn of(reason: &str) -> Option<Self> {
        Some(match reason {
            "accepted" => Self::Accepted,
            "rate_limited" | "quota_exceeded" | "overloaded" => Self::RateLimited,
            "invalid" | "too_large" | "duplicate" => Self::Invalid,
            r if r.starts_with("filtered:") => Self::Filtered,
            r if r.starts_with("client_discard:") => Self::ClientDiscarded,
            _ => return None,
        })
    }

    /// The name shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Filtered => "filtered",
            Self::RateLimited => "rate limited",
            Self::Invalid => "invalid",
            Self::ClientDiscarded => "client discarded",
        }
    }

    /// The CSS class that colours it (chart bars and legend swatches).
    pub fn class(self) -> &'static str {
        match self {
            Self::Accepted => "s-accepted",
            Self::Filtered => "s-filtered",
            Self::RateLimited => "s-rate-limited",
            Self::Invalid => "s-invalid",
            Self::ClientDiscarded => "s-client-discarded",
        }
    }
}

/// One outcome's counts per bucket.
#[derive(Debug, Clone)]
pub struct OutcomeSeries {
    pub class: OutcomeClass,
    pub counts: Vec<u64>,
}

impl OutcomeSeries {
    /// The sum over the period (saturating).
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0, |a, b| a.saturating_add(*b))
    }
}

/// A reason events were dropped, with how many.
#[derive(Debug, Clone)]
pub struct ReasonRow {
    /// What the page calls it ("Filtered: release").
    pub label: String,
    /// The stored reason (`filtered:release-version`).
    pub reason: String,
    pub class: OutcomeClass,
    pub quantity: u64,
}

/// The stats page.
#[derive(Debug, Clone, Template)]
#[template(path = "project_stats.html")]
pub struct ProjectStatsPage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    pub period: StatsPeriod,
    /// The start of the first bucket (Unix seconds, UTC).
    pub start_secs: i64,
    /// One series per [`OutcomeClass`], in [`OutcomeClass::ALL`]'s order, each with
    /// [`StatsPeriod::buckets`] counts.
    pub series: Vec<OutcomeSeries>,
    /// Every reason events were dropped, most first.
    pub reasons: Vec<ReasonRow>,
}

impl ProjectStatsPage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    fn link(&self) -> ProjectLink {
        ProjectLink {
            slug: self.slug.clone(),
            name: self.name.clone(),
        }
    }

    /// `/projects/{slug}/issues/`.
    pub fn issues_href(&self) -> String {
        self.link().issues_href()
    }

    /// `/projects/{slug}/settings/`.
    pub fn settings_href(&self) -> String {
        self.link().settings_href()
    }

    /// `/projects/{slug}/stats/` (the period toggle adds `?period=`).
    pub fn stats_href(&self) -> String {
        self.link().stats_href()
    }

    /// Every event counted in the period.
    pub fn total(&self) -> u64 {
        self.series
            .iter()
            .fold(0, |sum, s| sum.saturating_add(s.total()))
    }

    /// The most events in one bucket (the chart's top).
    pub fn max(&self) -> u64 {
        (0..self.period.buckets())
            .map(|i| {
                self.series.iter().fold(0u64, |sum, s| {
                    sum.saturating_add(s.counts.get(i).copied().unwrap_or(0))
                })
            })
            .max()
            .unwrap_or(0)
    }

    /// The stacked bar chart.
    pub fn svg(&self) -> String {
        let stacks: Vec<Stack<'_>> = self
            .series
            .iter()
            .map(|s| Stack {
                class: s.class.class(),
                label: s.class.label(),
                counts: &s.counts,
            })
            .collect();
        stacked_bar_chart(&stacks, self.start_secs, self.period.step_secs())
    }

    /// The first bucket's label.
    pub fn first_label(&self) -> String {
        bucket_label(self.start_secs, self.period.step_secs(), 0)
    }

    /// The last bucket's label.
    pub fn last_label(&self) -> String {
        bucket_label(
            self.start_secs,
            self.period.step_secs(),
            self.period.buckets().saturating_sub(1),
        )
    }

    /// "hour" or "day".
    pub fn unit(&self) -> &'static str {
        if self.period.step_secs() >= 86_400 {
            "day"
        } else {
            "hour"
        }
    }
}

#[cfg(test)]
#[path = "project_stats_tests.rs"]
mod tests;
