//! The targets of shared/ACCESSIBILITY.md, measured on every screen, for every firmware
//! profile and language, from the rendered layout and pixels: target sizes and spacing
//! in millimetres, text size, contrast, number of choices, and Home in the same place.

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
/// Layout rounds to physical pixels; allow a quarter millimetre.
const SLACK_MM: f32 = 0.25;

#[derive(Debug, Clone)]
struct Rect {
    label: String,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl Rect {
    fn of(e: &ElementHandle) -> Rect {
        // Logical pixels: Slint counts 96 per inch.
        let mm = |v: f32| v * 25.4 / 96.0;
        let (p, s) = (e.absolute_position(), e.size());
        Rect {
            label: e.accessible_label().unwrap_or_default().to_string(),
            x: mm(p.x),
            y: mm(p.y),
            w: mm(s.width),
            h: mm(s.height),
        }
    }

    fn gap_to(&self, o: &Rect) -> f32 {
        let dx = (o.x - (self.x + self.w)).max(self.x - (o.x + o.w)).max(0.0);
        let dy = (o.y - (self.y + self.h)).max(self.y - (o.y + o.h)).max(0.0);
        dx.max(dy)
    }
}

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
fn text_contrast(picture: &image::RgbaImage, r: &Rect, px_per_mm: f32) -> Option<f64> {
    let (x0, y0) = (
        (r.x * px_per_mm).max(0.0) as u32,
        (r.y * px_per_mm).max(0.0) as u32,
    );
    let (x1, y1) = (
        ((r.x + r.w) * px_per_mm) as u32,
        ((r.y + r.h) * px_per_mm) as u32,
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

fn check_screen(
    profile: &Profile,
    screen: Screen,
    lang: Language,
    scale: u8,
    home: &mut Option<(f32, f32)>,
) -> Vec<String> {
    check_state(profile, sample::state(screen, lang), scale, home, "")
}

fn check_state(
    profile: &Profile,
    state: KioskState,
    scale: u8,
    home: &mut Option<(f32, f32)>,
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
    let (win_w, win_h) = {
        let (w, h) = profile.window_px();
        (
            w as f32 / profile.px_per_mm(),
            h as f32 / profile.px_per_mm(),
        )
    };
    let mut problems = Vec::new();
    let targets = buttons(&app);
    let rects: Vec<Rect> = targets.iter().map(Rect::of).collect();

    for (e, r) in targets.iter().zip(&rects) {
        if r.label.trim().is_empty() {
            problems.push(format!(
                "{where_}: a button without accessible-label at {:.0},{:.0} mm",
                r.x, r.y
            ));
        }
        let primary = e.accessible_description().is_some_and(|d| d == "primary");
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
        if r.x < -SLACK_MM
            || r.y < -SLACK_MM
            || r.x + r.w > win_w + SLACK_MM
            || r.y + r.h > win_h + SLACK_MM
        {
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
    let keys = targets
        .iter()
        .filter(|e| e.accessible_description().is_some_and(|d| d == "key"))
        .count();
    let choices = targets
        .iter()
        .filter(|e| !is(e, "home") && !is(e, "help"))
        .count()
        - keys
        + usize::from(keys > 0);
    if !screen.is_for_coach() && choices > MAX_CHOICES {
        problems.push(format!(
            "{where_}: {choices} choices (the keyboard counts as one); at most {MAX_CHOICES}"
        ));
    }
    if !screen.is_state() {
        match targets.iter().find(|e| is(e, "home")).map(Rect::of) {
            None => problems.push(format!("{where_}: no Home button")),
            Some(r) => match home {
                None => *home = Some((r.x, r.y)),
                Some((x, y)) if (r.x - *x).abs() > SLACK_MM || (r.y - *y).abs() > SLACK_MM => {
                    problems.push(format!(
                        "{where_}: Home moved to {:.1},{:.1} mm from {x:.1},{y:.1} mm",
                        r.x, r.y
                    ))
                }
                Some(_) => {}
            },
        }
    }

    let texts: Vec<ElementHandle> = ElementQuery::from_root(&app)
        .match_accessible_role(AccessibleRole::Text)
        .find_all()
        .into_iter()
        .filter(|e| e.computed_opacity() > 0.0)
        .collect();
    if texts.is_empty() {
        problems.push(format!("{where_}: no text found: nothing was measured"));
    }
    for t in &texts {
        let r = Rect::of(t);
        if r.label.trim().is_empty() || r.w <= 0.0 || r.h <= 0.0 || r.y + r.h <= 0.0 || r.y >= win_h
        {
            continue; // empty, or cut off entirely
        }
        if r.x < -SLACK_MM
            || r.y < -SLACK_MM
            || r.x + r.w > win_w + SLACK_MM
            || r.y + r.h > win_h + SLACK_MM
        {
            problems.push(format!("{where_}: text {:?} runs off the screen", r.label));
            continue;
        }
        if r.h + SLACK_MM < TEXT_MIN_MM {
            problems.push(format!(
                "{where_}: text {:?} is {:.1} mm high; 18 pt needs {TEXT_MIN_MM:.1} mm",
                r.label, r.h
            ));
        }
        if let Some(c) = text_contrast(&picture, &r, profile.px_per_mm())
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

#[test]
fn every_screen_meets_the_targets_on_every_profile_in_every_language() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for profile in shipped().unwrap() {
        let mut home = None;
        for lang in Language::ALL {
            for screen in Screen::ALL {
                problems.extend(check_screen(&profile, screen, lang, 100, &mut home));
                checked += 1;
            }
        }
    }
    assert!(checked >= 4 * 17 * 3);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_form_of_the_diary_question_meets_the_targets() {
    let mut problems = Vec::new();
    for profile in shipped().unwrap() {
        let mut home = None;
        // The largest text is checked where the other screens are (not the 7-inch panel).
        let scales: &[u8] = if profile.name == "pinetab2" || profile.name == "desktop" {
            &[100, 150]
        } else {
            &[100]
        };
        for lang in Language::ALL {
            for (scale, prompt) in scales
                .iter()
                .flat_map(|&s| sample::diary_variants().into_iter().map(move |p| (s, p)))
            {
                let mut state = sample::state(Screen::Diary, lang);
                let variant = format!(" ({})", prompt.prompt_id);
                state.diary = Some(prompt);
                problems.extend(check_state(&profile, state, scale, &mut home, &variant));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_former_participants_messages_meet_the_targets() {
    let mut problems = Vec::new();
    for profile in shipped().unwrap() {
        let mut home = None;
        for lang in Language::ALL {
            for screen in [Screen::Contacts, Screen::Conversation] {
                let state = sample::with_former_participant(screen, lang);
                problems.extend(check_state(
                    &profile,
                    state,
                    100,
                    &mut home,
                    " (former participant)",
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn screens_stay_usable_at_the_largest_text_size() {
    let mut problems = Vec::new();
    for profile in shipped()
        .unwrap()
        .into_iter()
        .filter(|p| p.name == "pinetab2" || p.name == "desktop")
    {
        let mut home = None;
        for screen in Screen::ALL {
            problems.extend(check_screen(&profile, screen, Language::Nl, 150, &mut home));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_contrast_measure_tells_good_from_bad() {
    let white = image::Rgba([255, 255, 255, 255]);
    let black = image::Rgba([17, 17, 17, 255]);
    let grey = image::Rgba([150, 150, 150, 255]);
    assert!(contrast(luminance(&white), luminance(&black)) > 15.0);
    assert!(contrast(luminance(&white), luminance(&grey)) < 3.5);
}
