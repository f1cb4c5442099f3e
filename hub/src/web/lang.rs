//! The dashboard in its reader's language: Dutch first, French and English. Every string a
//! person reads is written `t!(lang, "English source")` (with `{}` for what is filled in)
//! and looked up in the catalogues `assets/translations/{nl,fr}/LC_MESSAGES/nabij-hub.po`,
//! built into the hub; `cargo xtask translations` keeps the catalogues in line with the
//! source, and a test fails on any string left untranslated. Dates and numbers are
//! written the Belgian way here too: `di 12 jan 2027, 14:00`, `1.234,5`.

use nabij_i18n::Catalogue;
use nabij_protocol::{Language, UnixMillis};
use std::sync::OnceLock;

/// The catalogues, read once from the files built into the hub.
fn catalogue(lang: Language) -> Option<&'static Catalogue> {
    static NL: OnceLock<Catalogue> = OnceLock::new();
    static FR: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Language::Nl => Some(NL.get_or_init(|| {
            Catalogue::from_po(include_str!(
                "../../../assets/translations/nl/LC_MESSAGES/nabij-hub.po"
            ))
        })),
        Language::Fr => Some(FR.get_or_init(|| {
            Catalogue::from_po(include_str!(
                "../../../assets/translations/fr/LC_MESSAGES/nabij-hub.po"
            ))
        })),
        // English is the source text.
        Language::En => None,
    }
}

/// `source` in `lang` (the source itself when it has no translation).
pub fn translate(lang: Language, source: &'static str) -> &'static str {
    catalogue(lang)
        .and_then(|c| c.get(source))
        .unwrap_or(source)
}

/// `source` in `lang` with each `{}` filled, in order, by `args`.
pub fn fill(lang: Language, source: &'static str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut parts = translate(lang, source).split("{}").peekable();
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some()
            && let Some(arg) = args.next()
        {
            out.push_str(&arg.to_string());
        }
    }
    out
}

/// A string a person reads, in `lang`: `t!(lang, "Groups")` is a `&'static str`,
/// `t!(lang, "{} new", n)` a `String` with the `{}` filled. `cargo xtask translations`
/// finds the strings by this shape: the language, a comma, then a string literal.
macro_rules! t {
    ($lang:expr, $source:literal) => {
        $crate::web::lang::translate($lang, $source)
    };
    ($lang:expr, $source:literal, $($arg:expr),+ $(,)?) => {
        $crate::web::lang::fill($lang, $source, &[$(&$arg as &dyn std::fmt::Display),+])
    };
}
pub(crate) use t;

/// The language a browser asks for first among ours (`Accept-Language`), else Dutch.
pub fn from_accept_language(header: Option<&str>) -> Language {
    let Some(header) = header else {
        return Language::Nl;
    };
    let mut wanted: Vec<(f32, Language)> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                .unwrap_or(1.0);
            let lang = match tag.split('-').next()? {
                "nl" => Language::Nl,
                "fr" => Language::Fr,
                "en" => Language::En,
                _ => return None,
            };
            Some((quality, lang))
        })
        .collect();
    // The highest quality first; among equals, the order given.
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
    wanted.first().map_or(Language::Nl, |(_, lang)| *lang)
}

/// `nl`, `fr` or `en`: the page's `lang` attribute.
pub fn code(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "nl",
        Language::Fr => "fr",
        Language::En => "en",
    }
}

/// The language's own name, for choosing it.
pub fn own_name(lang: Language) -> &'static str {
    match lang {
        Language::Nl => "Nederlands",
        Language::Fr => "Français",
        Language::En => "English",
    }
}

/// Every language, Dutch first.
pub const ALL: [Language; 3] = [Language::Nl, Language::Fr, Language::En];

fn weekday(lang: Language, weekday: u8) -> &'static str {
    const NL: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];
    const FR: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = usize::from(weekday % 7);
    match lang {
        Language::Nl => NL[i],
        Language::Fr => FR[i],
        Language::En => EN[i],
    }
}

fn month(lang: Language, month: u8) -> &'static str {
    const NL: [&str; 12] = [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ];
    const FR: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let i = usize::from(month.clamp(1, 12) - 1);
    match lang {
        Language::Nl => NL[i],
        Language::Fr => FR[i],
        Language::En => EN[i],
    }
}

/// A day in Belgium: `di 12 jan 2027` / `mar. 12 janv. 2027` / `Tue 12 Jan 2027`.
pub fn date(lang: Language, t: UnixMillis) -> String {
    let c = nabij_protocol::time::brussels(t);
    format!(
        "{} {} {} {}",
        weekday(lang, c.weekday),
        c.day,
        month(lang, c.month),
        c.year
    )
}

/// A civil date (no time of day), written as [`date`] writes it.
pub fn civil_date(lang: Language, year: i32, month_number: u8, day: u8) -> String {
    let days = nabij_protocol::time::days_from_civil(year, month_number, day);
    // 1970-01-01 was a Thursday (weekday 3 counting Monday as 0).
    let weekday_number = (days + 3).rem_euclid(7) as u8;
    format!(
        "{} {} {} {}",
        weekday(lang, weekday_number),
        day,
        month(lang, month_number),
        year
    )
}

