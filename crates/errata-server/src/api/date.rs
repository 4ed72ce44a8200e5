//! Dates as the Web API writes them: ISO 8601 in UTC with milliseconds
//! (`2026-11-21T19:15:24.524Z`), what Sentry's API returns and sentry-cli parses.

use time::OffsetDateTime;
use time::macros::format_description;

/// Unix milliseconds as an ISO 8601 UTC timestamp; out-of-range values are clamped to
/// the Unix epoch.
pub fn iso8601(unix_ms: i64) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_795_288_794_210), "2026-11-21T19:19:54.210Z");
        assert_eq!(iso8601(i64::MAX), "1970-01-01T00:00:00.000Z");
    }
}
