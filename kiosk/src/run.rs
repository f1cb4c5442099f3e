//! `nabij-kiosk run`: the app in a real window (winit) or full screen (linuxkms).

use crate::app::Kiosk;
use crate::profile::Profile;
use crate::sound::{NoSound, Sound};
use crate::sound_cpal::CpalSound;
use crate::state::Screen;
use crate::ui::App;
use crate::words::Language;
use anyhow::{Context, bail};
use slint::ComponentHandle;
use std::rc::Rc;

/// Whether a desktop session is there to open a window in.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Runs the kiosk until its window is closed.
pub fn run(profile: &Profile, lang: Language) -> anyhow::Result<()> {
    match profile.slint.backend.as_str() {
        "linuxkms" if !cfg!(feature = "linuxkms") => bail!(
            "profile {} uses the linuxkms backend, but this build has no linuxkms support: \
             build with `cargo build -p nabij-kiosk --features linuxkms` (needs libudev-dev libseat-dev \
             libinput-dev libgbm-dev), or run with --profile firmware-profiles/desktop.toml",
            profile.name
        ),
        "winit" if !has_display() => bail!(
            "there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so no kiosk window can open. \
             To see the kiosk's screens, render them as PNG files: \
             nabij-kiosk render --profile firmware-profiles/{}.toml --all --out-dir kiosk-screens",
            profile.name
        ),
        _ => {}
    }
    slint::BackendSelector::new()
        .backend_name(profile.slint.backend.clone())
        .renderer_name(profile.slint.renderer.clone())
        .select()
        .with_context(|| format!("cannot start the {} backend", profile.slint.backend))?;
    let app = App::new().context("cannot create the kiosk window")?;
    crate::render::select_language(lang)?;
    let (w, h) = profile.window_px();
    app.window().set_size(slint::PhysicalSize::new(w, h));
    let sound: Rc<dyn Sound> = match CpalSound::open(&profile.audio) {
        Ok(sound) => Rc::new(sound),
        Err(e) => Rc::new(NoSound::new(e.to_string())),
    };
    // Until the kiosk is linked to a hub (messaging), it shows sample data, and says so.
    let mut state = crate::sample::state(Screen::Home, lang);
    state.coach_pin = crate::sample::SAMPLE_PIN.into();
    let _kiosk = Kiosk::attach(&app, state, sound, Rc::new(nabij_protocol::UnixMillis::now))
        .with_backlight(profile.power.backlight.clone());
    eprintln!(
        "nabij-kiosk: showing sample data: the link to the hub comes with messaging. Coach PIN: {}",
        crate::sample::SAMPLE_PIN
    );
    app.run().context("the kiosk window stopped with an error")
}
