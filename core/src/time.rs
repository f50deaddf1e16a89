//! Dates, instants, durations and the working-day calendar.
//!
//! Everything an age or a deadline needs, with no clock and no I/O: "today" and every instant
//! come from the caller, so a decision is the same in the CLI, in Python and in the browser
//! (wasm32).
//!
//! The legal rules this module follows:
//! - 民法典 第二百零一条: a period counted in days, months or years does not count the day it
//!   starts on; it runs from the next day. A period in hours runs from the moment itself.
//! - 民法典 第二百零二条: a period in months or years ends on the corresponding day of the last
//!   month; when that month has no such day, on the month's last day.
//! - 最高人民法院关于审理未成年人刑事案件具体应用法律若干问题的解释 (法释〔2006〕1号) 第二条:
//!   周岁 are counted on the Gregorian calendar, a year being complete from the day after the
//!   birthday.
//! - The contract ("Times"): a deadline counted in days ends at 23:59:59 local time of its last
//!   day; working days come from the official calendar, and outside its years only weekends are
//!   skipped. 民法典 第二百零三条 (a period ending on a holiday ends the day after the holiday) is
//!   deliberately not applied to plain days: the contract counts them as written.
//!
//! Supported dates are years 0001–9999 (proleptic Gregorian). Arithmetic that would leave that
//! range returns `None` instead of wrapping or panicking, so no input can crash the engine.

use std::cmp::Ordering;
use std::fmt;

const SECS_PER_DAY: i64 = 86_400;
const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;
/// Days from 1970-01-01 to 0001-01-01 (negative) and to 9999-12-31.
const MIN_DAYS: i32 = -719_162;
const MAX_DAYS: i32 = 2_932_896;
/// RFC 3339 offsets are written ±HH:MM with HH ≤ 23.
const MAX_OFFSET_MIN: i32 = 23 * 60 + 59;

// ---------------------------------------------------------------------------------------------
// Civil calendar arithmetic (Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms").
// ---------------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date. Exact for every `y` an `i32` holds.
const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let m = m as i64;
    let d = d as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Whether `year` has a February 29th (Gregorian rule).
pub const fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` of `year` (0 for a month outside 1–12), needed for validation and for the
/// month-end rule of 民法典 第二百零二条.
pub const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Narrows a day count to `Date`'s storage, or `None` outside years 0001–9999.
fn days_in_range(days: i64) -> Option<Date> {
    let d = i32::try_from(days).ok()?;
    (MIN_DAYS..=MAX_DAYS).contains(&d).then_some(Date(d))
}

/// Parses a fixed-width field of ASCII digits (`"2026"`, `"03"`); anything else is `None`.
fn digits(s: &str, from: usize, to: usize) -> Option<u32> {
    // Bytes, not a `str` slice: a field cut inside a character holds a byte that is not an
    // ASCII digit, so it is refused either way.
    let field = s.as_bytes().get(from..to)?;
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if field.len() > 9 {
        // Past what nine digits hold: u32's own parse says whether it fits.
        return std::str::from_utf8(field).ok()?.parse().ok();
    }
    Some(
        field
            .iter()
            .fold(0u32, |n, &b| n * 10 + u32::from(b - b'0')),
    )
}

/// What is wrong with a year/month/day triple, before the input text is attached.
enum YmdProblem {
    Year(i32),
    Month(u32),
    Day { year: i32, month: u32, day: u32 },
}

impl YmdProblem {
    fn into_error(self, input: &str) -> TimeError {
        let input = input.to_owned();
        match self {
            YmdProblem::Year(year) => TimeError::YearOutOfRange { input, year },
            YmdProblem::Month(month) => TimeError::NoSuchMonth { input, month },
            YmdProblem::Day { year, month, day } => TimeError::NoSuchDay {
                input,
                year,
                month,
                day,
            },
        }
    }
}

fn check_ymd(year: i32, month: u32, day: u32) -> Result<Date, YmdProblem> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(YmdProblem::Year(year));
    }
    if !(1..=12).contains(&month) {
        return Err(YmdProblem::Month(month));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(YmdProblem::Day { year, month, day });
    }
    days_in_range(days_from_civil(i64::from(year), month, day)).ok_or(YmdProblem::Year(year))
}

/// Reads `YYYY-MM-DD` at the start of `s` (exactly ten bytes), for `Date` and `DateTime`.
/// `Ok(None)` means "not of that shape"; `Err` means the shape is right but the date is not real.
fn parse_ymd_prefix(s: &str) -> Result<Option<Date>, YmdProblem> {
    let shape = s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(7) == Some(&b'-');
    let fields = (digits(s, 0, 4), digits(s, 5, 7), digits(s, 8, 10));
    let (Some(y), Some(m), Some(d), true) = (fields.0, fields.1, fields.2, shape) else {
        return Ok(None);
    };
    // Four digits always fit an i32.
    let y = i32::try_from(y).map_err(|_| YmdProblem::Year(i32::MAX))?;
    check_ymd(y, m, d).map(Some)
}

// ---------------------------------------------------------------------------------------------
// Date
// ---------------------------------------------------------------------------------------------

/// A civil date, proleptic Gregorian, stored as days since 1970-01-01.
///
/// Birth dates, dates of discovery, "as of" dates and deadlines' last days are all civil dates:
/// the law counts periods in whole days (民法典 第二百零一条), never in instants. Storing a day
/// count makes comparison and "N days later" plain integer arithmetic.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// The first supported date, 0001-01-01.
    pub const MIN: Date = Date(MIN_DAYS);
    /// The last supported date, 9999-12-31.
    pub const MAX: Date = Date(MAX_DAYS);

    /// The date `d` days after 1970-01-01 (negative: before). Not range-checked, so it can be
    /// `const`; arithmetic on a date outside years 0001–9999 returns `None`.
    pub const fn from_days(d: i32) -> Date {
        Date(d)
    }

    /// Days since 1970-01-01: the difference of two dates is `b.days() - a.days()`.
    pub const fn days(self) -> i32 {
        self.0
    }

    /// The date with this year, month (1–12) and day, or `None` when there is no such day
    /// (2026-02-30, month 13) or the year is outside 1–9999.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        check_ymd(y, m, d).ok()
    }

    /// Year, month (1–12) and day of month (1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(i64::from(self.0));
        // An i32 day count is within ±5.9 million years, so the year always fits.
        (i32::try_from(y).unwrap_or(i32::MAX), m, d)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// The month, 1–12.
    pub fn month(self) -> u32 {
        self.ymd().1
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u32 {
        self.ymd().2
    }

    /// Parses exactly `YYYY-MM-DD` (ISO 8601 / RFC 3339 full-date). Strict, because facts files
    /// and policies are machine-checked: `2026-3-1` or a trailing space is an error, not a guess.
    pub fn parse(s: &str) -> Result<Date, TimeError> {
        if s.len() != 10 {
            return Err(TimeError::DateSyntax {
                input: s.to_owned(),
            });
        }
        match parse_ymd_prefix(s) {
            Ok(Some(d)) => Ok(d),
            Ok(None) => Err(TimeError::DateSyntax {
                input: s.to_owned(),
            }),
            Err(p) => Err(p.into_error(s)),
        }
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday. Working days are Monday to Friday unless the
    /// calendar says otherwise.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        let w = (i64::from(self.0) + 3).rem_euclid(7) + 1;
        u32::try_from(w).unwrap_or(1)
    }

    /// Whether this is a Saturday or a Sunday.
    pub fn is_weekend(self) -> bool {
        self.weekday() >= 6
    }

    /// The date `n` days later (earlier when negative); `None` outside years 0001–9999.
    pub fn add_days(self, n: i64) -> Option<Date> {
        days_in_range(i64::from(self.0).checked_add(n)?)
    }

    /// The date `n` calendar months later (earlier when negative), on the same day of the month,
    /// or on the month's last day when that month is shorter: Jan 31 + 1 month = Feb 28 (Feb 29 in
    /// a leap year). This is 民法典 第二百零二条: "没有对应日的，月末日为期间的最后一日".
    /// `None` outside years 0001–9999.
    pub fn add_months(self, n: i64) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let index = i64::from(y)
            .checked_mul(12)?
            .checked_add(i64::from(m) - 1)?
            .checked_add(n)?;
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return None;
        }
        let day = d.min(days_in_month(year, month));
        check_ymd(year, month, day).ok()
    }

    /// The date `n` years later: `add_months(12 * n)`, so Feb 29 + 1 year = Feb 28 (the same
    /// month-end rule, 民法典 第二百零二条).
    pub fn add_years(self, n: i64) -> Option<Date> {
        self.add_months(n.checked_mul(12)?)
    }

    /// The calendar month this date falls in.
    pub fn year_month(self) -> YearMonth {
        let (year, month, _) = self.ymd();
        YearMonth { year, month }
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`, the form `Date::parse` reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.text_bytes() {
            if let Ok(s) = std::str::from_utf8(&text) {
                return f.write_str(s);
            }
        }
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Two ASCII digits of `n % 100`.
fn two_digits(n: u32) -> [u8; 2] {
    // Both below 10, so the casts cannot truncate.
    [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]
}

impl Date {
    /// The `Display` text without the formatting machinery, for years 0–9999 (every date
    /// this module makes); `None` outside them.
    fn text_bytes(self) -> Option<[u8; 10]> {
        let (y, m, d) = self.ymd();
        let y = u32::try_from(y).ok().filter(|y| *y <= 9999)?;
        let ([y0, y1], [y2, y3]) = (two_digits(y / 100), two_digits(y));
        let ([m0, m1], [d0, d1]) = (two_digits(m), two_digits(d));
        Some([y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1])
    }

    /// Appends the `Display` text to `out` (the decision JSON writer prints many dates).
    pub fn push_text(self, out: &mut Vec<u8>) {
        match self.text_bytes() {
            Some(text) => out.extend_from_slice(&text),
            None => push_display(out, self),
        }
    }
}

/// Appends a `Display` text to a byte buffer, through the formatting machinery.
fn push_display(out: &mut Vec<u8>, x: impl fmt::Display) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{x}");
}

impl std::str::FromStr for Date {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Date, TimeError> {
        Date::parse(s)
    }
}

