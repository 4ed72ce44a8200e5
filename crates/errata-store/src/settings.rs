//! A project's ingest settings beyond its identity: extra sensitive field names to scrub,
//! whether client IP addresses are scrubbed, an optional event quota per UTC day or
//! month, and the inbound filters (`inbound_filter.rs`). [`ProjectSettings`] is a patch (a `None` leaves a setting as it is) that every
//! backend validates and normalizes with [`ProjectSettings::normalized`], so they all
//! accept and store the same values.

use time::{Date, OffsetDateTime};

use crate::error::{Result, StoreError};
use crate::inbound_filter::FilterPatch;

/// The most extra sensitive field names a project may have.
pub const MAX_SENSITIVE_FIELDS: usize = 50;

/// The longest sensitive field name accepted.
pub const MAX_SENSITIVE_FIELD_LEN: usize = 64;

/// The largest event quota accepted (and the smallest is 1).
pub const MAX_QUOTA_LIMIT: u64 = 1_000_000_000_000;

/// The calendar period (UTC) an event quota counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaWindow {
    Day,
    Month,
}

impl QuotaWindow {
    /// `"day"` or `"month"`: the name stored and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    /// The window named `s` (as [`Self::as_str`] spells it).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    /// Start (Unix ms, UTC) of the window containing `now_ms`, and the start of the next one.
    ///
    /// Days and months are UTC calendar ones. Times outside the years -9999 to 9999 are
    /// clamped to that range, and the end saturates at `i64::MAX`.
    pub fn bounds(self, now_ms: i64) -> (i64, i64) {
        let secs = now_ms.div_euclid(1000);
        let date = match OffsetDateTime::from_unix_timestamp(secs) {
            Ok(t) => t.date(),
            Err(_) if secs < 0 => Date::MIN,
            Err(_) => Date::MAX,
        };
        let (start, next) = match self {
            Self::Day => (date, date.next_day()),
            Self::Month => {
                let first = date.replace_day(1).unwrap_or(date);
                let next = if first.month() == time::Month::December {
                    Date::from_calendar_date(first.year() + 1, time::Month::January, 1)
                } else {
                    Date::from_calendar_date(first.year(), first.month().next(), 1)
                };
                (first, next.ok())
            }
        };
        (midnight_ms(start), next.map_or(i64::MAX, midnight_ms))
    }
}

impl std::fmt::Display for QuotaWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Unix milliseconds of a date's UTC midnight.
fn midnight_ms(date: Date) -> i64 {
    date.midnight().assume_utc().unix_timestamp() * 1000
}

/// At most `limit` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventQuota {
    pub limit: u64,
    pub window: QuotaWindow,
}

impl EventQuota {
    /// Refuses a limit outside `1..=`[`MAX_QUOTA_LIMIT`].
    pub fn validate(&self) -> Result<()> {
        if (1..=MAX_QUOTA_LIMIT).contains(&self.limit) {
            Ok(())
        } else {
            Err(StoreError::invalid(format!(
                "the event quota limit must be between 1 and {MAX_QUOTA_LIMIT}, not {}",
                self.limit
            )))
        }
    }
}

/// The highest per-project rate limit, in events per minute.
pub const MAX_RATE_LIMIT_PER_MINUTE: u64 = 100_000_000;

/// The longest project name, in characters.
pub const MAX_PROJECT_NAME_LEN: usize = 200;

/// A change to a project's settings: `None` leaves a setting unchanged
/// (`event_quota: Some(None)` removes the quota).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectSettings {
    /// A new display name (the slug stays: DSNs and URLs keep working).
    pub name: Option<String>,
    /// Scrub sensitive data from events before storing.
    pub scrub_data: Option<bool>,
    /// Field names scrubbed besides the built-in ones (replaces the whole list).
    pub sensitive_fields: Option<Vec<String>>,
    /// Scrub client IP addresses (`user.ip_address`, `REMOTE_ADDR`...).
    pub scrub_ip_addresses: Option<bool>,
    /// Set (`Some(Some(_))`) or remove (`Some(None)`) the event quota.
    pub event_quota: Option<Option<EventQuota>>,
    /// Set (`Some(Some(n))`, 1 to [`MAX_RATE_LIMIT_PER_MINUTE`]) or remove (`Some(None)`)
    /// the project's rate limit in events per minute.
    pub rate_limit_per_minute: Option<Option<u64>>,
    /// Changes to the inbound filters (each filter left as it is when `None`).
    pub filters: FilterPatch,
}

