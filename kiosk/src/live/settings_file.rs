//! The screen settings kept on the tablet (`settings.json`): the last word of a coach at
//! the tablet or of the hub, put back after a restart.

use crate::live::files::{FileError, read, write};
use crate::state::ScreenSettings;
use std::path::{Path, PathBuf};

fn path(dir: &Path) -> PathBuf {
    dir.join("settings.json")
}

/// The saved settings; `None` if there are none (or the file cannot be read, which is
/// said on standard error: the tablet then starts with the hub's settings).
pub fn load(dir: &Path) -> Option<ScreenSettings> {
    match read(&path(dir)) {
        Ok(saved) => saved,
        Err(e) => {
            eprintln!("nabij-kiosk: {e}; the hub's settings are used");
            None
        }
    }
}

/// Forgets the settings (the coach's wipe: the next senior starts afresh).
pub fn forget(dir: &Path) -> Result<(), FileError> {
    crate::live::files::remove(&path(dir))
}

/// Saves the settings.
pub fn save(dir: &Path, settings: &ScreenSettings) -> Result<(), FileError> {
    write(&path(dir), settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::Language;

    #[test]
    fn settings_survive_a_restart_and_a_damaged_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), None);
        let settings = ScreenSettings {
            language: Language::Fr,
            text_scale_percent: 130,
            volume_percent: 40,
            brightness_percent: 60,
            keyboard_layout: crate::state::KeyboardLayout::Azerty,
        };
        save(dir.path(), &settings).unwrap();
        assert_eq!(load(dir.path()), Some(settings));
        // Settings saved before the keyboard's order could be chosen: alphabetical.
        std::fs::write(
            path(dir.path()),
            br#"{"language":"nl","text_scale_percent":100,"volume_percent":80,"brightness_percent":70}"#,
        )
        .unwrap();
        assert_eq!(
            load(dir.path()).map(|s| s.keyboard_layout),
            Some(crate::state::KeyboardLayout::Alphabetical)
        );
        std::fs::write(path(dir.path()), b"{").unwrap();
        assert_eq!(load(dir.path()), None);
    }
}
