//! The targets of shared/ACCESSIBILITY.md, measured on every screen, for every firmware
//! profile, language and text size (100, 125 and 150 %), from the rendered layout and
//! pixels: target sizes and spacing in millimetres on the glass (per axis), every text
//! against the room it was given (no word broken, nothing cut short, clipped or off the
//! screen), text size, contrast, number of choices, and Home and Back in their places.

use crate::measure::{self, Glass, Rect, SLACK_MM};
use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use nabij_kiosk::platform::profile::{Profile, shipped};
use nabij_kiosk::platform::render::render_state;
use nabij_kiosk::sample;
use nabij_kiosk::state::{KioskState, Screen};
use nabij_kiosk::words::Language;

/// 18 pt in millimetres: the smallest em of any text.
const TEXT_MIN_MM: f32 = 18.0 * 25.4 / 72.0;
const PRIMARY_MIN_MM: f32 = 20.0;
const TARGET_MIN_MM: f32 = 12.0;
const GAP_MIN_MM: f32 = 3.0;
const CONTRAST_MIN: f64 = 7.0;
const MAX_CHOICES: usize = 6;

/// The buttons a senior can see (a bubble that does not fit is transparent and disabled).
fn buttons(app: &nabij_kiosk::ui::App) -> Vec<ElementHandle> {
    ElementQuery::from_root(app)
        .match_accessible_role(AccessibleRole::Button)
        .find_all()
        .into_iter()
        .filter(|e| e.computed_opacity() > 0.0)
        .collect()
}

fn luminance(p: &image::Rgba<u8>) -> f64 {
    let c = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * c(p[0]) + 0.7152 * c(p[1]) + 0.0722 * c(p[2])
}

fn contrast(a: f64, b: f64) -> f64 {
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// Contrast of a text element against its background, from the pixels: the background is
/// the commonest colour in its box, the text the pixel that differs most from it.
fn text_contrast(picture: &image::RgbaImage, r: &Rect, glass: &Glass) -> Option<f64> {
    let (x0, y0) = (
        (r.x * glass.px_x).max(0.0) as u32,
        (r.y * glass.px_y).max(0.0) as u32,
    );
    let (x1, y1) = (
        ((r.x + r.w) * glass.px_x) as u32,
        ((r.y + r.h) * glass.px_y) as u32,
    );
    let mut counts = std::collections::HashMap::new();
    for y in y0..y1.min(picture.height()) {
        for x in x0..x1.min(picture.width()) {
            *counts.entry(*picture.get_pixel(x, y)).or_insert(0u32) += 1;
        }
    }
    let background = counts
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(p, _)| luminance(p))?;
    counts
        .keys()
        .map(|p| contrast(background, luminance(p)))
        .fold(None, |m: Option<f64>, c| Some(m.map_or(c, |m| m.max(c))))
}

/// Where Home and Back were found first, so that every screen can be held to the same.
#[derive(Default)]
struct Places {
    home: Option<(f32, f32)>,
    back: Option<(f32, f32)>,
}

fn same_place(
    found: &mut Option<(f32, f32)>,
    r: &Rect,
    what: &str,
    where_: &str,
    problems: &mut Vec<String>,
) {
    match found {
        None => *found = Some((r.x, r.y)),
        Some((x, y)) if (r.x - *x).abs() > SLACK_MM || (r.y - *y).abs() > SLACK_MM => problems
            .push(format!(
                "{where_}: {what} moved to {:.1},{:.1} mm from {x:.1},{y:.1} mm",
                r.x, r.y
            )),
        Some(_) => {}
    }
}

