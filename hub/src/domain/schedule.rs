//! The programme's meetings: 10 weekly encounters, then 10 monthly ICT support meetings,
//! planned around Belgium's public holidays; moved, cancelled or added by a coach. Times
//! are Belgian local times on the way in, instants (UTC) on the way out.

use crate::domain::calendar::{Date, holiday};
use nabij_protocol::time::from_brussels;
use nabij_protocol::{
    GroupId, MeetingReminder, ScheduleChange, ScheduleChangeKind, SessionId, SessionSeries,
    UnixMillis,
};
use serde::{Deserialize, Serialize};

/// Meetings in each series.
pub const PER_SERIES: u8 = 10;

/// Whether a meeting takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// It takes place (perhaps moved).
    Planned,
    /// A coach cancelled it.
    Cancelled,
}

/// One meeting of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Its id.
    pub id: SessionId,
    /// The group that meets.
    pub group: GroupId,
    /// Weekly encounter or monthly support meeting.
    pub series: SessionSeries,
    /// Its number in the series, 1–10.
    pub number: u8,
    /// Start.
    pub starts_at: UnixMillis,
    /// End.
    pub ends_at: UnixMillis,
    /// The place's name.
    pub place: String,
    /// Its street address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Planned or cancelled.
    pub state: SessionState,
    /// How often it changed (iCalendar's SEQUENCE: a calendar keeps the highest).
    #[serde(default)]
    pub revision: u32,
}

/// A local time of day; written `14:00` (also in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
}

impl Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:02}:{:02}", self.hour, self.minute))
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TimeOfDay::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a time like 14:00")))
    }
}

impl TimeOfDay {
    /// Reads `14:00`.
    pub fn parse(text: &str) -> Option<TimeOfDay> {
        let (h, m) = text.trim().split_once(':')?;
        let (hour, minute) = (h.parse().ok()?, m.parse().ok()?);
        (h.len() <= 2 && m.len() == 2 && hour < 24 && minute < 60)
            .then_some(TimeOfDay { hour, minute })
    }
}

/// Where and when a group meets: the first encounter's date and time, how long a
/// meeting lasts, the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The first weekly encounter (moved a week on if it is a holiday); the meetings keep
    /// its weekday.
    pub first: Date,
    /// Their start, Belgian time.
    pub time: TimeOfDay,
    /// Their length in minutes.
    pub minutes: u32,
    /// The place's name.
    pub place: String,
    /// Its street address.
    pub address: Option<String>,
}

/// Why a plan or a change cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The place's name.
    #[error("a place needs a name of 1 to 80 characters")]
    Place,
    /// The address.
    #[error("an address has at most 160 characters")]
    Address,
    /// The length.
    #[error("a meeting lasts 15 minutes to 8 hours, not {0} minutes")]
    Length(u32),
    /// A date on a holiday.
    #[error("{0} is a public holiday ({1}); choose another day")]
    Holiday(Date, &'static str),
}

fn check_text(text: &str, max: usize) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// A place's name and address, checked and trimmed.
pub fn check_place(
    place: &str,
    address: Option<&str>,
) -> Result<(String, Option<String>), ScheduleError> {
    if !check_text(place, nabij_protocol::limits::MAX_NAME_CHARS) {
        return Err(ScheduleError::Place);
    }
    let address = match address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) if !check_text(a, 160) => return Err(ScheduleError::Address),
        other => other.map(str::to_owned),
    };
    Ok((place.trim().to_owned(), address))
}

/// A meeting's length, checked.
pub fn check_minutes(minutes: u32) -> Result<u32, ScheduleError> {
    if (15..=480).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(ScheduleError::Length(minutes))
    }
}

/// The next date from `date` on (itself or a week later, and so on) that is not a holiday.
fn next_working(mut date: Date) -> Date {
    while holiday(date).is_some() {
        date = date.plus_days(7);
    }
    date
}

/// The programme's dates from the first encounter: ten weekly encounters on its weekday,
/// a holiday week skipped; then, from the month after the last, the first same weekday of
/// each month (a week later when that is a holiday), ten times.
pub fn programme_dates(first: Date) -> Vec<(SessionSeries, u8, Date)> {
    let mut out = Vec::new();
    let mut date = first;
    for number in 1..=PER_SERIES {
        date = next_working(date);
        out.push((SessionSeries::Weekly, number, date));
        date = date.plus_days(7);
    }
    let weekday = first.weekday();
    let mut month = date.plus_days(-7).next_month();
    for number in 1..=PER_SERIES {
        out.push((
            SessionSeries::Monthly,
            number,
            next_working(month.first_weekday_of_month(weekday)),
        ));
        month = month.next_month();
    }
    out
}

