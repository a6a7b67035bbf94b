//! Elasticsearch date parsing and formatting for the pipeline's `date` steps
//! (`spec/elastic-parity.md` §2.1 #5, §2.3 `creationDate`, §2.8).
//!
//! Why hand-written: the core stays dependency-light, and parity needs Elasticsearch's exact
//! acceptance rules (strict calendar: `2021-02-30` is an error) and output shape
//! (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, UTC, truncated to milliseconds). Civil-date arithmetic is
//! Howard Hinnant's days-from-civil algorithm.

use std::fmt;

/// A date text that no accepted format parses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError {
    /// The rejected text.
    pub text: String,
}

impl fmt::Display for DateError {
    /// Elasticsearch's message for a failed date processor.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unable to parse date [{}]", self.text)
    }
}

impl std::error::Error for DateError {}

/// Milliseconds since 1970-01-01T00:00:00Z (negative before).
pub type EpochMillis = i64;

/// Parse Elasticsearch's `ISO8601` format: `yyyy[-MM[-dd]]` optionally followed by
/// `'T'HH[:mm[:ss[(.|,)fraction]]]` (fraction 1–9 digits) and a zone (`Z`, `±HH:mm`, `±HHmm`,
/// `±HH`); no zone means UTC.
pub fn parse_iso8601(text: &str) -> Result<EpochMillis, DateError> {
    let err = || DateError {
        text: text.to_owned(),
    };
    let mut c = Cursor::new(text);
    let year = c.digits(4).ok_or_else(err)?;
    let (mut month, mut day) = (1, 1);
    if c.eat(b'-') {
        month = c.digits(2).ok_or_else(err)?;
        if c.eat(b'-') {
            day = c.digits(2).ok_or_else(err)?;
        }
    }
    let mut t = TimeOfDay::default();
    let mut offset_min = 0;
    if c.eat(b'T') {
        t.hour = c.digits(2).ok_or_else(err)?;
        if c.eat(b':') {
            t.minute = c.digits(2).ok_or_else(err)?;
            if c.eat(b':') {
                t.second = c.digits(2).ok_or_else(err)?;
                if c.eat(b'.') || c.eat(b',') {
                    t.nanos = c.fraction().ok_or_else(err)?;
                }
            }
        }
        if !c.done() {
            offset_min = c.zone(true).ok_or_else(err)?;
        }
    }
    if !c.done() {
        return Err(err());
    }
    to_millis(year, month, day, t, offset_min).ok_or_else(err)
}

/// Parse `basic_date_time_no_millis` (`yyyyMMdd'T'HHmmssZ`) or, with `with_fraction`,
/// `basic_date_time` (`yyyyMMdd'T'HHmmss.SSSZ`, fraction 1–9 digits). The zone is required.
pub fn parse_basic(text: &str, with_fraction: bool) -> Result<EpochMillis, DateError> {
    let err = || DateError {
        text: text.to_owned(),
    };
    let mut c = Cursor::new(text);
    let year = c.digits(4).ok_or_else(err)?;
    let month = c.digits(2).ok_or_else(err)?;
    let day = c.digits(2).ok_or_else(err)?;
    if !c.eat(b'T') {
        return Err(err());
    }
    let mut t = TimeOfDay {
        hour: c.digits(2).ok_or_else(err)?,
        minute: c.digits(2).ok_or_else(err)?,
        second: c.digits(2).ok_or_else(err)?,
        nanos: 0,
    };
    if with_fraction {
        if !c.eat(b'.') {
            return Err(err());
        }
        t.nanos = c.fraction().ok_or_else(err)?;
    }
    let offset_min = c.zone(false).ok_or_else(err)?;
    if !c.done() {
        return Err(err());
    }
    to_millis(year, month, day, t, offset_min).ok_or_else(err)
}

/// The `creationDate` formats, tried in order: ISO8601, `basic_date_time_no_millis`,
/// `basic_date_time` (§2.3).
pub fn parse_creation_date(text: &str) -> Result<EpochMillis, DateError> {
    parse_iso8601(text)
        .or_else(|_| parse_basic(text, false))
        .or_else(|_| parse_basic(text, true))
}

/// Format as `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (UTC).
pub fn format_millis(ms: EpochMillis) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("+{y}")
    };
    format!("{year}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{milli:03}Z")
}

/// ISO8601 text → the reference's output form (§2.1 #5).
pub fn normalize_iso8601(text: &str) -> Result<String, DateError> {
    parse_iso8601(text).map(format_millis)
}

/// `creationDate` text → the reference's output form (§2.3).
pub fn normalize_creation_date(text: &str) -> Result<String, DateError> {
    parse_creation_date(text).map(format_millis)
}

#[derive(Clone, Copy, Default)]
struct TimeOfDay {
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
}

