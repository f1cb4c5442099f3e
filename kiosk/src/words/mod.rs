//! Words the kiosk makes from data: times ("this morning 10:15"), dates, greetings, in
//! Dutch, French and English. Plain Rust tables: a missing translation is a compile
//! error, not a blank on a senior's screen. Times are shown in Belgian time.
//! `phrases` has the rest: key names, problems, and what "Read aloud" says.
//!
//! One voice per language (docs/wording.md): "u" in Dutch, "vous" in French. A date's day
//! and month are held together by a no-break space, so that a line never splits them.

mod phrases;
pub use phrases::*;

use nabij_protocol::{Civil, UnixMillis};

/// A screen language. Dutch (Flemish) is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Dutch (Flemish).
    #[default]
    Nl,
    /// French.
    Fr,
    /// English.
    En,
}

impl Language {
    /// Every language, Dutch first.
    pub const ALL: [Language; 3] = [Language::Nl, Language::Fr, Language::En];

    /// `nl`, `fr` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    /// Parses `nl`, `fr` or `en`.
    pub fn parse(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }
}

impl From<nabij_protocol::Language> for Language {
    fn from(l: nabij_protocol::Language) -> Self {
        match l {
            nabij_protocol::Language::Nl => Language::Nl,
            nabij_protocol::Language::Fr => Language::Fr,
            nabij_protocol::Language::En => Language::En,
        }
    }
}

pub use nabij_protocol::time::brussels_offset_minutes;

/// A time in Belgium.
pub fn local(t: UnixMillis) -> Civil {
    nabij_protocol::time::brussels(t)
}

fn weekday_name(lang: Language, weekday: u8) -> &'static str {
    const NL: [&str; 7] = [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ];
    const FR: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const EN: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let i = usize::from(weekday % 7);
    match lang {
        Language::Nl => NL[i],
        Language::Fr => FR[i],
        Language::En => EN[i],
    }
}

fn month_name(lang: Language, month: u8) -> &'static str {
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let i = usize::from(month.clamp(1, 12) - 1);
    match lang {
        Language::Nl => NL[i],
        Language::Fr => FR[i],
        Language::En => EN[i],
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A no-break space: what it joins stays on one line.
pub const NBSP: char = '\u{a0}';

/// "dinsdag 24 november" (no capital; day and month held together).
pub fn day_and_month(t: UnixMillis, lang: Language) -> String {
    let c = local(t);
    format!(
        "{} {}{NBSP}{}",
        weekday_name(lang, c.weekday),
        c.day,
        month_name(lang, c.month)
    )
}

/// "10:15".
pub fn clock(t: UnixMillis) -> String {
    let c = local(t);
    format!("{:02}:{:02}", c.hour, c.minute)
}

/// "Dinsdag 24 november" / "Mardi 24 novembre" / "Tuesday 24 November".
pub fn date(t: UnixMillis, lang: Language) -> String {
    capitalise(&day_and_month(t, lang))
}

/// A moved or cancelled meeting in words, the news first: what a senior reads on the
/// screen titled "Let op" ("Please note").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingChangeWords {
    /// "De bijeenkomst is verplaatst naar:"
    pub headline: String,
    /// The new day and time ("Donderdag 26 november om 14:00"), or the day that is
    /// cancelled.
    pub when: String,
    /// Where: "Zelfde plaats" / "In De Schelp"; empty when cancelled.
    pub place: String,
    /// What it was: "Eerst was het dinsdag 24 november."; empty when cancelled.
    pub was: String,
}

