//! The files the hub and the kiosk read at start: the translations (`.po`), `hub.toml`,
//! the kiosk settings file and the firmware profiles. Each input is one file's text.

#[cfg(feature = "kiosk")]
use std::path::Component;
#[cfg(any(feature = "hub", feature = "kiosk"))]
use std::path::Path;

/// `po_catalogue`: a `.po` file as `cargo xtask translations` and both programs read it.
/// What is read is written back (`write_po`) and read again unchanged, and the
/// catalogue finds every translation in it.
pub fn po(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let entries = nabij_i18n::parse_po(text);
    let strings: Vec<String> = entries.keys().cloned().collect();
    let written = nabij_i18n::write_po("Nabij fuzz", "nl", &strings, &entries);
    let again = nabij_i18n::parse_po(&written);
    assert_eq!(
        again, entries,
        "written and read again, the .po file changed:\n{written}"
    );
    let catalogue = nabij_i18n::Catalogue::from_po(text);
    for (source, translated) in &entries {
        assert!(!source.is_empty(), "the header is not an entry");
        let expected = (!translated.is_empty()).then_some(translated.as_str());
        assert_eq!(catalogue.get(source), expected);
        let _ = nabij_i18n::placeholders(translated);
    }
}

/// `hub_config`: `hub.toml`. A refusal is one line that names the file (the hub prints
/// it and stops).
#[cfg(feature = "hub")]
pub fn hub_config(data: &[u8]) {
    use nabij_hub::config::HubConfig;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = HubConfig::from_toml(text, Path::new("/etc/nabij/hub.toml")) {
        let message = e.to_string();
        assert!(!message.contains('\n'), "a refusal of two lines: {message}");
        assert!(message.contains("/etc/nabij/hub.toml"), "{message}");
    }
}

/// `kiosk_settings`: the file `nabij-hub kiosk-settings` writes. Settings that load
/// keep the rules the kiosk relies on, and the pairing page's link (the QR code on the
/// pairing screen) leads to the settings' host and nowhere else.
#[cfg(feature = "kiosk")]
pub fn kiosk_settings(data: &[u8]) {
    use nabij_kiosk::live::hub_settings::HubSettings;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(settings) = HubSettings::parse(text, Path::new("kiosk-settings.toml")) else {
        return;
    };
    assert!(settings.port != 0 && settings.dashboard_port != Some(0));
    assert!(settings.enrolment_password.len() >= 16);
    if let Some(link) = settings.pairing_link("K7P-X4C") {
        let rest = link.strip_prefix("https://").expect("an https link");
        let (authority, path) = rest.split_once('/').expect("a path after the host");
        assert!(
            path.starts_with("devices?code=") && !path.contains(['#', '/']),
            "the pairing link {link:?} leads elsewhere"
        );
        assert!(
            !authority.contains(['@', '?', '#', '\\']) && !authority.contains(char::is_whitespace),
            "the pairing link {link:?} does not lead to the hub's own host"
        );
    }
}

/// `firmware_profile`: a profile under `firmware-profiles/`. A profile that loads gives
/// usable sizes, and its sysfs paths stay under `/sys/class/` (the kiosk writes the
/// backlight's brightness there).
#[cfg(feature = "kiosk")]
pub fn firmware_profile(data: &[u8]) {
    use nabij_kiosk::platform::profile::Profile;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(profile) = Profile::from_toml(text, Path::new("profile.toml")) else {
        return;
    };
    let (w, h) = profile.window_px();
    assert!(w > 0 && h > 0);
    for value in [profile.dpi(), profile.scale_factor(), profile.px_per_mm_x()] {
        assert!(value.is_finite() && value > 0.0, "{value}");
    }
    for path in [&profile.power.backlight, &profile.power.battery]
        .into_iter()
        .flatten()
    {
        assert!(
            path.starts_with("/sys/class/")
                && path
                    .components()
                    .all(|c| matches!(c, Component::RootDir | Component::Normal(_))),
            "{} is not a folder under /sys/class/",
            path.display()
        );
    }
}
