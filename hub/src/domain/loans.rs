//! The loan register: which tablet is lent to whom, from when to when, and in what state
//! it came back.

use nabij_protocol::{DeviceId, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};

/// The state a tablet came back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Works and is complete: it can be lent again.
    Good,
    /// Works, but has damage (a cracked corner, a worn charger).
    Damaged,
    /// Does not work.
    Broken,
    /// Not returned: lost or stolen.
    Lost,
}

impl Condition {
    /// Every condition.
    pub const ALL: [Condition; 4] = [
        Condition::Good,
        Condition::Damaged,
        Condition::Broken,
        Condition::Lost,
    ];

    /// Its name on the command line and in forms.
    pub fn name(self) -> &'static str {
        match self {
            Condition::Good => "good",
            Condition::Damaged => "damaged",
            Condition::Broken => "broken",
            Condition::Lost => "lost",
        }
    }

    /// The condition called `text` (any case).
    pub fn parse(text: &str) -> Option<Condition> {
        let text = text.trim().to_lowercase();
        Condition::ALL.into_iter().find(|c| c.name() == text)
    }
}

/// One loan of one tablet to one participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    /// The loan's number.
    pub number: u64,
    /// The physical tablet: its hardware id, or the device id when it sent none.
    pub tablet: String,
    /// The device identity it had during this loan.
    pub device: DeviceId,
    /// Who has it.
    pub participant: PersonId,
    /// Since when.
    pub lent_at: UnixMillis,
    /// When it came back (or the loan was closed).
    #[serde(default)]
    pub returned_at: Option<UnixMillis>,
    /// In what state.
    #[serde(default)]
    pub condition: Option<Condition>,
    /// A coach's note.
    #[serde(default)]
    pub note: Option<String>,
}

impl Loan {
    /// Whether the tablet is still out.
    pub fn is_open(&self) -> bool {
        self.returned_at.is_none()
    }

    /// Ends the loan (it was wiped, re-enrolled, or came back).
    pub fn close(&mut self, now: UnixMillis, condition: Option<Condition>, note: Option<String>) {
        self.returned_at = Some(now);
        self.condition = condition;
        self.note = note;
    }

    /// Records how the tablet came back; a loan closed earlier (say, by a wipe) keeps its
    /// end date and gets the condition.
    pub fn record_return(&mut self, now: UnixMillis, condition: Condition, note: Option<String>) {
        self.returned_at.get_or_insert(now);
        self.condition = Some(condition);
        if note.is_some() {
            self.note = note;
        }
    }
}
