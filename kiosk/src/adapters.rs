//! The only code that touches Slint (with `app`): turns a `KioskState` into the UI's `Api`
//! global. The conversation and the agenda are paged by measuring: a page tried is put
//! into a hidden copy of the list, of the same width, and Slint's own layout says
//! whether it fits. So a page holds as much as the screen shows whole, at any text size,
//! on any tablet.

use crate::state::keyboard::KeyboardLayout;
use crate::state::{
    Anchor, CONTACTS_PER_PAGE, Content, Delivery, HelpStage, KioskState, NotSent, Piece,
    RecorderState, Screen, page_ending_at,
};
use crate::ui::{self, App};
use crate::wifi::Joined;
use crate::words::{self, Language};
use nabij_protocol::{ReceiptState, UnixMillis};
use slint::{
    ComponentHandle, Image, ModelRc, Rgba8Pixel, SharedPixelBuffer, SharedString, VecModel,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// What the screen shows that the app needs to act on taps: the conversation's page and
/// how many pages the agenda makes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shown {
    /// The pieces of the conversation on screen (the first one's start is where "Earlier
    /// messages" goes on from).
    pub page: Vec<Piece>,
    /// How many pages the coming meetings make.
    pub agenda_pages: usize,
}

/// The most choices a senior's screen offers besides Home and Help.
const MAX_CHOICES: usize = 6;

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
        Screen::Thanks => ui::Page::Thanks,
        Screen::Agenda => ui::Page::Agenda,
        Screen::Reminder => ui::Page::Reminder,
        Screen::CheckIn => ui::Page::CheckIn,
        Screen::MeetingChanged => ui::Page::MeetingChanged,
        Screen::Help => ui::Page::Help,
        Screen::Idle => ui::Page::Idle,
        Screen::CoachPin => ui::Page::CoachPin,
        Screen::CoachSettings => ui::Page::CoachSettings,
        Screen::CoachErase => ui::Page::CoachErase,
        Screen::CoachWifi => ui::Page::CoachWifi,
        Screen::CoachWifiPassword => ui::Page::CoachWifiPassword,
        Screen::CoachWifiJoin => ui::Page::CoachWifiJoin,
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

/// The pairing QR code's side on the glass, in millimetres (a 7" screen has less room).
const QR_MM: f32 = 32.0;
const QR_MM_COMPACT: f32 = 26.0;

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
        address: m.address.clone().unwrap_or_default().into(),
        pickup: m
            .pickup_at
            .map(|t| words::pickup(t, lang))
            .unwrap_or_default()
            .into(),
    }
}

/// Tells the screens how large the tablet's glass is, and how its pixels are shaped.
pub fn fit_screen(app: &App, profile: &crate::platform::profile::Profile) {
    let theme = app.global::<ui::Theme>();
    theme.set_compact(profile.is_compact());
    theme.set_x_stretch(profile.dpi() / profile.dpi_x());
}

/// Whether a list tried for size fits its room (with half a pixel for rounding).
fn fits(measured: f32, room: f32) -> bool {
    room > 0.0 && measured <= room + 0.5
}

/// Makes Slint create the elements of lists and `if`s whose model just changed. Slint
/// does this lazily, when it next draws; a page tried for size must exist before its
/// height is read. Slint's public API has no call for this, so it goes through the one
/// Slint's own code uses (`private_unstable_api`, stable here because `slint` is pinned
/// to one exact version in Cargo.toml; a test pages a conversation through it).
fn instantiate(app: &App) {
    use slint::private_unstable_api::re_exports::{WindowInner, ensure_item_tree_instantiated};
    ensure_item_tree_instantiated(&WindowInner::from_pub(app.window()).component());
}

thread_local! {
    /// The last conversation page measured, and what it was measured for.
    static PAGE_CACHE: RefCell<Option<(u64, Vec<Piece>)>> = const { RefCell::new(None) };
}

/// What a conversation's page depends on: its messages (their words, how far mine got),
/// where it ends, the room, the text size and language, the day (day names), and which
/// voice note plays (its bubble grows a progress bar).
fn page_key(state: &KioskState, now: UnixMillis, end: Anchor, media: usize, room: f32) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    state.partner.hash(&mut h);
    for m in state.open_conversation() {
        m.id.hash(&mut h);
        m.at.0.hash(&mut h);
        format!("{:?}", m.delivery).hash(&mut h);
        if let Content::Text(t) = &m.content {
            t.hash(&mut h);
        }
    }
    (
        end.message,
        end.offset,
        media,
        room.to_bits(),
        state.text_scale_percent,
    )
        .hash(&mut h);
    state.language.code().hash(&mut h);
    words::day_label(now, now, state.language).hash(&mut h);
    words::local(now).day.hash(&mut h);
    state.playing.map(|p| format!("{:?}", p.what)).hash(&mut h);
    // A waiting message says "One moment, please" then, which may take another line.
    state.storage_retrying.hash(&mut h);
    h.finish()
}

