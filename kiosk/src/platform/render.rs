//! One screen, with sample data, for one profile and language, as a picture.

use crate::platform::headless::{self, RenderError};
use crate::platform::profile::Profile;
use crate::state::Screen;
use crate::ui::App;
use crate::words::Language;
use crate::{adapters, sample};

/// Selects the UI language for every window of this thread. Dutch and French come from
/// the bundled translations; English is the source text.
pub fn select_language(lang: Language) -> Result<(), RenderError> {
    let code = if lang == Language::En {
        ""
    } else {
        lang.code()
    };
    slint::select_bundled_translation(code)
        .map_err(|e| RenderError::Slint(format!("language {}: {e}", lang.code())))
}

/// Renders `screen` with sample data; returns the live app (for inspecting its elements)
/// and the picture.
pub fn render(
    profile: &Profile,
    screen: Screen,
    lang: Language,
    text_scale_percent: u8,
) -> Result<(App, image::RgbaImage), RenderError> {
    render_state(profile, sample::state(screen, lang), text_scale_percent)
}

/// Renders this state (its screen, in its language); returns the live app and the
/// picture.
pub fn render_state(
    profile: &Profile,
    mut state: crate::state::KioskState,
    text_scale_percent: u8,
) -> Result<(App, image::RgbaImage), RenderError> {
    headless::init();
    let app = App::new().map_err(|e| RenderError::Slint(e.to_string()))?;
    select_language(state.language)?;
    state.text_scale_percent = text_scale_percent;
    // Sized first: the conversation and the agenda are paged by measuring on the screen.
    headless::fit(&app, profile)?;
    adapters::apply(&app, &state, sample::NOW);
    let picture = headless::snapshot(&app)?;
    Ok((app, picture))
}
