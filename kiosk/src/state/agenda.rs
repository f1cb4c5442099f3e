//! Meetings: the agenda a page at a time, the reminders that come by themselves (the
//! evening before and on the day, at the times the hub set) with "Are you coming?", and
//! the daily "How are you today?" check-in.

use super::{Effect, KioskState, Screen};
use nabij_protocol::{MeetingReminder, UnixMillis};

/// The check-in is asked from this hour (Belgian time) on.
pub const CHECK_IN_FROM_HOUR: u8 = 10;

impl KioskState {
    /// The coming meetings (not over at `now`), soonest first.
    pub fn coming_meetings(&self, now: UnixMillis) -> impl Iterator<Item = &MeetingReminder> {
        self.meetings.iter().filter(move |m| m.ends_at > now)
    }

    /// "Later meetings" on the agenda: the next page, round to the first after the last
    /// (`pages`: how many the screen makes of the coming meetings).
    pub fn next_agenda_page(&mut self, pages: usize) {
        self.agenda_page = (self.agenda_page + 1) % pages.max(1);
    }

    /// Whether to ask "How are you today?" now: the coach turned the check-in on, it is
    /// 10:00 or later, it was not asked today, and the senior is not in the middle of
    /// something (Home or the idle clock).
    pub fn check_in_due(&self, now: UnixMillis) -> bool {
        let local = crate::words::local(now);
        self.config.as_ref().is_some_and(|c| c.check_in)
            && local.hour >= CHECK_IN_FROM_HOUR
            && self.check_in_day != Some((local.year, local.month, local.day))
            && matches!(self.screen, Some(Screen::Home | Screen::Idle))
    }

    /// Asks the day's check-in, with a chime; once a day, answered or not.
    pub fn ask_check_in(&mut self, now: UnixMillis) -> Vec<Effect> {
        let local = crate::words::local(now);
        self.check_in_day = Some((local.year, local.month, local.day));
        let mut effects = self.navigate(Screen::CheckIn);
        effects.push(Effect::Chime);
        effects
    }

    /// The senior answered the check-in.
    pub fn check_in(&mut self, mood: nabij_protocol::Mood, now: UnixMillis) -> Vec<Effect> {
        let local = crate::words::local(now);
        self.check_in_day = Some((local.year, local.month, local.day));
        let mut effects = self.navigate(Screen::Home);
        effects.push(Effect::CheckIn(mood));
        effects
    }

    /// Forgets the meetings that are over: the agenda and "next meeting" show only what
    /// is to come.
    pub fn forget_ended_meetings(&mut self, now: UnixMillis) {
        self.meetings.retain(|m| m.ends_at > now);
    }

    /// A meeting is near: show the reminder, with a chime.
    pub fn remind(&mut self, meeting: MeetingReminder) -> Vec<Effect> {
        self.reminder = Some(meeting);
        let mut effects = self.navigate(Screen::Reminder);
        effects.push(Effect::Chime);
        effects
    }

    /// The reminder due at `now`, if any: at the times the hub set (by default the
    /// evening before from 18:00, and two hours before a meeting), each once, never for a
    /// meeting that has begun.
    pub fn due_reminder(&mut self, now: UnixMillis) -> Option<MeetingReminder> {
        const HOUR: u64 = 3_600_000;
        let times = self
            .config
            .as_ref()
            .and_then(|c| c.reminders)
            .unwrap_or(nabij_protocol::ReminderTimes::DEFAULT);
        for meeting in &self.meetings {
            let start = meeting.starts_at.0;
            if now.0 >= start {
                continue;
            }
            let day_before = times.day_before_at_min.is_some_and(|from| {
                let day_before = crate::words::local(UnixMillis(start - 24 * HOUR));
                let local_now = crate::words::local(now);
                (local_now.year, local_now.month, local_now.day)
                    == (day_before.year, day_before.month, day_before.day)
                    && u16::from(local_now.hour) * 60 + u16::from(local_now.minute) >= from
            });
            let on_the_day = times
                .before_min
                .is_some_and(|before| start - now.0 <= u64::from(before) * 60_000);
            // Keys: 2 for the one on the day, 24 for the day before (as kept in `reminded`).
            for (due, key) in [(on_the_day, 2u8), (day_before, 24u8)] {
                let id = (meeting.session_id.to_string(), key);
                if due && !self.reminded.contains(&id) {
                    self.reminded.push(id);
                    if key == 2 {
                        // The day-before reminder would only repeat it now.
                        self.reminded.push((meeting.session_id.to_string(), 24));
                    }
                    return Some(meeting.clone());
                }
            }
        }
        None
    }