/// 周岁 on `on`: the number of completed years of life.
///
/// A year is complete from the day *after* the birthday (法释〔2006〕1号 第二条: "从周岁生日的第二天
/// 起算"), so on the 14th birthday itself the age is still 13, and 14 from the next day. A Feb 29
/// birthday's anniversary in a common year is Feb 28 (the month-end rule of 民法典 第二百零二条), so
/// that year completes on Mar 1.
///
/// Returns `None` when `on` is before `birth` (not born yet): callers treat that as an error or
/// an unknown age, never as age 0.
pub fn zhousui(birth: Date, on: Date) -> Option<i64> {
    if on < birth {
        return None;
    }
    let years = i64::from(on.year()) - i64::from(birth.year());
    if years == 0 {
        return Some(0);
    }
    // The anniversary in `on`'s year; the year completes the day after it.
    let anniversary = birth.add_years(years);
    match anniversary {
        Some(a) if a < on => Some(years),
        Some(_) => Some(years - 1),
        // Only for dates outside 0001–9999: count by month and day directly.
        None => {
            let (_, bm, bd) = birth.ymd();
            let (_, om, od) = on.ymd();
            Some(if (om, od) > (bm, bd) {
                years
            } else {
                years - 1
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DateTime
// ---------------------------------------------------------------------------------------------

/// An instant with the UTC offset it is shown in.
///
/// Triggers (`discovered_at`) and due times are instants, but people read and write them in
/// local time: the offset is kept so output shows what the caller wrote, and so "the trigger
/// day" can be taken in a stated offset. Equality compares both; ordering is by instant first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    unix: i64,
    /// Minutes east of UTC, within ±23:59.
    offset_min: i32,
}

impl DateTime {
    /// +08:00, China Standard Time: the offset Guangzhou uses all year, and the one a time
    /// written without an offset is read in (contract, "Times").
    pub const DEFAULT_OFFSET_MIN: i32 = 480;

    /// The instant `unix` seconds after the epoch, shown in `offset_min` minutes east of UTC.
    /// The offset is clamped to ±23:59, the largest RFC 3339 can write, so every value prints
    /// and parses back.
    pub fn new(unix: i64, offset_min: i32) -> DateTime {
        DateTime {
            unix,
            offset_min: offset_min.clamp(-MAX_OFFSET_MIN, MAX_OFFSET_MIN),
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix(self) -> i64 {
        self.unix
    }

    /// Minutes east of UTC this instant is shown in.
    pub fn offset_min(self) -> i32 {
        self.offset_min
    }

    /// Parses RFC 3339 and the forms people type:
    /// `2026-03-01T10:00:00+08:00`, `2026-03-01T10:00+08:00`, `…Z`, fractional seconds
    /// (`10:00:00.5`, dropped: deadlines are counted in whole seconds), a space or lower-case `t`
    /// instead of `T`, and no offset at all.
    ///
    /// Without an offset the time is read in +08:00 and the flag is `false`, so the caller can add
    /// the note the contract asks for. Impossible dates and times (2026-02-30, 25:00, 10:60, a
    /// leap second 23:59:60) are errors: a wrong fact must not silently become another day.
    pub fn parse(s: &str) -> Result<(DateTime, bool), TimeError> {
        match DateTime::parse_common(s) {
            Some(t) => Ok((t, true)),
            None => DateTime::parse_any(s),
        }
    }

    /// [`DateTime::parse`] for every shape it takes.
    fn parse_any(s: &str) -> Result<(DateTime, bool), TimeError> {
        let syntax = || TimeError::DateTimeSyntax {
            input: s.to_owned(),
        };
        let date = match parse_ymd_prefix(s) {
            Ok(Some(d)) => d,
            Ok(None) => return Err(syntax()),
            Err(p) => return Err(p.into_error(s)),
        };
        let bytes = s.as_bytes();
        match bytes.get(10) {
            None => {
                return Err(TimeError::MissingTime {
                    input: s.to_owned(),
                })
            }
            Some(b'T' | b't' | b' ') => {}
            Some(_) => return Err(syntax()),
        }
        // HH:MM, then optional :SS and an optional fraction.
        let (Some(hour), Some(b':'), Some(minute)) =
            (digits(s, 11, 13), bytes.get(13), digits(s, 14, 16))
        else {
            return Err(syntax());
        };
        let mut pos = 16;
        let mut second = 0;
        if bytes.get(pos) == Some(&b':') {
            second = digits(s, 17, 19).ok_or_else(syntax)?;
            pos = 19;
            if matches!(bytes.get(pos), Some(b'.' | b',')) {
                let frac = bytes.get(pos + 1..).unwrap_or_default();
                let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 {
                    return Err(syntax());
                }
                pos += 1 + n;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimeError::NoSuchTime {
                input: s.to_owned(),
            });
        }
        let (offset_min, explicit) = match bytes.get(pos) {
            None => (DateTime::DEFAULT_OFFSET_MIN, false),
            Some(b'Z' | b'z') if pos + 1 == bytes.len() => (0, true),
            Some(&sign @ (b'+' | b'-')) => {
                let (Some(oh), Some(b':'), Some(om), true) = (
                    digits(s, pos + 1, pos + 3),
                    bytes.get(pos + 3),
                    digits(s, pos + 4, pos + 6),
                    pos + 6 == bytes.len(),
                ) else {
                    return Err(TimeError::BadOffset {
                        input: s.to_owned(),
                    });
                };
                if oh > 23 || om > 59 {
                    return Err(TimeError::BadOffset {
                        input: s.to_owned(),
                    });
                }
                let magnitude = i32::try_from(oh * 60 + om).map_err(|_| syntax())?;
                (if sign == b'-' { -magnitude } else { magnitude }, true)
            }
            Some(_) => return Err(syntax()),
        };
        let local = i64::from(date.days()) * SECS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Ok((
            DateTime::new(local - i64::from(offset_min) * 60, offset_min),
            explicit,
        ))
    }

    /// The most common shape, `YYYY-MM-DDTHH:MM:SS+HH:MM` (or `-HH:MM`), read in one go: the
    /// same value as the general reading below, `None` for anything else or anything it
    /// would refuse (the general reading then says why).
    fn parse_common(s: &str) -> Option<DateTime> {
        DateTime::parse_common_bytes(s.as_bytes())
    }

    /// [`DateTime::parse_common`] of a text's bytes: the shape is ASCII, so bytes it reads
    /// are a text's (no UTF-8 check needed first), and it gives what [`DateTime::parse`] of
    /// that text gives with an offset, or `None`.
    pub(crate) fn parse_common_bytes(bytes: &[u8]) -> Option<DateTime> {
        let bytes: &[u8; 25] = bytes.try_into().ok()?;
        let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1, sign @ (b'+' | b'-'), oh0, oh1, b':', om0, om1] =
            *bytes
        else {
            return None;
        };
        let two = |a: u8, b: u8| -> Option<u32> {
            let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
            (a < 10 && b < 10).then_some(u32::from(a) * 10 + u32::from(b))
        };
        let year = two(y0, y1)? * 100 + two(y2, y3)?;
        let (month, day) = (two(m0, m1)?, two(d0, d1)?);
        let (hour, minute, second) = (two(h0, h1)?, two(i0, i1)?, two(s0, s1)?);
        let (oh, om) = (two(oh0, oh1)?, two(om0, om1)?);
        if hour > 23 || minute > 59 || second > 59 || oh > 23 || om > 59 {
            return None;
        }
        let date = check_ymd(i32::try_from(year).ok()?, month, day).ok()?;
        let magnitude = i32::try_from(oh * 60 + om).ok()?;
        let offset_min = if sign == b'-' { -magnitude } else { magnitude };
        let local = i64::from(date.days()) * SECS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Some(DateTime::new(
            local - i64::from(offset_min) * 60,
            offset_min,
        ))
    }

    /// Seconds since the epoch as read on a wall clock in this offset.
    fn local_seconds(self) -> i64 {
        self.unix.saturating_add(i64::from(self.offset_min) * 60)
    }

    /// The civil date on a wall clock in this instant's own offset. Periods in days start from a
    /// civil date (民法典 第二百零一条), so the offset decides which day that is; `due_after`
    /// first moves the trigger into the jurisdiction's offset.
    pub fn local_date(self) -> Date {
        let days = self.local_seconds().div_euclid(SECS_PER_DAY);
        Date(i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }))
    }

    /// 00:00:00 local time on `d`: the start of a day counted as a whole.
    pub fn at_start_of_day(d: Date, offset_min: i32) -> DateTime {
        let offset_min = offset_min.clamp(-MAX_OFFSET_MIN, MAX_OFFSET_MIN);
        DateTime::new(
            i64::from(d.days()) * SECS_PER_DAY - i64::from(offset_min) * 60,
            offset_min,
        )
    }

    /// 23:59:59 local time on `d`: when a period counted in days ends (contract, "Times"; the
    /// 二十四时 of 民法典 第二百零三条 written as the last whole second).
    pub fn at_end_of_day(d: Date, offset_min: i32) -> DateTime {
        let start = DateTime::at_start_of_day(d, offset_min);
        DateTime::new(start.unix + SECS_PER_DAY - 1, start.offset_min)
    }

    /// The same instant shown in another offset (clamped to ±23:59 like `new`).
    pub fn with_offset(self, offset_min: i32) -> DateTime {
        DateTime::new(self.unix, offset_min)
    }

    /// The instant `s` seconds later (earlier when negative), in the same offset; `None` when the
    /// local date would leave years 0001–9999.
    pub fn add_seconds(self, s: i64) -> Option<DateTime> {
        let t = DateTime {
            unix: self.unix.checked_add(s)?,
            offset_min: self.offset_min,
        };
        let local_days = t.local_seconds().div_euclid(SECS_PER_DAY);
        days_in_range(local_days).map(|_| t)
    }
}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &DateTime) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DateTime {
    /// Earlier instants first; the same instant in different offsets is ordered by offset only
    /// so that the order is total and consistent with `Eq`.
    fn cmp(&self, other: &DateTime) -> Ordering {
        (self.unix, self.offset_min).cmp(&(other.unix, other.offset_min))
    }
}

impl DateTime {
    /// The `Display` text without the formatting machinery, for dates in years 0–9999;
    /// `None` outside them.
    fn text_bytes(self) -> Option<[u8; 25]> {
        let [y0, y1, y2, y3, _, m0, m1, _, d0, d1] = self.local_date().text_bytes()?;
        let secs = self.local_seconds().rem_euclid(SECS_PER_DAY);
        // Within a day, so each part fits in a u32.
        let secs = u32::try_from(secs).ok()?;
        let ([h0, h1], [i0, i1], [s0, s1]) = (
            two_digits(secs / 3600),
            two_digits(secs / 60 % 60),
            two_digits(secs % 60),
        );
        let sign = if self.offset_min < 0 { b'-' } else { b'+' };
        let off = self.offset_min.unsigned_abs();
        if off / 60 > 99 {
            return None;
        }
        let ([o0, o1], [p0, p1]) = (two_digits(off / 60), two_digits(off % 60));
        Some([
            y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1,
            sign, o0, o1, b':', p0, p1,
        ])
    }

    /// Appends the `Display` text to `out` (the decision JSON writer prints many due times).
    pub fn push_text(self, out: &mut Vec<u8>) {
        match self.text_bytes() {
            Some(text) => out.extend_from_slice(&text),
            None => push_display(out, self),
        }
    }
}

impl fmt::Display for DateTime {
    /// RFC 3339 with seconds and offset, `2026-03-01T10:00:00+08:00`; UTC prints `+00:00` (not
    /// `Z`) so every output has the same shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.text_bytes() {
            if let Ok(s) = std::str::from_utf8(&text) {
                return f.write_str(s);
            }
        }
        let secs = self.local_seconds().rem_euclid(SECS_PER_DAY);
        let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let sign = if self.offset_min < 0 { '-' } else { '+' };
        let off = self.offset_min.unsigned_abs();
        write!(
            f,
            "{}T{h:02}:{mi:02}:{s:02}{sign}{:02}:{:02}",
            self.local_date(),
            off / 60,
            off % 60
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Duration
// ---------------------------------------------------------------------------------------------

/// A duration as policy texts write it: hours, days, working days, months, years.
///
/// The unit is kept rather than converted to seconds because the law counts each differently:
/// hours from the moment (民法典 第二百零一条 second paragraph), days from the next day, working
/// days on the official calendar, months and years with the month-end rule (第二百零二条).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Duration {
    /// N hours from the trigger instant.
    Hours(i64),
    /// N calendar days (自然日) after the trigger day.
    Days(i64),
    /// N working days (工作日) after the trigger day, on the official calendar.
    WorkingDays(i64),
    /// N calendar months after the trigger day.
    Months(i64),
    /// N years after the trigger day.
    Years(i64),
}

/// A unit word and the constructor it stands for.
type UnitTable = &'static [(&'static str, fn(i64) -> Duration)];

/// Unit words `Duration::parse` accepts, after whitespace is collapsed and ASCII lower-cased.
const ENGLISH_UNITS: UnitTable = &[
    ("hour", Duration::Hours),
    ("hours", Duration::Hours),
    ("day", Duration::Days),
    ("days", Duration::Days),
    ("calendar day", Duration::Days),
    ("calendar days", Duration::Days),
    ("working day", Duration::WorkingDays),
    ("working days", Duration::WorkingDays),
    ("workday", Duration::WorkingDays),
    ("workdays", Duration::WorkingDays),
    ("work day", Duration::WorkingDays),
    ("work days", Duration::WorkingDays),
    ("business day", Duration::WorkingDays),
    ("business days", Duration::WorkingDays),
    ("month", Duration::Months),
    ("months", Duration::Months),
    ("year", Duration::Years),
    ("years", Duration::Years),
];

/// Chinese units, matched with all whitespace removed. A bare "月" is not accepted: "6月" reads
/// as June.
const CHINESE_UNITS: UnitTable = &[
    ("小时", Duration::Hours),
    ("个小时", Duration::Hours),
    ("天", Duration::Days),
    ("日", Duration::Days),
    ("自然日", Duration::Days),
    ("个自然日", Duration::Days),
    ("工作日", Duration::WorkingDays),
    ("个工作日", Duration::WorkingDays),
    ("个月", Duration::Months),
    ("年", Duration::Years),
];

impl Duration {
    /// Parses the canonical English forms (`24 hours`, `1 hour`, `5 working days`, `3 days`,
    /// `6 months`, `1 year`) and their common variants (`48 hour`, `5 workdays`, `5 business
    /// days`, any case), and Chinese (`48小时`, `5个工作日`, `5工作日`, `3天`, `3日`, `6个月`, `1年`).
    /// Whitespace between number and unit is optional and surrounding whitespace is ignored, since
    /// these are typed as parameter overrides. The number is a non-negative whole number in ASCII
    /// digits; abbreviations such as `48h` are refused so a policy always reads as words.
    pub fn parse(s: &str) -> Result<Duration, TimeError> {
        let syntax = || TimeError::DurationSyntax {
            input: s.to_owned(),
        };
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at_checked(split).ok_or_else(syntax)?;
        if number.is_empty() {
            return Err(syntax());
        }
        let n: i64 = number.parse().map_err(|_| TimeError::NumberTooLarge {
            input: s.to_owned(),
        })?;
        let words: Vec<&str> = unit.split_whitespace().collect();
        let english = words.join(" ").to_ascii_lowercase();
        let chinese = words.concat();
        ENGLISH_UNITS
            .iter()
            .find(|(word, _)| *word == english)
            .or_else(|| CHINESE_UNITS.iter().find(|(word, _)| *word == chinese))
            .map(|(_, make)| make(n))
            .ok_or_else(syntax)
    }

