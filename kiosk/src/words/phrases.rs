//! Phrases the Rust side makes: the keyboard's key names, day separators, problems in the
//! coach's words, and the sentences "Read aloud" says. The screens' fixed words are in the
//! .slint files (`@tr`, translated in the .po files).

use super::{
    Language, NBSP, capitalise, clock, day_and_month, days_between, local, month_name, weekday_name,
};
use crate::state::keyboard::KeyboardPage;
use crate::state::{LinkProblem, RecorderProblem, Thanks};
use nabij_protocol::{Localized, UnixMillis};

/// A text the hub sent in the screen's language (Dutch when it has no other).
pub fn localized(l: &Localized, lang: Language) -> String {
    match lang {
        Language::Fr => l.fr.clone(),
        Language::En => l.en.clone(),
        Language::Nl => None,
    }
    .unwrap_or_else(|| l.nl.clone())
}

/// The key for one capital: what it shows, and its name (it lights up while on).
pub fn shift_key(lang: Language) -> (&'static str, &'static str) {
    let label = "Aa";
    let name = match lang {
        Language::Nl => "hoofdletter",
        Language::Fr => "majuscule",
        Language::En => "capital",
    };
    (label, name)
}

/// The key that shows another page of keys.
pub fn page_key(page: KeyboardPage, lang: Language) -> (&'static str, &'static str) {
    match (page, lang) {
        (KeyboardPage::Letters, Language::Fr) => ("abc", "lettres"),
        (KeyboardPage::Letters, _) => ("abc", "letters"),
        (KeyboardPage::Digits, Language::Nl) => ("123", "cijfers en tekens"),
        (KeyboardPage::Digits, Language::Fr) => ("123", "chiffres et signes"),
        (KeyboardPage::Digits, Language::En) => ("123", "digits and signs"),
        (KeyboardPage::Accents, Language::Nl) => ("éà", "letters met accent"),
        (KeyboardPage::Accents, Language::Fr) => ("éà", "lettres accentuées"),
        (KeyboardPage::Accents, Language::En) => ("éà", "accented letters"),
    }
}

/// The space bar.
pub fn space_key(lang: Language) -> (&'static str, &'static str) {
    match lang {
        Language::Nl => ("spatie", "spatie"),
        Language::Fr => ("espace", "espace"),
        Language::En => ("space", "space"),
    }
}

/// The key that erases one letter (the arrow says which: the one before; a no-break
/// space keeps arrow and word on one line).
pub fn erase_key(lang: Language) -> (&'static str, &'static str) {
    match lang {
        Language::Nl => ("⌫\u{a0}wis", "wis één letter"),
        Language::Fr => ("⌫\u{a0}efface", "efface une lettre"),
        Language::En => ("⌫\u{a0}erase", "erase one letter"),
    }
}

/// The day above a conversation's messages: "Vandaag", "Gisteren", "Maandag 23 november"
/// (with the year when it is not this year's).
pub fn day_label(now: UnixMillis, t: UnixMillis, lang: Language) -> String {
    let (n, c) = (local(now), local(t));
    match days_between(c, n) {
        0 => match lang {
            Language::Nl => "Vandaag",
            Language::Fr => "Aujourd'hui",
            Language::En => "Today",
        }
        .into(),
        1 => match lang {
            Language::Nl => "Gisteren",
            Language::Fr => "Hier",
            Language::En => "Yesterday",
        }
        .into(),
        _ if c.year != n.year => format!(
            "{} {}{NBSP}{} {}",
            capitalise(weekday_name(lang, c.weekday)),
            c.day,
            month_name(lang, c.month),
            c.year
        ),
        _ => capitalise(&day_and_month(t, lang)),
    }
}

/// Whether two times fall on the same day in Belgium.
pub fn same_day(a: UnixMillis, b: UnixMillis) -> bool {
    let (a, b) = (local(a), local(b));
    (a.year, a.month, a.day) == (b.year, b.month, b.day)
}

