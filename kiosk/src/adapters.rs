//! The only code that touches Slint: turns a `KioskState` into the UI's `Api` global.

use crate::state::{Content, Delivery, KioskState, NotSent, RecorderState, Screen};
use crate::ui::{self, App};
use crate::words::{self, Language};
use nabij_protocol::{Localized, ReceiptState, UnixMillis};
use slint::{
    ComponentHandle, Image, ModelRc, Rgba8Pixel, SharedPixelBuffer, SharedString, VecModel,
};
use std::rc::Rc;

use crate::state::{CONTACTS_PER_PAGE, MESSAGES_SHOWN};

/// The first letter of a name, for the round badge beside it.
fn initial(name: &str) -> SharedString {
    name.chars()
        .next()
        .map(String::from)
        .unwrap_or_default()
        .into()
}

fn page(screen: Screen) -> ui::Page {
    match screen {
        Screen::Pairing => ui::Page::Pairing,
        Screen::Home => ui::Page::Home,
        Screen::Contacts => ui::Page::Contacts,
        Screen::Conversation => ui::Page::Conversation,
        Screen::Compose => ui::Page::Compose,
        Screen::Keyboard => ui::Page::Keyboard,
        Screen::Voice => ui::Page::Voice,
        Screen::Photo => ui::Page::Photo,
        Screen::Diary => ui::Page::Diary,
        Screen::DiaryPeople => ui::Page::DiaryPeople,
        Screen::DiaryShare => ui::Page::DiaryShare,
        Screen::Survey => ui::Page::Survey,
        Screen::SurveyDone => ui::Page::SurveyDone,
        Screen::Agenda => ui::Page::Agenda,
        Screen::Reminder => ui::Page::Reminder,
        Screen::CheckIn => ui::Page::CheckIn,
        Screen::MeetingChanged => ui::Page::MeetingChanged,
        Screen::Help => ui::Page::Help,
        Screen::Idle => ui::Page::Idle,
        Screen::CoachPin => ui::Page::CoachPin,
        Screen::CoachSettings => ui::Page::CoachSettings,
        Screen::SwitchedOff => ui::Page::SwitchedOff,
    }
}

/// The screen a UI page shows.
pub fn screen_of(page: ui::Page) -> Screen {
    Screen::ALL
        .into_iter()
        .find(|s| self::page(*s) == page)
        .unwrap_or(Screen::Home)
}

fn text(lang: Language, l: &Localized) -> String {
    match lang {
        Language::Fr => l.fr.clone(),
        Language::En => l.en.clone(),
        Language::Nl => None,
    }
    .unwrap_or_else(|| l.nl.clone())
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::from(Rc::new(VecModel::from(items)))
}

fn delivery(d: Option<Delivery>) -> ui::Delivery {
    match d {
        None => ui::Delivery::None,
        Some(Delivery::Waiting) => ui::Delivery::Waiting,
        Some(Delivery::Sent) => ui::Delivery::Sent,
        Some(Delivery::Receipt(ReceiptState::Delivered)) => ui::Delivery::Delivered,
        Some(Delivery::Receipt(ReceiptState::Seen)) => ui::Delivery::Seen,
        Some(Delivery::Refused(NotSent::NotAContact)) => ui::Delivery::RefusedNotAContact,
        Some(Delivery::Refused(NotSent::TooLarge)) => ui::Delivery::RefusedTooLarge,
        Some(Delivery::Refused(NotSent::Other)) => ui::Delivery::Refused,
    }
}

/// The pairing QR code's size in pixels (shown at about 3 cm, sharp at any scale).
const QR_PIXELS: u32 = 320;

/// A face as Slint shows it.
fn face_image(face: &Content) -> Image {
    match face {
        Content::Photo {
            width,
            height,
            rgba,
        } => image(*width, *height, rgba),
        _ => Image::default(),
    }
}

fn image(width: u32, height: u32, rgba: &[u8]) -> Image {
    let mut buffer = SharedPixelBuffer::<Rgba8Pixel>::new(width, height);
    let bytes = buffer.make_mut_bytes();
    if bytes.len() == rgba.len() {
        bytes.copy_from_slice(rgba);
    }
    Image::from_rgba8(buffer)
}

fn session(m: &nabij_protocol::MeetingReminder, lang: Language) -> ui::Session {
    ui::Session {
        title: words::session_title(m.series, m.number, lang).into(),
        when: words::appointment(m.starts_at, lang).into(),
        place: m.place.clone().into(),
        pickup: m
            .pickup_at
            .map(|t| words::pickup(t, lang))
            .unwrap_or_default()
            .into(),
    }
}

/// Tells the screens how large the tablet's glass is.
pub fn fit_screen(app: &App, profile: &crate::platform::profile::Profile) {
    app.global::<ui::Theme>().set_compact(profile.is_compact());
}

