//! A group's meetings as an iCalendar file (RFC 5545), for coaches' calendars: one event
//! per meeting, cancelled ones marked so, moved ones with a higher SEQUENCE so calendars
//! update the event they already have.

use crate::domain::schedule::{Session, SessionState};
use nabij_protocol::{SessionSeries, UnixMillis};

/// `20270112T130000Z`.
fn utc(t: UnixMillis) -> String {
    let c = t.civil(0);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        (t.0 / 1000) % 60
    )
}

/// A text value with the characters iCalendar gives meaning to escaped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at 75 octets (never inside a character), ended by CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The words a calendar is written in: what the two kinds of meeting are called, and
/// the language's code (RFC 5646) for calendars that show it.
#[derive(Debug, Clone)]
pub struct CalendarWords {
    /// A weekly encounter (`Bijeenkomst`).
    pub weekly: String,
    /// A monthly support meeting (`Tablethulp`).
    pub monthly: String,
    /// `nl`, `fr` or `en`.
    pub language: &'static str,
}

impl Default for CalendarWords {
    /// Dutch, the project's first language (for the command line).
    fn default() -> Self {
        CalendarWords {
            weekly: "Bijeenkomst".into(),
            monthly: "Tablethulp".into(),
            language: "nl",
        }
    }
}

/// The calendar of a group's meetings in `words`; `now` stamps it.
pub fn calendar(
    group_name: &str,
    sessions: &[Session],
    now: UnixMillis,
    words: &CalendarWords,
) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Nabij//nabij-hub//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        line(&mut out, l);
    }
    line(
        &mut out,
        &format!("X-WR-CALNAME:{}", text(&format!("Nabij – {group_name}"))),
    );
    for s in sessions {
        let what = match s.series {
            SessionSeries::Weekly => &words.weekly,
            SessionSeries::Monthly => &words.monthly,
        };
        let location = match &s.address {
            Some(address) => format!("{}, {address}", s.place),
            None => s.place.clone(),
        };
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@nabij", s.id));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("DTSTART:{}", utc(s.starts_at)));
        line(&mut out, &format!("DTEND:{}", utc(s.ends_at)));
        line(
            &mut out,
            &format!(
                "SUMMARY;LANGUAGE={}:{}",
                words.language,
                text(&format!("{what} {} – {group_name}", s.number))
            ),
        );
        line(&mut out, &format!("LOCATION:{}", text(&location)));
        line(&mut out, &format!("SEQUENCE:{}", s.revision));
        line(
            &mut out,
            match s.state {
                SessionState::Planned => "STATUS:CONFIRMED",
                SessionState::Cancelled => "STATUS:CANCELLED",
            },
        );
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Date;
    use crate::domain::schedule::{Plan, TimeOfDay, plan_sessions};

    #[test]
    fn a_programme_becomes_twenty_events_in_utc_with_escaped_folded_text() {
        let group = nabij_protocol::GroupId::parse("g-oost").unwrap();
        let plan = Plan {
            first: Date::parse("2027-01-12").unwrap(),
            time: TimeOfDay {
                hour: 14,
                minute: 0,
            },
            minutes: 180,
            place: "Buurthuis De Schelp".into(),
            address: Some("Schelpstraat 12, 8400 Oostende; achteringang, naast de bakker".into()),
        };
        let mut sessions = plan_sessions(&group, &plan);
        sessions[1].cancel();
        let ics = calendar(
            "Oostende Oost",
            &sessions,
            UnixMillis(0),
            &CalendarWords::default(),
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 20);
        // 14:00 in Brussels in January is 13:00 UTC.
        assert!(ics.contains("DTSTART:20270112T130000Z\r\nDTEND:20270112T160000Z\r\n"));
        assert!(ics.contains("UID:s-oost-w01@nabij\r\n"));
        assert!(ics.contains("SUMMARY;LANGUAGE=nl:Bijeenkomst 1 – Oostende Oost\r\n"));
        assert!(ics.contains("SUMMARY;LANGUAGE=nl:Tablethulp 10 – Oostende Oost\r\n"));
        let french = CalendarWords {
            weekly: "Rencontre".into(),
            monthly: "Aide tablette".into(),
            language: "fr",
        };
        let ics_fr = calendar("Oostende Oost", &sessions, UnixMillis(0), &french);
        assert!(ics_fr.contains("SUMMARY;LANGUAGE=fr:Rencontre 1 – Oostende Oost\r\n"));
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("LOCATION:Buurthuis De Schelp\\, Schelpstraat 12\\, 8400 Oostende\\; achteringang\\, naast de bakker\r\n"));
        assert!(ics.contains("\r\n "), "the long location line is folded");
        assert_eq!(ics.matches("STATUS:CANCELLED").count(), 1);
        assert!(ics.contains("SEQUENCE:1\r\nSTATUS:CANCELLED"));
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "folded: {l:?}");
        }
        assert!(
            !ics.replace("\r\n", "").contains('\n'),
            "every line ends with CRLF"
        );
    }
}