/// What a senior is told when a meeting moves (`moved_to`, with the new place when it
/// changed) or is cancelled (`moved_to` is `None`).
pub fn meeting_changed(
    was: UnixMillis,
    moved_to: Option<(UnixMillis, Option<&str>)>,
    lang: Language,
) -> MeetingChangeWords {
    let old = day_and_month(was, lang);
    let Some((to, place)) = moved_to else {
        let headline = match lang {
            Language::Nl => "De bijeenkomst gaat niet door:",
            Language::Fr => "La rencontre est annulée :",
            Language::En => "The meeting is cancelled:",
        };
        return MeetingChangeWords {
            headline: headline.into(),
            when: capitalise(&old),
            place: String::new(),
            was: String::new(),
        };
    };
    let (new, at) = (capitalise(&day_and_month(to, lang)), clock(to));
    let (headline, when, was_words) = match lang {
        Language::Nl => (
            "De bijeenkomst is verplaatst naar:",
            format!("{new} om{NBSP}{at}"),
            format!("Eerst was het {old}."),
        ),
        Language::Fr => (
            "La rencontre est déplacée au :",
            format!("{new} à{NBSP}{at}"),
            format!("Avant, c'était le {old}."),
        ),
        Language::En => (
            "The meeting has moved to:",
            format!("{new} at{NBSP}{at}"),
            format!("It was on {old}."),
        ),
    };
    let place = match (place, lang) {
        (None, Language::Nl) => "Zelfde plaats.".to_owned(),
        (None, Language::Fr) => "Même endroit.".to_owned(),
        (None, Language::En) => "Same place.".to_owned(),
        (Some(p), Language::Nl) => format!("In {p}."),
        (Some(p), Language::Fr) => format!("À {p}."),
        (Some(p), Language::En) => format!("At {p}."),
    };
    MeetingChangeWords {
        headline: headline.into(),
        when,
        place,
        was: was_words,
    }
}

/// Who Help calls while the hub names no coach: the neighbourhood centre.
pub fn the_centre(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "het buurtcentrum",
        Language::Fr => "le centre de quartier",
        Language::En => "the neighbourhood centre",
    }
}

/// Who messages from people erased from the programme are from.
pub fn former_participant(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "Oud-deelnemer",
        Language::Fr => "Ancien membre",
        Language::En => "Former member",
    }
}

/// "Goedemorgen, Jan": the greeting for the time of day.
pub fn greeting(now: UnixMillis, name: &str, lang: Language) -> String {
    let hour = local(now).hour;
    let part = match hour {
        5..=11 => 0,
        12..=17 => 1,
        _ => 2,
    };
    let words = match lang {
        Language::Nl => ["Goedemorgen", "Goedemiddag", "Goedenavond"],
        Language::Fr => ["Bonjour", "Bon après-midi", "Bonsoir"],
        Language::En => ["Good morning", "Good afternoon", "Good evening"],
    };
    format!("{}, {name}", words[part])
}

fn days_between(a: Civil, b: Civil) -> i64 {
    let day = |c: Civil| nabij_protocol::time::days_from_civil(c.year, c.month, c.day);
    day(b) - day(a)
}

/// When something happened, as a senior says it: "this morning 10:15", "yesterday
/// 18:40", "Monday 09:30", "12 November".
pub fn time_in_words(now: UnixMillis, t: UnixMillis, lang: Language) -> String {
    let (n, c) = (local(now), local(t));
    let hm = format!("{:02}:{:02}", c.hour, c.minute);
    let ago = days_between(c, n);
    if ago == 0 {
        let part = match c.hour {
            0..=11 => 0,
            12..=17 => 1,
            _ => 2,
        };
        let words = match lang {
            Language::Nl => ["vanmorgen", "vanmiddag", "vanavond"],
            Language::Fr => ["ce matin", "cet après-midi", "ce soir"],
            Language::En => ["this morning", "this afternoon", "this evening"],
        };
        return format!("{} {hm}", words[part]);
    }
    if ago == 1 {
        let word = match lang {
            Language::Nl => "gisteren",
            Language::Fr => "hier",
            Language::En => "yesterday",
        };
        return format!("{word} {hm}");
    }
    if (2..7).contains(&ago) {
        return format!("{} {hm}", weekday_name(lang, c.weekday));
    }
    format!("{}{NBSP}{}", c.day, month_name(lang, c.month))
}