/// A time of day in Belgium: `14:00`.
pub fn time(t: UnixMillis) -> String {
    let c = nabij_protocol::time::brussels(t);
    format!("{:02}:{:02}", c.hour, c.minute)
}

/// A moment in Belgium: `di 12 jan 2027, 14:00`.
pub fn date_time(lang: Language, t: UnixMillis) -> String {
    format!("{}, {}", date(lang, t), time(t))
}

/// A month and year: `januari 2027` style, short (`jan 2027`).
#[allow(dead_code)] // the reports' months use it once they are templates
pub fn month_year(lang: Language, year: i32, month_number: u8) -> String {
    format!("{} {year}", month(lang, month_number))
}

/// How long ago `then` was, in `lang`: "just now", "5 min ago", "3 h ago", "2 days ago"
/// (`crate::clock::ago` says it in English, for the command line).
pub fn ago(lang: Language, now: UnixMillis, then: UnixMillis) -> String {
    let secs = now.0.saturating_sub(then.0) / 1000;
    match secs {
        0..=59 => t!(lang, "just now").to_owned(),
        60..=3_599 => t!(lang, "{} min ago", secs / 60),
        3_600..=86_399 => t!(lang, "{} h ago", secs / 3_600),
        _ => match secs / 86_400 {
            1 => t!(lang, "1 day ago").to_owned(),
            days => t!(lang, "{} days ago", days),
        },
    }
}

/// A number with `decimals` decimals, grouped the way the language writes it: `1.234,5`
/// in Dutch, `1 234,5` in French (a no-break space), `1,234.5` in English.
pub fn number(lang: Language, value: f64, decimals: usize) -> String {
    let (group, point) = match lang {
        Language::Nl => ('.', ','),
        Language::Fr => ('\u{a0}', ','),
        Language::En => (',', '.'),
    };
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string a page shows is in both catalogues, read as the build reads them
    /// (a fuzzy entry is no translation), and keeps its `{}`.
    #[test]
    fn every_dashboard_string_is_translated_into_dutch_and_french() {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let strings = nabij_i18n::rust_strings(&source).expect("the hub's source");
        assert!(strings.len() > 100, "found only {} strings", strings.len());
        for (lang, po) in [
            (
                "nl",
                include_str!("../../../assets/translations/nl/LC_MESSAGES/nabij-hub.po"),
            ),
            (
                "fr",
                include_str!("../../../assets/translations/fr/LC_MESSAGES/nabij-hub.po"),
            ),
        ] {
            let known = nabij_i18n::parse_po(po);
            let missing: Vec<&String> = strings
                .iter()
                .filter(|s| known.get(*s).is_none_or(|t| t.is_empty()))
                .collect();
            assert!(
                missing.is_empty(),
                "{} strings have no {lang} translation (run cargo xtask translations and fill them in): {missing:#?}",
                missing.len()
            );
            for s in &strings {
                assert_eq!(
                    nabij_i18n::placeholders(s),
                    nabij_i18n::placeholders(&known[s]),
                    "{lang}: {:?} must keep the {{}} of {s:?}",
                    known[s]
                );
            }
        }
    }

    #[test]
    fn dates_times_and_numbers_are_belgian() {
        // Tuesday 12 January 2027, 13:00 UTC = 14:00 in Brussels.
        let t = UnixMillis(1_799_758_800_000);
        assert_eq!(date_time(Language::Nl, t), "di 12 jan 2027, 14:00");
        assert_eq!(date_time(Language::Fr, t), "mar. 12 janv. 2027, 14:00");
        assert_eq!(date_time(Language::En, t), "Tue 12 Jan 2027, 14:00");
        assert_eq!(civil_date(Language::Nl, 2027, 1, 12), "di 12 jan 2027");
        assert_eq!(number(Language::Nl, 1234.5, 1), "1.234,5");
        assert_eq!(number(Language::Fr, 1234.5, 1), "1\u{a0}234,5");
        assert_eq!(number(Language::En, 1234567.0, 0), "1,234,567");
        assert_eq!(number(Language::Nl, -0.04, 1), "0,0");
        assert_eq!(number(Language::Nl, -2.5, 1), "-2,5");
    }

    #[test]
    fn the_browsers_language_is_followed_and_dutch_is_the_default() {
        assert_eq!(from_accept_language(None), Language::Nl);
        assert_eq!(
            from_accept_language(Some("fr-BE,fr;q=0.9,nl;q=0.8")),
            Language::Fr
        );
        assert_eq!(
            from_accept_language(Some("de-DE, en;q=0.5, nl;q=0.7")),
            Language::Nl
        );
        assert_eq!(from_accept_language(Some("de, it")), Language::Nl);
    }

    #[test]
    fn filling_keeps_the_order_and_english_is_the_source() {
        assert_eq!(t!(Language::En, "{} of {}", 2, 3), "2 of 3");
    }
}