impl ProjectSettings {
    /// Changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The patch as backends store it: sensitive fields lowercased and de-duplicated (first
    /// occurrence order). Refuses more than [`MAX_SENSITIVE_FIELDS`] fields, a field that is
    /// not 1 to [`MAX_SENSITIVE_FIELD_LEN`] ASCII letters, digits, `_`, `-` or `.`, and a
    /// quota limit outside `1..=`[`MAX_QUOTA_LIMIT`].
    pub fn normalized(&self) -> Result<Self> {
        let sensitive_fields = self
            .sensitive_fields
            .as_deref()
            .map(normalize_sensitive_fields)
            .transpose()?;
        if let Some(Some(quota)) = &self.event_quota {
            quota.validate()?;
        }
        if let Some(Some(limit)) = self.rate_limit_per_minute
            && !(1..=MAX_RATE_LIMIT_PER_MINUTE).contains(&limit)
        {
            return Err(StoreError::invalid(format!(
                "a rate limit is 1 to {MAX_RATE_LIMIT_PER_MINUTE} events per minute"
            )));
        }
        let name = self
            .name
            .as_deref()
            .map(|name| {
                let name = name.trim();
                if name.is_empty() || name.chars().count() > MAX_PROJECT_NAME_LEN {
                    return Err(StoreError::invalid(format!(
                        "a project name has 1 to {MAX_PROJECT_NAME_LEN} characters"
                    )));
                }
                Ok(name.to_owned())
            })
            .transpose()?;
        Ok(Self {
            name,
            sensitive_fields,
            filters: self.filters.normalized()?,
            ..self.clone()
        })
    }
}