/// Why the tablet cannot reach its hub, for the coach, in the screen's language. The
/// technical detail, when there is one, follows in brackets for whoever helps further.
pub fn link_problem(problem: &LinkProblem, lang: Language) -> String {
    let with = |words: &str, detail: &str| {
        if detail.is_empty() {
            words.to_owned()
        } else {
            format!("{words} ({detail})")
        }
    };
    match (problem, lang) {
        (LinkProblem::Unreachable { address }, Language::Nl) => format!(
            "De tablet krijgt geen verbinding met het buurtcentrum ({address}). Staat het internet aan?"
        ),
        (LinkProblem::Unreachable { address }, Language::Fr) => format!(
            "La tablette n'arrive pas à joindre le centre de quartier ({address}). Internet est-il allumé ?"
        ),
        (LinkProblem::Unreachable { address }, Language::En) => format!(
            "The tablet cannot reach the neighbourhood centre ({address}). Is the internet on?"
        ),
        (LinkProblem::EnrolmentRefused, Language::Nl) => {
            "Het buurtcentrum weigert het koppelwachtwoord: zet de tabletinstellingen opnieuw op de tablet (nabij-hub kiosk-settings).".into()
        }
        (LinkProblem::EnrolmentRefused, Language::Fr) => {
            "Le centre de quartier refuse le mot de passe de jumelage : recopiez les réglages de la tablette (nabij-hub kiosk-settings).".into()
        }
        (LinkProblem::EnrolmentRefused, Language::En) => {
            "The neighbourhood centre refuses the pairing password: copy the tablet settings again (nabij-hub kiosk-settings).".into()
        }
        (LinkProblem::Storage(detail), Language::Nl) => {
            with("De tablet kan zijn berichten niet bewaren", detail)
        }
        (LinkProblem::Storage(detail), Language::Fr) => {
            with("La tablette ne peut pas garder ses messages", detail)
        }
        (LinkProblem::Storage(detail), Language::En) => {
            with("The tablet cannot keep its messages", detail)
        }
        (LinkProblem::Settings(detail), Language::Nl) => {
            with("De tabletinstellingen kloppen niet", detail)
        }
        (LinkProblem::Settings(detail), Language::Fr) => {
            with("Les réglages de la tablette ne sont pas bons", detail)
        }
        (LinkProblem::Settings(detail), Language::En) => {
            with("The tablet settings are not right", detail)
        }
        (LinkProblem::Other(detail), Language::Nl) => with("Er ging iets mis", detail),
        (LinkProblem::Other(detail), Language::Fr) => with("Quelque chose n'a pas marché", detail),
        (LinkProblem::Other(detail), Language::En) => with("Something went wrong", detail),
    }
}

