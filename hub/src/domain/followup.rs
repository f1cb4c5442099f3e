//! The coaches' follow-up list: who needs a call, and why, so that no one has to go
//! looking (proactive, not reactive). Each rule reads a few facts about one participant
//! and says since when it holds; a coach's "handled" hides it until it holds anew.

use crate::domain::attendance::Mark;
use nabij_protocol::time::brussels;
use nabij_protocol::{Mood, PersonId, UnixMillis};
use serde::{Deserialize, Serialize};

const DAY: u64 = 86_400_000;

/// Why someone is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Asked to be called (Help, or "Please call me"), and no coach answered yet.
    AskedForCall,
    /// Said "not good" at the check-in, several days running.
    SadCheckIns,
    /// Missed the last two meetings without a word.
    MissedMeetings,
    /// Their tablet has not been heard from for days.
    TabletSilent,
    /// Has written nothing (no message, answer or check-in) for days.
    NothingSent,
}

impl Reason {
    /// Every reason, most urgent first.
    pub const ALL: [Reason; 5] = [
        Reason::AskedForCall,
        Reason::SadCheckIns,
        Reason::MissedMeetings,
        Reason::TabletSilent,
        Reason::NothingSent,
    ];

    /// Its name on the command line and in the store.
    pub fn name(self) -> &'static str {
        match self {
            Reason::AskedForCall => "asked-for-call",
            Reason::SadCheckIns => "sad-check-ins",
            Reason::MissedMeetings => "missed-meetings",
            Reason::TabletSilent => "tablet-silent",
            Reason::NothingSent => "nothing-sent",
        }
    }

    /// What it means, in a few words for a coach.
    pub fn words(self) -> &'static str {
        match self {
            Reason::AskedForCall => "asked to be called",
            Reason::SadCheckIns => "not good at the check-in, days running",
            Reason::MissedMeetings => "missed two meetings without a word",
            Reason::TabletSilent => "tablet silent",
            Reason::NothingSent => "sent nothing for weeks",
        }
    }

    /// Reads a name.
    pub fn parse(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.name() == text.trim())
    }
}

/// When the rules fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A tablet silent this many days.
    pub silent_days: u32,
    /// Nothing sent for this many days.
    pub quiet_days: u32,
    /// "Not good" at the check-in on this many days running.
    pub sad_days: u32,
}

/// What the hub knows about one participant, for the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Their marks, in meeting order, with each meeting's start.
    pub marks: Vec<(UnixMillis, Mark)>,
    /// Their tablet, if they have one lent: when it was enrolled, when it was last
    /// heard from, whether it is connected now.
    pub tablet: Option<TabletFacts>,
    /// When they last sent anything (message, answer, check-in).
    pub last_sent: Option<UnixMillis>,
    /// Their check-ins, newest first.
    pub check_ins: Vec<(UnixMillis, Mood)>,
    /// Their oldest call for help no coach answered.
    pub open_call: Option<UnixMillis>,
}

/// A participant's tablet, for the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabletFacts {
    /// When it was enrolled.
    pub enrolled_at: UnixMillis,
    /// When it was last heard from.
    pub last_seen: Option<UnixMillis>,
    /// Whether it is connected now.
    pub online: bool,
}

/// One reason to call, and since when it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concern {
    /// Why.
    pub reason: Reason,
    /// Since when.
    pub since: UnixMillis,
}

/// The calendar day in Belgium, as days since 1970.
fn day(t: UnixMillis) -> i64 {
    let c = brussels(t);
    nabij_protocol::time::days_from_civil(c.year, c.month, c.day)
}