    /// "I'm coming" / "I can't come".
    pub fn rsvp(&mut self, coming: bool) -> Vec<Effect> {
        let Some(meeting) = self.reminder.take() else {
            return Vec::new();
        };
        let mut effects = self.navigate(Screen::Home);
        effects.push(Effect::Rsvp {
            session: meeting.session_id,
            coming,
        });
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use crate::state::tests::state;

    #[test]
    fn reminders_come_the_evening_before_and_two_hours_before_once_each() {
        let mut s = state();
        let hour = 3_600_000;
        // The first sample meeting is tomorrow at 14:00 (Belgian time); now is 10:15.
        assert_eq!(s.due_reminder(sample::NOW), None);
        let evening = UnixMillis(sample::NOW.0 + 8 * hour); // 18:15 today
        assert!(s.due_reminder(evening).is_some());
        assert_eq!(s.due_reminder(evening), None, "once");
        let start = s.meetings[0].starts_at.0;
        assert!(
            s.due_reminder(UnixMillis(start - 2 * hour + 60_000))
                .is_some()
        );
        assert_eq!(s.due_reminder(UnixMillis(start - hour)), None);
        assert_eq!(
            s.due_reminder(UnixMillis(start + hour)),
            None,
            "never after it began"
        );
    }

    #[test]
    fn reminders_come_at_the_times_the_hub_set_and_not_when_turned_off() {
        let mut s = state();
        let (hour, minute) = (3_600_000, 60_000);
        // The first sample meeting is tomorrow at 14:00; now is 10:15. Jan's bus comes
        // early: the day before from 17:00, and three hours before.
        if let Some(c) = s.config.as_mut() {
            c.reminders = Some(nabij_protocol::ReminderTimes {
                day_before_at_min: Some(17 * 60),
                before_min: Some(180),
            });
        }
        let at = |h: u64, m: u64| UnixMillis(sample::NOW.0 + h * hour + m * minute);
        assert_eq!(s.due_reminder(at(6, 40)), None, "16:55: not yet");
        assert!(s.due_reminder(at(6, 45)).is_some(), "17:00 the day before");
        let start = s.meetings[0].starts_at.0;
        assert_eq!(s.due_reminder(UnixMillis(start - 3 * hour - minute)), None);
        assert!(s.due_reminder(UnixMillis(start - 3 * hour)).is_some());

        // Only the one on the day.
        let mut s = state();
        if let Some(c) = s.config.as_mut() {
            c.reminders = Some(nabij_protocol::ReminderTimes {
                day_before_at_min: None,
                before_min: Some(60),
            });
        }
        assert_eq!(s.due_reminder(at(10, 0)), None, "20:15 the day before: off");
        assert_eq!(s.due_reminder(UnixMillis(start - 2 * hour)), None);
        assert!(s.due_reminder(UnixMillis(start - hour)).is_some());
    }

    #[test]
    fn the_check_in_comes_once_a_day_from_ten_on_home_and_its_answer_is_sent() {
        let mut s = state();
        s.screen = Some(Screen::Home);
        let hour = 3_600_000;
        // sample::NOW is 10:15 in Brussels.
        let nine = UnixMillis(sample::NOW.0 - 75 * 60_000);
        assert!(!s.check_in_due(nine), "not before ten");
        assert!(s.check_in_due(sample::NOW));
        s.screen = Some(Screen::Keyboard);
        assert!(
            !s.check_in_due(sample::NOW),
            "not in the middle of a message"
        );
        s.screen = Some(Screen::Idle);
        assert_eq!(s.ask_check_in(sample::NOW), [Effect::Chime]);
        assert_eq!(s.screen, Some(Screen::CheckIn));
        s.navigate(Screen::Home); // left unanswered
        assert!(
            !s.check_in_due(UnixMillis(sample::NOW.0 + hour)),
            "once a day"
        );
        let tomorrow = UnixMillis(sample::NOW.0 + 24 * hour);
        assert!(s.check_in_due(tomorrow));
        assert_eq!(
            s.check_in(nabij_protocol::Mood::NotGood, tomorrow),
            [Effect::CheckIn(nabij_protocol::Mood::NotGood)]
        );
        assert_eq!(s.screen, Some(Screen::Home));
        assert!(!s.check_in_due(UnixMillis(tomorrow.0 + hour)));
        if let Some(c) = s.config.as_mut() {
            c.check_in = false;
        }
        assert!(
            !s.check_in_due(UnixMillis(tomorrow.0 + 24 * hour)),
            "only when the coach turned it on"
        );
    }

    #[test]
    fn a_meeting_that_is_over_leaves_the_agenda() {
        let mut s = state();
        let count = s.meetings.len();
        let first_end = s.meetings[0].ends_at;
        s.forget_ended_meetings(UnixMillis(first_end.0 - 1));
        assert_eq!(s.meetings.len(), count, "still going on: still shown");
        s.forget_ended_meetings(first_end);
        assert_eq!(s.meetings.len(), count - 1);
        assert!(s.meetings.iter().all(|m| m.ends_at > first_end));
    }

    #[test]
    fn the_agenda_pages_round_and_a_reminder_is_answered() {
        let mut s = state();
        s.navigate(Screen::Agenda);
        assert_eq!(s.coming_meetings(sample::NOW).count(), 3);
        s.next_agenda_page(2);
        assert_eq!(s.agenda_page, 1);
        s.next_agenda_page(2);
        assert_eq!(s.agenda_page, 0, "round to the first page");
        s.next_agenda_page(2);
        s.navigate(Screen::Home);
        s.navigate(Screen::Agenda);
        assert_eq!(s.agenda_page, 0, "the agenda opens at the soonest");

        let meeting = s.meetings[0].clone();
        assert_eq!(s.remind(meeting), [Effect::Chime]);
        assert_eq!(s.screen, Some(Screen::Reminder));
        assert!(matches!(
            s.rsvp(true).as_slice(),
            [Effect::Rsvp { coming: true, .. }]
        ));
        assert!(s.rsvp(true).is_empty(), "answered once");
    }
}