fn check_state(
    profile: &Profile,
    state: KioskState,
    scale: u8,
    places: &mut Places,
    variant: &str,
) -> Vec<String> {
    let (screen, lang) = (state.screen.unwrap_or(Screen::Home), state.language);
    let where_ = format!(
        "{} / {}{variant} / {} / {scale}%",
        profile.name,
        screen.name(),
        lang.code()
    );
    let (app, picture) =
        render_state(profile, state, scale).unwrap_or_else(|e| panic!("{where_}: {e}"));
    let glass = Glass::of(profile);
    let window = glass.window();
    let mut problems = Vec::new();
    let targets = buttons(&app);
    let rects: Vec<Rect> = targets.iter().map(|e| Rect::of(e, &glass)).collect();

    for (e, r) in targets.iter().zip(&rects) {
        if r.label.trim().is_empty() {
            problems.push(format!(
                "{where_}: a button without accessible-label at {:.0},{:.0} mm",
                r.x, r.y
            ));
        }
        let primary = e
            .accessible_description()
            .is_some_and(|d| d.split_whitespace().any(|w| w == "primary"));
        let min = if primary {
            PRIMARY_MIN_MM
        } else {
            TARGET_MIN_MM
        };
        if r.w + SLACK_MM < min || r.h + SLACK_MM < min {
            problems.push(format!(
                "{where_}: {:?} is {:.1} × {:.1} mm; at least {min} mm",
                r.label, r.w, r.h
            ));
        }
        if !r.inside(&window) {
            problems.push(format!("{where_}: {:?} is partly off the screen", r.label));
        }
    }
    for (i, a) in rects.iter().enumerate() {
        for b in &rects[i + 1..] {
            let gap = a.gap_to(b);
            if gap + SLACK_MM < GAP_MIN_MM {
                problems.push(format!(
                    "{where_}: {:?} and {:?} are {gap:.1} mm apart; at least {GAP_MIN_MM} mm",
                    a.label, b.label
                ));
            }
        }
    }

    let is = |e: &ElementHandle, id: &str| e.accessible_id().is_some_and(|i| i == id);
    // The keys of a keyboard or PIN pad count as one choice, and so do the answers to one
    // question (one decision: which answer).
    let kind = |e: &ElementHandle, k: &str| {
        e.accessible_description()
            .is_some_and(|d| d.split_whitespace().any(|w| w == k))
    };
    let keys = targets.iter().filter(|e| kind(e, "key")).count();
    let answers = targets.iter().filter(|e| kind(e, "answer")).count();
    let choices = targets
        .iter()
        .filter(|e| !is(e, "home") && !is(e, "help"))
        .count()
        - keys
        - answers
        + usize::from(keys > 0)
        + usize::from(answers > 0);
    if !screen.is_for_coach() && choices > MAX_CHOICES {
        problems.push(format!(
            "{where_}: {choices} choices (the keyboard counts as one); at most {MAX_CHOICES}"
        ));
    }
    if !screen.is_state() {
        match targets.iter().find(|e| is(e, "home")) {
            None => problems.push(format!("{where_}: no Home button")),
            Some(e) => same_place(
                &mut places.home,
                &Rect::of(e, &glass),
                "Home",
                &where_,
                &mut problems,
            ),
        }
    }
    // Back: its bottom left corner in the same place (its height follows the row it
    // ends, a key's on the keyboard).
    if let Some(e) = targets.iter().find(|e| is(e, "back")) {
        let r = Rect::of(e, &glass);
        let corner = Rect {
            y: r.y + r.h,
            h: 0.0,
            ..r
        };
        same_place(&mut places.back, &corner, "Back", &where_, &mut problems);
    }

    // The accessible texts (what a screen reader and the tests see) must exist...
    let accessible_texts = ElementQuery::from_root(&app)
        .match_accessible_role(AccessibleRole::Text)
        .find_all()
        .into_iter()
        .filter(|e| e.computed_opacity() > 0.0)
        .count();
    if accessible_texts == 0 {
        problems.push(format!("{where_}: no text found: nothing was measured"));
    }
    // ...and every drawn text is measured against its room.
    for text in measure::texts(&app, &glass) {
        let r = &text.rect;
        if text.shown.is_empty() {
            continue; // scrolled or paged out of view: not drawn
        }
        for problem in &text.problems {
            problems.push(format!("{where_}: text {:?}: {problem}", r.label));
        }
        if !text.scrolls && !r.inside(&window) {
            problems.push(format!("{where_}: text {:?} runs off the screen", r.label));
            continue;
        }
        if text.em_mm + SLACK_MM < TEXT_MIN_MM {
            problems.push(format!(
                "{where_}: text {:?} is set in {:.1} mm; 18 pt needs {TEXT_MIN_MM:.1} mm",
                r.label, text.em_mm
            ));
        }
        if let Some(c) = text_contrast(&picture, &text.shown, &glass)
            && c < CONTRAST_MIN
        {
            problems.push(format!(
                "{where_}: text {:?} has contrast {c:.1}:1; at least {CONTRAST_MIN}:1",
                r.label
            ));
        }
    }
    problems
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn profile(name: &str) -> Profile {
    shipped()
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no shipped profile {name}"))
}

/// Every screen, in every language, at one text size on one profile.
fn every_screen(profile_name: &str, scale: u8) {
    let profile = profile(profile_name);
    let mut places = Places::default();
    let mut problems = Vec::new();
    for lang in Language::ALL {
        for screen in Screen::ALL {
            problems.extend(check_state(
                &profile,
                sample::state(screen, lang),
                scale,
                &mut places,
                "",
            ));
        }
    }
    report(problems);
}

/// The profiles and text sizes, a test each so that they run side by side.
macro_rules! every_screen_tests {
    ($($name:ident: $profile:literal at $scale:literal;)*) => {$(
        #[test]
        fn $name() {
            every_screen($profile, $scale);
        }
    )*};
}

every_screen_tests! {
    every_screen_on_the_7_inch_display_at_100: "rpi-touch-7" at 100;
    every_screen_on_the_7_inch_display_at_125: "rpi-touch-7" at 125;
    every_screen_on_the_7_inch_display_at_150: "rpi-touch-7" at 150;
    every_screen_on_the_pinetab2_at_100: "pinetab2" at 100;
    every_screen_on_the_pinetab2_at_125: "pinetab2" at 125;
    every_screen_on_the_pinetab2_at_150: "pinetab2" at 150;
    every_screen_on_the_pinetab_a64_at_100: "pinetab-a64" at 100;
    every_screen_on_the_pinetab_a64_at_150: "pinetab-a64" at 150;
    every_screen_on_the_desktop_at_100: "desktop" at 100;
    every_screen_on_the_desktop_at_150: "desktop" at 150;
}

/// One screen, named in NABIJ_CHECK as `profile:screen:lang:scale` (for working on a
/// screen: `NABIJ_CHECK=rpi-touch-7:reminder:nl:150 cargo test -p nabij-kiosk --test it
/// one_screen -- --ignored --nocapture`).
#[test]
#[ignore = "a tool: checks the screen NABIJ_CHECK names"]
fn one_screen() {
    let wanted = std::env::var("NABIJ_CHECK").unwrap_or_default();
    let [profile_name, screen, lang, scale] = wanted.split(':').collect::<Vec<_>>()[..] else {
        panic!("NABIJ_CHECK=profile:screen:lang:scale");
    };
    let state = sample::state(
        Screen::parse(screen).unwrap(),
        Language::parse(lang).unwrap(),
    );
    let problems = check_state(
        &profile(profile_name),
        state,
        scale.parse().unwrap(),
        &mut Places::default(),
        "",
    );
    println!("{}", problems.join("\n"));
}

#[test]
fn every_shipped_profile_is_checked() {
    let names: Vec<String> = shipped().unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        ["desktop", "pinetab-a64", "pinetab2", "rpi-touch-7"],
        "a new profile needs its own every_screen tests above"
    );
}

