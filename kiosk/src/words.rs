//! Words the kiosk makes from data: times ("this morning 10:15"), dates, greetings, in
//! Dutch, French and English. Plain Rust tables: a missing translation is a compile
//! error, not a blank on a senior's screen. Times are shown in Belgian time.

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

/// "10:15".
pub fn clock(t: UnixMillis) -> String {
    let c = local(t);
    format!("{:02}:{:02}", c.hour, c.minute)
}

/// "Dinsdag 24 november" / "Mardi 24 novembre" / "Tuesday 24 November".
pub fn date(t: UnixMillis, lang: Language) -> String {
    let c = local(t);
    capitalise(&format!(
        "{} {} {}",
        weekday_name(lang, c.weekday),
        c.day,
        month_name(lang, c.month)
    ))
}

/// "De bijeenkomst van dinsdag 14 mei is verplaatst naar donderdag 16 mei, 14:00, zelfde
/// plaats.": what a senior is told when a meeting moves (`moved_to`, with the new place
/// when it changed) or is cancelled (`moved_to` is `None`).
pub fn meeting_changed(
    was: UnixMillis,
    moved_to: Option<(UnixMillis, Option<&str>)>,
    lang: Language,
) -> String {
    let day = |t: UnixMillis| {
        let c = local(t);
        format!(
            "{} {} {}",
            weekday_name(lang, c.weekday),
            c.day,
            month_name(lang, c.month)
        )
    };
    let old = day(was);
    match (moved_to, lang) {
        (None, Language::Nl) => format!("De bijeenkomst van {old} gaat niet door."),
        (None, Language::Fr) => format!("La rencontre du {old} est annulée."),
        (None, Language::En) => format!("The meeting of {old} is cancelled."),
        (Some((to, place)), lang) => {
            let (new, at) = (day(to), clock(to));
            match (place, lang) {
                (None, Language::Nl) => format!(
                    "De bijeenkomst van {old} is verplaatst naar {new}, {at}, zelfde plaats."
                ),
                (Some(p), Language::Nl) => {
                    format!("De bijeenkomst van {old} is verplaatst naar {new}, {at}, in {p}.")
                }
                (None, Language::Fr) => {
                    format!("La rencontre du {old} est déplacée au {new}, {at}, même endroit.")
                }
                (Some(p), Language::Fr) => {
                    format!("La rencontre du {old} est déplacée au {new}, {at}, à {p}.")
                }
                (None, Language::En) => {
                    format!("The meeting of {old} moved to {new}, {at}, same place.")
                }
                (Some(p), Language::En) => {
                    format!("The meeting of {old} moved to {new}, {at}, at {p}.")
                }
            }
        }
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
        Language::Fr => "Ancien participant",
        Language::En => "Former participant",
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
    format!("{} {}", c.day, month_name(lang, c.month))
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
        _ => format!("{} {}", c.day, month_name(lang, c.month)),
    }
}

/// When a meeting is: "Dinsdag 1 december 14:00".
pub fn appointment(t: UnixMillis, lang: Language) -> String {
    format!("{} {}", date(t, lang), clock(t))
}

/// The four ready-made replies on the writing screen.
pub fn quick_replies(lang: Language) -> [&'static str; 4] {
    match lang {
        Language::Nl => [
            "Dank je wel!",
            "Tot binnenkort",
            "Met mij gaat het goed",
            "Bel me even",
        ],
        Language::Fr => ["Merci !", "À bientôt", "Je vais bien", "Appelle-moi"],
        Language::En => ["Thank you!", "See you soon", "I am fine", "Please call me"],
    }
}

/// "Ontmoeting 4" / "ICT-hulp 2": a session's name in the senior's words.
pub fn session_title(series: nabij_protocol::SessionSeries, number: u8, lang: Language) -> String {
    use nabij_protocol::SessionSeries::{Monthly, Weekly};
    let word = match (lang, series) {
        (Language::Nl, Weekly) => "Ontmoeting",
        (Language::Nl, Monthly) => "Tablethulp",
        (Language::Fr, Weekly) => "Rencontre",
        (Language::Fr, Monthly) => "Aide tablette",
        (Language::En, Weekly) => "Meeting",
        (Language::En, Monthly) => "Tablet help",
    };
    format!("{word} {number}")
}

/// "De bus haalt u op om 13:30".
pub fn pickup(t: UnixMillis, lang: Language) -> String {
    let at = clock(t);
    match lang {
        Language::Nl => format!("De bus haalt u op om {at}"),
        Language::Fr => format!("Le bus vient vous chercher à {at}"),
        Language::En => format!("The bus picks you up at {at}"),
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
        assert_eq!(
            meeting_changed(NOW, Some((thursday, None)), Language::Nl),
            "De bijeenkomst van dinsdag 24 november is verplaatst naar donderdag 26 november, 14:00, zelfde plaats."
        );
        assert_eq!(
            meeting_changed(NOW, Some((thursday, Some("De Schelp"))), Language::Fr),
            "La rencontre du mardi 24 novembre est déplacée au jeudi 26 novembre, 14:00, à De Schelp."
        );
        assert_eq!(
            meeting_changed(NOW, None, Language::En),
            "The meeting of Tuesday 24 November is cancelled."
        );
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
            "12 november",
        );
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
            "3 December"
        );
    }

    #[test]
    fn dates_and_greetings() {
        assert_eq!(date(NOW, Language::Nl), "Dinsdag 24 november");
        assert_eq!(date(NOW, Language::Fr), "Mardi 24 novembre");
        assert_eq!(greeting(NOW, "Jan", Language::Nl), "Goedemorgen, Jan");
        assert_eq!(
            greeting(UnixMillis(NOW.0 + 10 * HOUR), "Jan", Language::En),
            "Good evening, Jan"
        );
        assert_eq!(Language::parse("fr"), Some(Language::Fr));
        assert_eq!(Language::parse("de"), None);
    }
}
