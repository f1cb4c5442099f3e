//! When tablets show meeting reminders: the hub's default (hub.toml `[reminders]`) or a
//! coach's choice for one senior (say, earlier for someone whose bus comes early), read
//! from the words coaches write (`18:00`, `2h`, `90m`, `off`).

use nabij_protocol::ReminderTimes;
use serde::{Deserialize, Serialize};

/// One reminder's time as a coach sets it: off, or a number of minutes (of the day, for
/// the day before; before the start, for the day itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// No such reminder.
    Off,
    /// At this many minutes.
    Minutes(u16),
}

impl Setting {
    /// As the protocol carries it.
    pub fn minutes(self) -> Option<u16> {
        match self {
            Setting::Off => None,
            Setting::Minutes(m) => Some(m),
        }
    }

    fn of(minutes: Option<u16>) -> Setting {
        minutes.map_or(Setting::Off, Setting::Minutes)
    }

    /// `18:00` or `off`, for the day before.
    pub fn day_before(text: &str) -> Result<Setting, ReminderError> {
        parse_day_before(text).map(Setting::of)
    }

    /// `2h`, `90m` or `off`, for the day itself.
    pub fn before(text: &str) -> Result<Setting, ReminderError> {
        parse_before(text).map(Setting::of)
    }
}

/// `times` with the settings given changed.
pub fn changed(
    times: ReminderTimes,
    day_before: Option<Setting>,
    before: Option<Setting>,
) -> ReminderTimes {
    ReminderTimes {
        day_before_at_min: day_before.map_or(times.day_before_at_min, Setting::minutes),
        before_min: before.map_or(times.before_min, Setting::minutes),
    }
}

/// Words that do not give a reminder time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReminderError {
    /// Not a time of day.
    #[error("{0:?} is not a time of day: write it like 18:00, or off")]
    DayBefore(String),
    /// Not a length of time, or out of range.
    #[error(
        "{0:?} is not a time before the meeting: write it like 2h, 90m or 1h30 (5 minutes to 12 hours), or off"
    )]
    Before(String),
}

fn is_off(text: &str) -> bool {
    matches!(text.trim().to_lowercase().as_str(), "off" | "none" | "")
}

/// `18:00` → minute 1080 of the day; `off` → none.
pub fn parse_day_before(text: &str) -> Result<Option<u16>, ReminderError> {
    if is_off(text) {
        return Ok(None);
    }
    let error = || ReminderError::DayBefore(text.to_owned());
    let (h, m) = text.trim().split_once(':').ok_or_else(error)?;
    let (hour, minute): (u16, u16) = (
        h.parse().map_err(|_| error())?,
        m.parse().map_err(|_| error())?,
    );
    if h.len() > 2 || m.len() != 2 || hour > 23 || minute > 59 {
        return Err(error());
    }
    Ok(Some(hour * 60 + minute))
}

/// `2h`, `90m`, `1h30`, `1h30m` → minutes; `off` → none.
pub fn parse_before(text: &str) -> Result<Option<u16>, ReminderError> {
    if is_off(text) {
        return Ok(None);
    }
    let error = || ReminderError::Before(text.to_owned());
    let t = text.trim().to_lowercase();
    let (hours, rest) = match t.split_once('h') {
        Some((h, rest)) => (h.parse::<u16>().map_err(|_| error())?, rest),
        None => (0, t.as_str()),
    };
    let rest = rest.strip_suffix('m').unwrap_or(rest);
    let minutes = match rest {
        "" if t.contains('h') => 0,
        digits => digits.parse::<u16>().map_err(|_| error())?,
    };
    let total = hours
        .checked_mul(60)
        .and_then(|h| h.checked_add(minutes))
        .ok_or_else(error)?;
    if !(ReminderTimes::MIN_BEFORE..=ReminderTimes::MAX_BEFORE).contains(&total) {
        return Err(error());
    }
    Ok(Some(total))
}

/// `1080` → `18:00`.
pub fn clock(minute_of_day: u16) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

/// `90` → `1h30`, `120` → `2h`, `45` → `45m`.
pub fn length(minutes: u16) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}"),
    }
}

/// The reminders in a coach's words: "the day before from 18:00; 2h before".
pub fn describe(times: &ReminderTimes) -> String {
    let day_before = match times.day_before_at_min {
        Some(at) => format!("the day before from {}", clock(at)),
        None => "none the day before".into(),
    };
    let before = match times.before_min {
        Some(m) => format!("{} before", length(m)),
        None => "none on the day".into(),
    };
    format!("{day_before}; {before}")
}

/// `[reminders]` in hub.toml: every tablet's reminder times, unless a coach set a
/// senior's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RemindersText")]
pub struct ReminderDefaults(pub ReminderTimes);

impl Default for ReminderDefaults {
    fn default() -> Self {
        ReminderDefaults(ReminderTimes::DEFAULT)
    }
}

/// `[reminders]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemindersText {
    /// `18:00`, or `off`.
    day_before_at: Option<String>,
    /// `2h`, `90m`, or `off`.
    before: Option<String>,
}

impl TryFrom<RemindersText> for ReminderDefaults {
    type Error = String;

    fn try_from(text: RemindersText) -> Result<Self, String> {
        let defaults = ReminderTimes::DEFAULT;
        let in_key = |key: &str, e: ReminderError| format!("reminders.{key}: {e}");
        Ok(ReminderDefaults(ReminderTimes {
            day_before_at_min: match text.day_before_at {
                Some(t) => parse_day_before(&t).map_err(|e| in_key("day_before_at", e))?,
                None => defaults.day_before_at_min,
            },
            before_min: match text.before {
                Some(t) => parse_before(&t).map_err(|e| in_key("before", e))?,
                None => defaults.before_min,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::Validate;

    #[test]
    fn coaches_words_become_minutes_and_back() {
        assert_eq!(parse_day_before("17:30"), Ok(Some(1050)));
        assert_eq!(parse_day_before(" OFF "), Ok(None));
        for bad in ["24:00", "18", "18:5", "six"] {
            assert!(parse_day_before(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_before("2h"), Ok(Some(120)));
        assert_eq!(parse_before("90m"), Ok(Some(90)));
        assert_eq!(parse_before("1h30"), Ok(Some(90)));
        assert_eq!(parse_before("1h30m"), Ok(Some(90)));
        assert_eq!(parse_before("45"), Ok(Some(45)));
        assert_eq!(parse_before("off"), Ok(None));
        for bad in ["2 hours", "1m", "13h", "h", "-5m", "99999h"] {
            let e = parse_before(bad).unwrap_err();
            assert!(e.to_string().contains("like 2h"), "{bad}: {e}");
        }
        assert_eq!(
            (clock(1050), length(90), length(120), length(45)),
            ("17:30".into(), "1h30".into(), "2h".into(), "45m".into())
        );
        let times = ReminderTimes {
            day_before_at_min: Some(1080),
            before_min: None,
        };
        assert_eq!(
            describe(&times),
            "the day before from 18:00; none on the day"
        );
        let set = changed(
            times,
            Some(Setting::day_before("off").unwrap()),
            Some(Setting::before("3h").unwrap()),
        );
        assert_eq!((set.day_before_at_min, set.before_min), (None, Some(180)));
        assert_eq!(
            changed(set, None, None),
            set,
            "nothing given, nothing changed"
        );
        // Whatever the words allow, the protocol accepts.
        for before in [ReminderTimes::MIN_BEFORE, ReminderTimes::MAX_BEFORE] {
            ReminderTimes {
                day_before_at_min: Some(1439),
                before_min: Some(before),
            }
            .validate()
            .unwrap();
        }
    }
}