/// When something coming is, in few words: "today 14:00", "tomorrow 14:00",
/// "Friday 14:00" within the week, else "1 December".
pub fn soon(now: UnixMillis, t: UnixMillis, lang: Language) -> String {
    let (n, c) = (local(now), local(t));
    let hm = format!("{:02}:{:02}", c.hour, c.minute);
    let ahead = days_between(n, c);
    let (today, tomorrow) = match lang {
        Language::Nl => ("Vandaag", "Morgen"),
        Language::Fr => ("Aujourd'hui", "Demain"),
        Language::En => ("Today", "Tomorrow"),
    };
    match ahead {
        0 => format!("{today} {hm}"),
        1 => format!("{tomorrow} {hm}"),
        2..=6 => format!("{} {hm}", capitalise(weekday_name(lang, c.weekday))),
        _ => format!("{}{NBSP}{}", c.day, month_name(lang, c.month)),
    }
}

/// When a reminded meeting is, as a senior says it: "Morgen om 14:00", "Vandaag om
/// 14:00", "Vrijdag om 14:00" within the week, else the whole date.
pub fn reminder_when(now: UnixMillis, t: UnixMillis, lang: Language) -> String {
    let (n, c) = (local(now), local(t));
    let at = match lang {
        Language::Nl => "om",
        Language::Fr => "à",
        Language::En => "at",
    };
    let hm = clock(t);
    let day = match (days_between(n, c), lang) {
        (0, Language::Nl) => "Vandaag".to_owned(),
        (0, Language::Fr) => "Aujourd'hui".to_owned(),
        (0, Language::En) => "Today".to_owned(),
        (1, Language::Nl) => "Morgen".to_owned(),
        (1, Language::Fr) => "Demain".to_owned(),
        (1, Language::En) => "Tomorrow".to_owned(),
        (2..=6, _) => capitalise(weekday_name(lang, c.weekday)),
        _ => return appointment(t, lang),
    };
    format!("{day} {at}{NBSP}{hm}")
}

/// When a meeting is: "Dinsdag 1 december om 14:00".
pub fn appointment(t: UnixMillis, lang: Language) -> String {
    let at = match lang {
        Language::Nl => "om",
        Language::Fr => "à",
        Language::En => "at",
    };
    format!("{} {at}{NBSP}{}", date(t, lang), clock(t))
}

/// The ready-made replies on the answering screen.
pub fn quick_replies(lang: Language) -> [&'static str; 3] {
    match lang {
        Language::Nl => ["Bedankt!", "Tot gauw", "Met mij gaat het goed"],
        Language::Fr => ["Merci !", "À bientôt", "Je vais bien"],
        Language::En => ["Thank you!", "See you soon", "I am fine"],
    }
}

/// "Bijeenkomst 4" / "Tablethulp 2": a session's name in the senior's words (one name for
/// the weekly meeting everywhere: "bijeenkomst", "rencontre", "meeting").
pub fn session_title(series: nabij_protocol::SessionSeries, number: u8, lang: Language) -> String {
    use nabij_protocol::SessionSeries::{Monthly, Weekly};
    let word = match (lang, series) {
        (Language::Nl, Weekly) => "Bijeenkomst",
        (Language::Nl, Monthly) => "Tablethulp",
        (Language::Fr, Weekly) => "Rencontre",
        (Language::Fr, Monthly) => "Aide tablette",
        (Language::En, Weekly) => "Meeting",
        (Language::En, Monthly) => "Tablet help",
    };
    format!("{word} {number}")
}

