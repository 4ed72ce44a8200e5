//! The events over time: the counts per bucket for the chart, and which period
//! (24 hours by hour, or 14 days by day) is shown.

use crate::chart::{bar_chart, bucket_label};

/// The chart's period, as the `period` query parameter spells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Period {
    /// The last 24 hours, one bar per hour.
    #[default]
    Day,
    /// The last 14 days, one bar per day.
    TwoWeeks,
}

impl Period {
    /// `24h` or `14d`.
    pub fn param(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::TwoWeeks => "14d",
        }
    }

    /// Reads the `period` query parameter; anything else is the default.
    pub fn from_param(param: Option<&str>) -> Self {
        match param {
            Some("14d") => Self::TwoWeeks,
            _ => Self::Day,
        }
    }

    /// One bucket's length in seconds.
    pub fn step_secs(self) -> i64 {
        match self {
            Self::Day => 3_600,
            Self::TwoWeeks => 86_400,
        }
    }

    /// How many buckets the period has.
    pub fn buckets(self) -> usize {
        match self {
            Self::Day => 24,
            Self::TwoWeeks => 14,
        }
    }
}

/// The events-over-time chart of the issue page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trend {
    /// Events per bucket, oldest first.
    pub counts: Vec<u64>,
    /// Start of the first bucket, Unix seconds.
    pub start_secs: i64,
    /// The period shown.
    pub period: Period,
}

impl Trend {
    /// The chart as SVG markup built from numbers only (safe to embed).
    pub fn svg(&self) -> String {
        bar_chart(&self.counts, self.start_secs, self.period.step_secs())
    }

    /// The largest count of one bucket (the top of the chart's scale).
    pub fn max(&self) -> u64 {
        self.counts.iter().copied().max().unwrap_or(0)
    }

    /// The sum of all buckets.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// The label of the first bucket's start (the chart's left end).
    pub fn first_label(&self) -> String {
        bucket_label(self.start_secs, self.period.step_secs(), 0)
    }

    /// The label of the last bucket's start (the chart's right end).
    pub fn last_label(&self) -> String {
        bucket_label(
            self.start_secs,
            self.period.step_secs(),
            self.counts.len().saturating_sub(1),
        )
    }

    /// Whether `param` (`24h`, `14d`) is the period shown.
    pub fn is(&self, param: &str) -> bool {
        self.period.param() == param
    }
}