/// How joining a Wi-Fi network ended, in words a coach reads to the senior over the
/// phone: what happened, then what to do. `Err`: NetworkManager itself could not be
/// asked (its reason follows, for whoever helps).
pub fn wifi_outcome(
    outcome: &Result<crate::wifi::Joined, String>,
    network: &str,
    lang: Language,
) -> String {
    use crate::wifi::Joined;
    let with = |words: String, detail: &str| format!("{words} ({detail})");
    match (outcome, lang) {
        (Ok(Joined::HubReachable), Language::Nl) => {
            format!("Verbonden met {network}. Het buurtcentrum is bereikbaar: alles werkt.")
        }
        (Ok(Joined::HubReachable), Language::Fr) => format!(
            "Connectée à {network}. Le centre de quartier répond : tout fonctionne."
        ),
        (Ok(Joined::HubReachable), Language::En) => format!(
            "Connected to {network}. The neighbourhood centre answers: everything works."
        ),
        (Ok(Joined::WrongPassword), Language::Nl) => {
            "Het wachtwoord klopt niet. Kijk het na op de modem (let op hoofdletters) en probeer opnieuw.".into()
        }
        (Ok(Joined::WrongPassword), Language::Fr) => {
            "Le mot de passe n'est pas bon. Vérifiez-le sur le modem (attention aux majuscules) et réessayez.".into()
        }
        (Ok(Joined::WrongPassword), Language::En) => {
            "The password is not right. Check it on the modem (mind the capitals) and try again.".into()
        }
        (Ok(Joined::NoInternet), Language::Nl) => format!(
            "Verbonden met {network}, maar er is geen internet. Kijk of de modem aan staat en of zijn lampjes branden."
        ),
        (Ok(Joined::NoInternet), Language::Fr) => format!(
            "Connectée à {network}, mais il n'y a pas d'internet. Vérifiez que le modem est allumé et que ses voyants brillent."
        ),
        (Ok(Joined::NoInternet), Language::En) => format!(
            "Connected to {network}, but there is no internet. Check that the modem is on and its lights are lit."
        ),
        (Ok(Joined::SignInPage), Language::Nl) => format!(
            "Verbonden met {network}, maar dat netwerk vraagt eerst om aan te melden op een webpagina. Kies liever het netwerk van de modem thuis."
        ),
        (Ok(Joined::SignInPage), Language::Fr) => format!(
            "Connectée à {network}, mais ce réseau demande d'abord de se connecter sur une page web. Choisissez plutôt le réseau du modem de la maison."
        ),
        (Ok(Joined::SignInPage), Language::En) => format!(
            "Connected to {network}, but that network first asks to sign in on a web page. Choose the home modem's network instead."
        ),
        (Ok(Joined::HubUnreachable(detail)), Language::Nl) => with(
            format!("Verbonden met {network} en het internet werkt, maar het buurtcentrum antwoordt niet. Bel het project."),
            detail,
        ),
        (Ok(Joined::HubUnreachable(detail)), Language::Fr) => with(
            format!("Connectée à {network} et internet fonctionne, mais le centre de quartier ne répond pas. Appelez le projet."),
            detail,
        ),
        (Ok(Joined::HubUnreachable(detail)), Language::En) => with(
            format!("Connected to {network} and the internet works, but the neighbourhood centre does not answer. Call the project."),
            detail,
        ),
        (Ok(Joined::NotFound), Language::Nl) => format!(
            "De tablet ziet {network} niet meer. Staat de modem aan en is hij dichtbij? Zoek dan opnieuw."
        ),
        (Ok(Joined::NotFound), Language::Fr) => format!(
            "La tablette ne voit plus {network}. Le modem est-il allumé et proche ? Cherchez alors à nouveau."
        ),
        (Ok(Joined::NotFound), Language::En) => format!(
            "The tablet no longer sees {network}. Is the modem on and nearby? Then look again."
        ),
        (Ok(Joined::Failed(detail)) | Err(detail), Language::Nl) => with(
            format!("Verbinden met {network} lukte niet. Zet de tablet uit en weer aan, en probeer opnieuw."),
            detail,
        ),
        (Ok(Joined::Failed(detail)) | Err(detail), Language::Fr) => with(
            format!("La connexion à {network} n'a pas réussi. Éteignez et rallumez la tablette, puis réessayez."),
            detail,
        ),
        (Ok(Joined::Failed(detail)) | Err(detail), Language::En) => with(
            format!("Joining {network} did not work. Switch the tablet off and on again, and try again."),
            detail,
        ),
    }
}

/// While the tablet joins a network: what it does, and that it ends by itself.
pub fn wifi_joining(network: &str, lang: Language) -> String {
    match lang {
        Language::Nl => format!(
            "De tablet maakt verbinding met {network}. Even geduld: dit duurt hoogstens een minuut."
        ),
        Language::Fr => format!(
            "La tablette se connecte à {network}. Un instant : cela prend une minute au plus."
        ),
        Language::En => {
            format!("The tablet is joining {network}. One moment: this takes a minute at most.")
        }
    }
}

/// Why there is no list of networks: the tablet's Wi-Fi could not be asked (the reason
/// follows, for whoever helps).
pub fn wifi_no_list(detail: &str, lang: Language) -> String {
    match lang {
        Language::Nl => format!("De tablet kan de wifi niet opzoeken ({detail})."),
        Language::Fr => format!("La tablette ne peut pas chercher le wifi ({detail})."),
        Language::En => format!("The tablet cannot look for Wi-Fi ({detail})."),
    }
}