/// Validate the fields strictly and combine them into epoch milliseconds.
fn to_millis(
    year: i64,
    month: i64,
    day: i64,
    t: TimeOfDay,
    offset_min: i64,
) -> Option<EpochMillis> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if t.hour > 23 || t.minute > 59 || t.second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + t.hour * 3600 + t.minute * 60 + t.second - offset_min * 60;
    Some(secs * 1000 + t.nanos / 1_000_000)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A byte cursor over ASCII date text.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Cursor<'a> {
        Cursor {
            b: s.as_bytes(),
            i: 0,
        }
    }

    fn done(&self) -> bool {
        self.i >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v = 0i64;
        for _ in 0..n {
            let c = self.peek().filter(u8::is_ascii_digit)?;
            v = v * 10 + i64::from(c - b'0');
            self.i += 1;
        }
        Some(v)
    }

    /// 1–9 fraction digits as nanoseconds.
    fn fraction(&mut self) -> Option<i64> {
        let mut nanos = 0i64;
        let mut n = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            if n == 9 {
                return None;
            }
            nanos = nanos * 10 + i64::from(c - b'0');
            n += 1;
            self.i += 1;
        }
        if n == 0 {
            return None;
        }
        Some(nanos * 10i64.pow(9 - n))
    }

    /// `Z`, `±HH:mm`, `±HHmm` or (when `hour_only`) `±HH`; returns the offset in minutes.
    fn zone(&mut self, hour_only: bool) -> Option<i64> {
        if self.eat(b'Z') {
            return Some(0);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return None;
        };
        let h = self.digits(2)?;
        let m = if self.eat(b':') {
            self.digits(2)?
        } else if self.done() && hour_only {
            0
        } else {
            self.digits(2)?
        };
        if h > 18 || m > 59 {
            return None;
        }
        Some(sign * (h * 60 + m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_accepts_the_elasticsearch_shapes_and_normalises_to_utc_millis() {
        let cases = [
            ("2014-07-16T15:49:27Z", "2014-07-16T15:49:27.000Z"),
            ("2014-07-16", "2014-07-16T00:00:00.000Z"),
            ("2014-07", "2014-07-01T00:00:00.000Z"),
            ("2014", "2014-01-01T00:00:00.000Z"),
            ("2014-07-16T15", "2014-07-16T15:00:00.000Z"),
            ("2014-07-16T15:49", "2014-07-16T15:49:00.000Z"),
            ("2014-07-16T15:49:27", "2014-07-16T15:49:27.000Z"),
            ("2014-07-16T15:49:27.1Z", "2014-07-16T15:49:27.100Z"),
            ("2014-07-16T15:49:27.123456789Z", "2014-07-16T15:49:27.123Z"),
            ("2014-07-16T15:49:27,999Z", "2014-07-16T15:49:27.999Z"),
            ("2014-07-16T15:49:27+02:00", "2014-07-16T13:49:27.000Z"),
            ("2014-07-16T15:49:27-0130", "2014-07-16T17:19:27.000Z"),
            ("2014-07-16T15:49:27+05", "2014-07-16T10:49:27.000Z"),
            // offsets crossing midnight, month, year
            ("2021-03-01T00:30:00+01:00", "2021-02-28T23:30:00.000Z"),
            ("2020-03-01T00:30:00+01:00", "2020-02-29T23:30:00.000Z"),
            ("2020-12-31T23:30:00-01:00", "2021-01-01T00:30:00.000Z"),
            // leap years
            ("2020-02-29T12:00:00Z", "2020-02-29T12:00:00.000Z"),
            ("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_iso8601(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn iso8601_rejects_invalid_calendar_dates_and_malformed_text() {
        let bad = [
            "2021-02-30T00:00:00Z",
            "2019-02-29",
            "1900-02-29",
            "2021-13-01",
            "2021-00-10",
            "2021-04-31",
            "2021-01-01T24:00:00Z",
            "2021-01-01T23:60:00Z",
            "2021-01-01T23:59:60Z",
            "2021-01-01T10:00:00.Z",
            "2021-01-01T10:00:00.1234567890Z",
            "2021-01-01T10:00:00+1",
            "2021-01-01T10:00:00+19:00",
            "2021-01-01 10:00:00Z",
            "2021-01-01T10:00:00Zjunk",
            "21-01-01",
            "-",
            "",
            "Mar 24, 2014 9:11:59 PM",
            "20131102T010628Z",
        ];
        for input in bad {
            assert!(parse_iso8601(input).is_err(), "{input} should fail");
        }
    }

    #[test]
    fn creation_date_falls_back_to_the_basic_formats() {
        let cases = [
            ("20131102T010628Z", "2013-11-02T01:06:28.000Z"),
            ("20131102T010628+0100", "2013-11-02T00:06:28.000Z"),
            ("20131102T010628.5Z", "2013-11-02T01:06:28.500Z"),
            ("2013-11-02T01:06:28Z", "2013-11-02T01:06:28.000Z"),
        ];
        for (input, want) in cases {
            assert_eq!(
                normalize_creation_date(input).as_deref(),
                Ok(want),
                "{input}"
            );
        }
        for bad in ["20130230T010628Z", "20131102T010628", "20131102T0106Z"] {
            assert!(parse_creation_date(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn civil_conversion_round_trips_over_four_centuries() {
        let mut days = days_from_civil(1800, 1, 1);
        let end = days_from_civil(2200, 12, 31);
        while days <= end {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            days += 1;
        }
    }

    #[test]
    fn error_message_has_the_elasticsearch_form() {
        let e = parse_iso8601("nope").unwrap_err();
        assert_eq!(e.to_string(), "unable to parse date [nope]");
    }
}