/// Every reason to call this participant at `now`, most urgent first.
pub fn concerns(facts: &Facts, now: UnixMillis, thresholds: &Thresholds) -> Vec<Concern> {
    let mut out = Vec::new();
    if let Some(since) = facts.open_call {
        out.push(Concern {
            reason: Reason::AskedForCall,
            since,
        });
    }
    if let Some(since) = sad_since(&facts.check_ins, thresholds.sad_days) {
        out.push(Concern {
            reason: Reason::SadCheckIns,
            since,
        });
    }
    if facts.marks.len() >= 2 {
        let last_two = &facts.marks[facts.marks.len() - 2..];
        if last_two.iter().all(|(_, mark)| *mark == Mark::Absent) {
            out.push(Concern {
                reason: Reason::MissedMeetings,
                since: last_two[1].0,
            });
        }
    }
    if let Some(tablet) = facts.tablet {
        let heard = tablet.last_seen.unwrap_or(tablet.enrolled_at);
        if !tablet.online
            && now.0.saturating_sub(heard.0) >= u64::from(thresholds.silent_days) * DAY
        {
            out.push(Concern {
                reason: Reason::TabletSilent,
                since: heard,
            });
        }
        // Someone without a tablet cannot send; someone who just got one gets time.
        let sent = facts
            .last_sent
            .unwrap_or(tablet.enrolled_at)
            .max(tablet.enrolled_at);
        if now.0.saturating_sub(sent.0) >= u64::from(thresholds.quiet_days) * DAY {
            out.push(Concern {
                reason: Reason::NothingSent,
                since: sent,
            });
        }
    }
    out
}

/// When the latest check-ins said "not good" on `days` calendar days running: the newest
/// of them, so that a coach's "handled" holds until the next sad day (each day counts by
/// its last check-in).
fn sad_since(check_ins: &[(UnixMillis, Mood)], days: u32) -> Option<UnixMillis> {
    let mut per_day: Vec<(i64, UnixMillis, Mood)> = Vec::new();
    for &(t, mood) in check_ins {
        let d = day(t);
        if per_day.last().is_none_or(|(last, _, _)| *last != d) {
            per_day.push((d, t, mood));
        }
    }
    let run = per_day.get(..days as usize)?;
    let consecutive = run.windows(2).all(|w| w[0].0 - w[1].0 == 1);
    let all_sad = run.iter().all(|(_, _, mood)| *mood == Mood::NotGood);
    (days > 0 && consecutive && all_sad).then(|| run[0].1)
}

