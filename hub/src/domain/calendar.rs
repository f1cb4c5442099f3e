//! Calendar dates and Belgium's public holidays, for planning meetings. A holiday is
//! computed, not listed: the fixed ones, and those that follow Easter.

use nabij_protocol::time::days_from_civil;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date; written `2027-01-12` (also in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

/// The days of the week, Monday first (as [`nabij_protocol::Civil::weekday`] counts them).
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl Date {
    /// The date, if it exists (`2027-02-30` does not).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let real = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && (1970..=9999).contains(&year);
        real.then_some(Date { year, month, day })
    }

    /// Reads `2027-01-12`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date `n` days later (earlier if negative).
    pub fn plus_days(self, n: i64) -> Date {
        let c = nabij_protocol::UnixMillis(((self.days() + n).max(0) as u64) * 86_400_000).civil(0);
        Date {
            year: c.year,
            month: c.month,
            day: c.day,
        }
    }

    /// The day of the week, 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u8 {
        (self.days() + 3).rem_euclid(7) as u8
    }

    /// The first date on `weekday` in this date's month.
    pub fn first_weekday_of_month(self, weekday: u8) -> Date {
        let first = Date { day: 1, ..self };
        let ahead = (i64::from(weekday) - i64::from(first.weekday())).rem_euclid(7);
        first.plus_days(ahead)
    }

    /// The first day of the next month.
    pub fn next_month(self) -> Date {
        if self.month == 12 {
            Date {
                year: self.year + 1,
                month: 1,
                day: 1,
            }
        } else {
            Date {
                month: self.month + 1,
                day: 1,
                ..self
            }
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not a date like 2027-01-12"))
        })
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Easter Sunday of a year (the anonymous Gregorian algorithm).
pub fn easter(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date {
        year,
        month: month as u8,
        day: day as u8,
    }
}

/// Belgium's ten public holidays of a year, in date order, with their Dutch names.
pub fn belgian_holidays(year: i32) -> Vec<(Date, &'static str)> {
    let fixed = |month, day| Date { year, month, day };
    let easter = easter(year);
    let mut days = vec![
        (fixed(1, 1), "Nieuwjaar"),
        (easter.plus_days(1), "Paasmaandag"),
        (fixed(5, 1), "Feest van de Arbeid"),
        (easter.plus_days(39), "O.L.H. Hemelvaart"),
        (easter.plus_days(50), "Pinkstermaandag"),
        (fixed(7, 21), "Nationale feestdag"),
        (fixed(8, 15), "O.L.V. Hemelvaart"),
        (fixed(11, 1), "Allerheiligen"),
        (fixed(11, 11), "Wapenstilstand"),
        (fixed(12, 25), "Kerstmis"),
    ];
    days.sort();
    days
}

/// The public holiday on `date`, if it is one.
pub fn holiday(date: Date) -> Option<&'static str> {
    belgian_holidays(date.year)
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn easter_falls_where_the_calendars_say() {
        for (year, month, day) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2038, 4, 25),
        ] {
            assert_eq!(easter(year), d(year, month, day), "Easter {year}");
        }
    }

    #[test]
    fn the_ten_holidays_of_2027() {
        let dates: Vec<String> = belgian_holidays(2027)
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        assert_eq!(
            dates,
            [
                "2027-01-01",
                "2027-03-29",
                "2027-05-01",
                "2027-05-06",
                "2027-05-17",
                "2027-07-21",
                "2027-08-15",
                "2027-11-01",
                "2027-11-11",
                "2027-12-25"
            ]
        );
        assert_eq!(holiday(d(2027, 5, 6)), Some("O.L.H. Hemelvaart"));
        assert_eq!(holiday(d(2027, 5, 7)), None);
    }

    #[test]
    fn dates_parse_count_and_step() {
        assert_eq!(Date::parse("2027-01-12"), Some(d(2027, 1, 12)));
        for bad in [
            "2027-02-30",
            "2027-1-12",
            "27-01-12",
            "2027-01-12-1",
            "",
            "x",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Date::parse("2028-02-29").map(|x| x.weekday()), Some(1));
        assert_eq!(d(2027, 1, 12).weekday(), 1, "a Tuesday");
        assert_eq!(d(2027, 12, 28).plus_days(7), d(2028, 1, 4));
        assert_eq!(d(2027, 3, 17).first_weekday_of_month(1), d(2027, 3, 2));
        assert_eq!(d(2027, 12, 9).next_month(), d(2028, 1, 1));
        assert_eq!(d(2027, 1, 12).to_string(), "2027-01-12");
    }
}
