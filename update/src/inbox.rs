//! The files through which the kiosk (its own user, no privileges) and the updater (root)
//! talk, in the kiosk's folder (`/var/lib/nabij-kiosk/update/`):
//!
//! - `bundle`: a downloaded bundle the kiosk checked and wants installed (written whole,
//!   fsync'd), then `install`, the request (a systemd path unit starts the updater when
//!   it appears). The updater checks the bundle again itself: it trusts nothing the
//!   kiosk's user could have written.
//! - `confirmed`: the version that reached the hub and drew its home screen.
//! - `progress`: how far the version on trial got (`0.3.0 started`, `0.3.0 reached-hub`),
//!   written as it goes, so that a rollback says where it stopped.
//! - `trouble`: what the kiosk on trial says went wrong (added to the rollback's reason).
//!
//! The kiosk reads the updater's `state.json` and `current/slot.json` (world-readable)
//! to learn its own version and how the last update ended.

use crate::manifest::MAX_PAYLOAD_BYTES;
use crate::slots::{CURRENT, Progress, STATE, SlotInfo, State, TrialNotes};
use crate::version::Version;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The kiosk's side of the hand-over folder.
#[derive(Debug, Clone)]
pub struct Inbox {
    dir: PathBuf,
}

fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let new = path.with_extension("new");
    let mut file = std::fs::File::create(&new)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&new, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Reads a regular file (never through a symlink, never a FIFO or device), at most