/// A coach's note that a reason to call was dealt with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealtWith {
    /// The coach.
    pub by: PersonId,
    /// When.
    pub at: UnixMillis,
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        silent_days: 7,
        quiet_days: 14,
        sad_days: 3,
    };
    // 1 December 2026, 10:00 UTC.
    const NOW: UnixMillis = UnixMillis(1_796_119_200_000);

    fn ago(days: u64) -> UnixMillis {
        UnixMillis(NOW.0 - days * DAY)
    }

    fn reasons(facts: &Facts) -> Vec<Reason> {
        concerns(facts, NOW, &T)
            .into_iter()
            .map(|c| c.reason)
            .collect()
    }

    fn tablet(last_seen_days: u64) -> Option<TabletFacts> {
        Some(TabletFacts {
            enrolled_at: ago(60),
            last_seen: Some(ago(last_seen_days)),
            online: false,
        })
    }

    #[test]
    fn a_quiet_well_participant_is_not_on_the_list() {
        let facts = Facts {
            tablet: tablet(1),
            last_sent: Some(ago(2)),
            check_ins: vec![(ago(1), Mood::Good), (ago(2), Mood::NotGood)],
            marks: vec![(ago(14), Mark::Absent), (ago(7), Mark::Present)],
            ..Facts::default()
        };
        assert!(reasons(&facts).is_empty());
    }

    #[test]
    fn each_rule_fires_when_its_facts_hold() {
        let call = Facts {
            open_call: Some(ago(0)),
            ..Facts::default()
        };
        assert_eq!(reasons(&call), [Reason::AskedForCall]);

        let missed = Facts {
            marks: vec![
                (ago(21), Mark::Present),
                (ago(14), Mark::Absent),
                (ago(7), Mark::Absent),
            ],
            ..Facts::default()
        };
        assert_eq!(
            concerns(&missed, NOW, &T),
            [Concern {
                reason: Reason::MissedMeetings,
                since: ago(7)
            }]
        );

        let silent = Facts {
            tablet: tablet(8),
            last_sent: Some(ago(8)),
            ..Facts::default()
        };
        assert_eq!(reasons(&silent), [Reason::TabletSilent]);
        let online = Facts {
            tablet: tablet(8).map(|t| TabletFacts { online: true, ..t }),
            last_sent: Some(ago(8)),
            ..Facts::default()
        };
        assert!(
            reasons(&online).is_empty(),
            "a connected tablet is not silent"
        );

        let quiet = Facts {
            tablet: tablet(0),
            last_sent: Some(ago(15)),
            ..Facts::default()
        };
        assert_eq!(reasons(&quiet), [Reason::NothingSent]);
        let new_tablet = Facts {
            tablet: Some(TabletFacts {
                enrolled_at: ago(3),
                last_seen: Some(ago(0)),
                online: true,
            }),
            last_sent: None,
            ..Facts::default()
        };
        assert!(reasons(&new_tablet).is_empty(), "a new tablet gets time");
    }

    #[test]
    fn each_rule_clears_when_its_facts_no_longer_hold() {
        // Everything wrong at once; then each fact mended in turn takes its reason, and
        // only that one, off the list.
        let mut facts = Facts {
            marks: vec![(ago(14), Mark::Absent), (ago(7), Mark::Absent)],
            tablet: tablet(20),
            last_sent: Some(ago(20)),
            check_ins: [20, 21, 22].map(|d| (ago(d), Mood::NotGood)).to_vec(),
            open_call: Some(ago(20)),
        };
        let mut left: Vec<Reason> = Reason::ALL.to_vec();
        let sorted = |facts: &Facts| {
            let mut r = reasons(facts);
            r.sort();
            r
        };
        assert_eq!(sorted(&facts), left);
        type Mend<'a> = &'a dyn Fn(&mut Facts);
        let mends: [(Reason, Mend); 5] = [
            (Reason::AskedForCall, &|f| f.open_call = None),
            (Reason::SadCheckIns, &|f| {
                f.check_ins.insert(0, (ago(1), Mood::Good))
            }),
            (Reason::MissedMeetings, &|f| {
                f.marks.push((ago(0), Mark::Present))
            }),
            (Reason::TabletSilent, &|f| f.tablet = tablet(0)),
            (Reason::NothingSent, &|f| f.last_sent = Some(ago(1))),
        ];
        for (reason, mend) in mends {
            mend(&mut facts);
            left.retain(|r| *r != reason);
            assert_eq!(sorted(&facts), left, "after mending {reason:?}");
        }
    }

    #[test]
    fn sad_check_ins_count_calendar_days_running_by_their_last_answer() {
        let sad = |days: &[u64]| -> Vec<(UnixMillis, Mood)> {
            days.iter().map(|d| (ago(*d), Mood::NotGood)).collect()
        };
        let three = Facts {
            check_ins: sad(&[0, 1, 2]),
            ..Facts::default()
        };
        assert_eq!(
            concerns(&three, NOW, &T),
            [Concern {
                reason: Reason::SadCheckIns,
                since: ago(0)
            }]
        );
        let gap = Facts {
            check_ins: sad(&[0, 1, 3]),
            ..Facts::default()
        };
        assert!(reasons(&gap).is_empty(), "not running");
        let two = Facts {
            check_ins: sad(&[0, 1]),
            ..Facts::default()
        };
        assert!(reasons(&two).is_empty());
        // The last answer of a day counts: sad in the morning, fine in the evening.
        let mut better = sad(&[0, 1, 2]);
        better.insert(0, (UnixMillis(NOW.0 + 3_600_000), Mood::Good));
        let better = Facts {
            check_ins: better,
            ..Facts::default()
        };
        assert!(reasons(&better).is_empty());
    }

    #[test]
    fn reasons_have_names() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.name()), Some(r));
        }
        assert_eq!(Reason::parse("bored"), None);
    }
}
