//! What went wrong, said to a coach in their language: every [`AppError`] as a sentence
//! that names people and groups by name, never by an internal id, and says what to do.
//! (The command line and the log keep the English `Display`, with ids, for whoever
//! looks after the hub.)

use super::lang::{self, t};
use crate::app::AppError;
use crate::domain::accounts::{
    AccountError, MAX_NAME_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS,
};
use crate::domain::devices::{DeviceState, PinError};
use crate::domain::enrolment::CodeError;
use crate::domain::people::NameError;
use crate::domain::schedule::ScheduleError;
use crate::photos::PhotoError;
use nabij_protocol::limits::{MAX_PHOTO_BYTES, MAX_PHOTO_SIDE_PX};
use nabij_protocol::{Language, SessionSeries};

/// A tablet's state in `lang`, as coaches read it.
pub fn state_word(lang: Language, state: DeviceState) -> &'static str {
    match state {
        DeviceState::Active => t!(lang, "in use"),
        DeviceState::WipePending => t!(lang, "waiting to be wiped"),
        DeviceState::Wiped => t!(lang, "wiped"),
        DeviceState::Revoked => t!(lang, "switched off"),
    }
}

/// `e` for a coach reading `lang`.
pub fn explain(lang: Language, e: &AppError) -> String {
    match e {
        AppError::Store(_) | AppError::Interrupted(_) | AppError::Random(_) => t!(
            lang,
            "The hub could not read or write its data. Try again in a minute; if it stays, look at the hub's log."
        )
        .to_owned(),
        AppError::Backup(_) => t!(
            lang,
            "The backup could not be written. Check that its folder exists, can be written and has room, then try again; the hub's log says more."
        )
        .to_owned(),
        AppError::Broker(_) | AppError::Closed(_) => t!(
            lang,
            "The hub's connection to the tablets is not working. Try again in a minute; if it stays, restart the hub."
        )
        .to_owned(),
        AppError::NoDevice(_) => {
            t!(lang, "This tablet is not (or no longer) known. Open the Tablets page again.")
                .to_owned()
        }
        AppError::NoPerson(name) | AppError::NoParticipant(name) => t!(
            lang,
            "There is no one called \"{}\". Check the spelling, or choose from the list.",
            name
        ),
        AppError::Ambiguous { name, .. } => t!(
            lang,
            "Several people are called \"{}\": choose the right one from the list.",
            name
        ),
        AppError::NoGroup(_) => {
            t!(lang, "This group is not (or no longer) known. Open the Groups page again.")
                .to_owned()
        }
        AppError::Name(e) => name(lang, e),
        AppError::Code(e) => code(lang, e),
        AppError::Pin(e) => pin(lang, *e).to_owned(),
        AppError::WrongState { state, .. } => t!(
            lang,
            "This tablet is {} now, so this cannot be done. Open the Tablets page again.",
            state_word(lang, *state)
        ),
        AppError::NotACoach(name) => t!(lang, "{} is not a coach.", name),
        AppError::NotAContact { people, .. } => t!(
            lang,
            "You can only write to your own seniors; {} is not one of them.",
            people
        ),
        AppError::BadMessage(_) => t!(
            lang,
            "This message cannot be sent as it is: make it shorter, or leave out unusual characters."
        )
        .to_owned(),
        AppError::Photo(e) => photo(lang, e),
        AppError::Schedule(e) => schedule(lang, e),
        AppError::NoSession(_) => {
            t!(lang, "This meeting is not (or no longer) planned. Open the group's page again.")
                .to_owned()
        }
        AppError::AlreadyPlanned(group) => {
            t!(lang, "{} has its programme planned already.", group)
        }
        AppError::Cancelled(_) => {
            t!(lang, "This meeting was cancelled, so it takes no attendance.").to_owned()
        }
        AppError::BadPickup(_) => t!(
            lang,
            "A pick-up time comes before the meeting starts, at most three hours before."
        )
        .to_owned(),
        AppError::NotYet(_) => t!(
            lang,
            "Attendance can be saved from an hour before the meeting starts. Your ticks are kept: save again then."
        )
        .to_owned(),
        AppError::NotAMember(name) => t!(lang, "{} is not in this meeting's group.", name),
        AppError::NoPrompt(_) => {
            t!(lang, "This diary question is not (or no longer) there. Open the diary page again.")
                .to_owned()
        }
        AppError::WeekTaken(_, _) => t!(
            lang,
            "The group has a diary question for that week already: choose another week, or change that question."
        )
        .to_owned(),
        AppError::Library(_) => t!(
            lang,
            "The diary questions that come with the hub cannot be read: the hub needs an update."
        )
        .to_owned(),
        AppError::SeriesFull(series) => match series {
            SessionSeries::Weekly => t!(lang, "All ten weekly meetings are planned already."),
            SessionSeries::Monthly => t!(lang, "All ten monthly meetings are planned already."),
        }
        .to_owned(),
        AppError::Account(e) => account(lang, e),
        AppError::AccountExists(name) => {
            t!(lang, "There is an account \"{}\" already: choose another name.", name)
        }
        AppError::NotContacts(a, b) => t!(lang, "{} and {} are not contacts.", a, b),
        AppError::WrongLogIn => t!(lang, "The name or the password is wrong.").to_owned(),
        AppError::Locked => t!(
            lang,
            "Too many wrong passwords: log-in is paused for a quarter of an hour. Try again later, or ask an admin."
        )
        .to_owned(),
        AppError::StillLent(name) => t!(
            lang,
            "{} still has a tablet: take it back or wipe it first (Tablets page).",
            name
        ),
    }
}