/// The conversation's page for the state, measured on `app`; sets the page shown.
fn show_conversation(app: &App, state: &KioskState, now: UnixMillis) -> Vec<Piece> {
    let api = app.global::<ui::Api>();
    let lang = state.language;
    let conversation = state.open_conversation();
    let me = state.config.as_ref().map(|c| c.participant.clone());
    let partner_name = state
        .partner
        .as_ref()
        .map(|p| state.author_name(p))
        .unwrap_or_default();
    // Each photo made into a Slint image once per redraw, however many pages are tried.
    let mut photos: HashMap<usize, Image> = HashMap::new();
    let mut ui_page = |pieces: &[Piece]| -> Vec<ui::Message> {
        let mut previous: Option<UnixMillis> = None;
        pieces
            .iter()
            .filter_map(|piece| {
                let m = conversation.get(piece.message)?;
                let mine = Some(&m.author) == me.as_ref();
                // The day's name above a message that starts a day on the page: above the
                // first one unless it is today's, and wherever the day changes.
                let day = match previous {
                    Some(p) if words::same_day(p, m.at) => String::new(),
                    None if words::same_day(now, m.at) => String::new(),
                    _ => words::day_label(now, m.at, lang),
                };
                previous = Some(m.at);
                let (kind, text, seconds, photo) = match &m.content {
                    Content::Text(t) => (
                        "text",
                        t.get(piece.start..piece.end).unwrap_or(t).to_owned(),
                        0,
                        Image::default(),
                    ),
                    Content::Voice { seconds, .. } => {
                        ("voice", String::new(), *seconds, Image::default())
                    }
                    Content::Photo {
                        width,
                        height,
                        rgba,
                    } => (
                        "photo",
                        String::new(),
                        0,
                        photos
                            .entry(piece.message)
                            .or_insert_with(|| image(*width, *height, rgba))
                            .clone(),
                    ),
                };
                let playing = state
                    .playing
                    .filter(|p| p.what == crate::state::Sounding::VoiceNote(piece.message));
                Some(ui::Message {
                    index: i32::try_from(piece.message).unwrap_or(i32::MAX),
                    day: day.into(),
                    mine,
                    sender: if mine {
                        SharedString::default()
                    } else {
                        state.author_name(&m.author).into()
                    },
                    time: words::clock(m.at).into(),
                    kind: kind.into(),
                    text: text.into(),
                    continued: piece.start > 0,
                    continues: matches!(&m.content, Content::Text(t) if piece.end < t.len()),
                    seconds: i32::try_from(seconds).unwrap_or(0),
                    photo,
                    delivery: if mine {
                        delivery(m.delivery)
                    } else {
                        ui::Delivery::None
                    },
                    playing: playing.is_some(),
                    progress: playing.map_or(0.0, |p| p.fraction),
                })
            })
            .collect()
    };
    let end = state.page_end();
    let at_newest = end >= state.newest_anchor();
    // Buttons besides the bubbles: Back, Read aloud, Answer (when one can), Earlier and
    // Newest when they show. What is left may be photos and voice notes, each a button.
    let buttons = 2 + usize::from(state.can_reply()) + 1 + usize::from(!at_newest);
    let media = MAX_CHOICES.saturating_sub(buttons).max(1);
    let room = app.get_conversation_room();
    // The kiosk redraws on every tap and ten times a second while a note plays: measure
    // only when something that sizes the page changed.
    let key = page_key(state, now, end, media, room);
    let cached = PAGE_CACHE.with(|cache| {
        cache
            .borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, page)| page.clone())
    });
    let pieces = match cached {
        Some(pieces) => pieces,
        None if room > 0.0 => {
            let mut fits_on_screen = |pieces: &[Piece]| {
                api.set_measure_messages(model(ui_page(pieces)));
                instantiate(app);
                fits(app.get_conversation_measured(), room)
            };
            let pieces = page_ending_at(conversation, end, media, &mut fits_on_screen);
            api.set_measure_messages(model(Vec::new()));
            PAGE_CACHE.with(|cache| *cache.borrow_mut() = Some((key, pieces.clone())));
            pieces
        }
        // Not laid out yet (a window opening): the newest few, until the first redraw
        // that knows the room.
        None => page_ending_at(conversation, end, media, &mut |p: &[Piece]| p.len() <= 3),
    };
    api.set_messages(model(ui_page(&pieces)));
    let start = pieces.first().map(Piece::from);
    api.set_has_earlier(start.is_some_and(|s| {
        s > Anchor {
            message: 0,
            offset: 0,
        }
    }));
    api.set_has_newer(!at_newest);
    let newer_unread = conversation
        .iter()
        .skip(end.message)
        .filter(|m| !m.seen && Some(&m.author) != me.as_ref())
        .count();
    api.set_newer_unread(i32::try_from(newer_unread).unwrap_or(0));
    api.set_partner(partner_name.into());
    pieces
}