/// "De bus komt om 13:30": when transport picks the senior up.
pub fn pickup(t: UnixMillis, lang: Language) -> String {
    let at = clock(t);
    match lang {
        Language::Nl => format!("De bus komt om{NBSP}{at}"),
        Language::Fr => format!("Le bus vient à{NBSP}{at}"),
        Language::En => format!("The bus comes at{NBSP}{at}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;
    // Tuesday 24 November 2026, 09:15 UTC = 10:15 in Brussels (winter time).
    const NOW: UnixMillis = UnixMillis(1_795_511_700_000);

    #[test]
    fn clock_times_are_belgian() {
        assert_eq!(brussels_offset_minutes(NOW), 60);
        assert_eq!(clock(NOW), "10:15");
    }

    #[test]
    fn a_moved_or_cancelled_meeting_in_words() {
        // Tuesday 24 November 2026 10:15 → Thursday 26 November, 14:00 (winter time).
        let thursday = UnixMillis(NOW.0 + 2 * 24 * HOUR + 3 * HOUR + 45 * 60_000);
        let words = meeting_changed(NOW, Some((thursday, None)), Language::Nl);
        assert_eq!(words.headline, "De bijeenkomst is verplaatst naar:");
        assert_eq!(
            words.when.replace(NBSP, " "),
            "Donderdag 26 november om 14:00",
            "the new day first"
        );
        assert_eq!(words.place, "Zelfde plaats.");
        assert_eq!(
            words.was.replace(NBSP, " "),
            "Eerst was het dinsdag 24 november."
        );
        assert!(words.when.contains("26\u{a0}november"), "never split");
        let words = meeting_changed(NOW, Some((thursday, Some("De Schelp"))), Language::Fr);
        assert_eq!(words.place, "À De Schelp.");
        let words = meeting_changed(NOW, None, Language::En);
        assert_eq!(words.headline, "The meeting is cancelled:");
        assert_eq!(words.when.replace(NBSP, " "), "Tuesday 24 November");
        assert!(words.was.is_empty());
    }

    fn check(t: UnixMillis, lang: Language, expected: &str) {
        assert_eq!(time_in_words(NOW, t, lang), expected);
    }

    #[test]
    fn times_in_words() {
        check(NOW, Language::En, "this morning 10:15");
        check(
            UnixMillis(NOW.0 + 5 * HOUR),
            Language::Nl,
            "vanmiddag 15:15",
        );
        check(UnixMillis(NOW.0 - 15 * HOUR), Language::Fr, "hier 19:15");
        check(
            UnixMillis(NOW.0 - 24 * 3 * HOUR),
            Language::En,
            "Saturday 10:15",
        );
        check(
            UnixMillis(NOW.0 - 24 * 12 * HOUR),
            Language::Nl,
            "12\u{a0}november",
        );
    }

    #[test]
    fn a_reminder_says_when_in_words() {
        let at = |h: u64| UnixMillis(NOW.0 + h * HOUR);
        let said = |h, lang| reminder_when(NOW, at(h), lang).replace(NBSP, " ");
        assert_eq!(said(4, Language::Nl), "Vandaag om 14:15");
        assert_eq!(said(28, Language::Fr), "Demain à 14:15");
        assert_eq!(said(72, Language::En), "Friday at 10:15");
        assert_eq!(said(24 * 9, Language::Nl), "Donderdag 3 december om 10:15");
    }

    #[test]
    fn coming_times_in_few_words() {
        assert_eq!(
            soon(NOW, UnixMillis(NOW.0 + 4 * HOUR), Language::En),
            "Today 14:15"
        );
        assert_eq!(
            soon(NOW, UnixMillis(NOW.0 + 28 * HOUR), Language::Nl),
            "Morgen 14:15"
        );
        assert_eq!(
            soon(NOW, UnixMillis(NOW.0 + 72 * HOUR), Language::Fr),
            "Vendredi 10:15"
        );
        assert_eq!(
            soon(NOW, UnixMillis(NOW.0 + 24 * 9 * HOUR), Language::En),
            "3\u{a0}December"
        );
    }

    #[test]
    fn dates_and_greetings() {
        assert_eq!(date(NOW, Language::Nl), "Dinsdag 24\u{a0}november");
        assert_eq!(date(NOW, Language::Fr), "Mardi 24\u{a0}novembre");
        assert_eq!(greeting(NOW, "Jan", Language::Nl), "Goedemorgen, Jan");
        assert_eq!(
            greeting(UnixMillis(NOW.0 + 10 * HOUR), "Jan", Language::En),
            "Good evening, Jan"
        );
        assert_eq!(Language::parse("fr"), Some(Language::Fr));
        assert_eq!(Language::parse("de"), None);
    }
}