/// What the password's box says before anything is typed: whose password.
pub fn wifi_password_placeholder(network: &str, lang: Language) -> String {
    match lang {
        Language::Nl => format!("Typ hier het wachtwoord van {network}."),
        Language::Fr => format!("Tapez ici le mot de passe de {network}."),
        Language::En => format!("Type the password of {network} here."),
    }
}

/// Above the password once typing started (the placeholder gone): whose password it
/// is, as "name: password". The name alone, for room: on a 7-inch screen the box holds
/// about twenty letters a line, and "Password of …" would cut the name short.
pub fn wifi_password_heading(network: &str, lang: Language) -> String {
    match lang {
        Language::Nl | Language::En => format!("{network}:"),
        Language::Fr => format!("{network}{NBSP}:"),
    }
}

/// A network's signal in words, with its strength, for the list.
pub fn wifi_signal(strength: u8, lang: Language) -> String {
    let words = match (strength, lang) {
        (67.., Language::Nl) => "sterk",
        (34..67, Language::Nl) => "goed",
        (_, Language::Nl) => "zwak",
        (67.., Language::Fr) => "fort",
        (34..67, Language::Fr) => "bon",
        (_, Language::Fr) => "faible",
        (67.., Language::En) => "strong",
        (34..67, Language::En) => "good",
        (_, Language::En) => "weak",
    };
    format!("{words} ({strength}{NBSP}%)")
}

/// Why a recording cannot be sent, and what to do.
pub fn recorder_problem(problem: RecorderProblem, lang: Language) -> &'static str {
    match (problem, lang) {
        (RecorderProblem::NothingHeard, Language::Nl) => {
            "Er was niets te horen. Spreek dichter bij de tablet en probeer opnieuw."
        }
        (RecorderProblem::NothingHeard, Language::Fr) => {
            "On n'entendait rien. Parlez plus près de la tablette et réessayez."
        }
        (RecorderProblem::NothingHeard, Language::En) => {
            "Nothing could be heard. Speak closer to the tablet and try again."
        }
        (RecorderProblem::NoMicrophone, Language::Nl) => {
            "De microfoon van deze tablet werkt niet. Vraag uw coach om hulp."
        }
        (RecorderProblem::NoMicrophone, Language::Fr) => {
            "Le micro de cette tablette ne fonctionne pas. Demandez de l'aide à votre coach."
        }
        (RecorderProblem::NoMicrophone, Language::En) => {
            "This tablet's microphone does not work. Ask your coach for help."
        }
    }
}

/// "Thank you": what went.
pub fn thanks(what: Thanks, lang: Language) -> &'static str {
    match (what, lang) {
        (Thanks::Diary, Language::Nl) => {
            "Dank u wel voor uw antwoord. De tablet verstuurt het vanzelf."
        }
        (Thanks::Diary, Language::Fr) => {
            "Merci pour votre réponse. La tablette l'envoie toute seule."
        }
        (Thanks::Diary, Language::En) => {
            "Thank you for your answer. The tablet sends it by itself."
        }
        (Thanks::Survey, Language::Nl) => {
            "Dank u wel voor uw antwoorden. De tablet verstuurt ze vanzelf."
        }
        (Thanks::Survey, Language::Fr) => {
            "Merci pour vos réponses. La tablette les envoie toute seule."
        }
        (Thanks::Survey, Language::En) => {
            "Thank you for your answers. The tablet sends them by itself."
        }
    }
}

/// What "Read aloud" says for a message: who, when, and what.
pub fn message_said(author: &str, mine: bool, when: &str, what: &str, lang: Language) -> String {
    match (mine, lang) {
        (true, Language::Nl) => format!("U schreef {when}: {what}"),
        (true, Language::Fr) => format!("Vous avez écrit {when} : {what}"),
        (true, Language::En) => format!("You wrote {when}: {what}"),
        (false, Language::Nl) => format!("{author} schreef {when}: {what}"),
        (false, Language::Fr) => format!("{author} a écrit {when} : {what}"),
        (false, Language::En) => format!("{author} wrote {when}: {what}"),
    }
}

