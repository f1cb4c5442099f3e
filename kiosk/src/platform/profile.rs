//! Firmware profiles: one TOML file per tablet model (`firmware-profiles/`), loaded at
//! start. The screen's size in millimetres lets the UI size everything in real
//! millimetres; the rest says how to reach the hardware.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why a profile cannot be used. Each message names the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read the firmware profile {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// Not valid TOML, a missing or unknown field, or a value of the wrong type.
    #[error("firmware profile {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A value out of range.
    #[error("firmware profile {path}: field `{field}` {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// The screen.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// Width of the panel in pixels, in its native orientation.
    pub width_px: u32,
    /// Height of the panel in pixels, in its native orientation.
    pub height_px: u32,
    /// Width of the visible area in millimetres.
    pub width_mm: f32,
    /// Height of the visible area in millimetres.
    pub height_mm: f32,
    /// Clockwise rotation of the picture: 0, 90, 180 or 270 degrees.
    #[serde(default)]
    pub rotation: u16,
}

/// Which Slint backend and renderer to use.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlintSettings {
    /// `winit` (a window on a desktop) or `linuxkms` (full screen, no desktop).
    pub backend: String,
    /// `software` (the renderer every build has).
    pub renderer: String,
}

/// The touch panel.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Touch {
    /// The controller and how it is calibrated, for the coach who sets the tablet up.
    pub notes: String,
}

/// Sound devices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audio {
    /// ALSA device for playback, e.g. `default`.
    pub playback: String,
    /// ALSA device for recording, e.g. `default`.
    pub capture: String,
}

/// Backlight and battery in sysfs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Power {
    /// The backlight folder (with `brightness` and `max_brightness`), if it can be set.
    #[serde(default)]
    pub backlight: Option<PathBuf>,
    /// The battery folder (with `capacity` and `status`), if there is a battery.
    #[serde(default)]
    pub battery: Option<PathBuf>,
}

/// One tablet model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name; also the file's name without `.toml`, and what the kiosk reports.
    pub name: String,
    /// The model in words.
    pub description: String,
    /// The screen.
    pub screen: Screen,
    /// Slint settings.
    pub slint: SlintSettings,
    /// The touch panel.
    pub touch: Touch,
    /// Sound.
    pub audio: Audio,
    /// Backlight and battery.
    pub power: Power,
}

impl Profile {
    /// Parses and checks a profile; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|e| ProfileError::Parse {
            path: path.to_owned(),
            message: e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })?;
        profile.check(path)?;
        Ok(profile)
    }

    /// Reads a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Profile::from_toml(&text, path)
    }

    fn check(&self, path: &Path) -> Result<(), ProfileError> {
        let invalid = |field: &'static str, reason: String| {
            Err(ProfileError::Invalid {
                path: path.to_owned(),
                field,
                reason,
            })
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return invalid(
                "name",
                format!("{:?} must be lower-case letters, digits and '-'", self.name),
            );
        }
        if !stem.is_empty() && stem != self.name && stem != "profile" {
            return invalid(
                "name",
                format!("{:?} must match the file name {stem:?}", self.name),
            );
        }
        let s = &self.screen;
        for (field, px) in [
            ("screen.width_px", s.width_px),
            ("screen.height_px", s.height_px),
        ] {
            if !(240..=8192).contains(&px) {
                return invalid(field, format!("is {px}; it must be 240 to 8192"));
            }
        }
        for (field, mm) in [
            ("screen.width_mm", s.width_mm),
            ("screen.height_mm", s.height_mm),
        ] {
            if !(40.0..=1000.0).contains(&mm) {
                return invalid(field, format!("is {mm}; it must be 40 to 1000 millimetres"));
            }
        }
        let (dpi_x, dpi_y) = (
            s.width_px as f32 * 25.4 / s.width_mm,
            s.height_px as f32 * 25.4 / s.height_mm,
        );
        if !(60.0..=600.0).contains(&dpi_x) || (dpi_x - dpi_y).abs() / dpi_x > 0.1 {
            return invalid(
                "screen.width_mm",
                format!(
                    "gives {dpi_x:.0} × {dpi_y:.0} dots per inch; check the millimetres (pixels must be square, 60–600 dpi)"
                ),
            );
        }
        if ![0, 90, 180, 270].contains(&s.rotation) {
            return invalid(
                "screen.rotation",
                format!("is {}; it must be 0, 90, 180 or 270", s.rotation),
            );
        }
        if !["winit", "linuxkms"].contains(&self.slint.backend.as_str()) {
            return invalid(
                "slint.backend",
                format!(
                    "is {:?}; it must be \"winit\" or \"linuxkms\"",
                    self.slint.backend
                ),
            );
        }
        if self.slint.renderer != "software" {
            return invalid(
                "slint.renderer",
                format!("is {:?}; it must be \"software\"", self.slint.renderer),
            );
        }
        for (field, device) in [
            ("audio.playback", &self.audio.playback),
            ("audio.capture", &self.audio.capture),
        ] {
            if device.trim().is_empty() {
                return invalid(field, "must name an ALSA device, e.g. \"default\"".into());
            }
        }
        for (field, sysfs) in [
            ("power.backlight", &self.power.backlight),
            ("power.battery", &self.power.battery),
        ] {
            // `..` would climb out (Path::starts_with compares components, and
            // "/sys/class/../../etc" starts with /sys/class): the kiosk writes the
            // backlight's brightness to this path.
            if let Some(p) = sysfs
                && (!p.starts_with("/sys/class/")
                    || p.components().any(|c| {
                        !matches!(
                            c,
                            std::path::Component::RootDir | std::path::Component::Normal(_)
                        )
                    }))
            {
                return invalid(
                    field,
                    format!("{} must be a folder under /sys/class/", p.display()),
                );
            }
        }
        Ok(())
    }

    /// Dots per inch across the panel as it is held (after rotation).
    pub fn dpi_x(&self) -> f32 {
        let (w, _) = self.window_px();
        w as f32 * 25.4 / self.window_mm().0
    }

    /// Dots per inch down the panel as it is held (after rotation).
    pub fn dpi_y(&self) -> f32 {
        let (_, h) = self.window_px();
        h as f32 * 25.4 / self.window_mm().1
    }

    /// The denser of the two axes. Some panels have pixels that are not square (the
    /// Raspberry Pi 7" display: 131 × 142 dpi); Slint scales both axes alike, so
    /// scaling by the denser one makes every millimetre in the .slint files at least a
    /// millimetre on the glass, in both directions.
    pub fn dpi(&self) -> f32 {
        self.dpi_x().max(self.dpi_y())
    }

    /// The visible area in millimetres as the panel is held (after rotation).
    pub fn window_mm(&self) -> (f32, f32) {
        match self.screen.rotation {
            90 | 270 => (self.screen.height_mm, self.screen.width_mm),
            _ => (self.screen.width_mm, self.screen.height_mm),
        }
    }

    /// The window size in physical pixels, after rotation.
    pub fn window_px(&self) -> (u32, u32) {
        match self.screen.rotation {
            90 | 270 => (self.screen.height_px, self.screen.width_px),
            _ => (self.screen.width_px, self.screen.height_px),
        }
    }

    /// Slint's scale factor: Slint counts 96 logical pixels per inch, so with this factor
    /// the `mm` and `pt` lengths of the .slint files are real millimetres and points.
    pub fn scale_factor(&self) -> f32 {
        self.dpi() / 96.0
    }

    /// Whether the screen is under 100 mm tall as it is held (a 7-inch tablet): long
    /// texts use body size there rather than heading size.
    pub fn is_compact(&self) -> bool {
        self.window_mm().1 < 100.0
    }

    /// Physical pixels per millimetre across the glass.
    pub fn px_per_mm_x(&self) -> f32 {
        self.dpi_x() / 25.4
    }

    /// Physical pixels per millimetre down the glass.
    pub fn px_per_mm_y(&self) -> f32 {
        self.dpi_y() / 25.4
    }
}