#[test]
fn every_form_of_the_diary_question_meets_the_targets_at_every_text_size() {
    let mut problems = Vec::new();
    for profile in shipped().unwrap() {
        for scale in [100, 125, 150] {
            let mut places = Places::default();
            for lang in Language::ALL {
                for prompt in sample::diary_variants() {
                    let mut state = sample::state(Screen::Diary, lang);
                    let variant = format!(" ({})", prompt.prompt_id);
                    state.diary = Some(prompt);
                    problems.extend(check_state(&profile, state, scale, &mut places, &variant));
                }
            }
        }
    }
    report(problems);
}

#[test]
fn a_former_participants_messages_meet_the_targets_at_every_text_size() {
    let mut problems = Vec::new();
    for profile in shipped().unwrap() {
        for scale in [100, 125, 150] {
            let mut places = Places::default();
            for lang in Language::ALL {
                for screen in [Screen::Contacts, Screen::Conversation] {
                    let state = sample::with_former_participant(screen, lang);
                    problems.extend(check_state(
                        &profile,
                        state,
                        scale,
                        &mut places,
                        " (former participant)",
                    ));
                }
            }
        }
    }
    report(problems);
}

#[test]
fn a_conversation_waiting_for_the_tablets_storage_meets_the_targets_at_every_text_size() {
    let mut problems = Vec::new();
    for profile in shipped().unwrap() {
        for scale in [100, 125, 150] {
            let mut places = Places::default();
            for lang in Language::ALL {
                // The last message is the senior's, not stored yet: "One moment, please".
                let mut state = sample::state(Screen::Conversation, lang);
                state.storage_retrying = true;
                problems.extend(check_state(
                    &profile,
                    state,
                    scale,
                    &mut places,
                    " (storage tried again)",
                ));
            }
        }
    }
    report(problems);
}