/// What "Read aloud" says for a photo or a voice note in a conversation.
pub fn media_said(photo: bool, seconds: u32, lang: Language) -> String {
    match (photo, lang) {
        (true, Language::Nl) => "een foto".into(),
        (true, Language::Fr) => "une photo".into(),
        (true, Language::En) => "a photo".into(),
        (false, Language::Nl) => format!("een spraakbericht van {seconds} seconden"),
        (false, Language::Fr) => format!("un message vocal de {seconds} secondes"),
        (false, Language::En) => format!("a voice message of {seconds} seconds"),
    }
}

/// What "Read aloud" says for a meeting reminder.
pub fn reminder_said(title: &str, when: &str, place: &str, pickup: &str, lang: Language) -> String {
    let when = when.replace(NBSP, " ");
    match lang {
        Language::Nl => format!("{title}. {when}, in {place}. {pickup}. Komt u?"),
        Language::Fr => format!("{title}. {when}, à {place}. {pickup}. Vous venez ?"),
        Language::En => format!("{title}. {when}, at {place}. {pickup}. Are you coming?"),
    }
}

/// What "Read aloud" says on the Help screen.
pub fn help_said(coach: &str, phone: &str, lang: Language) -> String {
    // Digits one by one, so that the number is said as it is dialled.
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit())
        .map(|c| format!("{c} "))
        .collect();
    match lang {
        Language::Nl => format!(
            "Uw coach is {coach}. Het telefoonnummer is {digits}. Tik op de rode knop, dan belt {coach} u."
        ),
        Language::Fr => format!(
            "Votre coach est {coach}. Le numéro de téléphone est {digits}. Touchez le bouton rouge, et {coach} vous appelle."
        ),
        Language::En => format!(
            "Your coach is {coach}. The phone number is {digits}. Tap the red button and {coach} will call you."
        ),
    }
}

/// "14:00" said as a time of day in a sentence read aloud.
pub fn time_said(t: UnixMillis) -> String {
    clock(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;
    // Tuesday 24 November 2026, 10:15 in Brussels.
    const NOW: UnixMillis = UnixMillis(1_795_511_700_000);

    #[test]
    fn day_labels_say_today_yesterday_or_the_day() {
        assert_eq!(day_label(NOW, NOW, Language::Nl), "Vandaag");
        assert_eq!(
            day_label(NOW, UnixMillis(NOW.0 - 20 * HOUR), Language::Nl),
            "Gisteren"
        );
        assert_eq!(
            day_label(NOW, UnixMillis(NOW.0 - 24 * HOUR - 20 * HOUR), Language::Nl),
            "Zondag 22\u{a0}november"
        );
        assert_eq!(
            day_label(NOW, UnixMillis(NOW.0 - 400 * 24 * HOUR), Language::Fr),
            "Lundi 20\u{a0}octobre 2025"
        );
        assert!(same_day(NOW, UnixMillis(NOW.0 + HOUR)));
        assert!(!same_day(NOW, UnixMillis(NOW.0 + 14 * HOUR)));
    }

    #[test]
    fn problems_are_said_in_the_screens_language() {
        let p = LinkProblem::Unreachable {
            address: "hub.local:8883".into(),
        };
        assert!(link_problem(&p, Language::Nl).starts_with("De tablet krijgt geen verbinding"));
        assert!(link_problem(&p, Language::Fr).contains("hub.local:8883"));
        let p = LinkProblem::Storage("disk full".into());
        assert_eq!(
            link_problem(&p, Language::En),
            "The tablet cannot keep its messages (disk full)"
        );
        assert!(help_said("Marie", "059 12 34 56", Language::Nl).contains("0 5 9 1 2"));
    }
}
