//! Time on the wire: milliseconds since the Unix epoch, UTC, as a JSON integer.
//! Kiosks show times in their own time zone (Europe/Brussels in practice); the hub plans
//! meetings in it. [`brussels`] and [`from_brussels`] convert, with Belgium's summer time.

use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The current time from the system clock (0 if the clock is before 1970).
    pub fn now() -> Self {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }
}

/// How long before the hub received it a chat message may have been written, as its
/// tablet's `ts` says (docs/protocol.md §3): 90 days, as long as a kiosk keeps ids and
/// the hub keeps messages. An older `ts` comes from a clock that is wrong.
pub const MAX_WRITTEN_BEFORE_RECEIVED_MS: u64 = 90 * 24 * 3_600 * 1_000;

impl UnixMillis {
    /// When a message was written: its sender's `claimed` time when that is plausible
    /// (not after `received`, and at most [`MAX_WRITTEN_BEFORE_RECEIVED_MS`] before it),
    /// else `received`. A senior's message written offline keeps its time; a tablet
    /// whose clock is ahead or reset cannot put a message in the future or in 1970.
    pub fn written_at(claimed: UnixMillis, received: UnixMillis) -> UnixMillis {
        let earliest = received.0.saturating_sub(MAX_WRITTEN_BEFORE_RECEIVED_MS);
        if (earliest..=received.0).contains(&claimed.0) {
            claimed
        } else {
            received
        }
    }
}

/// A calendar date and time of day, as computed by [`UnixMillis::civil`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Day of the week, 0 = Monday … 6 = Sunday.
    pub weekday: u8,
}

impl UnixMillis {
    /// The calendar date and time of this instant shifted by `offset_minutes` from UTC.
    pub fn civil(self, offset_minutes: i32) -> Civil {
        let secs = (self.0 / 1000) as i64 + i64::from(offset_minutes) * 60;
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        // 1970-01-01 was a Thursday (weekday 3 when Monday is 0).
        let weekday = (days + 3).rem_euclid(7) as u8;
        Civil {
            year,
            month,
            day,
            hour: (of_day / 3600) as u8,
            minute: (of_day % 3600 / 60) as u8,
            weekday,
        }
    }
}

/// Days since 1970-01-01 of a calendar date (Howard Hinnant's days-from-civil).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Midnight UTC of a date, as Unix milliseconds (0 before 1970).
pub fn midnight_utc(year: i32, month: u8, day: u8) -> u64 {
    (days_from_civil(year, month, day).max(0) as u64) * 86_400_000
}

/// Minutes Belgium is ahead of UTC at `t`: +60, or +120 in summer time (from the last
/// Sunday of March, 01:00 UTC, to the last Sunday of October, 01:00 UTC).
pub fn brussels_offset_minutes(t: UnixMillis) -> i32 {
    let year = t.civil(0).year;
    let last_sunday = |month: u8| -> u8 {
        // The 31st of March and October; step back to a Sunday (weekday 6).
        let weekday = UnixMillis(midnight_utc(year, month, 31)).civil(0).weekday;
        31 - ((weekday + 1) % 7)
    };
    let start = midnight_utc(year, 3, last_sunday(3)) + 3_600_000;
    let end = midnight_utc(year, 10, last_sunday(10)) + 3_600_000;
    if (start..end).contains(&t.0) { 120 } else { 60 }
}

/// The time in Belgium at `t`.
pub fn brussels(t: UnixMillis) -> Civil {
    t.civil(brussels_offset_minutes(t))
}

/// The instant of a time of day in Belgium. In the hour summer time skips, the time is
/// read as winter time (02:30 on the last Sunday of March is 03:30 summer time); in the
/// hour that comes twice in October, as the first (summer time).
pub fn from_brussels(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> UnixMillis {
    let local =
        midnight_utc(year, month, day) + u64::from(hour) * 3_600_000 + u64::from(minute) * 60_000;
    let summer = UnixMillis(local.saturating_sub(7_200_000));
    if brussels_offset_minutes(summer) == 120 {
        summer
    } else {
        UnixMillis(local.saturating_sub(3_600_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_keeps_the_time_it_was_written_unless_its_clock_is_wrong() {
        let received = UnixMillis(1_795_511_700_000);
        let day = 24 * 3_600 * 1_000;
        let check = |claimed: u64, expected: u64| {
            assert_eq!(
                UnixMillis::written_at(UnixMillis(claimed), received),
                UnixMillis(expected),
                "claimed {claimed}"
            );
        };
        check(received.0 - 2 * day, received.0 - 2 * day);
        check(received.0, received.0);
        check(received.0 - 90 * day, received.0 - 90 * day);
        check(received.0 + 1, received.0);
        check(received.0 - 90 * day - 1, received.0);
        check(0, received.0);
    }

    #[test]
    fn belgian_time_follows_summer_time() {
        // Tuesday 24 November 2026, 09:15 UTC = 10:15 in Brussels (winter time).
        let winter = UnixMillis(1_795_511_700_000);
        assert_eq!(brussels_offset_minutes(winter), 60);
        assert_eq!((brussels(winter).hour, brussels(winter).minute), (10, 15));
        assert_eq!(
            brussels_offset_minutes(UnixMillis(midnight_utc(2026, 7, 1))),
            120
        );
        // Summer time starts on Sunday 29 March 2026 at 01:00 UTC.
        let change = midnight_utc(2026, 3, 29) + 3_600_000;
        assert_eq!(brussels_offset_minutes(UnixMillis(change - 60_000)), 60);
        assert_eq!(brussels_offset_minutes(UnixMillis(change)), 120);
        // And back: Sunday 25 October 2026 at 01:00 UTC.
        let back = midnight_utc(2026, 10, 25) + 3_600_000;
        assert_eq!(brussels_offset_minutes(UnixMillis(back - 60_000)), 120);
        assert_eq!(brussels_offset_minutes(UnixMillis(back)), 60);
    }

    #[test]
    fn a_local_time_round_trips() {
        for (y, mo, d, h, mi) in [
            (2027, 1, 12, 14, 0),
            (2027, 7, 6, 9, 30),
            (2026, 10, 25, 12, 0),
        ] {
            let t = from_brussels(y, mo, d, h, mi);
            let c = brussels(t);
            assert_eq!(
                (c.year, c.month, c.day, c.hour, c.minute),
                (y, mo, d, h, mi)
            );
        }
        assert_eq!(
            from_brussels(2027, 1, 12, 14, 0).0,
            midnight_utc(2027, 1, 12) + 13 * 3_600_000
        );
        assert_eq!(
            from_brussels(2027, 7, 6, 14, 0).0,
            midnight_utc(2027, 7, 6) + 12 * 3_600_000
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn civil_dates_and_weekdays() {
        let c = UnixMillis(1_795_511_700_000).civil(0); // 2026-11-24 09:15 UTC, a Tuesday
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.weekday),
            (2026, 11, 24, 9, 15, 1)
        );
        let c = UnixMillis(0).civil(60);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.weekday),
            (1970, 1, 1, 1, 3)
        );
        let c = UnixMillis(951_782_400_000).civil(0);
        assert_eq!((c.year, c.month, c.day), (2000, 2, 29));
    }
}
