//! Meetings as coaches read them, shared by the group pages and Today: a meeting's name
//! and time in the reader's language (never its id), the attendance marks and RSVP
//! answers in words, a coach's own groups first, and the attendance form (one tap per
//! person, pre-filled; what was ticked is shown again if a save is refused, so no tick
//! is ever lost).

use super::Me;
use super::html;
use super::lang::{self, t};
use crate::app::Sheet;
use crate::domain::attendance::Mark;
use crate::domain::people::Group;
use crate::domain::schedule::Session;
use maud::{Markup, html};
use nabij_protocol::{Language, PersonId, RsvpAnswer, SessionSeries};

/// `Bijeenkomst 6` / `Tablethulp 3` (the weekly encounters and the monthly support
/// meetings, as the tablets call them).
pub fn meeting_name(lang: Language, session: &Session) -> String {
    match session.series {
        SessionSeries::Weekly => t!(lang, "Meeting {}", session.number),
        SessionSeries::Monthly => t!(lang, "Tablet help {}", session.number),
    }
}

/// `di 12 jan 2027, 14:00–17:00`.
pub fn meeting_when(lang: Language, session: &Session) -> String {
    format!(
        "{}–{}",
        lang::date_time(lang, session.starts_at),
        lang::time(session.ends_at)
    )
}

/// Where: the place, and its address when there is one.
pub fn meeting_where(session: &Session) -> String {
    match &session.address {
        Some(address) => format!("{}, {address}", session.place),
        None => session.place.clone(),
    }
}

/// An attendance mark in words.
pub fn mark_word(lang: Language, mark: Mark) -> &'static str {
    match mark {
        Mark::Present => t!(lang, "present"),
        Mark::Absent => t!(lang, "absent"),
        Mark::Excused => t!(lang, "excused"),
    }
}

/// What a senior answered to "are you coming?", in words.
pub fn rsvp_word(lang: Language, answer: Option<RsvpAnswer>) -> &'static str {
    match answer {
        Some(RsvpAnswer::Coming) => t!(lang, "said: coming"),
        Some(RsvpAnswer::NotComing) => t!(lang, "said: can't come"),
        None => t!(lang, "no answer"),
    }
}

/// Every mark, in the order the form shows them.
pub const MARKS: [Mark; 3] = [Mark::Present, Mark::Absent, Mark::Excused];

/// A mark from a form.
pub fn parse_mark(text: &str) -> Option<Mark> {
    MARKS.into_iter().find(|m| m.word() == text)
}

/// Whether `group` is coached by the account.
pub fn is_mine(me: &Me, group: &Group) -> bool {
    me.account.coach.is_some() && group.coach == me.account.coach
}

/// Groups with the account's own first, each part by name.
pub fn own_first(me: &Me, mut groups: Vec<Group>) -> Vec<Group> {
    groups.sort_by(|a, b| {
        is_mine(me, b)
            .cmp(&is_mine(me, a))
            .then_with(|| a.name.cmp(&b.name))
    });
    groups
}

/// The attendance form for `sheet`: a row per member with their RSVP and three large
/// choices. `ticked` are marks sent before (a refused save) that win over the stored
/// ones; `back` is where a save leads (`today` or the sheet itself).
pub fn attendance_form(me: &Me, sheet: &Sheet, ticked: &[(PersonId, Mark)], back: &str) -> Markup {
    let lang = me.lang();
    let s = &sheet.session;
    html! {
        @if sheet.rows.is_empty() {
            p.empty { (t!(lang, "The group has no members.")) }
        } @else {
            form.attendance method="post" action={ "/sessions/" (s.id.as_str()) "/attendance" } {
                (html::csrf(&me.csrf))
                input type="hidden" name="back" value=(back);
                @for row in &sheet.rows {
                    @let chosen = ticked
                        .iter()
                        .find(|(p, _)| p == &row.person)
                        .map(|(_, m)| *m)
                        .or(row.mark)
                        .unwrap_or(row.suggested);
                    fieldset.marks {
                        legend { (row.name) " " small { "(" (rsvp_word(lang, row.rsvp)) ")" } }
                        @for mark in MARKS {
                            label.mark {
                                input type="radio" name={ "mark-" (row.person.as_str()) }
                                    value=(mark.word()) checked[mark == chosen];
                                " " (mark_word(lang, mark))
                            }
                        }
                    }
                }
                p { button { (t!(lang, "Save attendance")) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Date;
    use crate::domain::schedule::{Plan, TimeOfDay, plan_sessions};

    #[test]
    fn a_meeting_is_named_and_dated_in_the_readers_language_without_its_id() {
        let group = nabij_protocol::GroupId::parse("g-oost").expect("an id");
        let plan = Plan {
            first: Date::parse("2027-01-12").expect("a date"),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "De Schelp".into(),
            address: Some("Schelpstraat 12".into()),
        };
        let sessions = plan_sessions(&group, &plan);
        assert_eq!(meeting_name(Language::En, &sessions[0]), "Meeting 1");
        assert_eq!(meeting_name(Language::En, &sessions[10]), "Tablet help 1");
        assert_eq!(
            meeting_when(Language::Nl, &sessions[0]),
            "di 12 jan 2027, 14:00–17:00"
        );
        assert_eq!(meeting_where(&sessions[0]), "De Schelp, Schelpstraat 12");
        for lang in lang::ALL {
            assert!(!meeting_name(lang, &sessions[0]).contains("s-oost"));
        }
    }
}