fn name(lang: Language, e: &NameError) -> String {
    match e {
        NameError::Length { max } => t!(lang, "A name has 1 to {} characters.", max),
        NameError::Control => t!(lang, "A name is one line of ordinary characters.").to_owned(),
        NameError::Address => {
            t!(lang, "An address has 1 to 160 characters, on one line.").to_owned()
        }
        NameError::Phone(phone) => t!(
            lang,
            "\"{}\" is not a phone number: use digits, spaces and + - / . ( ), at most 32 characters.",
            phone
        ),
    }
}

fn code(lang: Language, e: &CodeError) -> String {
    match e {
        CodeError::Unknown(code) => t!(
            lang,
            "No tablet is showing the code {}: check the code on the tablet's screen.",
            code
        ),
        CodeError::Expired(code) => t!(
            lang,
            "The code {} is too old: the tablet shows a new one within a minute.",
            code
        ),
        CodeError::TooManyWrong => t!(
            lang,
            "You typed too many wrong codes: wait a minute and try again."
        )
        .to_owned(),
    }
}

fn pin(lang: Language, e: PinError) -> &'static str {
    match e {
        PinError::NotFourDigits => t!(lang, "A coach PIN is four digits: type four digits."),
        PinError::TooEasy => t!(
            lang,
            "This PIN is too easy to guess (the same digit, or digits in a row): choose another."
        ),
        PinError::SharedPin => t!(
            lang,
            "This is the PIN every tablet of the hub shares: choose one of this tablet's own."
        ),
    }
}

fn photo(lang: Language, e: &PhotoError) -> String {
    match e {
        PhotoError::TooLarge { .. } => t!(
            lang,
            "The photo is too large to send (at most {} MB): make it smaller, for example 1600 pixels wide.",
            lang::number(lang, MAX_PHOTO_BYTES as f64 / 1_000_000.0, 1)
        ),
        PhotoError::NotAPhoto => t!(lang, "The file is not a JPEG or PNG photo.").to_owned(),
        PhotoError::TooBig { .. } => t!(
            lang,
            "The photo has too many pixels: at most {} on a side.",
            MAX_PHOTO_SIDE_PX
        ),
        PhotoError::Damaged(_) => t!(
            lang,
            "The photo is damaged and cannot be read: choose another one."
        )
        .to_owned(),
    }
}

fn schedule(lang: Language, e: &ScheduleError) -> String {
    match e {
        ScheduleError::Place => t!(lang, "A place needs a name of 1 to 80 characters.").to_owned(),
        ScheduleError::Address => t!(lang, "An address has at most 160 characters.").to_owned(),
        ScheduleError::Length(_) => t!(lang, "A meeting lasts 15 minutes to 8 hours.").to_owned(),
        ScheduleError::Holiday(date, holiday) => t!(
            lang,
            "{} is a public holiday ({}): choose another day.",
            lang::civil_date(lang, date.year, date.month, date.day),
            holiday
        ),
    }
}

fn account(lang: Language, e: &AccountError) -> String {
    match e {
        AccountError::NameLength => {
            t!(
                lang,
                "An account name has 1 to {} characters.",
                MAX_NAME_CHARS
            )
        }
        AccountError::NameCharacter(c) => t!(
            lang,
            "An account name has letters, digits, '.', '-', '_' and '@' only, not \"{}\".",
            c
        ),
        AccountError::PasswordShort => t!(
            lang,
            "A password has at least {} characters (a short sentence is easiest to remember).",
            MIN_PASSWORD_CHARS
        ),
        AccountError::PasswordLong => {
            t!(
                lang,
                "A password has at most {} characters.",
                MAX_PASSWORD_CHARS
            )
        }
        AccountError::PasswordHasName => {
            t!(lang, "A password must not contain the account's name.").to_owned()
        }
        AccountError::CoachMissing => {
            t!(lang, "A coach's account names the coach it belongs to.").to_owned()
        }
        AccountError::CoachNotWanted => {
            t!(lang, "Only a coach's account names a coach.").to_owned()
        }
        AccountError::NoAccount(name) => t!(lang, "There is no account \"{}\".", name),
        AccountError::CheckFailed(_) => t!(
            lang,
            "The password could not be checked just now. Try again in a minute."
        )
        .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::DeviceId;

    /// Internal ids never reach the page: the tablet's and the meeting's ids are left out.
    #[test]
    fn no_ids_in_what_coaches_read() {
        let device = DeviceId::parse("d-0123456789abcdef").expect("a device id");
        for lang in lang::ALL {
            for e in [
                AppError::NoSession("s-oostende-oost-w06".into()),
                AppError::NotYet("s-oostende-oost-w06".into()),
                AppError::NoDevice(device.as_str().into()),
                AppError::WrongState {
                    device: device.clone(),
                    state: DeviceState::Revoked,
                },
            ] {
                let text = explain(lang, &e);
                assert!(!text.contains("s-oostende"), "{text}");
                assert!(!text.contains(device.as_str()), "{text}");
                assert!(text.ends_with('.'), "{text}");
            }
        }
    }
}