    /// The number of units, whatever the unit.
    pub fn count(self) -> i64 {
        match self {
            Duration::Hours(n)
            | Duration::Days(n)
            | Duration::WorkingDays(n)
            | Duration::Months(n)
            | Duration::Years(n) => n,
        }
    }

    /// The duration in Chinese, for the Chinese rendering of decisions: `24小时`, `5个工作日`,
    /// `3天`, `6个月`, `1年`.
    pub fn to_zh(self) -> String {
        match self {
            Duration::Hours(n) => format!("{n}小时"),
            Duration::Days(n) => format!("{n}天"),
            Duration::WorkingDays(n) => format!("{n}个工作日"),
            Duration::Months(n) => format!("{n}个月"),
            Duration::Years(n) => format!("{n}年"),
        }
    }
}

impl fmt::Display for Duration {
    /// The canonical form the contract's `deadline` field uses: `24 hours`, `1 hour`,
    /// `5 working days`, `1 working day`, `3 days`, `6 months`, `1 year` (singular only for 1).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = self.count_and_unit();
        write!(f, "{n} {unit}")
    }
}

impl Duration {
    /// The number and the unit of the `Display` text.
    fn count_and_unit(self) -> (i64, &'static str) {
        let (n, one, many) = match self {
            Duration::Hours(n) => (n, "hour", "hours"),
            Duration::Days(n) => (n, "day", "days"),
            Duration::WorkingDays(n) => (n, "working day", "working days"),
            Duration::Months(n) => (n, "month", "months"),
            Duration::Years(n) => (n, "year", "years"),
        };
        (n, if n == 1 { one } else { many })
    }

    /// Appends the `Display` text to `out` (the decision JSON writer).
    pub fn push_text(self, out: &mut Vec<u8>) {
        let (n, unit) = self.count_and_unit();
        push_int(out, n);
        out.push(b' ');
        out.extend_from_slice(unit.as_bytes());
    }
}

/// Appends an integer in decimal, as `Display` writes it, without the formatting machinery.
pub fn push_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let start = out.len();
    let mut rest = n.unsigned_abs();
    loop {
        // A digit: below 10, so the cast cannot truncate.
        out.push(b'0' + (rest % 10) as u8);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if let Some(digits) = out.get_mut(start..) {
        digits.reverse();
    }
}

impl std::str::FromStr for Duration {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Duration, TimeError> {
        Duration::parse(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

/// The official working-day calendar: public holidays and make-up working days (调休), as set
/// each year by the State Council General Office's notice (国务院办公厅关于部分节假日安排的通知).
///
/// "Within 5 working days" is counted on this calendar. It covers a range of years; for a year
/// with no notice yet only weekends are skipped, and callers are told so they can add a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    first_year: i32,
    last_year: i32,
    /// Sorted by date, no duplicates.
    holidays: Vec<(Date, String)>,
    /// Sorted by date, no duplicates.
    workdays: Vec<(Date, String)>,
}

/// Inserts into a date-sorted list unless the date is already there (first label wins).
fn insert_sorted(list: &mut Vec<(Date, String)>, d: Date, label: &str) {
    if let Err(i) = list.binary_search_by_key(&d, |(x, _)| *x) {
        list.insert(i, (d, label.to_owned()));
    }
}

fn label_of(list: &[(Date, String)], d: Date) -> Option<&str> {
    let i = list.binary_search_by_key(&d, |(x, _)| *x).ok()?;
    list.get(i).map(|(_, l)| l.as_str())
}

impl Calendar {
    /// An empty calendar named `name` covering the years `first_year..=last_year` (none when
    /// `first_year > last_year`). Holidays and make-up days are added one by one.
    pub fn new(name: &str, first_year: i32, last_year: i32) -> Calendar {
        Calendar {
            name: name.to_owned(),
            first_year,
            last_year,
            holidays: Vec::new(),
            workdays: Vec::new(),
        }
    }

    /// The calendar's name, for notes and `humiao check`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Marks `d` as a public holiday labelled e.g. `春节`. Adding a date twice keeps the first
    /// label, so loading the same data again changes nothing.
    pub fn add_holiday(&mut self, d: Date, label: &str) {
        insert_sorted(&mut self.holidays, d, label);
    }

    /// Marks `d` as a make-up working day (调休上班, normally a Saturday or Sunday). A date that
    /// is both a holiday and a make-up day counts as a working day. Idempotent like
    /// `add_holiday`.
    pub fn add_workday(&mut self, d: Date, label: &str) {
        insert_sorted(&mut self.workdays, d, label);
    }

    /// Whether `d`'s year is one the calendar has data for.
    pub fn covers(&self, d: Date) -> bool {
        (self.first_year..=self.last_year).contains(&d.year())
    }

    /// The first and last covered year.
    pub fn covered_years(&self) -> (i32, i32) {
        (self.first_year, self.last_year)
    }

    /// The holidays, in date order, with their labels.
    pub fn holidays(&self) -> impl Iterator<Item = (Date, &str)> + '_ {
        self.holidays.iter().map(|(d, l)| (*d, l.as_str()))
    }

    /// The make-up working days, in date order, with their labels.
    pub fn workdays(&self) -> impl Iterator<Item = (Date, &str)> + '_ {
        self.workdays.iter().map(|(d, l)| (*d, l.as_str()))
    }

    /// The label of `d` when it is a listed holiday.
    pub fn holiday_label(&self, d: Date) -> Option<&str> {
        label_of(&self.holidays, d)
    }

    /// The label of `d` when it is a listed make-up working day.
    pub fn workday_label(&self, d: Date) -> Option<&str> {
        label_of(&self.workdays, d)
    }

    /// A working day is a make-up working day, or a Monday–Friday that is not a holiday. Outside
    /// the covered years the listed days are ignored and every Monday–Friday is a working day.
    pub fn is_working_day(&self, d: Date) -> bool {
        if !self.covers(d) {
            return !d.is_weekend();
        }
        self.workday_label(d).is_some() || (!d.is_weekend() && self.holiday_label(d).is_none())
    }

    /// The first listed holiday or make-up day after `d` that falls in a covered year: the next
    /// day where the plain Monday–Friday rule might not hold.
    fn next_special_after(&self, d: Date) -> Option<Date> {
        // Covered dates form one contiguous run of each sorted list, starting at Jan 1 of the
        // first covered year, so the first entry past both bounds is the only candidate.
        let first_covered = days_from_civil(i64::from(self.first_year), 1, 1);
        let bound = (i64::from(d.days()) + 1).max(first_covered);
        let next_in = |list: &[(Date, String)]| {
            let i = list.partition_point(|(x, _)| i64::from(x.days()) < bound);
            list.get(i).map(|(x, _)| *x).filter(|x| self.covers(*x))
        };
        match (next_in(&self.holidays), next_in(&self.workdays)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// "N working days" from a trigger day: the Nth working day strictly after `from` (the trigger
    /// day itself is not counted, 民法典 第二百零一条); `n = 0` gives `from` itself.
    ///
    /// Also returns whether any day counted (after `from`, up to the result) fell outside the
    /// covered years, where only weekends were skipped, so the caller can add a note. `None` for a
    /// negative `n` or a result after 9999-12-31.
    ///
    /// Stretches of ordinary weeks are skipped five working days at a time, so the cost is about
    /// seven steps per listed holiday plus a few, whatever `n` is.
    pub fn add_working_days(&self, from: Date, n: i64) -> Option<(Date, bool)> {
        if n < 0 {
            return None;
        }
        if n == 0 {
            return Some((from, false));
        }
        let mut cur = from;
        let mut remaining = n;
        // The next listed day after `cur`: every day before it is a working day exactly when
        // it is not a weekend, so it is looked up only when it is reached.
        let mut special = self.next_special_after(cur);
        while remaining > 0 {
            // Whole ordinary weeks hold exactly five working days. Keep 1–5 for the last steps,
            // since where the last one falls depends on the weekday.
            let mut weeks = (remaining - 1) / 5;
            if let Some(special) = special {
                let gap = i64::from(special.days()) - i64::from(cur.days()) - 1;
                weeks = weeks.min(gap / 7);
            }
            if weeks > 0 {
                cur = cur.add_days(weeks.checked_mul(7)?)?;
                remaining -= weeks * 5;
            } else {
                cur = cur.add_days(1)?;
                let working = match special {
                    Some(sp) if cur >= sp => {
                        special = self.next_special_after(cur);
                        self.is_working_day(cur)
                    }
                    _ => !cur.is_weekend(),
                };
                if working {
                    remaining -= 1;
                }
            }
        }
        let first_counted = from.add_days(1)?;
        let outside = !(self.covers(first_counted) && self.covers(cur));
        Some((cur, outside))
    }
}

/// The due time of a deadline, per the contract ("Times"), shown in `out_offset_min` (normally
/// `DateTime::DEFAULT_OFFSET_MIN`, +08:00).
///
/// - `Hours(n)`: the trigger instant + n hours (民法典 第二百零一条: hours run from the moment).
/// - `Days(n)`: 23:59:59 of the nth day after the trigger day (the trigger day is not counted).
/// - `WorkingDays(n)`: 23:59:59 of the nth working day after the trigger day on `cal`; with no
///   calendar, or outside its years, only weekends are skipped and the flag is `true`.
/// - `Months(n)` / `Years(n)`: 23:59:59 of the same day of the month n months (years) later, or
///   of that month's last day (民法典 第二百零二条).
///
/// The trigger day is the trigger's date in `out_offset_min`, the jurisdiction's clock: a report
/// discovered at 2026-03-01T23:30:00Z happened on 2026-03-02 in Guangzhou, and that is the day
/// that does not count. Returns `None` when the result would leave years 0001–9999 (or for a
/// negative number of working days).
pub fn due_after(
    trigger: DateTime,
    d: Duration,
    cal: Option<&Calendar>,
    out_offset_min: i32,
) -> Option<(DateTime, bool)> {
    let trigger = trigger.with_offset(out_offset_min);
    let day = trigger.local_date();
    let end_of = |last: Date| DateTime::at_end_of_day(last, out_offset_min);
    match d {
        Duration::Hours(n) => Some((trigger.add_seconds(n.checked_mul(3600)?)?, false)),
        Duration::Days(n) => Some((end_of(day.add_days(n)?), false)),
        Duration::WorkingDays(n) => match cal {
            Some(cal) => cal
                .add_working_days(day, n)
                .map(|(last, outside)| (end_of(last), outside)),
            None => {
                let weekends_only = Calendar::new("", 1, 0);
                weekends_only
                    .add_working_days(day, n)
                    .map(|(last, _)| (end_of(last), true))
            }
        },
        Duration::Months(n) => Some((end_of(day.add_months(n)?), false)),
        Duration::Years(n) => Some((end_of(day.add_years(n)?), false)),
    }
}

// ---------------------------------------------------------------------------------------------
// YearMonth
// ---------------------------------------------------------------------------------------------

/// A calendar month such as 2027-01: the unit of the monthly supervision rotation, whose plan and
/// history are keyed by month.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year, 1–9999 for values `parse` accepts.
    pub year: i32,
    /// The month, 1–12.
    pub month: u32,
}

impl YearMonth {
    /// Parses exactly `YYYY-MM`, e.g. `2027-01`, the form plans and history CSVs use.
    pub fn parse(s: &str) -> Result<YearMonth, TimeError> {
        let syntax = || TimeError::YearMonthSyntax {
            input: s.to_owned(),
        };
        if s.len() != 7 || s.as_bytes().get(4) != Some(&b'-') {
            return Err(syntax());
        }
        let (Some(year), Some(month)) = (digits(s, 0, 4), digits(s, 5, 7)) else {
            return Err(syntax());
        };
        let year = i32::try_from(year).map_err(|_| syntax())?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(TimeError::YearOutOfRange {
                input: s.to_owned(),
                year,
            });
        }
        if !(1..=12).contains(&month) {
            return Err(TimeError::NoSuchMonth {
                input: s.to_owned(),
                month,
            });
        }
        Ok(YearMonth { year, month })
    }

    /// Months since year 0, January: makes month arithmetic integer arithmetic.
    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The next month: December rolls over into January of the next year.
    pub fn succ(self) -> YearMonth {
        if self.month >= 12 {
            YearMonth {
                year: self.year.saturating_add(1),
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month `n` months later (earlier when negative); `None` outside years 0001–9999.
    // Not `std::ops::Add`: the result is partial, and the name is the one the engine calls.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, n: i64) -> Option<YearMonth> {
        let index = self.index().checked_add(n)?;
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
        (MIN_YEAR..=MAX_YEAR)
            .contains(&year)
            .then_some(YearMonth { year, month })
    }

    /// How many months from `a` to `b`: positive when `b` is later, so
    /// `a.add(YearMonth::months_between(a, b)) == Some(b)`.
    pub fn months_between(a: YearMonth, b: YearMonth) -> i64 {
        b.index() - a.index()
    }

    /// The month containing `d`.
    pub fn of(d: Date) -> YearMonth {
        d.year_month()
    }

    /// The first day of the month, or `None` for an invalid month.
    pub fn first_day(self) -> Option<Date> {
        Date::from_ymd(self.year, self.month, 1)
    }

    /// The last day of the month, or `None` for an invalid month.
    pub fn last_day(self) -> Option<Date> {
        Date::from_ymd(self.year, self.month, days_in_month(self.year, self.month))
    }
}

impl fmt::Display for YearMonth {
    /// `YYYY-MM`, the form `YearMonth::parse` reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for YearMonth {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<YearMonth, TimeError> {
        YearMonth::parse(s)
    }
}

// ---------------------------------------------------------------------------------------------
// serde: as the same strings Display writes and parse reads
// ---------------------------------------------------------------------------------------------

macro_rules! serde_as_string {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                <$t>::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )*};
}
serde_as_string!(Date, Duration, YearMonth);