/// A session id for a group's meeting: `s-oostende-oost-w03`, `s-oostende-oost-m10`.
/// `extra` tells apart meetings added later with the same number (`-2`, `-3`, …).
pub fn session_id(group: &GroupId, series: SessionSeries, number: u8, extra: u32) -> SessionId {
    let name = group.as_str().trim_start_matches("g-");
    let mut name: String = name.chars().take(33).collect();
    while name.ends_with('-') {
        name.pop();
    }
    let letter = match series {
        SessionSeries::Weekly => 'w',
        SessionSeries::Monthly => 'm',
    };
    let suffix = if extra > 1 {
        format!("-{extra}")
    } else {
        String::new()
    };
    let id = format!("s-{name}-{letter}{number:02}{suffix}");
    SessionId::parse(&id).unwrap_or_else(|_| {
        // Only ids the hub made go in, so this cannot happen; a plain id still works.
        SessionId::parse(&format!("s-{letter}{number:02}{suffix}")).expect("a valid session id")
    })
}

/// The instant of a Belgian local date and time.
pub fn at(date: Date, time: TimeOfDay) -> UnixMillis {
    from_brussels(date.year, date.month, date.day, time.hour, time.minute)
}

/// The group's twenty sessions for a plan.
pub fn plan_sessions(group: &GroupId, plan: &Plan) -> Vec<Session> {
    programme_dates(plan.first)
        .into_iter()
        .map(|(series, number, date)| {
            let starts_at = at(date, plan.time);
            Session {
                id: session_id(group, series, number, 1),
                group: group.clone(),
                series,
                number,
                starts_at,
                ends_at: UnixMillis(starts_at.0 + u64::from(plan.minutes) * 60_000),
                place: plan.place.clone(),
                address: plan.address.clone(),
                state: SessionState::Planned,
                revision: 0,
            }
        })
        .collect()
}

impl Session {
    /// When it is, in Belgian time, for coaches: `Tue 2027-01-12 14:00–17:00`.
    pub fn when_words(&self) -> String {
        let (start, end) = (
            nabij_protocol::time::brussels(self.starts_at),
            nabij_protocol::time::brussels(self.ends_at),
        );
        let day = crate::domain::calendar::WEEKDAYS[usize::from(start.weekday % 7)];
        format!(
            "{}{} {:04}-{:02}-{:02} {:02}:{:02}–{:02}:{:02}",
            day[..1].to_uppercase(),
            &day[1..3],
            start.year,
            start.month,
            start.day,
            start.hour,
            start.minute,
            end.hour,
            end.minute
        )
    }

    /// Which meeting of the programme it is: `weekly 3`, `monthly 10`.
    pub fn what_words(&self) -> String {
        let series = match self.series {
            SessionSeries::Weekly => "weekly",
            SessionSeries::Monthly => "monthly",
        };
        format!("{series} {}", self.number)
    }

    /// Moves it to start at `starts_at` (keeping its length), perhaps somewhere else.
    pub fn move_to(&mut self, starts_at: UnixMillis, place: Option<(String, Option<String>)>) {
        let length = self.ends_at.0 - self.starts_at.0;
        self.starts_at = starts_at;
        self.ends_at = UnixMillis(starts_at.0 + length);
        if let Some((place, address)) = place {
            self.place = place;
            self.address = address;
        }
        self.revision += 1;
    }

    /// Cancels it.
    pub fn cancel(&mut self) {
        self.state = SessionState::Cancelled;
        self.revision += 1;
    }

    /// What a tablet shows of it in its agenda and reminders.
    pub fn reminder(&self) -> MeetingReminder {
        MeetingReminder {
            session_id: self.id.clone(),
            series: self.series,
            number: self.number,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            place: self.place.clone(),
            address: self.address.clone(),
            pickup_at: None,
        }
    }

    /// What a tablet hears when it moved or was cancelled.
    pub fn change(&self) -> ScheduleChange {
        match self.state {
            SessionState::Cancelled => ScheduleChange {
                session_id: self.id.clone(),
                change: ScheduleChangeKind::Cancelled,
                starts_at: None,
                ends_at: None,
                place: None,
                pickup_at: None,
            },
            SessionState::Planned => ScheduleChange {
                session_id: self.id.clone(),
                change: ScheduleChangeKind::Moved,
                starts_at: Some(self.starts_at),
                ends_at: Some(self.ends_at),
                place: Some(self.place.clone()),
                pickup_at: None,
            },
        }
    }