/// Shows `state` at time `now`.
pub fn apply(app: &App, state: &KioskState, now: UnixMillis) {
    let lang = state.language;
    let api = app.global::<ui::Api>();
    let theme = app.global::<ui::Theme>();
    theme.set_text_scale(f32::from(state.text_scale_percent.clamp(100, 150)) / 100.0);

    api.set_page(page(state.screen.unwrap_or(Screen::Home)));
    api.set_time(words::clock(now).into());
    api.set_date(words::date(now, lang).into());
    let name = state
        .config
        .as_ref()
        .map(|c| c.participant_name.as_str())
        .unwrap_or("");
    api.set_greeting(words::greeting(now, name, lang).into());
    api.set_unread(i32::try_from(state.unread()).unwrap_or(i32::MAX));
    api.set_diary_waiting(state.diary.is_some());
    // Meetings that are over leave the list each minute; until the first minute has
    // passed (history replayed at start), they are left out here.
    let next = state
        .meetings
        .iter()
        .find(|m| m.ends_at > now)
        .map(|m| format!("{} · {}", words::soon(now, m.starts_at, lang), m.place));
    api.set_next_meeting(next.unwrap_or_default().into());

    let code = state.pairing_code.clone().unwrap_or_default();
    let shown = match code.len() {
        6 => format!("{}-{}", &code[..3], &code[3..]),
        // Until the hub answers, dots say that something is on its way.
        0 => "…".to_owned(),
        _ => code,
    };
    api.set_pairing_code(shown.into());
    let qr = state
        .pairing_link
        .as_deref()
        .filter(|_| state.screen == Some(Screen::Pairing))
        .and_then(|link| crate::live::qr::encode(link, QR_PIXELS));
    api.set_pairing_qr_shown(qr.is_some());
    api.set_pairing_qr(qr.map_or_else(Image::default, |qr| {
        let mut buffer = SharedPixelBuffer::<Rgba8Pixel>::new(qr.side, qr.side);
        for (pixel, grey) in buffer.make_mut_slice().iter_mut().zip(&qr.pixels) {
            *pixel = Rgba8Pixel::new(*grey, *grey, *grey, 255);
        }
        Image::from_rgba8(buffer)
    }));
    // Until the hub names a coach, Help asks the centre itself to call.
    let coach = state.config.as_ref().and_then(|c| c.coach.as_ref());
    let coach_name = coach.map_or_else(|| words::the_centre(lang).to_owned(), |c| c.name.clone());
    api.set_coach_initial(initial(&coach_name));
    api.set_coach_photo(
        coach
            .and_then(|c| state.face(&c.person))
            .map(face_image)
            .unwrap_or_default(),
    );
    api.set_coach_name(coach_name.into());
    api.set_coach_phone(coach.map(|c| c.phone.clone()).unwrap_or_default().into());

    // Six places: all contacts when they fit, else five and "More people".
    let partners = state.chat_partners();
    // A former participant has no name on the tablet: the screen's words stand in.
    let name_of = |c: &nabij_protocol::Contact| {
        if c.person.as_str() == nabij_protocol::FORMER_PARTICIPANT {
            words::former_participant(lang).to_owned()
        } else {
            c.name.clone()
        }
    };
    let more = partners.len() > CONTACTS_PER_PAGE;
    let per_page = if more {
        CONTACTS_PER_PAGE - 1
    } else {
        CONTACTS_PER_PAGE
    };
    let start = (state.contacts_page * per_page).min(partners.len());
    let contacts: Vec<ui::Contact> = partners[start..]
        .iter()
        .take(per_page)
        .map(|c| ui::Contact {
            id: c.person.to_string().into(),
            name: name_of(c).into(),
            initial: initial(&name_of(c)),
            role: format!("{:?}", c.role).to_lowercase().into(),
            unread: i32::try_from(state.unread_from(&c.person)).unwrap_or(0),
            photo: state.face(&c.person).map(face_image).unwrap_or_default(),
            selected: false,
        })
        .collect();
    api.set_contacts(model(contacts));
    api.set_more_contacts(more);

    let partner = state
        .partner
        .as_ref()
        .and_then(|p| partners.iter().find(|c| &c.person == p));
    let partner_name = partner.map(name_of).unwrap_or_default();
    api.set_can_reply(state.can_reply());
    api.set_partner(partner_name.clone().into());
    let me = state.config.as_ref().map(|c| c.participant.clone());
    let conversation = state.open_conversation();
    let shown = &conversation[conversation.len().saturating_sub(MESSAGES_SHOWN)..];
    let messages: Vec<ui::Message> = shown
        .iter()
        .map(|m| {
            let mine = Some(&m.author) == me.as_ref();
            let (kind, text, seconds, photo) = match &m.content {
                Content::Text(t) => ("text", t.clone(), 0, Image::default()),
                Content::Voice { seconds, .. } => {
                    ("voice", String::new(), *seconds, Image::default())
                }
                Content::Photo {
                    width,
                    height,
                    rgba,
                } => ("photo", String::new(), 0, image(*width, *height, rgba)),
            };
            ui::Message {
                mine,
                sender: partner_name.clone().into(),
                time: words::time_in_words(now, m.at, lang).into(),
                kind: kind.into(),
                text: text.into(),
                seconds: i32::try_from(seconds).unwrap_or(0),
                photo,
                delivery: if mine {
                    delivery(m.delivery)
                } else {
                    ui::Delivery::None
                },
            }
        })
        .collect();
    api.set_messages(model(messages));
    let replies: Vec<SharedString> = words::quick_replies(lang)
        .iter()
        .map(|r| SharedString::from(*r))
        .collect();
    api.set_quick_replies(model(replies));
    api.set_draft(state.draft.clone().into());
    if let Some(Content::Photo {
        width,
        height,
        rgba,
    }) = state
        .photo
        .and_then(|i| conversation.get(i))
        .map(|m| &m.content)
    {
        api.set_photo(image(*width, *height, rgba));
    }
    api.set_recorder(match state.recorder {
        RecorderState::Ready => ui::Recorder::Ready,
        RecorderState::Recording => ui::Recorder::Recording,
        RecorderState::Recorded => ui::Recorder::Recorded,
        RecorderState::Playing => ui::Recorder::Playing,
    });
    api.set_recorded_seconds(i32::try_from(state.recorded_seconds).unwrap_or(0));

    if let Some(prompt) = &state.diary {
        api.set_question(text(lang, &prompt.question).into());
        api.set_question_audio(prompt.audio.is_some());
        let choices: Vec<ui::Choice> = prompt
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| ui::Choice {
                id: c.id.to_string().into(),
                label: text(lang, &c.label).into(),
                selected: state.diary_selected.iter().any(|s| s == c.id.as_str()),
                face: if prompt.faces {
                    i32::try_from(i).unwrap_or(-1)
                } else {
                    -1
                },
            })
            .collect();
        api.set_choices(model(choices));
        let (shown, more) = state.diary_people_shown();
        let people: Vec<ui::Contact> = shown
            .iter()
            .map(|c| ui::Contact {
                id: c.person.to_string().into(),
                name: c.name.clone().into(),
                initial: initial(&c.name),
                role: SharedString::default(),
                unread: 0,
                photo: state.face(&c.person).map(face_image).unwrap_or_default(),
                selected: state.diary_people.contains(&c.person),
            })
            .collect();
        api.set_diary_people(model(people));
        api.set_more_diary_people(more);
    }
    api.set_survey_waiting(!state.surveys.is_empty());
    if let Some(survey) = state.surveys.first() {
        api.set_survey_title(text(lang, &survey.title).into());
        let step = state.survey_step.min(survey.items.len().saturating_sub(1));
        api.set_survey_number(i32::try_from(step + 1).unwrap_or(1));
        api.set_survey_count(i32::try_from(survey.items.len()).unwrap_or(0));
        if let Some(item) = survey.items.get(step) {
            api.set_survey_question(text(lang, &item.question).into());
        }
        let given = state.survey_answers.get(step).cloned().flatten();
        let scale: Vec<ui::Choice> = survey
            .scale
            .iter()
            .map(|c| ui::Choice {
                id: c.id.to_string().into(),
                label: text(lang, &c.label).into(),
                selected: given.as_ref() == Some(&c.id),
                face: -1,
            })
            .collect();
        api.set_survey_scale(model(scale));
    }
    let sessions: Vec<ui::Session> = state
        .meetings
        .iter()
        .filter(|m| m.ends_at > now)
        .take(3)
        .map(|m| session(m, lang))
        .collect();
    api.set_sessions(model(sessions));
    api.set_notice(state.notice.clone().unwrap_or_default().into());
    if let Some(reminder) = &state.reminder {
        api.set_reminder(session(reminder, lang));
    }
    api.set_help_asked(state.help_awaited(now));
    api.set_pin_entered("● ".repeat(state.pin_digits).trim_end().into());
    api.set_text_scale_percent(i32::from(state.text_scale_percent));
    api.set_volume_percent(i32::from(state.volume_percent));
    api.set_brightness_percent(i32::from(state.brightness_percent));
    api.set_language(lang.code().into());
    api.set_audio_available(state.audio_problem.is_none());
    api.set_audio_problem(state.audio_problem.clone().unwrap_or_default().into());
    api.set_link_problem(state.link_problem.clone().unwrap_or_default().into());
}
