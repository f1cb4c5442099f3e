//! Who came to a meeting: a coach's marks, suggested from the seniors' RSVPs, and the
//! attendance rates the project reports.

use nabij_protocol::{PersonId, RsvpAnswer, SessionId, UnixMillis};
use serde::{Deserialize, Serialize};

/// A coach's mark for one person at one meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Came.
    Present,
    /// Did not come, without a word.
    Absent,
    /// Did not come, and said so (or a coach knew why).
    Excused,
}

impl Mark {
    /// The mark in one word.
    pub fn word(self) -> &'static str {
        match self {
            Mark::Present => "present",
            Mark::Absent => "absent",
            Mark::Excused => "excused",
        }
    }
}

/// One person's mark at one meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendance {
    /// The meeting.
    pub session: SessionId,
    /// The person.
    pub person: PersonId,
    /// The mark.
    pub mark: Mark,
    /// When the coach took it.
    pub taken_at: UnixMillis,
}

/// A senior's latest answer to "are you coming?" for a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsvpRecord {
    /// Coming or not.
    pub answer: RsvpAnswer,
    /// When the tablet sent it (a later answer replaces an earlier one).
    pub sent_at: UnixMillis,
}

/// What a coach's sheet starts from: "I can't come" is excused, everything else present
/// (at a meeting, most who said nothing are there; the coach marks who is not).
pub fn suggested(rsvp: Option<RsvpAnswer>) -> Mark {
    match rsvp {
        Some(RsvpAnswer::NotComing) => Mark::Excused,
        _ => Mark::Present,
    }
}

/// Marks counted over meetings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Meetings present.
    pub present: u32,
    /// Meetings absent without a word.
    pub absent: u32,
    /// Meetings excused.
    pub excused: u32,
}

impl Tally {
    /// Counts one more mark.
    pub fn add(&mut self, mark: Mark) {
        match mark {
            Mark::Present => self.present += 1,
            Mark::Absent => self.absent += 1,
            Mark::Excused => self.excused += 1,
        }
    }

    /// Meetings with a mark.
    pub fn marked(&self) -> u32 {
        self.present + self.absent + self.excused
    }

    /// Present as a share of the meetings marked, in whole percent (none marked: none).
    pub fn rate_pct(&self) -> Option<u32> {
        let marked = self.marked();
        (marked > 0).then(|| (self.present * 100 + marked / 2) / marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_count_present_over_every_meeting_marked() {
        let mut t = Tally::default();
        assert_eq!(t.rate_pct(), None);
        for m in [Mark::Present, Mark::Present, Mark::Absent, Mark::Excused] {
            t.add(m);
        }
        assert_eq!((t.present, t.absent, t.excused, t.marked()), (2, 1, 1, 4));
        assert_eq!(t.rate_pct(), Some(50));
        t.add(Mark::Present);
        assert_eq!(t.rate_pct(), Some(60));
        let mut two_of_three = Tally::default();
        for m in [Mark::Present, Mark::Present, Mark::Absent] {
            two_of_three.add(m);
        }
        assert_eq!(two_of_three.rate_pct(), Some(67), "rounded");
    }

    #[test]
    fn a_sheet_starts_from_the_answers() {
        assert_eq!(suggested(None), Mark::Present);
        assert_eq!(suggested(Some(RsvpAnswer::Coming)), Mark::Present);
        assert_eq!(suggested(Some(RsvpAnswer::NotComing)), Mark::Excused);
    }
}
