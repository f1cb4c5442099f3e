//! Time on the wire: milliseconds since the Unix epoch, UTC, as a JSON integer.
//! Kiosks show times in their own time zone (Europe/Brussels in practice).

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

#[cfg(test)]
mod tests {
    use super::*;

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