/// Serialized as RFC 3339 (`Display`). There is deliberately no `Deserialize`: reading a time
/// without an offset must produce the contract's note, which only `DateTime::parse` reports.
impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a date, time, duration or month could not be read. Each variant keeps the input so the
/// message can quote it; every message exists in English (`Display`) and Chinese
/// (`message_zh`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not of the form `YYYY-MM-DD`.
    DateSyntax {
        /// The text as given.
        input: String,
    },
    /// Month outside 1–12.
    NoSuchMonth {
        /// The text as given.
        input: String,
        /// The month written.
        month: u32,
    },
    /// A day the month does not have (2026-02-30, or day 00).
    NoSuchDay {
        /// The text as given.
        input: String,
        /// The year written.
        year: i32,
        /// The month written, 1–12.
        month: u32,
        /// The day written.
        day: u32,
    },
    /// Year 0000, or outside what the engine supports.
    YearOutOfRange {
        /// The text as given.
        input: String,
        /// The year written.
        year: i32,
    },
    /// A date where a date and time is needed.
    MissingTime {
        /// The text as given.
        input: String,
    },
    /// Not a date and time in any accepted form.
    DateTimeSyntax {
        /// The text as given.
        input: String,
    },
    /// Hour above 23, minute or second above 59.
    NoSuchTime {
        /// The text as given.
        input: String,
    },
    /// A malformed or out-of-range UTC offset.
    BadOffset {
        /// The text as given.
        input: String,
    },
    /// Not a number followed by a known unit.
    DurationSyntax {
        /// The text as given.
        input: String,
    },
    /// The number of a duration does not fit in 64 bits.
    NumberTooLarge {
        /// The text as given.
        input: String,
    },
    /// Not of the form `YYYY-MM`.
    YearMonthSyntax {
        /// The text as given.
        input: String,
    },
}

/// Month names for English messages (proper nouns, capitalised).
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl TimeError {
    /// The text that could not be read.
    pub fn input(&self) -> &str {
        match self {
            TimeError::DateSyntax { input }
            | TimeError::NoSuchMonth { input, .. }
            | TimeError::NoSuchDay { input, .. }
            | TimeError::YearOutOfRange { input, .. }
            | TimeError::MissingTime { input }
            | TimeError::DateTimeSyntax { input }
            | TimeError::NoSuchTime { input }
            | TimeError::BadOffset { input }
            | TimeError::DurationSyntax { input }
            | TimeError::NumberTooLarge { input }
            | TimeError::YearMonthSyntax { input } => input,
        }
    }

    /// The message in Chinese, for staff who read the Chinese interface.
    pub fn message_zh(&self) -> String {
        match self {
            TimeError::DateSyntax { input } => {
                format!("`{input}` 不是日期：应为 YYYY-MM-DD 格式，例如 2026-03-01")
            }
            TimeError::NoSuchMonth { input, month } => format!("`{input}` 不是有效日期（没有{month}月）"),
            TimeError::NoSuchDay { input, year, month, day } => {
                if *day == 0 {
                    format!("`{input}` 不是有效日期（日期从01日开始）")
                } else {
                    let n = days_in_month(*year, *month);
                    format!("`{input}` 不是有效日期（{year}年{month}月只有{n}天）")
                }
            }
            TimeError::YearOutOfRange { input, .. } => {
                format!("`{input}` 超出范围：只支持0001年至9999年")
            }
            TimeError::MissingTime { input } => {
                format!("`{input}` 缺少时间：应为例如 2026-03-01T10:00:00+08:00")
            }
            TimeError::DateTimeSyntax { input } => format!(
                "`{input}` 不是日期时间：应为 RFC 3339 格式，例如 2026-03-01T10:00:00+08:00 或 2026-03-01 10:00"
            ),
            TimeError::NoSuchTime { input } => {
                format!("`{input}` 不是有效时间（小时为00–23，分钟和秒为00–59）")
            }
            TimeError::BadOffset { input } => {
                format!("`{input}` 的时区偏移无效：应为 Z 或 ±HH:MM，范围 -23:59 至 +23:59")
            }
            TimeError::DurationSyntax { input } => format!(
                "`{input}` 不是期限：应为整数加单位，例如 24小时、5个工作日、3天、6个月、1年"
            ),
            TimeError::NumberTooLarge { input } => format!("`{input}` 中的数字过大"),
            TimeError::YearMonthSyntax { input } => {
                format!("`{input}` 不是年月：应为 YYYY-MM 格式，例如 2027-01")
            }
        }
    }
}