/// The folder of the profiles shipped with the kiosk.
pub fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware-profiles")
}

/// Every shipped profile, by file name order.
pub fn shipped() -> Result<Vec<Profile>, ProfileError> {
    let dir = shipped_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|source| ProfileError::Read {
            path: dir.clone(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Profile::load(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "profile"
description = "test"
[screen]
width_px = 800
height_px = 480
width_mm = 154.2
height_mm = 85.9
[slint]
backend = "winit"
renderer = "software"
[touch]
notes = "none"
[audio]
playback = "default"
capture = "default"
[power]
"#;

    fn check(text: &str) -> Result<Profile, String> {
        Profile::from_toml(text, Path::new("firmware-profiles/profile.toml"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_shipped_profile_loads_and_is_valid() {
        let profiles = shipped().unwrap();
        assert!(profiles.len() >= 4, "three tablets and the desktop");
        for name in ["desktop", "pinetab2", "pinetab-a64", "rpi-touch-7"] {
            assert!(
                profiles.iter().any(|p| p.name == name),
                "missing profile {name}"
            );
        }
    }

    #[test]
    fn derived_sizes() {
        let p = check(GOOD).unwrap();
        assert!((p.dpi_x() - 131.8).abs() < 0.5, "{}", p.dpi_x());
        assert!((p.dpi_y() - 141.9).abs() < 0.5, "{}", p.dpi_y());
        assert_eq!(p.dpi(), p.dpi_y(), "scaled by the denser axis");
        assert!(p.is_compact());
        assert_eq!(p.window_px(), (800, 480));
        let rotated =
            check(&GOOD.replace("height_mm = 85.9", "height_mm = 85.9\nrotation = 90")).unwrap();
        assert_eq!(rotated.window_px(), (480, 800));
        assert!((rotated.dpi_x() - 141.9).abs() < 0.5, "the axes turn too");
        assert!(!rotated.is_compact());
    }

    #[test]
    fn a_bad_profile_names_the_field() {
        let cases = [
            (
                GOOD.replace("width_px = 800", "width_px = 8"),
                "screen.width_px",
            ),
            (
                GOOD.replace("width_mm = 154.2", "width_mm = 15.0"),
                "screen.width_mm",
            ),
            (
                GOOD.replace("width_mm = 154.2", "width_mm = 300.0"),
                "screen.width_mm",
            ),
            (
                GOOD.replace("backend = \"winit\"", "backend = \"fbdev\""),
                "slint.backend",
            ),
            (
                GOOD.replace("[power]", "[power]\nbattery = \"/tmp/x\""),
                "power.battery",
            ),
            (
                // Found with the firmware_profile fuzz target's rule: a path that climbs
                // out of /sys/class/ passed.
                GOOD.replace(
                    "[power]",
                    "[power]\nbacklight = \"/sys/class/../../etc/backlight\"",
                ),
                "power.backlight",
            ),
            (
                GOOD.replace("height_mm = 85.9", "height_mm = 85.9\nrotation = 45"),
                "screen.rotation",
            ),
            (
                GOOD.replace("width_px = 800", "width_px = \"wide\""),
                "width_px",
            ),
            (
                GOOD.replace("[touch]", "[touch]\ncalibration = 1"),
                "calibration",
            ),
        ];
        for (text, field) in cases {
            let err = check(&text).unwrap_err();
            assert!(err.contains(field), "{field}: {err}");
        }
    }
}