/// `limit` bytes. The updater reads what the kiosk's user wrote: it opens the name without
/// following a symlink and without waiting, then checks what it opened (a name swapped
/// between a check and the open cannot lead it elsewhere).
fn read_regular(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    use nix::fcntl::OFlag;
    use std::os::unix::fs::OpenOptionsExt;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(io::Error::other(format!(
                "{} cannot be read as a plain file ({e}); remove it",
                path.display()
            )));
        }
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(io::Error::other(format!(
            "{} is not a plain file; remove it",
            path.display()
        )));
    }
    if meta.len() > limit {
        return Err(io::Error::other(format!(
            "{} is larger than {limit} bytes; remove it",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

impl Inbox {
    /// The hand-over folder.
    pub fn new(dir: impl Into<PathBuf>) -> Inbox {
        Inbox { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the kiosk keeps a download in progress (its bytes so far).
    pub fn partial(&self) -> PathBuf {
        self.dir.join("download.part")
    }

    /// Kiosk: hands a checked bundle to the updater (the bundle first, durable, then the
    /// request).
    pub fn hand_over(&self, bundle: &[u8]) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        write_durably(&self.dir.join("bundle"), bundle)?;
        write_durably(&self.dir.join("install"), b"install\n")
    }

    /// Whether a hand-over waits for the updater.
    pub fn requested(&self) -> bool {
        self.dir.join("install").exists()
    }

    /// Updater: the bundle asked for, if any. The request stays until
    /// [`Inbox::done_with_request`], so that an updater stopped halfway (a power cut)
    /// installs it again at its next start.
    pub fn request(&self) -> io::Result<Option<Vec<u8>>> {
        if std::fs::symlink_metadata(self.dir.join("install")).is_err() {
            return Ok(None);
        }
        Ok(Some(
            read_regular(&self.dir.join("bundle"), MAX_PAYLOAD_BYTES + 16 * 1024)?
                .unwrap_or_default(),
        ))
    }

    /// Updater: the request was handled (installed or refused): not tried again.
    pub fn done_with_request(&self) -> io::Result<()> {
        std::fs::remove_file(self.dir.join("install"))?;
        let _ = std::fs::remove_file(self.dir.join("bundle"));
        Ok(())
    }

    /// Kiosk: this version reached the hub and drew its home screen.
    pub fn confirm(&self, version: Version) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        write_durably(
            &self.dir.join("confirmed"),
            format!("{version}\n").as_bytes(),
        )
    }

    /// Updater: the version the kiosk confirmed, if any.
    pub fn confirmed(&self) -> Option<Version> {
        let bytes = read_regular(&self.dir.join("confirmed"), 64).ok()??;
        String::from_utf8(bytes).ok()?.trim().parse().ok()
    }

    /// Kiosk: what went wrong on trial (kept for the rollback's reason).
    pub fn say_trouble(&self, what: &str) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        write_durably(&self.dir.join("trouble"), what.as_bytes())
    }

    /// Updater: what the kiosk said went wrong.
    pub fn trouble(&self) -> Option<String> {
        let bytes = read_regular(&self.dir.join("trouble"), 1024).ok()??;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Kiosk: the version on trial got this far.
    pub fn record_progress(&self, version: Version, progress: Progress) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        write_durably(
            &self.dir.join("progress"),
            format!("{version} {}\n", progress.name()).as_bytes(),
        )
    }

    /// Updater: the last step the kiosk recorded, with the version it recorded it for
    /// (anything else in the file is ignored).
    pub fn progress(&self) -> Option<(Version, Progress)> {
        let bytes = read_regular(&self.dir.join("progress"), 64).ok()??;
        let text = String::from_utf8(bytes).ok()?;
        let (version, step) = text.trim().split_once(' ')?;
        Some((version.parse().ok()?, Progress::parse(step)?))
    }

    /// Updater: what the kiosk said of the version on trial.
    pub fn notes(&self) -> TrialNotes {
        TrialNotes {
            progress: self.progress(),
            trouble: self.trouble(),
        }
    }

    /// Updater: forget the confirmation, the progress and the trouble once a trial ended
    /// (and before a new one).
    pub fn clear_trial_notes(&self) {
        for name in ["confirmed", "progress", "trouble"] {
            let _ = std::fs::remove_file(self.dir.join(name));
        }
    }
}

/// What the kiosk reads of the updater's folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdaterView {
    /// The running slot's release, when the kiosk runs from a slot.
    pub running: Option<SlotInfo>,
    /// The updater's state: the trial in progress, the last outcome.
    pub state: State,
}

impl UpdaterView {
    /// Reads the updater's folder (nothing there: a kiosk not started through the slots).
    pub fn read(root: &Path) -> UpdaterView {
        let running = read_regular(&root.join(CURRENT).join("slot.json"), 4096)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let state = read_regular(&root.join(STATE), 64 * 1024)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        UpdaterView { running, state }
    }

    /// Whether the running version is on trial (it must confirm itself).
    pub fn on_trial(&self) -> Option<Version> {
        let trial = self.state.trial.as_ref()?;
        (self.running.as_ref()?.version == trial.version).then_some(trial.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_or_a_fifo_handed_over_is_refused_without_waiting() {
        let dir = tempfile::tempdir().expect("dir");
        let inbox = Inbox::new(dir.path());
        let secret = dir.path().join("secret");
        std::fs::write(&secret, b"root's own file").expect("write");
        std::os::unix::fs::symlink(&secret, dir.path().join("bundle")).expect("symlink");
        std::fs::write(dir.path().join("install"), b"install\n").expect("request");
        let error = inbox.request().expect_err("a symlink is refused");
        assert!(error.to_string().contains("remove it"), "{error}");
        std::fs::remove_file(dir.path().join("bundle")).expect("remove");
        nix::unistd::mkfifo(&dir.path().join("bundle"), nix::sys::stat::Mode::S_IRWXU)
            .expect("fifo");
        let error = inbox.request().expect_err("a FIFO is refused, at once");
        assert!(error.to_string().contains("not a plain file"), "{error}");
        std::fs::remove_file(dir.path().join("bundle")).expect("remove");
        inbox.hand_over(b"a bundle").expect("hand over");
        assert_eq!(inbox.request().expect("read"), Some(b"a bundle".to_vec()));
    }

    #[test]
    fn the_progress_of_a_trial_is_read_back_for_its_version_and_cleared_after() {
        let dir = tempfile::tempdir().expect("dir");
        let inbox = Inbox::new(dir.path());
        assert_eq!(inbox.progress(), None);
        let v3 = Version::new(0, 3, 0);
        inbox.record_progress(v3, Progress::Started).expect("write");
        assert_eq!(inbox.progress(), Some((v3, Progress::Started)));
        inbox
            .record_progress(v3, Progress::ReachedHub)
            .expect("write");
        assert_eq!(inbox.notes().progress, Some((v3, Progress::ReachedHub)));
        // Anything else the kiosk's user writes there is no progress.
        for junk in ["0.3.0 confirmed", "started", "0.3 started", ""] {
            std::fs::write(dir.path().join("progress"), junk).expect("write");
            assert_eq!(inbox.progress(), None, "{junk:?}");
        }
        inbox.record_progress(v3, Progress::Started).expect("write");
        inbox.clear_trial_notes();
        assert_eq!(inbox.notes(), TrialNotes::default());
    }
}
