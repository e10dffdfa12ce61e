//! Instants in time: RFC 3339 parsing and formatting, and civil-date checks.
//!
//! The engine never reads a clock. Every evaluation takes its time `at` as a [`Timestamp`]
//! that the caller parsed or built.

use std::fmt;

/// An instant in UTC with second precision and a nanosecond fraction.
///
/// Built from an RFC 3339 string with an explicit offset (`Z` or `±hh:mm`), or from Unix
/// seconds. Displayed as RFC 3339 in UTC (`2026-11-22T12:00:00Z`).
///
/// # Example
///
/// ```
/// use capgate::Timestamp;
///
/// let at = Timestamp::parse("2026-05-29T14:00:00+02:00")?;
/// assert_eq!(at.to_string(), "2026-05-29T12:00:00Z");
/// assert!(Timestamp::parse("2026-05-29T12:00:00").is_err()); // no zone: ambiguous
/// # Ok::<(), capgate::TimestampError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

/// Why a string is not an RFC 3339 timestamp.
///
/// The message never repeats the input (it may be customer data).
///
/// # Example
///
/// ```
/// let err = capgate::Timestamp::parse("2026-05-29T12:00:00").unwrap_err();
/// assert_eq!(err.to_string(), "missing zone offset (`Z` or `+hh:mm`)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct TimestampError {
    reason: &'static str,
}

impl TimestampError {
    /// The reason, as a short lowercase phrase.
    ///
    /// # Example
    ///
    /// ```
    /// let err = capgate::Timestamp::parse("2026-02-30T00:00:00Z").unwrap_err();
    /// assert_eq!(err.reason(), "not a real calendar date");
    /// ```
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

#[cold]
fn bad(reason: &'static str) -> TimestampError {
    TimestampError { reason }
}

/// Earliest year accepted (inclusive) in timestamps.
const MIN_YEAR: i64 = 1;
/// Latest year accepted (inclusive) in timestamps.
const MAX_YEAR: i64 = 9999;

/// The Unix seconds of the instants a timestamp can hold (years `MIN_YEAR` to `MAX_YEAR`
/// in UTC).
fn seconds_range() -> std::ops::RangeInclusive<i64> {
    days_from_civil(MIN_YEAR, 1, 1) * 86_400..=days_from_civil(MAX_YEAR, 12, 31) * 86_400 + 86_399
}

impl Timestamp {
    /// Parses an RFC 3339 timestamp such as `2026-05-29T12:00:00Z` or
    /// `2026-05-29T12:00:00.5-05:00`.
    ///
    /// A lowercase `t`/`z` and a space between date and time are accepted, as RFC 3339 allows.
    /// Leap seconds (`:60`) are rejected.
    ///
    /// # Errors
    ///
    /// A string without a zone offset, with out-of-range fields, with a date that does not
    /// exist (`2026-02-30`), or with trailing text.
    ///
    /// # Example
    ///
    /// ```
    /// let at = capgate::Timestamp::parse("1970-01-01T00:01:00Z")?;
    /// assert_eq!(at.unix_seconds(), 60);
    /// # Ok::<(), capgate::TimestampError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let bytes = text.as_bytes();
        let mut cursor = Cursor { bytes, pos: 0 };
        let year = cursor
            .digits(4)
            .ok_or_else(|| bad("expected a four-digit year"))?;
        cursor
            .expect(b'-')
            .ok_or_else(|| bad("expected `-` after the year"))?;
        let month = cursor
            .digits(2)
            .ok_or_else(|| bad("expected a two-digit month"))?;
        cursor
            .expect(b'-')
            .ok_or_else(|| bad("expected `-` after the month"))?;
        let day = cursor
            .digits(2)
            .ok_or_else(|| bad("expected a two-digit day"))?;
        match cursor.next() {
            Some(b'T' | b't' | b' ') => {}
            _ => return Err(bad("expected `T` between date and time")),
        }
        let hour = cursor
            .digits(2)
            .ok_or_else(|| bad("expected a two-digit hour"))?;
        cursor
            .expect(b':')
            .ok_or_else(|| bad("expected `:` after the hour"))?;
        let minute = cursor
            .digits(2)
            .ok_or_else(|| bad("expected two-digit minutes"))?;
        cursor
            .expect(b':')
            .ok_or_else(|| bad("expected `:` after the minutes"))?;
        let second = cursor
            .digits(2)
            .ok_or_else(|| bad("expected two-digit seconds"))?;
        let mut nanos: u32 = 0;
        if cursor.peek() == Some(b'.') {
            cursor.pos += 1;
            let mut n_digits = 0;
            while let Some(digit) = cursor.peek().filter(u8::is_ascii_digit) {
                cursor.pos += 1;
                if n_digits < 9 {
                    nanos = nanos * 10 + u32::from(digit - b'0');
                }
                n_digits += 1;
            }
            if n_digits == 0 {
                return Err(bad("expected digits after the decimal point"));
            }
            for _ in n_digits..9 {
                nanos *= 10;
            }
        }
        let offset_seconds: i64 = match cursor.next() {
            Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let offset_hour = cursor
                    .digits(2)
                    .ok_or_else(|| bad("expected a two-digit offset hour"))?;
                cursor
                    .expect(b':')
                    .ok_or_else(|| bad("expected `:` in the offset"))?;
                let offset_minute = cursor
                    .digits(2)
                    .ok_or_else(|| bad("expected two-digit offset minutes"))?;
                if offset_hour > 23 || offset_minute > 59 {
                    return Err(bad("offset out of range"));
                }
                let magnitude = offset_hour * 3600 + offset_minute * 60;
                if sign == b'-' { -magnitude } else { magnitude }
            }
            None => return Err(bad("missing zone offset (`Z` or `+hh:mm`)")),
            Some(_) => return Err(bad("expected a zone offset (`Z` or `+hh:mm`)")),
        };
        if cursor.pos != bytes.len() {
            return Err(bad("unexpected text after the timestamp"));
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(bad("year out of range"));
        }
        if !is_valid_date(year, month, day) {
            return Err(bad("not a real calendar date"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad("time of day out of range"));
        }
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
        // In UTC, the instant must still be within the years a timestamp prints as
        // (`9999-12-31T23:59:59-23:59` is in year 10000), so that every output parses back.
        if !seconds_range().contains(&seconds) {
            return Err(bad("year out of range once converted to UTC"));
        }
        Ok(Timestamp { seconds, nanos })
    }

