//! Points in time as the pages show them: an ISO 8601 text for `<time datetime>`, a UTC
//! clock text, and a relative "3 hours ago" computed against the render time the server
//! passes in (this crate reads no clock).

/// One point in time, ready to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moment {
    /// `2026-12-01T14:03:07Z` (machine-readable, for `datetime` attributes).
    pub iso: String,
    /// `2026-12-01 14:03:07 UTC`.
    pub utc: String,
    /// `3 hours ago`, `in 2 minutes`, or the date when far away; the UTC text when
    /// built without a reference time.
    pub human: String,
}

impl Moment {
    /// `millis` (Unix milliseconds) relative to `now_millis`.
    pub fn from_millis(millis: i64, now_millis: i64) -> Self {
        let secs = millis.div_euclid(1000);
        let mut moment = Self::at(secs);
        moment.human = relative(now_millis.div_euclid(1000) - secs, &moment);
        moment
    }

    /// `secs` (Unix seconds, fractional as events carry them) with no reference time:
    /// `human` is the UTC text with milliseconds.
    pub fn from_secs(secs: f64) -> Self {
        if !secs.is_finite() {
            return Self::default();
        }
        let whole = secs.floor();
        let millis = ((secs - whole) * 1000.0).floor() as i64;
        let mut moment = Self::at(whole as i64);
        moment.human = format!("{}.{millis:03} UTC", moment.utc.trim_end_matches(" UTC"));
        moment
    }

    /// The time of day of `human` when it is a UTC text (`09:13:50.687`, for timelines
    /// whose entries share a date); otherwise all of `human`.
    pub fn clock(&self) -> &str {
        match (self.human.get(..11), self.utc.get(..11)) {
            (Some(date), Some(utc_date)) if date == utc_date && date.ends_with(' ') => self
                .human
                .get(11..)
                .unwrap_or_default()
                .trim_end_matches(" UTC"),
            _ => &self.human,
        }
    }

    /// Whole seconds, `human` = `utc`.
    pub(crate) fn at(secs: i64) -> Self {
        let (date, clock) = civil(secs);
        let utc = format!("{date} {clock} UTC");
        Self {
            iso: format!("{date}T{clock}Z"),
            human: utc.clone(),
            utc,
        }
    }
}

#[cfg(test)]
mod clock_tests {
    use super::Moment;

    #[test]
    fn clock_is_the_time_of_day_of_a_utc_text() {
        assert_eq!(Moment::from_secs(1_795_287_600.25).clock(), "19:00:00.250");
        let relative = Moment::from_millis(1_795_287_600_000, 1_795_287_600_000);
        assert_eq!(relative.clock(), "just now");
    }
}

fn relative(ago: i64, moment: &Moment) -> String {
    let (ahead, span) = (ago < 0, ago.unsigned_abs());
    let (n, unit) = match span {
        0..45 => return "just now".to_owned(),
        45..3_600 => (span.div_ceil(60).max(1), "minute"),
        3_600..86_400 => (span / 3_600, "hour"),
        86_400..2_592_000 => (span / 86_400, "day"),
        _ => return moment.utc.get(..10).unwrap_or_default().to_owned(),
    };
    let unit = if n == 1 {
        unit.to_owned()
    } else {
        format!("{unit}s")
    };
    if ahead {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// `("YYYY-MM-DD", "HH:MM:SS")` of Unix seconds, proleptic Gregorian, UTC.
pub(crate) fn civil(secs: i64) -> (String, String) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3_600, rem % 3_600 / 60, rem % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil(0), ("1970-01-01".into(), "00:00:00".into()));
        assert_eq!(
            civil(1_795_288_517),
            ("2026-11-21".into(), "19:15:17".into())
        );
        assert_eq!(civil(951_782_400).0, "2000-02-29");
        assert_eq!(civil(-1), ("1969-12-31".into(), "23:59:59".into()));
    }

    #[test]
    fn relative_times_read_well() {
        let now = 1_800_000_000_000;
        assert_eq!(Moment::from_millis(now, now).human, "just now");
        assert_eq!(Moment::from_millis(now - 60_000, now).human, "1 minute ago");
        assert_eq!(
            Moment::from_millis(now - 3 * 3_600_000, now).human,
            "3 hours ago"
        );
        assert_eq!(
            Moment::from_millis(now + 2 * 86_400_000, now).human,
            "in 2 days"
        );
        let old = Moment::from_millis(now - 90 * 86_400_000, now);
        assert_eq!(old.human, &old.iso[..10]);
    }

    #[test]
    fn event_seconds_keep_milliseconds_and_odd_values_do_not_panic() {
        let m = Moment::from_secs(1_795_288_517.320_941);
        assert_eq!(m.iso, "2026-11-21T19:15:17Z");
        assert_eq!(m.human, "2026-11-21 19:15:17.320 UTC");
        assert_eq!(Moment::from_secs(f64::NAN), Moment::default());
        let _ = Moment::from_secs(1e300);
        let _ = Moment::from_millis(i64::MIN, i64::MAX);
    }
}