/// Lowercases, de-duplicates and validates a list of sensitive field names.
fn normalize_sensitive_fields(fields: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(fields.len().min(MAX_SENSITIVE_FIELDS));
    for field in fields {
        let valid = (1..=MAX_SENSITIVE_FIELD_LEN).contains(&field.len())
            && field
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            let shown: String = field.chars().take(MAX_SENSITIVE_FIELD_LEN + 1).collect();
            return Err(StoreError::invalid(format!(
                "invalid sensitive field {shown:?}: expected 1 to {MAX_SENSITIVE_FIELD_LEN} \
                 ASCII letters, digits, '_', '-' or '.'"
            )));
        }
        let field = field.to_ascii_lowercase();
        if !out.contains(&field) {
            out.push(field);
        }
    }
    if out.len() > MAX_SENSITIVE_FIELDS {
        return Err(StoreError::invalid(format!(
            "at most {MAX_SENSITIVE_FIELDS} sensitive fields are allowed, not {}",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ms(t: OffsetDateTime) -> i64 {
        (t.unix_timestamp_nanos() / 1_000_000) as i64
    }

    #[test]
    fn windows_have_names() {
        for w in [QuotaWindow::Day, QuotaWindow::Month] {
            assert_eq!(QuotaWindow::parse(w.as_str()), Some(w));
            assert_eq!(w.to_string(), w.as_str());
        }
        assert_eq!(QuotaWindow::parse("Day"), None);
        assert_eq!(QuotaWindow::parse("week"), None);
    }

    #[test]
    fn day_windows_are_utc_calendar_days() {
        let day = |t| QuotaWindow::Day.bounds(ms(t));
        let expected = (
            ms(datetime!(2024-02-29 00:00 UTC)),
            ms(datetime!(2024-03-01 00:00 UTC)),
        );
        assert_eq!(day(datetime!(2024-02-29 00:00 UTC)), expected);
        assert_eq!(day(datetime!(2024-02-29 12:34:56.789 UTC)), expected);
        assert_eq!(day(datetime!(2024-02-29 23:59:59.999 UTC)), expected);
        assert_eq!(
            day(datetime!(2024-03-01 00:00 UTC)).0,
            ms(datetime!(2024-03-01 00:00 UTC))
        );
        assert_eq!(
            day(datetime!(2023-12-31 23:59:59.999 UTC)),
            (
                ms(datetime!(2023-12-31 00:00 UTC)),
                ms(datetime!(2024-01-01 00:00 UTC))
            )
        );
        // Before 1970: floor, not truncation towards zero.
        assert_eq!(QuotaWindow::Day.bounds(-1), (-86_400_000, 0));
        assert_eq!(QuotaWindow::Day.bounds(0), (0, 86_400_000));
    }

    #[test]
    fn month_windows_are_utc_calendar_months() {
        let month = |t| QuotaWindow::Month.bounds(ms(t));
        let feb = (
            ms(datetime!(2024-02-01 00:00 UTC)),
            ms(datetime!(2024-03-01 00:00 UTC)),
        );
        assert_eq!(month(datetime!(2024-02-01 00:00 UTC)), feb);
        assert_eq!(month(datetime!(2024-02-29 23:59:59.999 UTC)), feb);
        assert_eq!(
            month(datetime!(2023-02-28 23:59:59.999 UTC)),
            (
                ms(datetime!(2023-02-01 00:00 UTC)),
                ms(datetime!(2023-03-01 00:00 UTC))
            )
        );
        // December rolls over into the next year.
        let december = (
            ms(datetime!(2025-12-01 00:00 UTC)),
            ms(datetime!(2026-01-01 00:00 UTC)),
        );
        assert_eq!(month(datetime!(2025-12-31 23:59:59.999 UTC)), december);
        assert_eq!(month(datetime!(2025-12-01 00:00 UTC)), december);
        assert_eq!(
            month(datetime!(2026-01-01 00:00 UTC)).0,
            ms(datetime!(2026-01-01 00:00 UTC))
        );
        assert_eq!(
            QuotaWindow::Month.bounds(-1),
            (ms(datetime!(1969-12-01 00:00 UTC)), 0)
        );
    }

    #[test]
    fn absurd_times_are_clamped_without_panicking() {
        for w in [QuotaWindow::Day, QuotaWindow::Month] {
            let (start, end) = w.bounds(i64::MAX);
            assert!(start < end && end == i64::MAX, "{w}: {start} {end}");
            let (start, end) = w.bounds(i64::MIN);
            assert!(start < end, "{w}: {start} {end}");
        }
    }

    #[test]
    fn sensitive_fields_are_lowercased_deduplicated_and_validated() {
        let patch = |fields: &[&str]| ProjectSettings {
            sensitive_fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
            ..ProjectSettings::default()
        };
        let normalized = patch(&["SSN", "card.number", "ssn", "api-key_2"])
            .normalized()
            .unwrap();
        assert_eq!(
            normalized.sensitive_fields.unwrap(),
            ["ssn", "card.number", "api-key_2"]
        );
        assert_eq!(
            patch(&[]).normalized().unwrap().sensitive_fields.unwrap(),
            Vec::<String>::new()
        );
        for bad in ["", "has space", "ünï", "a/b", &"x".repeat(65)] {
            let e = patch(&[bad]).normalized().unwrap_err();
            assert!(e.is_invalid(), "{bad:?}: {e}");
        }
        assert!(patch(&[&"x".repeat(64)]).normalized().is_ok());
        let fifty: Vec<String> = (0..50).map(|n| format!("f{n}")).collect();
        let fifty: Vec<&str> = fifty.iter().map(String::as_str).collect();
        assert!(patch(&fifty).normalized().is_ok());
        let mut many = fifty.clone();
        many.push("f50");
        assert!(patch(&many).normalized().unwrap_err().is_invalid());
        // Duplicates do not count against the limit.
        let mut dups = fifty;
        dups.push("F0");
        assert!(patch(&dups).normalized().is_ok());
    }

    #[test]
    fn quota_limits_are_bounded() {
        let patch = |limit| ProjectSettings {
            event_quota: Some(Some(EventQuota {
                limit,
                window: QuotaWindow::Day,
            })),
            ..ProjectSettings::default()
        };
        assert!(patch(0).normalized().unwrap_err().is_invalid());
        assert!(patch(1).normalized().is_ok());
        assert!(patch(MAX_QUOTA_LIMIT).normalized().is_ok());
        assert!(
            patch(MAX_QUOTA_LIMIT + 1)
                .normalized()
                .unwrap_err()
                .is_invalid()
        );
        assert!(ProjectSettings::default().is_empty());
        assert!(!patch(1).is_empty());
    }
}