    /// The instant `seconds` after 1970-01-01T00:00:00Z.
    ///
    /// # Example
    ///
    /// ```
    /// let at = capgate::Timestamp::from_unix_seconds(1_779_408_000);
    /// assert_eq!(at.to_string(), "2026-05-22T00:00:00Z");
    /// ```
    pub fn from_unix_seconds(seconds: i64) -> Timestamp {
        let range = seconds_range();
        Timestamp {
            seconds: seconds.clamp(*range.start(), *range.end()),
            nanos: 0,
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(capgate::Timestamp::from_unix_seconds(42).unix_seconds(), 42);
    /// ```
    pub fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// The civil date (year, month, day) of this instant in UTC.
    pub(crate) fn date(self) -> (i64, i64, i64) {
        civil_from_days(self.seconds.div_euclid(86_400))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let second_of_day = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            second_of_day / 3600,
            second_of_day % 3600 / 60,
            second_of_day % 60
        )?;
        if self.nanos != 0 {
            let mut fraction = format!("{:09}", self.nanos);
            while fraction.ends_with('0') {
                fraction.pop();
            }
            write!(f, ".{fraction}")?;
        }
        f.write_str("Z")
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        (self.next()? == wanted).then_some(())
    }

    fn digits(&mut self, count: usize) -> Option<i64> {
        let mut value = 0i64;
        for _ in 0..count {
            let byte = self.next().filter(u8::is_ascii_digit)?;
            value = value * 10 + i64::from(byte - b'0');
        }
        Some(value)
    }
}

/// Whether `year` is a leap year in the proleptic Gregorian calendar.
pub(crate) fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Whether year-month-day names a real calendar date.
pub(crate) fn is_valid_date(year: i64, month: i64, day: i64) -> bool {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Result<&str, &str>) {
        let actual = Timestamp::parse(input)
            .map(|t| t.to_string())
            .map_err(|e| e.reason());
        assert_eq!(
            actual.as_deref().map_err(|e| *e),
            expected,
            "input {input:?}"
        );
    }

    #[test]
    fn parses_and_normalises_to_utc() {
        check("2026-05-29T12:00:00Z", Ok("2026-05-29T12:00:00Z"));
        check("2026-05-29t12:00:00z", Ok("2026-05-29T12:00:00Z"));
        check("2026-05-29 12:00:00Z", Ok("2026-05-29T12:00:00Z"));
        check("2026-05-29T12:00:00+02:00", Ok("2026-05-29T10:00:00Z"));
        check("2026-05-29T23:30:00-01:00", Ok("2026-05-30T00:30:00Z"));
        check("2026-05-29T12:00:00.250Z", Ok("2026-05-29T12:00:00.25Z"));
        check(
            "2026-05-29T12:00:00.1234567891Z",
            Ok("2026-05-29T12:00:00.123456789Z"),
        );
        check("2024-02-29T00:00:00Z", Ok("2024-02-29T00:00:00Z"));
        check("0001-01-01T00:00:00Z", Ok("0001-01-01T00:00:00Z"));
        check("9999-12-31T23:59:59Z", Ok("9999-12-31T23:59:59Z"));
    }

    #[test]
    fn rejects_malformed_input() {
        check(
            "2026-05-29T12:00:00",
            Err("missing zone offset (`Z` or `+hh:mm`)"),
        );
        check("2026-02-30T00:00:00Z", Err("not a real calendar date"));
        check("2025-02-29T00:00:00Z", Err("not a real calendar date"));
        check("2026-13-01T00:00:00Z", Err("not a real calendar date"));
        check("2026-05-29T24:00:00Z", Err("time of day out of range"));
        check("2026-05-29T23:59:60Z", Err("time of day out of range"));
        check("2026-05-29T12:00:00+24:00", Err("offset out of range"));
        check(
            "2026-05-29T12:00:00Zjunk",
            Err("unexpected text after the timestamp"),
        );
        check("2026-05-29", Err("expected `T` between date and time"));
        check("0000-01-01T00:00:00Z", Err("year out of range"));
        check("", Err("expected a four-digit year"));
        check(
            "2026-05-29T12:00:00.Z",
            Err("expected digits after the decimal point"),
        );
        check(
            "２０２６-05-29T12:00:00Z",
            Err("expected a four-digit year"),
        );
    }

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for days in (days_from_civil(1600, 1, 1)..days_from_civil(2401, 1, 1)).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert!(is_valid_date(y, m, d));
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn unix_seconds_clamp_to_supported_years() {
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MAX).to_string(),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MIN).to_string(),
            "0001-01-01T00:00:00Z"
        );
    }
}
