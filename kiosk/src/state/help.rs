//! Asking the coach to call. The screen says only what is true: "your question is on its
//! way" while it waits in the tablet's outbox, "Marie has your question" once the hub
//! has it, and "Marie will call you" when the coach answered.

use super::{Effect, KioskState};
use nabij_protocol::{MessageId, UnixMillis};

/// How long a call for help stays awaited; then Help can be asked again (a tablet runs
/// for days, and a senior may need help twice).
pub const HELP_AWAITED: std::time::Duration = std::time::Duration::from_secs(2 * 3_600);

/// Where the senior's call for help is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpState {
    /// When it was asked (or answered: the wait is counted from the latest).
    pub at: UnixMillis,
    /// The id it went under, once the link gave it one.
    pub id: Option<MessageId>,
    /// How far it got.
    pub stage: HelpStage,
}

/// How far a call for help got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpStage {
    /// In the tablet's outbox: it goes by itself once the tablet is connected.
    Waiting,
    /// The hub has it: the coach is told.
    Received,
    /// The coach answered: they will call.
    Answered,
}

impl KioskState {
    /// The senior asks the coach to call. Asking again while a call is awaited sends
    /// nothing more; after [`HELP_AWAITED`] the button comes back.
    pub fn ask_help(&mut self, now: UnixMillis) -> Vec<Effect> {
        if self.help_awaited(now) {
            return Vec::new();
        }
        self.help = Some(HelpState {
            at: now,
            id: None,
            stage: HelpStage::Waiting,
        });
        vec![Effect::AskHelp]
    }

    /// The call for help, while it is awaited at `now`.
    pub fn help_now(&self, now: UnixMillis) -> Option<&HelpState> {
        self.help
            .as_ref()
            .filter(|h| now.0.saturating_sub(h.at.0) < HELP_AWAITED.as_millis() as u64)
    }

    /// Whether the senior asked for a call recently enough to be told about it.
    pub fn help_awaited(&self, now: UnixMillis) -> bool {
        self.help_now(now).is_some()
    }

    /// The link sent the call for help under this id.
    pub fn help_sent(&mut self, id: MessageId) {
        if let Some(help) = self.help.as_mut()
            && help.stage == HelpStage::Waiting
        {
            help.id = Some(id);
        }
    }

    /// The hub acknowledged these ids: the call for help may be among them.
    pub(crate) fn help_acked(&mut self, ids: &[MessageId]) {
        if let Some(help) = self.help.as_mut()
            && help.stage == HelpStage::Waiting
            && help.id.as_ref().is_some_and(|id| ids.contains(id))
        {
            help.stage = HelpStage::Received;
        }
    }

    /// The coach answered: they will call, counted from `at`.
    pub fn help_answered(&mut self, at: UnixMillis) {
        self.help = Some(HelpState {
            at,
            id: self.help.as_ref().and_then(|h| h.id.clone()),
            stage: HelpStage::Answered,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use crate::state::tests::state;

    #[test]
    fn a_call_for_help_is_waiting_then_received_then_answered() {
        let mut s = state();
        assert_eq!(s.ask_help(sample::NOW), [Effect::AskHelp]);
        assert!(s.ask_help(sample::NOW).is_empty(), "asked once is enough");
        assert_eq!(
            s.help_now(sample::NOW).map(|h| h.stage),
            Some(HelpStage::Waiting)
        );
        let id = MessageId::parse("help-0001").unwrap();
        s.help_acked(std::slice::from_ref(&id));
        assert_eq!(
            s.help_now(sample::NOW).map(|h| h.stage),
            Some(HelpStage::Waiting),
            "not this call's id yet"
        );
        s.help_sent(id.clone());
        s.help_acked(&[MessageId::parse("other-0001").unwrap()]);
        assert_eq!(
            s.help_now(sample::NOW).map(|h| h.stage),
            Some(HelpStage::Waiting)
        );
        s.help_acked(&[id]);
        assert_eq!(
            s.help_now(sample::NOW).map(|h| h.stage),
            Some(HelpStage::Received)
        );
        s.help_answered(sample::NOW);
        assert_eq!(
            s.help_now(sample::NOW).map(|h| h.stage),
            Some(HelpStage::Answered)
        );
        let later = UnixMillis(sample::NOW.0 + HELP_AWAITED.as_millis() as u64);
        assert!(!s.help_awaited(later));
        assert_eq!(
            s.ask_help(later),
            [Effect::AskHelp],
            "and again the next day"
        );
    }
}
