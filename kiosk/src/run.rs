//! `nabij-kiosk run`: the app in a real window (winit) or full screen (linuxkms).

use crate::app::Kiosk;
use crate::hub_settings::HubSettings;
use crate::live::LiveConfig;
use crate::profile::Profile;
use crate::sound::{NoSound, Sound};
use crate::sound_cpal::CpalSound;
use crate::state::{KioskState, Screen};
use crate::ui::App;
use crate::words::Language;
use anyhow::{Context, bail};
use slint::ComponentHandle;
use std::path::PathBuf;
use std::rc::Rc;

/// Whether a desktop session is there to open a window in.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Runs the kiosk until its window is closed: linked to the hub of `hub` (its settings
/// and the data folder), or with sample data.
pub fn run(
    profile: &Profile,
    lang: Language,
    hub: Option<(HubSettings, PathBuf)>,
) -> anyhow::Result<()> {
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
    let Some((settings, data_dir)) = hub else {
        // Without kiosk settings there is no hub to reach: sample data, and it says so.
        let mut state = crate::sample::state(Screen::Home, lang);
        state.coach_pin = crate::sample::SAMPLE_PIN.into();
        let _kiosk = Kiosk::attach(&app, state, sound, Rc::new(nabij_protocol::UnixMillis::now))
            .with_backlight(profile.power.backlight.clone());
        eprintln!(
            "nabij-kiosk: no --hub-settings given, so this kiosk shows sample data and reaches no hub. Coach PIN: {}",
            crate::sample::SAMPLE_PIN
        );
        return app.run().context("the kiosk window stopped with an error");
    };
    std::fs::create_dir_all(&data_dir).with_context(|| {
        format!(
            "cannot create the kiosk's data folder {}",
            data_dir.display()
        )
    })?;
    let paired = crate::identity::load(&data_dir)?.is_some();
    let state = KioskState {
        // A paired tablet's history is read back at once; a new one waits for its code.
        screen: Some(if paired {
            Screen::Home
        } else {
            Screen::Pairing
        }),
        language: lang,
        text_scale_percent: 100,
        volume_percent: 80,
        brightness_percent: 80,
        coach_pin: settings.coach_pin.clone().unwrap_or_default(),
        ..KioskState::default()
    };
    if settings.coach_pin.is_none() {
        eprintln!(
            "nabij-kiosk: the kiosk settings have no coach_pin, so the coach settings cannot be opened;              copy them again with `nabij-hub kiosk-settings`"
        );
    }
    let kiosk = Kiosk::attach(&app, state, sound, Rc::new(nabij_protocol::UnixMillis::now))
        .with_backlight(profile.power.backlight.clone());
    kiosk.go_live(LiveConfig {
        hub: settings,
        data_dir,
        profile: profile.name.clone(),
        photo_box: (w, h),
    });
    app.run().context("the kiosk window stopped with an error")
}