impl fmt::Display for TimeError {
    /// Lower-case English, no trailing period, quoting the input (the project's error style).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::DateSyntax { input } => {
                write!(f, "`{input}` is not a date: expected YYYY-MM-DD, e.g. 2026-03-01")
            }
            TimeError::NoSuchMonth { input, month } => {
                write!(f, "`{input}` is not a real date (there is no month {month})")
            }
            TimeError::NoSuchDay { input, year, month, day } => {
                if *day == 0 {
                    write!(f, "`{input}` is not a real date (days of the month start at 01)")
                } else {
                    let name = usize::try_from(*month)
                        .ok()
                        .and_then(|m| MONTHS_EN.get(m.wrapping_sub(1)))
                        .copied()
                        .unwrap_or("that month");
                    let n = days_in_month(*year, *month);
                    write!(f, "`{input}` is not a real date ({name} {year} has {n} days)")
                }
            }
            TimeError::YearOutOfRange { input, .. } => {
                write!(f, "`{input}` is out of range: years 0001 to 9999 are supported")
            }
            TimeError::MissingTime { input } => write!(
                f,
                "`{input}` has no time of day: expected e.g. 2026-03-01T10:00:00+08:00"
            ),
            TimeError::DateTimeSyntax { input } => write!(
                f,
                "`{input}` is not a date and time: expected RFC 3339, e.g. 2026-03-01T10:00:00+08:00 or 2026-03-01 10:00"
            ),
            TimeError::NoSuchTime { input } => write!(
                f,
                "`{input}` is not a real time of day (hours run 00–23, minutes and seconds 00–59)"
            ),
            TimeError::BadOffset { input } => write!(
                f,
                "`{input}` has an invalid UTC offset: expected Z or ±HH:MM between -23:59 and +23:59"
            ),
            TimeError::DurationSyntax { input } => write!(
                f,
                "`{input}` is not a duration: expected a whole number and a unit, e.g. 24 hours, 5 working days, 3 days, 6 months, 1 year"
            ),
            TimeError::NumberTooLarge { input } => write!(f, "the number in `{input}` is too large"),
            TimeError::YearMonthSyntax { input } => {
                write!(f, "`{input}` is not a year and month: expected YYYY-MM, e.g. 2027-01")
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn dt(s: &str) -> DateTime {
        DateTime::parse(s).unwrap().0
    }

    /// The 2025–2026 official calendar, from shared/domain/CALENDAR.md.
    fn official() -> Calendar {
        let mut c = Calendar::new("中国法定节假日", 2025, 2026);
        let holidays: &[(&str, &str, &str)] = &[
            ("2025-01-01", "2025-01-01", "元旦"),
            ("2025-01-28", "2025-02-04", "春节"),
            ("2025-04-04", "2025-04-06", "清明节"),
            ("2025-05-01", "2025-05-05", "劳动节"),
            ("2025-05-31", "2025-06-02", "端午节"),
            ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
            ("2026-01-01", "2026-01-03", "元旦"),
            ("2026-02-15", "2026-02-23", "春节"),
            ("2026-04-04", "2026-04-06", "清明节"),
            ("2026-05-01", "2026-05-05", "劳动节"),
            ("2026-06-19", "2026-06-21", "端午节"),
            ("2026-09-25", "2026-09-27", "中秋节"),
            ("2026-10-01", "2026-10-07", "国庆节"),
        ];
        for (from, to, label) in holidays {
            let mut x = d(from);
            while x <= d(to) {
                c.add_holiday(x, label);
                x = x.add_days(1).unwrap();
            }
        }
        for (day, label) in [
            ("2025-01-26", "春节调休"),
            ("2025-02-08", "春节调休"),
            ("2025-04-27", "劳动节调休"),
            ("2025-09-28", "国庆节调休"),
            ("2025-10-11", "国庆节调休"),
            ("2026-01-04", "元旦调休"),
            ("2026-02-14", "春节调休"),
            ("2026-02-28", "春节调休"),
            ("2026-05-09", "劳动节调休"),
            ("2026-09-20", "国庆节调休"),
            ("2026-10-10", "国庆节调休"),
        ] {
            c.add_workday(d(day), label);
        }
        c
    }

    /// The plain definition the fast `add_working_days` must agree with.
    fn add_working_days_slow(c: &Calendar, from: Date, n: i64) -> Date {
        let mut cur = from;
        let mut left = n;
        while left > 0 {
            cur = cur.add_days(1).unwrap();
            if c.is_working_day(cur) {
                left -= 1;
            }
        }
        cur
    }

    // ----- civil arithmetic ------------------------------------------------------------------

    #[test]
    fn range_constants_match_the_algorithm() {
        assert_eq!(days_from_civil(1, 1, 1), i64::from(MIN_DAYS));
        assert_eq!(days_from_civil(9999, 12, 31), i64::from(MAX_DAYS));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(Date::MIN.to_string(), "0001-01-01");
        assert_eq!(Date::MAX.to_string(), "9999-12-31");
    }

    #[test]
    fn leap_years_and_month_lengths() {
        assert!(is_leap_year(2024) && is_leap_year(2000) && is_leap_year(1600));
        assert!(!is_leap_year(2026) && !is_leap_year(1900) && !is_leap_year(2100));
        assert_eq!(days_in_month(2026, 2), 28);
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
        assert_eq!(days_in_month(2026, 12), 31);
        assert_eq!(days_in_month(2026, 0), 0);
        assert_eq!(days_in_month(2026, 13), 0);
    }

    // ----- Date --------------------------------------------------------------------------------

    #[test]
    fn from_days_and_days() {
        assert_eq!(Date::from_days(0).ymd(), (1970, 1, 1));
        assert_eq!(Date::from_days(-1).ymd(), (1969, 12, 31));
        assert_eq!(Date::from_days(20_513).days(), 20_513);
        assert_eq!(d("2026-03-01").days(), 20_513);
        const EPOCH: Date = Date::from_days(0);
        assert_eq!(EPOCH.days(), 0);
    }

    #[test]
    fn from_ymd_validates() {
        assert_eq!(Date::from_ymd(2026, 3, 1).map(Date::days), Some(20_513));
        assert_eq!(
            Date::from_ymd(2028, 2, 29)
                .map(|x| x.to_string())
                .as_deref(),
            Some("2028-02-29")
        );
        assert_eq!(Date::from_ymd(2026, 2, 29), None);
        assert_eq!(Date::from_ymd(2026, 2, 30), None);
        assert_eq!(Date::from_ymd(2026, 4, 31), None);
        assert_eq!(Date::from_ymd(2026, 13, 1), None);
        assert_eq!(Date::from_ymd(2026, 0, 1), None);
        assert_eq!(Date::from_ymd(2026, 1, 0), None);
        assert_eq!(Date::from_ymd(0, 1, 1), None);
        assert_eq!(Date::from_ymd(10_000, 1, 1), None);
        assert_eq!(Date::from_ymd(1, 1, 1), Some(Date::MIN));
        assert_eq!(Date::from_ymd(9999, 12, 31), Some(Date::MAX));
    }

    #[test]
    fn ymd_and_accessors() {
        let x = d("2026-03-01");
        assert_eq!(x.ymd(), (2026, 3, 1));
        assert_eq!((x.year(), x.month(), x.day()), (2026, 3, 1));
        assert_eq!(
            x.year_month(),
            YearMonth {
                year: 2026,
                month: 3
            }
        );
        assert_eq!(d("2000-02-29").ymd(), (2000, 2, 29));
        assert_eq!(d("0001-01-01").ymd(), (1, 1, 1));
    }

    #[test]
    fn date_parse_accepts_only_the_strict_form() {
        assert_eq!(Date::parse("2026-03-01"), Ok(Date::from_days(20_513)));
        assert_eq!("2026-03-01".parse::<Date>(), Ok(Date::from_days(20_513)));
        for bad in [
            "",
            "2026-3-1",
            "2026-03-1",
            "2026/03/01",
            "20260301",
            " 2026-03-01",
            "2026-03-01 ",
            "2026-03-01T00:00",
            "+026-03-01",
            "2026-0a-01",
            "２０２６-03-01",
            "abcdefghij",
        ] {
            assert_eq!(
                Date::parse(bad),
                Err(TimeError::DateSyntax {
                    input: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn date_parse_explains_impossible_dates() {
        let e = Date::parse("2026-02-30").unwrap_err();
        assert_eq!(
            e,
            TimeError::NoSuchDay {
                input: "2026-02-30".into(),
                year: 2026,
                month: 2,
                day: 30
            }
        );
        assert_eq!(
            e.to_string(),
            "`2026-02-30` is not a real date (February 2026 has 28 days)"
        );
        assert_eq!(
            e.message_zh(),
            "`2026-02-30` 不是有效日期（2026年2月只有28天）"
        );
        assert_eq!(e.input(), "2026-02-30");
        assert_eq!(
            Date::parse("2026-04-31").unwrap_err().to_string(),
            "`2026-04-31` is not a real date (April 2026 has 30 days)"
        );
        assert!(Date::parse("2028-02-29").is_ok());
        let e = Date::parse("2026-13-01").unwrap_err();
        assert_eq!(
            e,
            TimeError::NoSuchMonth {
                input: "2026-13-01".into(),
                month: 13
            }
        );
        assert_eq!(
            e.to_string(),
            "`2026-13-01` is not a real date (there is no month 13)"
        );
        assert_eq!(e.message_zh(), "`2026-13-01` 不是有效日期（没有13月）");
        assert!(matches!(
            Date::parse("2026-00-10"),
            Err(TimeError::NoSuchMonth { month: 0, .. })
        ));
        let e = Date::parse("2026-01-00").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`2026-01-00` is not a real date (days of the month start at 01)"
        );
        assert_eq!(
            e.message_zh(),
            "`2026-01-00` 不是有效日期（日期从01日开始）"
        );
        let e = Date::parse("0000-01-01").unwrap_err();
        assert_eq!(
            e,
            TimeError::YearOutOfRange {
                input: "0000-01-01".into(),
                year: 0
            }
        );
        assert_eq!(
            e.to_string(),
            "`0000-01-01` is out of range: years 0001 to 9999 are supported"
        );
    }

    #[test]
    fn date_display() {
        assert_eq!(d("2026-03-01").to_string(), "2026-03-01");
        assert_eq!(Date::from_ymd(987, 6, 5).unwrap().to_string(), "0987-06-05");
    }

    #[test]
    fn weekday_is_iso() {
        assert_eq!(Date::from_days(0).weekday(), 4); // 1970-01-01, Thursday
        assert_eq!(d("2026-03-01").weekday(), 7); // Sunday
        assert_eq!(d("2026-03-02").weekday(), 1); // Monday
        assert_eq!(d("2026-02-13").weekday(), 5); // Friday
        assert_eq!(d("2026-02-14").weekday(), 6); // Saturday
        assert_eq!(d("1969-12-29").weekday(), 1); // before the epoch
        assert_eq!(d("0001-01-01").weekday(), 1); // proleptic Gregorian: a Monday
        assert!(d("2026-02-14").is_weekend() && !d("2026-02-13").is_weekend());
    }

    #[test]
    fn add_days_stays_in_range() {
        assert_eq!(d("2026-02-28").add_days(1), Some(d("2026-03-01")));
        assert_eq!(d("2028-02-28").add_days(1), Some(d("2028-02-29")));
        assert_eq!(d("2026-01-01").add_days(-1), Some(d("2025-12-31")));
        assert_eq!(d("2026-03-01").add_days(0), Some(d("2026-03-01")));
        assert_eq!(Date::MAX.add_days(1), None);
        assert_eq!(Date::MIN.add_days(-1), None);
        assert_eq!(d("2026-03-01").add_days(i64::MAX), None);
        assert_eq!(d("2026-03-01").add_days(i64::MIN), None);
        assert_eq!(Date::from_days(i32::MAX).add_days(0), None);
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        assert_eq!(d("2026-01-31").add_months(1), Some(d("2026-02-28")));
        assert_eq!(d("2028-01-31").add_months(1), Some(d("2028-02-29")));
        assert_eq!(d("2026-03-31").add_months(-1), Some(d("2026-02-28")));
        assert_eq!(d("2026-03-31").add_months(1), Some(d("2026-04-30")));
        assert_eq!(d("2026-01-31").add_months(2), Some(d("2026-03-31")));
        assert_eq!(d("2026-08-15").add_months(6), Some(d("2027-02-15")));
        assert_eq!(d("2026-12-15").add_months(1), Some(d("2027-01-15")));
        assert_eq!(d("2026-01-15").add_months(-1), Some(d("2025-12-15")));
        assert_eq!(d("2026-01-15").add_months(-25), Some(d("2023-12-15")));
        assert_eq!(d("2026-05-10").add_months(0), Some(d("2026-05-10")));
        assert_eq!(d("9999-12-01").add_months(1), None);
        assert_eq!(d("0001-01-01").add_months(-1), None);
        assert_eq!(d("2026-01-01").add_months(i64::MAX), None);
        assert_eq!(d("2026-01-01").add_months(i64::MIN), None);
    }

    #[test]
    fn add_years_is_twelve_months() {
        assert_eq!(d("2024-02-29").add_years(1), Some(d("2025-02-28")));
        assert_eq!(d("2024-02-29").add_years(4), Some(d("2028-02-29")));
        assert_eq!(d("2026-03-01").add_years(-1), Some(d("2025-03-01")));
        assert_eq!(d("2026-03-01").add_years(7974), None);
        assert_eq!(d("2026-03-01").add_years(i64::MAX), None);
    }

    // ----- 周岁 ----------------------------------------------------------------------------------

    #[test]
    fn zhousui_turns_fourteen_the_day_after_the_birthday() {
        let birth = d("2012-03-10");
        assert_eq!(zhousui(birth, d("2026-03-09")), Some(13));
        assert_eq!(zhousui(birth, d("2026-03-10")), Some(13)); // the 14th birthday itself
        assert_eq!(zhousui(birth, d("2026-03-11")), Some(14));
        assert_eq!(zhousui(birth, d("2026-12-31")), Some(14));
    }

    #[test]
    fn zhousui_first_year_and_before_birth() {
        let birth = d("2025-06-15");
        assert_eq!(zhousui(birth, birth), Some(0));
        assert_eq!(zhousui(birth, d("2025-12-31")), Some(0));
        assert_eq!(zhousui(birth, d("2026-06-15")), Some(0));
        assert_eq!(zhousui(birth, d("2026-06-16")), Some(1));
        assert_eq!(zhousui(birth, d("2025-06-14")), None);
        // A December birth: the year boundary is not the anniversary.
        assert_eq!(zhousui(d("2011-12-31"), d("2025-12-31")), Some(13));
        assert_eq!(zhousui(d("2011-12-31"), d("2026-01-01")), Some(14));
    }

    #[test]
    fn zhousui_of_a_february_29_birthday() {
        let birth = d("2012-02-29");
        // 2026 is a common year: the anniversary is Feb 28, the year completes Mar 1.
        assert_eq!(zhousui(birth, d("2026-02-27")), Some(13));
        assert_eq!(zhousui(birth, d("2026-02-28")), Some(13));
        assert_eq!(zhousui(birth, d("2026-03-01")), Some(14));
        // 2028 is a leap year: the anniversary is Feb 29 itself.
        assert_eq!(zhousui(birth, d("2028-02-28")), Some(15));
        assert_eq!(zhousui(birth, d("2028-02-29")), Some(15));
        assert_eq!(zhousui(birth, d("2028-03-01")), Some(16));
        assert_eq!(zhousui(birth, d("2013-03-01")), Some(1));
    }

    #[test]
    fn zhousui_outside_the_supported_range_does_not_panic() {
        let far = Date::from_days(i32::MAX);
        assert_eq!(zhousui(Date::MIN, far).map(|a| a > 5_000_000), Some(true));
        assert_eq!(zhousui(far, Date::MIN), None);
    }

    // ----- DateTime ----------------------------------------------------------------------------

    #[test]
    fn datetime_new_and_accessors() {
        let t = DateTime::new(1_772_330_400, 480);
        assert_eq!((t.unix(), t.offset_min()), (1_772_330_400, 480));
        assert_eq!(t.to_string(), "2026-03-01T10:00:00+08:00");
        // Offsets RFC 3339 cannot write are clamped.
        assert_eq!(DateTime::new(0, 10_000).offset_min(), 1439);
        assert_eq!(DateTime::new(0, -10_000).offset_min(), -1439);
    }

    #[test]
    fn datetime_parse_every_accepted_form() {
        let ten_cst = DateTime::new(1_772_330_400, 480);
        for s in [
            "2026-03-01T10:00:00+08:00",
            "2026-03-01T10:00+08:00",
            "2026-03-01t10:00:00+08:00",
            "2026-03-01 10:00:00+08:00",
            "2026-03-01T10:00:00.123456+08:00",
            "2026-03-01T10:00:00,5+08:00",
        ] {
            assert_eq!(DateTime::parse(s), Ok((ten_cst, true)), "{s}");
        }
        for s in [
            "2026-03-01T10:00:00",
            "2026-03-01T10:00",
            "2026-03-01 10:00",
            "2026-03-01 10:00:00.9",
        ] {
            assert_eq!(DateTime::parse(s), Ok((ten_cst, false)), "{s}");
        }
        let utc = DateTime::new(1_772_330_400 + 8 * 3600, 0);
        for s in [
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00Z",
            "2026-03-01T10:00:00z",
            "2026-03-01T10:00:00+00:00",
            "2026-03-01T10:00:00-00:00",
        ] {
            assert_eq!(DateTime::parse(s), Ok((utc, true)), "{s}");
        }
        let (t, explicit) = DateTime::parse("2026-03-01T10:00:00-05:30").unwrap();
        assert!(explicit);
        assert_eq!(
            (t.unix(), t.offset_min()),
            (1_772_330_400 + (8 * 60 + 5 * 60 + 30) * 60, -330)
        );
        assert_eq!(t.to_string(), "2026-03-01T10:00:00-05:30");
        assert_eq!(dt("2026-03-01T23:59:59+23:59").offset_min(), 1439);
        assert_eq!(dt("2028-02-29T00:00:00Z").local_date(), d("2028-02-29"));
        assert_eq!(dt("0001-01-01T00:00:00Z").local_date(), Date::MIN);
    }

    #[test]
    fn datetime_parse_rejects_bad_input() {
        let err = |s: &str| DateTime::parse(s).unwrap_err();
        assert_eq!(
            err("2026-02-30T10:00"),
            TimeError::NoSuchDay {
                input: "2026-02-30T10:00".into(),
                year: 2026,
                month: 2,
                day: 30
            }
        );
        assert_eq!(
            err("2026-02-30T10:00").to_string(),
            "`2026-02-30T10:00` is not a real date (February 2026 has 28 days)"
        );
        assert!(matches!(
            err("2026-13-01T10:00"),
            TimeError::NoSuchMonth { month: 13, .. }
        ));
        assert!(matches!(
            err("0000-01-01T10:00"),
            TimeError::YearOutOfRange { year: 0, .. }
        ));
        for s in [
            "2026-03-01T24:61",
            "2026-03-01T25:00",
            "2026-03-01T24:00",
            "2026-03-01T10:60",
            "2026-03-01T23:59:60Z",
            "2026-03-01T10:00:61+08:00",
        ] {
            assert_eq!(err(s), TimeError::NoSuchTime { input: s.into() }, "{s}");
        }
        assert_eq!(
            err("2026-03-01"),
            TimeError::MissingTime {
                input: "2026-03-01".into()
            }
        );
        for s in [
            "",
            "garbage",
            "2026-03-0110:00:00",
            "2026-03-01_10:00",
            "2026-03-01T",
            "2026-03-01T10",
            "2026-03-01T1:00",
            "2026-03-01T10:0",
            "2026-03-01T10:00:0",
            "2026-03-01T10:00:00.",
            "2026-03-01T10:00:00.+08:00",
            "2026-03-01T10:00.5",
            "2026-03-01T10:00:00 +08:00",
            "2026-03-01T10:00:00Zjunk",
            "2026-3-1T10:00",
            "2026-03-01T10:00:00+08:00\u{4e2d}",
            "\u{4e2d}\u{6587}\u{4e2d}\u{6587}T10:00",
        ] {
            let e = err(s);
            assert!(
                matches!(
                    e,
                    TimeError::DateTimeSyntax { .. } | TimeError::BadOffset { .. }
                ),
                "{s:?}: {e:?}"
            );
        }
        for s in [
            "2026-03-01T10:00:00+24:00",
            "2026-03-01T10:00:00+08:60",
            "2026-03-01T10:00:00+0800",
            "2026-03-01T10:00:00+08",
            "2026-03-01T10:00:00+08:00:00",
            "2026-03-01T10:00:00-",
        ] {
            assert_eq!(err(s), TimeError::BadOffset { input: s.into() }, "{s}");
        }
        assert_eq!(
            err("garbage").to_string(),
            "`garbage` is not a date and time: expected RFC 3339, e.g. 2026-03-01T10:00:00+08:00 or 2026-03-01 10:00"
        );
        assert_eq!(
            err("2026-03-01T25:00").message_zh(),
            "`2026-03-01T25:00` 不是有效时间（小时为00–23，分钟和秒为00–59）"
        );
    }

    #[test]
    fn datetime_local_date_uses_its_own_offset() {
        assert_eq!(dt("2026-03-01T23:30:00Z").local_date(), d("2026-03-01"));
        assert_eq!(
            dt("2026-03-01T23:30:00Z").with_offset(480).local_date(),
            d("2026-03-02")
        );
        assert_eq!(
            dt("2026-03-01T00:30:00+08:00").with_offset(0).local_date(),
            d("2026-02-28")
        );
        assert_eq!(dt("1969-12-31T23:59:59Z").local_date(), d("1969-12-31"));
        assert_eq!(
            DateTime::new(i64::MAX, 0).local_date(),
            Date::from_days(i32::MAX)
        );
        assert_eq!(
            DateTime::new(i64::MIN, 0).local_date(),
            Date::from_days(i32::MIN)
        );
    }

    #[test]
    fn datetime_start_and_end_of_day() {
        let day = d("2026-03-01");
        assert_eq!(
            DateTime::at_start_of_day(day, 480).to_string(),
            "2026-03-01T00:00:00+08:00"
        );
        assert_eq!(
            DateTime::at_end_of_day(day, 480).to_string(),
            "2026-03-01T23:59:59+08:00"
        );
        assert_eq!(
            DateTime::at_end_of_day(day, 0).to_string(),
            "2026-03-01T23:59:59+00:00"
        );
        assert_eq!(
            DateTime::at_end_of_day(day, -300).to_string(),
            "2026-03-01T23:59:59-05:00"
        );
        assert_eq!(DateTime::at_start_of_day(day, 480).unix(), 1_772_294_400);
        assert_eq!(
            DateTime::at_end_of_day(day, 480).unix() - DateTime::at_start_of_day(day, 480).unix(),
            86_399
        );
        assert_eq!(DateTime::at_end_of_day(day, 480).local_date(), day);
    }

    #[test]
    fn datetime_with_offset_keeps_the_instant() {
        let t = dt("2026-03-01T10:00:00+08:00");
        let u = t.with_offset(0);
        assert_eq!(u.unix(), t.unix());
        assert_eq!(u.to_string(), "2026-03-01T02:00:00+00:00");
        assert_eq!(t.with_offset(-600).to_string(), "2026-02-28T16:00:00-10:00");
        assert_ne!(t, u); // shown differently
    }

    #[test]
    fn datetime_add_seconds() {
        let t = dt("2026-03-01T10:00:00+08:00");
        assert_eq!(
            t.add_seconds(3600).map(|x| x.to_string()).as_deref(),
            Some("2026-03-01T11:00:00+08:00")
        );
        assert_eq!(
            t.add_seconds(-36_001).map(|x| x.to_string()).as_deref(),
            Some("2026-02-28T23:59:59+08:00")
        );
        assert_eq!(t.add_seconds(0), Some(t));
        assert_eq!(t.add_seconds(i64::MAX), None);
        assert_eq!(t.add_seconds(i64::MIN), None);
        assert_eq!(dt("9999-12-31T23:59:59+08:00").add_seconds(1), None);
        assert_eq!(dt("0001-01-01T00:00:00+08:00").add_seconds(-1), None);
    }

    #[test]
    fn datetime_order_is_by_instant_then_offset() {
        let a = dt("2026-03-01T10:00:00+08:00");
        let b = dt("2026-03-01T03:00:00+00:00"); // an hour later
        assert!(a < b);
        let same_utc = a.with_offset(0);
        assert_eq!(a.cmp(&same_utc), Ordering::Greater); // same instant, 480 > 0
        assert_eq!(a.partial_cmp(&a), Some(Ordering::Equal));
        let mut v = vec![b, a, same_utc];
        v.sort();
        assert_eq!(v, vec![same_utc, a, b]);
    }

    #[test]
    fn datetime_display_pads_and_signs() {
        assert_eq!(DateTime::new(0, 0).to_string(), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            DateTime::new(-1, 0).to_string(),
            "1969-12-31T23:59:59+00:00"
        );
        assert_eq!(
            DateTime::new(0, -90).to_string(),
            "1969-12-31T22:30:00-01:30"
        );
        assert_eq!(
            DateTime::new(0, 345).to_string(),
            "1970-01-01T05:45:00+05:45"
        );
    }

    // ----- Duration ----------------------------------------------------------------------------

    #[test]
    fn duration_display_is_canonical() {
        let cases = [
            (Duration::Hours(24), "24 hours"),
            (Duration::Hours(1), "1 hour"),
            (Duration::Hours(0), "0 hours"),
            (Duration::WorkingDays(5), "5 working days"),
            (Duration::WorkingDays(1), "1 working day"),
            (Duration::Days(3), "3 days"),
            (Duration::Days(1), "1 day"),
            (Duration::Months(6), "6 months"),
            (Duration::Months(1), "1 month"),
            (Duration::Years(1), "1 year"),
            (Duration::Years(2), "2 years"),
        ];
        for (dur, text) in cases {
            assert_eq!(dur.to_string(), text);
            assert_eq!(Duration::parse(text), Ok(dur));
        }
    }

    #[test]
    fn duration_parse_variants() {
        let ok = |s: &str| Duration::parse(s).unwrap();
        assert_eq!(ok("48 hours"), Duration::Hours(48));
        assert_eq!(ok("48 hour"), Duration::Hours(48));
        assert_eq!(ok("48hours"), Duration::Hours(48));
        assert_eq!(ok("  48   Hours "), Duration::Hours(48));
        assert_eq!(ok("1 days"), Duration::Days(1));
        assert_eq!(ok("3 calendar days"), Duration::Days(3));
        assert_eq!(ok("5 working  days"), Duration::WorkingDays(5));
        assert_eq!(ok("5 Working Days"), Duration::WorkingDays(5));
        assert_eq!(ok("5 workdays"), Duration::WorkingDays(5));
        assert_eq!(ok("5 work days"), Duration::WorkingDays(5));
        assert_eq!(ok("5 business days"), Duration::WorkingDays(5));
        assert_eq!(ok("12 month"), Duration::Months(12));
        assert_eq!(ok("2 year"), Duration::Years(2));
        assert_eq!(ok("007 days"), Duration::Days(7));
        assert_eq!(ok("48小时"), Duration::Hours(48));
        assert_eq!(ok("48个小时"), Duration::Hours(48));
        assert_eq!(ok("48 小时"), Duration::Hours(48));
        assert_eq!(ok("5个工作日"), Duration::WorkingDays(5));
        assert_eq!(ok("5 个 工作日"), Duration::WorkingDays(5));
        assert_eq!(ok("5工作日"), Duration::WorkingDays(5));
        assert_eq!(ok("3天"), Duration::Days(3));
        assert_eq!(ok("3日"), Duration::Days(3));
        assert_eq!(ok("3个自然日"), Duration::Days(3));
        assert_eq!(ok("6个月"), Duration::Months(6));
        assert_eq!(ok("1年"), Duration::Years(1));
        assert_eq!(ok("1\u{3000}年"), Duration::Years(1)); // ideographic space
        assert_eq!("24 hours".parse::<Duration>(), Ok(Duration::Hours(24)));
    }

    #[test]
    fn duration_parse_rejects() {
        for s in [
            "",
            "hours",
            "48",
            "48h",
            "48 hrs",
            "-1 days",
            "+1 days",
            "1.5 hours",
            "one day",
            "6月",
            "5 weeks",
            "5 working",
            "48 hours ago",
            "五个工作日",
            "4８ hours",
            "24 hours 3 days",
        ] {
            assert_eq!(
                Duration::parse(s),
                Err(TimeError::DurationSyntax { input: s.into() }),
                "{s:?}"
            );
        }
        let e = Duration::parse("99999999999999999999 days").unwrap_err();
        assert_eq!(
            e,
            TimeError::NumberTooLarge {
                input: "99999999999999999999 days".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "the number in `99999999999999999999 days` is too large"
        );
        assert_eq!(e.message_zh(), "`99999999999999999999 days` 中的数字过大");
        assert_eq!(
            Duration::parse("48h").unwrap_err().message_zh(),
            "`48h` 不是期限：应为整数加单位，例如 24小时、5个工作日、3天、6个月、1年"
        );
        assert_eq!(
            Duration::parse("9223372036854775807 hours"),
            Ok(Duration::Hours(i64::MAX))
        );
    }

    #[test]
    fn duration_count_and_chinese() {
        assert_eq!(Duration::WorkingDays(5).count(), 5);
        assert_eq!(Duration::Years(2).count(), 2);
        assert_eq!(Duration::Hours(24).to_zh(), "24小时");
        assert_eq!(Duration::Days(3).to_zh(), "3天");
        assert_eq!(Duration::WorkingDays(5).to_zh(), "5个工作日");
        assert_eq!(Duration::Months(6).to_zh(), "6个月");
        assert_eq!(Duration::Years(1).to_zh(), "1年");
        for dur in [
            Duration::Hours(24),
            Duration::Days(3),
            Duration::WorkingDays(5),
            Duration::Months(6),
            Duration::Years(1),
        ] {
            assert_eq!(Duration::parse(&dur.to_zh()), Ok(dur));
        }
    }

    // ----- Calendar ----------------------------------------------------------------------------

    #[test]
    fn calendar_basics() {
        let mut c = Calendar::new("test", 2026, 2026);
        assert_eq!(c.name(), "test");
        assert_eq!(c.covered_years(), (2026, 2026));
        assert!(c.covers(d("2026-01-01")) && c.covers(d("2026-12-31")));
        assert!(!c.covers(d("2025-12-31")) && !c.covers(d("2027-01-01")));
        c.add_holiday(d("2026-10-02"), "国庆节");
        c.add_holiday(d("2026-10-01"), "国庆节");
        c.add_holiday(d("2026-10-01"), "other label");
        c.add_workday(d("2026-10-10"), "国庆节调休");
        c.add_workday(d("2026-10-10"), "国庆节调休");
        let once = c.clone();
        c.add_holiday(d("2026-10-02"), "国庆节");
        assert_eq!(c, once);
        assert_eq!(
            c.holidays().collect::<Vec<_>>(),
            vec![(d("2026-10-01"), "国庆节"), (d("2026-10-02"), "国庆节")]
        );
        assert_eq!(
            c.workdays().collect::<Vec<_>>(),
            vec![(d("2026-10-10"), "国庆节调休")]
        );
        assert_eq!(c.holiday_label(d("2026-10-01")), Some("国庆节"));
        assert_eq!(c.holiday_label(d("2026-10-03")), None);
        assert_eq!(c.workday_label(d("2026-10-10")), Some("国庆节调休"));
        let empty = Calendar::new("none", 1, 0);
        assert!(!empty.covers(d("2026-01-01")));
    }

    #[test]
    fn calendar_is_working_day() {
        let c = official();
        assert!(c.is_working_day(d("2026-02-13"))); // Friday
        assert!(c.is_working_day(d("2026-02-14"))); // Saturday, make-up day
        assert!(!c.is_working_day(d("2026-02-16"))); // Monday, Spring Festival
        assert!(!c.is_working_day(d("2026-02-23"))); // Monday, last holiday day
        assert!(c.is_working_day(d("2026-02-24")));
        assert!(!c.is_working_day(d("2026-02-21"))); // Saturday, holiday
        assert!(!c.is_working_day(d("2026-03-01"))); // ordinary Sunday
        assert!(c.is_working_day(d("2026-03-02")));
        // Outside the covered years: weekdays only, even on a would-be holiday.
        assert!(c.is_working_day(d("2027-01-01"))); // Friday
        assert!(!c.is_working_day(d("2027-01-02"))); // Saturday
                                                     // Listed days outside the covered years are ignored.
        let mut narrow = Calendar::new("2026 only", 2026, 2026);
        narrow.add_holiday(d("2025-10-01"), "国庆节");
        narrow.add_workday(d("2025-09-28"), "国庆节调休");
        assert!(narrow.is_working_day(d("2025-10-01")));
        assert!(!narrow.is_working_day(d("2025-09-28")));
        // A day that is both: the make-up day wins.
        let mut both = Calendar::new("both", 2026, 2026);
        both.add_holiday(d("2026-02-14"), "x");
        both.add_workday(d("2026-02-14"), "y");
        assert!(both.is_working_day(d("2026-02-14")));
    }

    #[test]
    fn working_days_over_the_2026_spring_festival() {
        let c = official();
        let fri = d("2026-02-13");
        let expect = [
            (0, "2026-02-13"),
            (1, "2026-02-14"), // Saturday make-up day
            (2, "2026-02-24"), // Feb 15–23 are holidays
            (3, "2026-02-25"),
            (4, "2026-02-26"),
            (5, "2026-02-27"),
            (6, "2026-02-28"), // Saturday make-up day
            (7, "2026-03-02"),
            (12, "2026-03-09"),
        ];
        for (n, want) in expect {
            assert_eq!(c.add_working_days(fri, n), Some((d(want), false)), "+{n}");
        }
        // Starting inside the holiday: the trigger day is never counted.
        assert_eq!(
            c.add_working_days(d("2026-02-18"), 1),
            Some((d("2026-02-24"), false))
        );
        assert_eq!(
            c.add_working_days(d("2026-02-14"), 1),
            Some((d("2026-02-24"), false))
        );
    }

    #[test]
    fn working_days_over_national_day_2025() {
        let c = official();
        let fri = d("2025-09-26");
        let expect = [
            (1, "2025-09-28"), // Sunday make-up day
            (2, "2025-09-29"),
            (3, "2025-09-30"),
            (4, "2025-10-09"), // Oct 1–8 off
            (5, "2025-10-10"),
            (6, "2025-10-11"), // Saturday make-up day
            (7, "2025-10-13"),
        ];
        for (n, want) in expect {
            assert_eq!(c.add_working_days(fri, n), Some((d(want), false)), "+{n}");
        }
        // "5 working days" from the eve of the holiday: Oct 9, 10, 11 (Saturday), 13, 14.
        assert_eq!(
            c.add_working_days(d("2025-09-30"), 5),
            Some((d("2025-10-14"), false))
        );
    }

    #[test]
    fn working_days_outside_the_calendar_count_weekends_only() {
        let c = official();
        assert_eq!(
            c.add_working_days(d("2027-01-01"), 1),
            Some((d("2027-01-04"), true))
        );
        assert_eq!(
            c.add_working_days(d("2027-02-05"), 5),
            Some((d("2027-02-12"), true))
        );
        // Crossing out of the covered years.
        assert_eq!(
            c.add_working_days(d("2026-12-30"), 3),
            Some((d("2027-01-04"), true))
        );
        // Crossing into them: counted on the calendar, no note needed... but the start is covered.
        assert_eq!(
            c.add_working_days(d("2024-12-31"), 1),
            Some((d("2025-01-02"), false))
        );
        // From the last covered day the first counted day is already outside.
        assert_eq!(
            c.add_working_days(d("2026-12-31"), 1),
            Some((d("2027-01-01"), true))
        );
        assert_eq!(
            c.add_working_days(d("2027-01-01"), 0),
            Some((d("2027-01-01"), false))
        );
    }

    #[test]
    fn working_days_bounds() {
        let c = official();
        assert_eq!(c.add_working_days(d("2026-03-02"), -1), None);
        assert_eq!(c.add_working_days(d("2026-03-02"), i64::MAX), None);
        assert_eq!(c.add_working_days(Date::MAX, 1), None);
        assert_eq!(
            c.add_working_days(d("9999-12-30"), 1),
            Some((d("9999-12-31"), true))
        );
        // Large counts are fast and agree with the plain definition.
        let far = c.add_working_days(d("2024-06-01"), 100_000).unwrap();
        assert_eq!(far.0, add_working_days_slow(&c, d("2024-06-01"), 100_000));
        assert!(far.1);
        // A calendar covering every year but listing nothing: pure weekdays.
        let all = Calendar::new("all", 1, 9999);
        assert_eq!(
            all.add_working_days(d("2026-03-02"), 10),
            Some((d("2026-03-16"), false))
        );
        assert_eq!(
            all.add_working_days(d("2026-03-02"), 2_000_000)
                .map(|r| r.1),
            Some(false)
        );
    }

    // ----- due_after ---------------------------------------------------------------------------

    fn due(trigger: &str, dur: Duration, cal: Option<&Calendar>, off: i32) -> (String, bool) {
        let (t, outside) = due_after(dt(trigger), dur, cal, off).unwrap();
        (t.to_string(), outside)
    }

    #[test]
    fn due_after_hours() {
        let c = official();
        assert_eq!(
            due(
                "2026-03-01T10:00:00+08:00",
                Duration::Hours(24),
                Some(&c),
                480
            ),
            ("2026-03-02T10:00:00+08:00".into(), false)
        );
        assert_eq!(
            due("2026-03-01T23:30:00Z", Duration::Hours(24), None, 480),
            ("2026-03-03T07:30:00+08:00".into(), false)
        );
        assert_eq!(
            due("2026-03-01T10:00:00+08:00", Duration::Hours(0), None, 0),
            ("2026-03-01T02:00:00+00:00".into(), false)
        );
        // Hours are exact even across the holiday.
        assert_eq!(
            due(
                "2026-02-14T18:00:00+08:00",
                Duration::Hours(48),
                Some(&c),
                480
            ),
            ("2026-02-16T18:00:00+08:00".into(), false)
        );
    }

    #[test]
    fn due_after_days() {
        assert_eq!(
            due("2026-03-01T10:00:00+08:00", Duration::Days(3), None, 480),
            ("2026-03-04T23:59:59+08:00".into(), false)
        );
        // 23:30 UTC on Mar 1 is already Mar 2 in Guangzhou: that is the uncounted trigger day.
        assert_eq!(
            due("2026-03-01T23:30:00Z", Duration::Days(1), None, 480),
            ("2026-03-03T23:59:59+08:00".into(), false)
        );
        // Shown in UTC, the trigger day is Mar 1.
        assert_eq!(
            due("2026-03-01T23:30:00Z", Duration::Days(1), None, 0),
            ("2026-03-02T23:59:59+00:00".into(), false)
        );
        assert_eq!(
            due("2026-02-27T09:00:00+08:00", Duration::Days(2), None, 480),
            ("2026-03-01T23:59:59+08:00".into(), false)
        );
        assert_eq!(
            due("2026-03-01T10:00:00+08:00", Duration::Days(0), None, 480),
            ("2026-03-01T23:59:59+08:00".into(), false)
        );
    }

    #[test]
    fn due_after_working_days() {
        let c = official();
        assert_eq!(
            due(
                "2026-02-13T16:00:00+08:00",
                Duration::WorkingDays(2),
                Some(&c),
                480
            ),
            ("2026-02-24T23:59:59+08:00".into(), false)
        );
        assert_eq!(
            due(
                "2026-02-13T16:00:00+08:00",
                Duration::WorkingDays(5),
                Some(&c),
                480
            ),
            ("2026-02-27T23:59:59+08:00".into(), false)
        );
        // Friday 20:00 UTC is Saturday the 14th in Guangzhou: the make-up day is the trigger day.
        assert_eq!(
            due(
                "2026-02-13T20:00:00Z",
                Duration::WorkingDays(1),
                Some(&c),
                480
            ),
            ("2026-02-24T23:59:59+08:00".into(), false)
        );
        // No calendar: weekends only, flagged.
        assert_eq!(
            due(
                "2026-02-13T16:00:00+08:00",
                Duration::WorkingDays(2),
                None,
                480
            ),
            ("2026-02-17T23:59:59+08:00".into(), true)
        );
        // Outside the calendar's years.
        assert_eq!(
            due(
                "2027-01-01T09:00:00+08:00",
                Duration::WorkingDays(5),
                Some(&c),
                480
            ),
            ("2027-01-08T23:59:59+08:00".into(), true)
        );
        // Shown in another offset: the end of the local day there.
        assert_eq!(
            due(
                "2026-03-02T09:00:00+08:00",
                Duration::WorkingDays(1),
                Some(&c),
                -300
            ),
            ("2026-03-02T23:59:59-05:00".into(), false)
        );
        assert_eq!(
            due_after(
                dt("2026-03-02T09:00:00+08:00"),
                Duration::WorkingDays(-1),
                Some(&c),
                480
            ),
            None
        );
    }

    #[test]
    fn due_after_months_and_years() {
        assert_eq!(
            due("2026-01-31T10:00:00+08:00", Duration::Months(1), None, 480),
            ("2026-02-28T23:59:59+08:00".into(), false)
        );
        assert_eq!(
            due("2026-08-31T10:00:00+08:00", Duration::Months(6), None, 480),
            ("2027-02-28T23:59:59+08:00".into(), false)
        );
        assert_eq!(
            due("2024-02-29T10:00:00+08:00", Duration::Years(1), None, 480),
            ("2025-02-28T23:59:59+08:00".into(), false)
        );
        assert_eq!(
            due("2026-03-01T10:00:00+08:00", Duration::Years(1), None, 480),
            ("2027-03-01T23:59:59+08:00".into(), false)
        );
        // Jan 31 23:30 UTC is Feb 1 in Guangzhou.
        assert_eq!(
            due("2026-01-31T23:30:00Z", Duration::Months(1), None, 480),
            ("2026-03-01T23:59:59+08:00".into(), false)
        );
    }

    #[test]
    fn due_after_overflow_is_none() {
        let t = dt("2026-03-01T10:00:00+08:00");
        for dur in [
            Duration::Hours(i64::MAX),
            Duration::Days(i64::MAX),
            Duration::WorkingDays(i64::MAX),
            Duration::Months(i64::MAX),
            Duration::Years(i64::MAX),
            Duration::Years(8000),
        ] {
            assert_eq!(due_after(t, dur, None, 480), None, "{dur}");
        }
    }

    // ----- YearMonth ---------------------------------------------------------------------------

    #[test]
    fn year_month_parse_and_display() {
        let jan = YearMonth {
            year: 2027,
            month: 1,
        };
        assert_eq!(YearMonth::parse("2027-01"), Ok(jan));
        assert_eq!("2027-01".parse::<YearMonth>(), Ok(jan));
        assert_eq!(jan.to_string(), "2027-01");
        for bad in [
            "2027-1",
            "2027/01",
            "202701",
            "2027-01-01",
            "",
            "abcd-ef",
            " 2027-01",
        ] {
            assert_eq!(
                YearMonth::parse(bad),
                Err(TimeError::YearMonthSyntax { input: bad.into() })
            );
        }
        assert_eq!(
            YearMonth::parse("2027-13"),
            Err(TimeError::NoSuchMonth {
                input: "2027-13".into(),
                month: 13
            })
        );
        assert!(matches!(
            YearMonth::parse("0000-05"),
            Err(TimeError::YearOutOfRange { .. })
        ));
        assert_eq!(
            YearMonth::parse("2027-1").unwrap_err().to_string(),
            "`2027-1` is not a year and month: expected YYYY-MM, e.g. 2027-01"
        );
    }

    #[test]
    fn year_month_arithmetic() {
        let ym = |s: &str| YearMonth::parse(s).unwrap();
        assert_eq!(ym("2027-01").succ(), ym("2027-02"));
        assert_eq!(ym("2026-12").succ(), ym("2027-01"));
        assert_eq!(ym("2026-11").add(3), Some(ym("2027-02")));
        assert_eq!(ym("2027-01").add(-1), Some(ym("2026-12")));
        assert_eq!(ym("2027-01").add(-25), Some(ym("2024-12")));
        assert_eq!(ym("2027-01").add(0), Some(ym("2027-01")));
        assert_eq!(ym("9999-12").add(1), None);
        assert_eq!(ym("0001-01").add(-1), None);
        assert_eq!(ym("2027-01").add(i64::MAX), None);
        assert_eq!(YearMonth::months_between(ym("2026-11"), ym("2027-02")), 3);
        assert_eq!(YearMonth::months_between(ym("2027-02"), ym("2026-11")), -3);
        assert_eq!(YearMonth::months_between(ym("2027-02"), ym("2027-02")), 0);
        assert_eq!(YearMonth::of(d("2028-02-15")), ym("2028-02"));
        assert_eq!(ym("2028-02").first_day(), Some(d("2028-02-01")));
        assert_eq!(ym("2028-02").last_day(), Some(d("2028-02-29")));
        assert_eq!(
            YearMonth {
                year: 2028,
                month: 13
            }
            .last_day(),
            None
        );
        assert!(ym("2026-12") < ym("2027-01"));
    }

    // ----- serde and messages ------------------------------------------------------------------

    #[test]
    fn serde_reads_the_same_strings() {
        use serde::de::value::{Error as DeError, StrDeserializer};
        use serde::de::IntoDeserializer;
        use serde::Deserialize;
        let de = |s: &'static str| -> StrDeserializer<'static, DeError> { s.into_deserializer() };
        assert_eq!(
            Date::deserialize(de("2026-03-01")).unwrap(),
            d("2026-03-01")
        );
        assert_eq!(
            Duration::deserialize(de("5 working days")).unwrap(),
            Duration::WorkingDays(5)
        );
        assert_eq!(
            YearMonth::deserialize(de("2027-01")).unwrap(),
            YearMonth {
                year: 2027,
                month: 1
            }
        );
        let e = Date::deserialize(de("2026-02-30")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`2026-02-30` is not a real date (February 2026 has 28 days)"
        );
    }

    #[test]
    fn every_error_has_both_languages() {
        let errors = [
            Date::parse("x").unwrap_err(),
            Date::parse("2026-13-01").unwrap_err(),
            Date::parse("2026-02-30").unwrap_err(),
            Date::parse("0000-01-01").unwrap_err(),
            DateTime::parse("2026-03-01").unwrap_err(),
            DateTime::parse("x").unwrap_err(),
            DateTime::parse("2026-03-01T25:00").unwrap_err(),
            DateTime::parse("2026-03-01T10:00+25:00").unwrap_err(),
            Duration::parse("x").unwrap_err(),
            Duration::parse("99999999999999999999 days").unwrap_err(),
            YearMonth::parse("x").unwrap_err(),
        ];
        for e in errors {
            let en = e.to_string();
            let zh = e.message_zh();
            assert!(en.starts_with('`') || en.starts_with("the "), "{en}");
            assert!(!en.ends_with('.') && !zh.ends_with('。'), "{en} / {zh}");
            assert!(en.contains(e.input()) && zh.contains(e.input()));
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            assert_ne!(en, zh);
        }
        assert_eq!(
            DateTime::parse("2026-03-01").unwrap_err().to_string(),
            "`2026-03-01` has no time of day: expected e.g. 2026-03-01T10:00:00+08:00"
        );
    }

    // ----- properties --------------------------------------------------------------------------

    fn any_date() -> impl Strategy<Value = Date> {
        (MIN_DAYS..=MAX_DAYS).prop_map(Date::from_days)
    }

    fn recent_date() -> impl Strategy<Value = Date> {
        // 2020-01-01 ..= 2030-12-31, around the calendar's years.
        (18_262..=22_279i32).prop_map(Date::from_days)
    }

    fn any_offset() -> impl Strategy<Value = i32> {
        -MAX_OFFSET_MIN..=MAX_OFFSET_MIN
    }

    fn any_duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            (0..=i64::MAX).prop_map(Duration::Hours),
            (0..=i64::MAX).prop_map(Duration::Days),
            (0..=i64::MAX).prop_map(Duration::WorkingDays),
            (0..=i64::MAX).prop_map(Duration::Months),
            (0..=i64::MAX).prop_map(Duration::Years),
            (0..3i64).prop_map(Duration::Hours),
            (0..3i64).prop_map(Duration::WorkingDays),
        ]
    }

    /// The texts as the formatting machinery writes them (the definition before `text_bytes`).
    fn date_text(d: Date) -> String {
        let (y, m, dd) = d.ymd();
        format!("{y:04}-{m:02}-{dd:02}")
    }

    fn date_time_text(t: DateTime) -> String {
        let secs = t.local_seconds().rem_euclid(SECS_PER_DAY);
        let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let sign = if t.offset_min < 0 { '-' } else { '+' };
        let off = t.offset_min.unsigned_abs();
        format!(
            "{}T{h:02}:{mi:02}:{s:02}{sign}{:02}:{:02}",
            date_text(t.local_date()),
            off / 60,
            off % 60
        )
    }

    proptest! {
        #[test]
        fn texts_without_the_formatting_machinery_are_the_same(
            days in prop_oneof![MIN_DAYS - 1000..MAX_DAYS + 1000, any::<i32>()],
            unix in prop_oneof![-70_000_000_000i64..260_000_000_000, any::<i64>()],
            offset in -1500i32..1500,
        ) {
            let d = Date::from_days(days);
            let mut bytes = Vec::new();
            d.push_text(&mut bytes);
            prop_assert_eq!(d.to_string(), date_text(d));
            prop_assert_eq!(String::from_utf8(bytes).unwrap(), date_text(d));
            let t = DateTime::new(unix, offset);
            let mut bytes = Vec::new();
            t.push_text(&mut bytes);
            prop_assert_eq!(t.to_string(), date_time_text(t));
            prop_assert_eq!(String::from_utf8(bytes).unwrap(), date_time_text(t));
            for n in [i64::from(days), unix, i64::MIN, i64::MAX, 0, 1, -1] {
                let mut bytes = Vec::new();
                push_int(&mut bytes, n);
                prop_assert_eq!(String::from_utf8(bytes).unwrap(), n.to_string());
                for dur in [Duration::Hours(n), Duration::Days(n), Duration::WorkingDays(n), Duration::Months(n), Duration::Years(n)] {
                    let mut bytes = Vec::new();
                    dur.push_text(&mut bytes);
                    prop_assert_eq!(String::from_utf8(bytes).unwrap(), dur.to_string());
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// The common shape's quick reading gives what the general one gives, for texts of
        /// that shape that are right, wrong in a field (a month 13, a day 31 in April, an hour
        /// 24, an offset 24:00), or not of that shape (a byte not a digit or separator).
        #[test]
        fn the_common_shape_reads_as_any_other(
            ymd in (0u32..=9999, 0u32..=13, 0u32..=32),
            hms in (0u32..=25, 0u32..=60, 0u32..=60),
            sep in prop_oneof![4 => Just('T'), 1 => Just('t'), 1 => Just(' ')],
            offset in (any::<bool>(), 0u32..=25, 0u32..=60),
            noise in proptest::option::weighted(0.2, (0usize..25, any::<u8>())),
        ) {
            let s = format!(
                "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}{}{:02}:{:02}",
                ymd.0, ymd.1, ymd.2, hms.0, hms.1, hms.2,
                if offset.0 { '+' } else { '-' }, offset.1, offset.2,
            );
            let mut b = s.into_bytes();
            if let Some((at, byte)) = noise {
                b[at] = byte;
            }
            let s = String::from_utf8_lossy(&b).into_owned();
            prop_assert_eq!(DateTime::parse(&s), DateTime::parse_any(&s));
            if let Some(t) = DateTime::parse_common(&s) {
                prop_assert_eq!(Ok((t, true)), DateTime::parse_any(&s));
            }
        }
    }

    proptest! {
        #[test]
        fn ymd_round_trip(y in 1..=9999i32, m in 1..=12u32, day in 1..=31u32) {
            match Date::from_ymd(y, m, day) {
                Some(x) => prop_assert_eq!(x.ymd(), (y, m, day)),
                None => prop_assert!(day > days_in_month(y, m)),
            }
        }

        #[test]
        fn days_round_trip(x in any_date()) {
            let (y, m, day) = x.ymd();
            prop_assert_eq!(Date::from_ymd(y, m, day), Some(x));
        }

        #[test]
        fn days_are_monotonic(a in any_date(), b in any_date()) {
            prop_assert_eq!(a.ymd().cmp(&b.ymd()), a.days().cmp(&b.days()));
        }

        #[test]
        fn next_day_is_the_next_calendar_day(x in (MIN_DAYS..MAX_DAYS).prop_map(Date::from_days)) {
            let (y, m, day) = x.ymd();
            let next = x.add_days(1).unwrap().ymd();
            let expected = if day < days_in_month(y, m) {
                (y, m, day + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            prop_assert_eq!(next, expected);
            prop_assert_eq!(x.add_days(1).unwrap().weekday() % 7, (x.weekday() + 1) % 7);
        }

        #[test]
        fn date_display_round_trips(x in any_date()) {
            prop_assert_eq!(Date::parse(&x.to_string()), Ok(x));
        }

        #[test]
        fn datetime_display_round_trips(
            days in (MIN_DAYS + 1)..MAX_DAYS,
            secs in 0..86_400i64,
            off in any_offset(),
        ) {
            let t = DateTime::new(i64::from(days) * 86_400 + secs, off);
            let text = t.to_string();
            prop_assert_eq!(DateTime::parse(&text), Ok((t, true)), "{}", text);
        }

        #[test]
        fn duration_display_round_trips(dur in any_duration()) {
            prop_assert_eq!(Duration::parse(&dur.to_string()), Ok(dur));
            prop_assert_eq!(Duration::parse(&dur.to_zh()), Ok(dur));
        }

        #[test]
        fn year_month_display_round_trips(year in 1..=9999i32, month in 1..=12u32) {
            let ym = YearMonth { year, month };
            prop_assert_eq!(YearMonth::parse(&ym.to_string()), Ok(ym));
        }

        #[test]
        fn year_month_add_and_between_agree(a in (1..=9999i32, 1..=12u32), b in (1..=9999i32, 1..=12u32)) {
            let a = YearMonth { year: a.0, month: a.1 };
            let b = YearMonth { year: b.0, month: b.1 };
            prop_assert_eq!(a.add(YearMonth::months_between(a, b)), Some(b));
            if a.year < 9999 || a.month < 12 {
                prop_assert_eq!(a.add(1), Some(a.succ()));
            }
        }

        #[test]
        fn zhousui_is_monotonic_in_on(birth in recent_date(), a in 0..40_000i64, b in 0..40_000i64) {
            let (a, b) = (a.min(b), a.max(b));
            let on_a = birth.add_days(a).unwrap();
            let on_b = birth.add_days(b).unwrap();
            prop_assert!(zhousui(birth, on_a).unwrap() <= zhousui(birth, on_b).unwrap());
        }

        #[test]
        fn zhousui_steps_by_one_the_day_after_each_anniversary(
            birth in any_date().prop_filter("room for 150 years", |x| x.year() <= 9840),
            k in 1..150i64,
        ) {
            let anniversary = birth.add_years(k).unwrap();
            prop_assert_eq!(zhousui(birth, anniversary), Some(k - 1));
            prop_assert_eq!(zhousui(birth, anniversary.add_days(1).unwrap()), Some(k));
            prop_assert_eq!(zhousui(birth, anniversary.add_days(-1).unwrap()), Some(k - 1));
            prop_assert_eq!(zhousui(birth, birth), Some(0));
        }

        #[test]
        fn add_months_never_moves_past_the_day_of_month(x in any_date(), a in -240..240i64, b in -240..240i64) {
            if let Some(once) = x.add_months(a) {
                prop_assert!(once.day() <= x.day());
                prop_assert_eq!(once.day() == x.day(), x.day() <= days_in_month(once.year(), once.month()));
                if let Some(twice) = once.add_months(b) {
                    prop_assert!(twice.day() <= x.day());
                }
                let (y0, m0, _) = x.ymd();
                let (y1, m1, _) = once.ymd();
                prop_assert_eq!(i64::from(y1) * 12 + i64::from(m1) - (i64::from(y0) * 12 + i64::from(m0)), a);
            }
        }

        #[test]
        fn working_days_are_working_days_and_monotonic(from in recent_date(), n in 0..60i64) {
            let c = official();
            let (day, outside) = c.add_working_days(from, n).unwrap();
            let (next, _) = c.add_working_days(from, n + 1).unwrap();
            prop_assert_eq!(day, add_working_days_slow(&c, from, n));
            prop_assert!(next > day);
            prop_assert!(c.is_working_day(next));
            if n > 0 {
                prop_assert!(day > from);
                prop_assert!(c.is_working_day(day));
                let any_uncovered = (1..=i64::from(day.days() - from.days()))
                    .any(|i| !c.covers(from.add_days(i).unwrap()));
                prop_assert_eq!(outside, any_uncovered);
            } else {
                prop_assert_eq!(day, from);
            }
        }

        #[test]
        fn working_days_large_counts_match_the_definition(from in recent_date(), n in 0..3_000i64) {
            let c = official();
            prop_assert_eq!(c.add_working_days(from, n).map(|r| r.0), Some(add_working_days_slow(&c, from, n)));
        }

        #[test]
        fn due_is_never_before_the_trigger(
            days in 18_262..22_279i32,
            secs in 0..86_400i64,
            off in any_offset(),
            n in 0..100i64,
            kind in 0..5u8,
        ) {
            let c = official();
            let t = DateTime::new(i64::from(days) * 86_400 + secs, off);
            let dur = match kind {
                0 => Duration::Hours(n),
                1 => Duration::Days(n),
                2 => Duration::WorkingDays(n),
                3 => Duration::Months(n),
                _ => Duration::Years(n),
            };
            let (due, _) = due_after(t, dur, Some(&c), 480).unwrap();
            prop_assert!(due.unix() >= t.unix());
            prop_assert_eq!(due.offset_min(), 480);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = Date::parse(&s);
            let _ = DateTime::parse(&s);
            let _ = Duration::parse(&s);
            let _ = YearMonth::parse(&s);
        }

        #[test]
        fn datetime_parser_never_panics_on_near_misses(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.,+Zz-]{0,20}") {
            if let Ok((t, _)) = DateTime::parse(&s) {
                prop_assert_eq!(DateTime::parse(&t.to_string()).map(|r| r.0), Ok(t));
            }
        }
    }
}
