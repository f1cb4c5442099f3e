//! `nabij-kiosk run`: the app in a real window (winit) or full screen (linuxkms).

use crate::app::Kiosk;
use crate::audio::device::CpalSound;
use crate::audio::{NoSound, Sound};
use crate::live::LiveConfig;
use crate::live::hub_settings::HubSettings;
use crate::platform::profile::Profile;
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

/// The `SLINT_KMS_ROTATION` the kiosk must start with, if it is not started with it:
/// Slint's linuxkms backend takes the panel's rotation from that variable when it starts,
/// and a running program cannot safely change its own environment.
pub fn kms_rotation_to_set(profile: &Profile, current: Option<&std::ffi::OsStr>) -> Option<String> {
    if profile.slint.backend != "linuxkms" {
        return None;
    }
    let wanted = profile.screen.rotation.to_string();
    let already = current.is_some_and(|c| c == wanted.as_str());
    let nothing_to_turn = profile.screen.rotation == 0 && current.is_none();
    (!already && !nothing_to_turn).then_some(wanted)
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
    if let Some(rotation) =
        kms_rotation_to_set(profile, std::env::var_os("SLINT_KMS_ROTATION").as_deref())
    {
        // Start again, once, with the profile's rotation in the environment.
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe().context("cannot find the kiosk's own program")?;
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("SLINT_KMS_ROTATION", rotation)
            .exec();
        return Err(error).context("cannot restart the kiosk with the screen's rotation");
    }
    slint::BackendSelector::new()
        .backend_name(profile.slint.backend.clone())
        .renderer_name(profile.slint.renderer.clone())
        .select()
        .with_context(|| format!("cannot start the {} backend", profile.slint.backend))?;
    let app = App::new().context("cannot create the kiosk window")?;
    crate::platform::render::select_language(lang)?;
    let (w, h) = profile.window_px();
    app.window().set_size(slint::PhysicalSize::new(w, h));
    crate::adapters::fit_screen(&app, profile);
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
    let paired = crate::live::identity::load(&data_dir)?.is_some();
    let mut state = KioskState {
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
        coach_lock: crate::live::coach_file::load(&data_dir, nabij_protocol::UnixMillis::now()),
        saved_settings: crate::live::settings_file::load(&data_dir),
        ..KioskState::default()
    };
    // The saved language and sizes show from the first screen on (the pairing code too).
    if let Some(saved) = state.saved_settings {
        state.restore_screen_settings(&saved);
        crate::platform::render::select_language(state.language)?;
    }
    if settings.coach_pin.is_none() && state.coach_lock.own.is_none() {
        eprintln!(
            "nabij-kiosk: the kiosk settings have no coach_pin, so the coach settings cannot be opened \
             until a coach sets this tablet's own PIN at the hub; copy them again with `nabij-hub kiosk-settings`"
        );
    }
    let kiosk = Kiosk::attach(&app, state, sound, Rc::new(nabij_protocol::UnixMillis::now))
        .with_backlight(profile.power.backlight.clone());
    kiosk.go_live(LiveConfig {
        hub: settings,
        data_dir,
        profile: profile.name.clone(),
        photo_box: (w, h),
        battery: profile.power.battery.clone(),
        updater_root: None,
        update_clock: Default::default(),
    });
    app.run().context("the kiosk window stopped with an error")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(backend: &str, rotation: u16) -> Profile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../firmware-profiles/pinetab2.toml");
        let mut profile = Profile::load(&path).unwrap();
        profile.slint.backend = backend.into();
        profile.screen.rotation = rotation;
        profile
    }

    #[test]
    fn a_turned_kms_panel_restarts_once_with_its_rotation() {
        let turned = profile("linuxkms", 90);
        assert_eq!(kms_rotation_to_set(&turned, None).as_deref(), Some("90"));
        assert_eq!(
            kms_rotation_to_set(&turned, Some(std::ffi::OsStr::new("90"))),
            None,
            "started with it: no second restart"
        );
        assert_eq!(
            kms_rotation_to_set(&turned, Some(std::ffi::OsStr::new("180"))).as_deref(),
            Some("90"),
            "the profile wins over a stale setting"
        );
        assert_eq!(kms_rotation_to_set(&profile("linuxkms", 0), None), None);
        assert_eq!(kms_rotation_to_set(&profile("winit", 90), None), None);
    }
}