#[test]
fn the_pin_pad_waiting_and_the_settings_with_erase_meet_the_targets_at_every_text_size() {
    let mut problems = Vec::new();
    for profile in shipped().unwrap() {
        for scale in [100, 125, 150] {
            let mut places = Places::default();
            for lang in Language::ALL {
                let state = sample::with_pin_locked(lang);
                problems.extend(check_state(
                    &profile,
                    state,
                    scale,
                    &mut places,
                    " (waiting after wrong PINs)",
                ));
                // The settings' third part, "Erase this tablet".
                let mut state = sample::state(Screen::CoachSettings, lang);
                state.coach_page = 2;
                problems.extend(check_state(
                    &profile,
                    state,
                    scale,
                    &mut places,
                    " (third part)",
                ));
            }
        }
    }
    report(problems);
}

#[test]
fn every_end_of_joining_a_wifi_network_meets_the_targets_at_every_text_size() {
    // Each as `nabij-kiosk render` draws it (coach-wifi-wrong-password, …).
    let outcomes = sample::wifi_outcomes();
    let mut problems = Vec::new();
    for profile in shipped().unwrap() {
        for scale in [100, 125, 150] {
            let mut places = Places::default();
            for lang in Language::ALL {
                for (name, outcome) in &outcomes {
                    let state = sample::with_wifi_outcome(outcome.clone(), lang);
                    problems.extend(check_state(
                        &profile,
                        state,
                        scale,
                        &mut places,
                        &format!(" ({name})"),
                    ));
                }
                // Looking for networks, and none found.
                for name in ["coach-wifi-looking", "coach-wifi-none"] {
                    let state = sample::named(name, lang).expect("a sample state");
                    problems.extend(check_state(
                        &profile,
                        state,
                        scale,
                        &mut places,
                        &format!(" ({name})"),
                    ));
                }
            }
        }
    }
    report(problems);
}

#[test]
fn the_contrast_measure_tells_good_from_bad() {
    let white = image::Rgba([255, 255, 255, 255]);
    let black = image::Rgba([17, 17, 17, 255]);
    let grey = image::Rgba([150, 150, 150, 255]);
    assert!(contrast(luminance(&white), luminance(&black)) > 15.0);
    assert!(contrast(luminance(&white), luminance(&grey)) < 3.5);
}
