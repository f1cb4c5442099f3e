//! This tablet's own coach PIN (hashed, as the hub sent it) and the wrong PINs typed
//! (`coach.json`): kept apart from the message history, which forgets after 90 days,
//! and across restarts, so that switching the tablet off and on gives a guesser no
//! fresh tries.

use crate::live::files::{FileError, read, write};
use crate::state::CoachLock;
use std::path::{Path, PathBuf};

fn path(dir: &Path) -> PathBuf {
    dir.join("coach.json")
}

/// What was saved; nothing (the shared PIN, no wrong tries) if there is no file. A file
/// that cannot be read is said on standard error and counts as the longest wait, so that
/// damaging it does not open the settings to guessing.
pub fn load(dir: &Path, now: nabij_protocol::UnixMillis) -> CoachLock {
    match read(&path(dir)) {
        Ok(saved) => saved.unwrap_or_default(),
        Err(e) => {
            eprintln!("nabij-kiosk: {e}; the coach PIN pad waits an hour");
            CoachLock {
                own: None,
                wrong: 0,
                locked_until: now.0.saturating_add(CoachLock::wait_after(u32::MAX)),
            }
        }
    }
}

/// Saves it.
pub fn save(dir: &Path, lock: &CoachLock) -> Result<(), FileError> {
    write(&path(dir), lock)
}

/// Forgets it (a wipe, or a coach erasing the tablet).
pub fn forget(dir: &Path) -> Result<(), FileError> {
    crate::live::files::remove(&path(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::UnixMillis;

    #[test]
    fn the_pin_and_wrong_tries_survive_a_restart_and_a_damaged_file_locks() {
        let dir = tempfile::tempdir().unwrap();
        let now = UnixMillis(1_000);
        assert_eq!(load(dir.path(), now), CoachLock::default());
        let lock = CoachLock {
            own: None,
            wrong: 4,
            locked_until: 61_000,
        };
        save(dir.path(), &lock).unwrap();
        assert_eq!(load(dir.path(), now), lock);
        std::fs::write(path(dir.path()), b"{").unwrap();
        assert_eq!(load(dir.path(), now).locked_until, 3_601_000);
        forget(dir.path()).unwrap();
        assert_eq!(load(dir.path(), now), CoachLock::default());
    }
}