    /// Whether it is still to come at `now` (planned and not yet over).
    pub fn is_ahead(&self, now: UnixMillis) -> bool {
        self.state == SessionState::Planned && self.ends_at > now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn ten_weekly_encounters_skip_the_holiday_weeks_then_ten_monthly_meetings_follow() {
        // Tuesdays from 9 March 2027: Easter Monday is 29 March (a Monday: no clash); the
        // Thursdays of Ascension are no Tuesdays either. So: start on a Monday instead.
        let dates = programme_dates(d("2027-03-15"));
        let weekly: Vec<String> = dates[..10].iter().map(|(_, _, d)| d.to_string()).collect();
        assert_eq!(
            weekly,
            [
                "2027-03-15",
                "2027-03-22", // 29 March is Easter Monday: skipped
                "2027-04-05",
                "2027-04-12",
                "2027-04-19",
                "2027-04-26",
                "2027-05-03",
                "2027-05-10", // 17 May is Whit Monday: skipped
                "2027-05-24",
                "2027-05-31"
            ]
        );
        let monthly: Vec<String> = dates[10..].iter().map(|(_, _, d)| d.to_string()).collect();
        assert_eq!(
            monthly,
            [
                "2027-06-07",
                "2027-07-05",
                "2027-08-02",
                "2027-09-06",
                "2027-10-04",
                // The first Monday of November is the 1st, All Saints: a week later.
                "2027-11-08",
                "2027-12-06",
                "2028-01-03",
                "2028-02-07",
                "2028-03-06"
            ]
        );
        assert!(dates.iter().all(|(_, _, date)| date.weekday() == 0));
        assert_eq!(
            dates.iter().map(|(s, n, _)| (*s, *n)).collect::<Vec<_>>()[9..11],
            [(SessionSeries::Weekly, 10), (SessionSeries::Monthly, 1)]
        );
    }

    #[test]
    fn a_first_date_on_a_holiday_moves_a_week_on() {
        let dates = programme_dates(d("2027-11-11"));
        assert_eq!(dates[0].2, d("2027-11-18"));
    }

    #[test]
    fn sessions_get_readable_ids_belgian_times_and_a_length() {
        let group = GroupId::parse("g-oostende-oost").unwrap();
        let plan = Plan {
            first: d("2027-01-12"),
            time: TimeOfDay::parse("14:00").unwrap(),
            minutes: 180,
            place: "Buurthuis De Schelp".into(),
            address: None,
        };
        let sessions = plan_sessions(&group, &plan);
        assert_eq!(sessions.len(), 20);
        assert_eq!(sessions[2].id.as_str(), "s-oostende-oost-w03");
        assert_eq!(sessions[19].id.as_str(), "s-oostende-oost-m10");
        let local = nabij_protocol::time::brussels(sessions[0].starts_at);
        assert_eq!((local.day, local.hour, local.minute), (12, 14, 0));
        assert_eq!(
            sessions[0].ends_at.0 - sessions[0].starts_at.0,
            3 * 3_600_000
        );
        let long = GroupId::parse(&format!("g-{}", "a".repeat(40))).unwrap();
        let id = session_id(&long, SessionSeries::Monthly, 10, 3);
        assert!(id.as_str().len() <= 42, "{id}");
    }

    #[test]
    fn moving_keeps_the_length_and_counts_the_change_and_cancelling_says_so() {
        let group = GroupId::parse("g-oost").unwrap();
        let plan = Plan {
            first: d("2027-01-12"),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "De Schelp".into(),
            address: None,
        };
        let mut session = plan_sessions(&group, &plan).remove(0);
        let new_start = at(
            d("2027-01-14"),
            TimeOfDay {
                hour: 10,
                minute: 0,
            },
        );
        session.move_to(new_start, Some(("Zaal Noord".into(), None)));
        assert_eq!(session.ends_at.0 - session.starts_at.0, 3 * 3_600_000);
        assert_eq!(session.revision, 1);
        let change = session.change();
        assert_eq!(
            (change.change, change.starts_at),
            (ScheduleChangeKind::Moved, Some(new_start))
        );
        assert_eq!(change.place.as_deref(), Some("Zaal Noord"));
        session.cancel();
        assert_eq!(session.change().change, ScheduleChangeKind::Cancelled);
        assert!(!session.is_ahead(UnixMillis(0)));
    }

    #[test]
    fn places_lengths_and_times_are_checked() {
        assert!(
            check_place(" De Schelp ", Some(" "))
                .is_ok_and(|(p, a)| p == "De Schelp" && a.is_none())
        );
        assert_eq!(check_place("", None), Err(ScheduleError::Place));
        assert_eq!(
            check_place("x", Some(&"a".repeat(161))),
            Err(ScheduleError::Address)
        );
        assert_eq!(check_minutes(10), Err(ScheduleError::Length(10)));
        assert_eq!(
            TimeOfDay::parse("9:30"),
            Some(TimeOfDay {
                hour: 9,
                minute: 30
            })
        );
        for bad in ["24:00", "14:60", "14", "14:0", "x:y"] {
            assert_eq!(TimeOfDay::parse(bad), None, "{bad:?}");
        }
    }
}