/// The agenda's page for the state, measured on `app`; sets the page shown and returns
/// how many pages the coming meetings make.
fn show_agenda(app: &App, state: &KioskState, now: UnixMillis) -> usize {
    let api = app.global::<ui::Api>();
    let lang = state.language;
    let sessions: Vec<ui::Session> = state
        .coming_meetings(now)
        .map(|m| session(m, lang))
        .collect();
    let room = app.get_agenda_room();
    // Pages of as many whole cards as fit, one after another (at least one a page).
    let mut pages: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    while start < sessions.len() {
        let mut end = start + 1;
        while end < sessions.len() {
            api.set_measure_sessions(model(sessions[start..=end].to_vec()));
            instantiate(app);
            if room <= 0.0 || !fits(app.get_agenda_measured(), room) {
                break;
            }
            end += 1;
        }
        pages.push(start..end);
        start = end;
    }
    api.set_measure_sessions(model(Vec::new()));
    let shown = pages
        .get(state.agenda_page)
        .or(pages.first())
        .cloned()
        .unwrap_or(0..0);
    api.set_sessions(model(sessions[shown].to_vec()));
    api.set_more_sessions(pages.len() > 1);
    pages.len().max(1)
}

/// Shows `state` at time `now`; returns what the app needs to act on taps.
pub fn apply(app: &App, state: &KioskState, now: UnixMillis) -> Shown {
    let lang = state.language;
    let api = app.global::<ui::Api>();
    let theme = app.global::<ui::Theme>();
    theme.set_text_scale(f32::from(state.text_scale_percent.clamp(100, 150)) / 100.0);
    let screen = state.screen.unwrap_or(Screen::Home);

    api.set_page(page(screen));
    // Before the conversation is paged: it sizes the words under a waiting message.
    api.set_storage_retrying(state.storage_retrying);
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
    let next = state
        .coming_meetings(now)
        .next()
        .map(|m| words::soon(now, m.starts_at, lang));
    api.set_next_meeting(next.unwrap_or_default().into());

    let code = state.pairing_code.clone().unwrap_or_default();
    let shown = match code.len() {
        6 => format!("{}-{}", &code[..3], &code[3..]),
        // Until the hub answers, dots say that something is on its way.
        0 => "…".to_owned(),
        _ => code,
    };
    api.set_pairing_code(shown.into());
    // Drawn pixel for pixel on the glass (whole pixels per module, no scaling), so that
    // a phone reads it at any screen density.
    let mm = if app.global::<ui::Theme>().get_compact() {
        QR_MM_COMPACT
    } else {
        QR_MM
    };
    let physical_px_per_mm = app.window().scale_factor() * 96.0 / 25.4;
    let qr = state
        .pairing_link
        .as_deref()
        .filter(|_| state.screen == Some(Screen::Pairing))
        .and_then(|link| crate::live::qr::encode(link, (mm * physical_px_per_mm) as u32));
    api.set_pairing_qr_shown(qr.is_some());
    api.set_pairing_qr_side(
        qr.as_ref()
            .map_or(0, |q| i32::try_from(q.side).unwrap_or(0)),
    );
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
    // A phone number never splits over two lines.
    api.set_coach_phone(
        coach
            .map(|c| c.phone.replace(' ', &words::NBSP.to_string()))
            .unwrap_or_default()
            .into(),
    );

    // Six places: all contacts when they fit, else five and "More people".
    let partners = state.chat_partners();
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
        .map(|c| {
            let name = state.author_name(&c.person);
            ui::Contact {
                id: c.person.to_string().into(),
                initial: initial(&name),
                name: name.into(),
                role: format!("{:?}", c.role).to_lowercase().into(),
                unread: i32::try_from(state.unread_from(&c.person)).unwrap_or(0),
                photo: state.face(&c.person).map(face_image).unwrap_or_default(),
                selected: false,
            }
        })
        .collect();
    api.set_contacts(model(contacts));
    api.set_more_contacts(more);

    api.set_can_reply(state.can_reply());
    let page = if screen == Screen::Conversation {
        show_conversation(app, state, now)
    } else {
        api.set_partner(
            state
                .partner
                .as_ref()
                .map(|p| state.author_name(p))
                .unwrap_or_default()
                .into(),
        );
        Vec::new()
    };
    let agenda_pages = if screen == Screen::Agenda {
        show_agenda(app, state, now)
    } else {
        1
    };

    let replies: Vec<SharedString> = words::quick_replies(lang)
        .iter()
        .map(|r| SharedString::from(*r))
        .collect();
    api.set_quick_replies(model(replies));
    api.set_draft(state.draft.clone().into());
    let mut rows: [Vec<ui::Key>; 4] = Default::default();
    // One keyboard on screen: the message's, or the Wi-Fi password's.
    let keys = if state.screen == Some(Screen::CoachWifiPassword) {
        state.wifi.keyboard.keys(state.wifi.password.as_str(), lang)
    } else {
        state.keyboard.keys(&state.draft, lang)
    };
    for (index, k) in keys.into_iter().enumerate() {
        if let Some(row) = rows.get_mut(usize::from(k.row)) {
            row.push(ui::Key {
                index: i32::try_from(index).unwrap_or(i32::MAX),
                label: k.label.into(),
                name: k.name.into(),
                on: k.on,
            });
        }
    }
    let [row0, row1, row2, row3] = rows;
    api.set_keys_0(model(row0));
    api.set_keys_1(model(row1));
    api.set_keys_2(model(row2));
    api.set_keys_3(model(row3));
    if let Some(Content::Photo {
        width,
        height,
        rgba,
    }) = state
        .photo
        .and_then(|i| state.open_conversation().get(i))
        .map(|m| &m.content)
    {
        api.set_photo(image(*width, *height, rgba));
    }
    api.set_recorder(match state.recorder {
        RecorderState::Ready => ui::Recorder::Ready,
        RecorderState::Recording => ui::Recorder::Recording,
        RecorderState::Recorded => ui::Recorder::Recorded,
        RecorderState::Playing => ui::Recorder::Playing,
        RecorderState::ConfirmDiscard => ui::Recorder::ConfirmDiscard,
    });
    api.set_recorded_seconds(i32::try_from(state.recorded_seconds).unwrap_or(0));
    api.set_recording_level(state.recording_level);
    api.set_recorder_problem(
        state
            .recorder_problem
            .map(|p| words::recorder_problem(p, lang))
            .unwrap_or_default()
            .into(),
    );
    api.set_recording_progress(
        state
            .playing
            .filter(|p| p.what == crate::state::Sounding::Recording)
            .map_or(0.0, |p| p.fraction),
    );
    api.set_reading_aloud(state.reading_aloud());
    api.set_can_read_aloud(state.can_read_aloud);

    if let Some(prompt) = &state.diary {
        api.set_question(words::localized(&prompt.question, lang).into());
        let choices: Vec<ui::Choice> = prompt
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| ui::Choice {
                id: c.id.to_string().into(),
                label: words::localized(&c.label, lang).into(),
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
    api.set_diary_share(state.diary_share.map_or(-1, i32::from));
    api.set_survey_waiting(!state.surveys.is_empty());
    if let Some(survey) = state.surveys.first() {
        api.set_survey_title(words::localized(&survey.title, lang).into());
        let step = state.survey_step.min(survey.items.len().saturating_sub(1));
        api.set_survey_number(i32::try_from(step + 1).unwrap_or(1));
        api.set_survey_count(i32::try_from(survey.items.len()).unwrap_or(0));
        if let Some(item) = survey.items.get(step) {
            api.set_survey_question(words::localized(&item.question, lang).into());
        }
        let given = state.survey_answers.get(step).cloned().flatten();
        let scale: Vec<ui::Choice> = survey
            .scale
            .iter()
            .map(|c| ui::Choice {
                id: c.id.to_string().into(),
                label: words::localized(&c.label, lang).into(),
                selected: given.as_ref() == Some(&c.id),
                face: -1,
            })
            .collect();
        api.set_survey_scale(model(scale));
    }
    api.set_survey_answered(state.survey_step_answered());
    api.set_thanks(words::thanks(state.thanks, lang).into());

    if let Some(change) = &state.change {
        let w = words::meeting_changed(
            change.was,
            change
                .moved_to
                .as_ref()
                .map(|(t, place)| (*t, place.as_deref())),
            lang,
        );
        api.set_change_headline(w.headline.into());
        api.set_change_when(w.when.into());
        api.set_change_place(w.place.into());
        api.set_change_was(w.was.into());
    }
    if let Some(reminder) = &state.reminder {
        api.set_reminder(ui::Session {
            when: words::reminder_when(now, reminder.starts_at, lang).into(),
            ..session(reminder, lang)
        });
    }
    api.set_help_stage(match state.help_now(now).map(|h| h.stage) {
        None => ui::HelpStage::None,
        Some(HelpStage::Waiting) => ui::HelpStage::Waiting,
        Some(HelpStage::Received) => ui::HelpStage::Received,
        Some(HelpStage::Answered) => ui::HelpStage::Answered,
    });
    api.set_coach_taps_left(i32::from(state.coach_taps_left(now)));
    api.set_pin_entered(i32::try_from(state.pin.len()).unwrap_or(0));
    api.set_coach_page(i32::from(state.coach_page));
    api.set_pin_length(i32::try_from(crate::state::PIN_LENGTH).unwrap_or(4));
    api.set_pin_locked_until(
        state
            .pin_locked_until(now)
            .map(words::clock)
            .unwrap_or_default()
            .into(),
    );
    api.set_text_scale_percent(i32::from(state.text_scale_percent));
    api.set_volume_percent(i32::from(state.volume_percent));
    api.set_brightness_percent(i32::from(state.brightness_percent));
    api.set_language(lang.code().into());
    api.set_keyboard_layout(
        match state.keyboard.layout {
            KeyboardLayout::Alphabetical => "alphabetical",
            KeyboardLayout::Azerty => "azerty",
        }
        .into(),
    );
    api.set_audio_available(state.audio_problem.is_none());
    api.set_audio_problem(state.audio_problem.clone().unwrap_or_default().into());
    api.set_link_problem(
        state
            .link_problem
            .as_ref()
            .map(|p| words::link_problem(p, lang))
            .unwrap_or_default()
            .into(),
    );
    show_wifi(&api, state, lang);
    Shown { page, agenda_pages }
}

/// The Wi-Fi screens: the page of networks, the password, and joining in words.
fn show_wifi(api: &ui::Api<'_>, state: &KioskState, lang: Language) {
    let wifi = &state.wifi;
    let networks: Vec<ui::WifiNetwork> = wifi
        .shown()
        .iter()
        .map(|n| ui::WifiNetwork {
            ssid: n.ssid.clone().into(),
            signal: words::wifi_signal(n.strength, lang).into(),
        })
        .collect();
    api.set_wifi_networks(model(networks));
    api.set_wifi_more(wifi.has_more());
    api.set_wifi_looking(wifi.looking);
    api.set_wifi_problem(
        wifi.problem
            .as_deref()
            .map(|p| words::wifi_no_list(p, lang))
            .unwrap_or_default()
            .into(),
    );
    let name = wifi.chosen.as_ref().map(|n| n.ssid.as_str()).unwrap_or("");
    api.set_wifi_password(wifi.password.as_str().into());
    api.set_wifi_password_placeholder(words::wifi_password_placeholder(name, lang).into());
    api.set_wifi_password_heading(words::wifi_password_heading(name, lang).into());
    api.set_wifi_password_short(
        wifi.password.as_str().chars().count() < crate::state::wifi::PASSWORD_MIN,
    );
    let (message, next) = match &wifi.outcome {
        None => (words::wifi_joining(name, lang), ""),
        Some(outcome) => (
            words::wifi_outcome(outcome, name, lang),
            match outcome {
                Ok(Joined::WrongPassword) => "retry",
                // A sign-in page is not checked again: its words say to choose the home
                // network instead (Back, to the list).
                Ok(Joined::NoInternet | Joined::HubUnreachable(_)) => "check",
                // "Look again", as its words say.
                Ok(Joined::NotFound) => "look",
                _ => "",
            },
        ),
    };
    api.set_wifi_message(message.into());
    api.set_wifi_next(next.into());
}
