//! The tablet's two kiosk slots and the switch between them, as a state machine over a
//! small file-system seam ([`Fs`]) so that tests can stop it at every operation.
//!
//! The layout under the updater's folder (`/var/lib/nabij-kiosk-updater`):
//! ```text
//! slots/a/nabij-kiosk   slots/a/slot.json     one release each: the binary and what it is
//! slots/b/nabij-kiosk   slots/b/slot.json
//! current -> slots/a                          the slot the kiosk unit starts (a symlink)
//! state.json                                  the trial in progress, and the last outcome
//! ```
//! Every file is written to a `.new` name, fsync'd, renamed into place and its folder
//! fsync'd; `current` is switched by renaming a fresh symlink over it. So at any moment
//! (a power cut, `kill -9`) `current` names a complete slot, and [`Slots::recover`]
//! finishes or undoes whatever was half done, deciding from `state.json` and `current`
//! alone:
//!
//! | `state.json` says | `current` is | what recovery does |
//! |---|---|---|
//! | no trial | a complete slot | nothing |
//! | trial of X, not rolling back | the previous slot | the switch was cut: switch to X (complete and fsync'd before the trial was marked), trial time starts again |
//! | trial of X, not rolling back | X | the trial goes on |
//! | trial of X, rolling back | either | switch to the previous slot, record the rollback |

use crate::manifest::{Bundle, PublicKey, UpdateError, sha256_hex};
use crate::version::Version;
use serde::{Deserialize, Serialize};
use std::io;

/// The kiosk binary's name inside a slot.
pub const BINARY: &str = "nabij-kiosk";
/// The symlink the kiosk unit starts through.
pub const CURRENT: &str = "current";
/// The updater's state file.
pub const STATE: &str = "state.json";
/// How many times the kiosk unit may start a version on trial that has not confirmed
/// itself: at the next start it is rolled back (a version that crashes at once is not
/// left to crash for the whole trial).
pub const MAX_TRIAL_STARTS: u32 = 3;

/// The file operations the updater needs, on paths relative to its folder.
pub trait Fs {
    /// A file's bytes.
    fn read(&self, path: &str) -> io::Result<Vec<u8>>;
    /// Creates or replaces a file with `bytes` (not yet durable), with `mode`.
    fn write(&self, path: &str, bytes: &[u8], mode: u32) -> io::Result<()>;
    /// Makes a file's contents durable.
    fn sync_file(&self, path: &str) -> io::Result<()>;
    /// Makes a folder's names durable ("" is the updater's folder).
    fn sync_dir(&self, path: &str) -> io::Result<()>;
    /// Renames over whatever `to` is.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Makes a symlink `link` that points to `target`.
    fn symlink(&self, target: &str, link: &str) -> io::Result<()>;
    /// Where a symlink points.
    fn read_link(&self, path: &str) -> io::Result<String>;
    /// Removes a file or symlink; a missing one is no error.
    fn remove(&self, path: &str) -> io::Result<()>;
    /// Makes a folder and its parents.
    fn create_dir_all(&self, path: &str) -> io::Result<()>;
}

/// One of the two slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Slot {
    /// `slots/a`
    A,
    /// `slots/b`
    B,
}

impl Slot {
    /// The other one.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    /// Its folder, relative to the updater's.
    pub fn dir(self) -> &'static str {
        match self {
            Slot::A => "slots/a",
            Slot::B => "slots/b",
        }
    }

    fn from_link(target: &str) -> Option<Slot> {
        match target.trim_end_matches('/') {
            "slots/a" => Some(Slot::A),
            "slots/b" => Some(Slot::B),
            _ => None,
        }
    }
}

/// What a slot holds (`slot.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotInfo {
    /// The release's version.
    pub version: Version,
    /// The binary's SHA-256.
    pub sha256: String,
    /// The binary's size.
    pub size: u64,
    /// `signed` (came as a verified bundle) or `package` (adopted from the installed
    /// Debian package).
    pub source: String,
}

/// An update being tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trial {
    /// The slot with the new release.
    pub slot: Slot,
    /// The slot to go back to.
    pub previous: Slot,
    /// The new release's version.
    pub version: Version,
    /// The version it replaces.
    pub from_version: Version,
    /// When the trial ends without a confirmation (Unix seconds).
    pub deadline: u64,
    /// Set when a rollback has begun, with its reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_back: Option<String>,
    /// How many times the kiosk unit started the new version (counted by `boot`).
    #[serde(default)]
    pub starts: u32,
}

/// How far a version on trial got, as the kiosk records it while it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Progress {
    /// It runs and started its link to the hub.
    Started,
    /// The hub answered (it is connected and subscribed); the home screen is still to be
    /// drawn.
    ReachedHub,
}

impl Progress {
    /// Its word in the kiosk's `progress` file.
    pub fn name(self) -> &'static str {
        match self {
            Progress::Started => "started",
            Progress::ReachedHub => "reached-hub",
        }
    }

    /// The word read back.
    pub fn parse(word: &str) -> Option<Progress> {
        [Progress::Started, Progress::ReachedHub]
            .into_iter()
            .find(|p| p.name() == word)
    }
}

/// What the kiosk said of a version on trial (in its hand-over folder), for the reason
/// of a rollback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrialNotes {
    /// The last step it recorded, with the version it recorded it for.
    pub progress: Option<(Version, Progress)>,
    /// What it said went wrong.
    pub trouble: Option<String>,
}

/// Why a trial ends without a confirmation.
#[derive(Debug, Clone, Copy)]
enum Failed {
    /// Its time ran out (seconds).
    Expired(u64),
    /// The kiosk unit started it this many times.
    Restarted(u32),
}

/// The rollback's reason: what went wrong, and the last step the new version got to.
fn rollback_reason(version: Version, failed: Failed, notes: &TrialNotes) -> String {
    let progress = notes
        .progress
        .filter(|(said_for, _)| *said_for == version)
        .map(|(_, step)| step);
    let got = match progress {
        None => "never started",
        Some(Progress::Started) => "started but did not reach the hub",
        Some(Progress::ReachedHub) => "reached the hub but did not show its home screen",
    };
    let mut reason = match failed {
        Failed::Expired(secs) => format!(
            "version {version} {got} within {} minutes",
            (secs / 60).max(1)
        ),
        Failed::Restarted(starts) => {
            format!("version {version} stopped {starts} times and {got}")
        }
    };
    if let Some(said) = notes.trouble.as_deref().map(str::trim)
        && !said.is_empty()
    {
        reason.push_str(": ");
        reason.extend(said.chars().take(300));
    }
    reason
}

/// How the last update ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeState {
    /// The new version confirmed and kept.
    Installed,
    /// Gone back to the previous version.
    RolledBack,
    /// Refused before anything was installed.
    Refused,
}

/// The last update's outcome, for the kiosk to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The version offered.
    pub version: Option<Version>,
    /// How it ended.
    pub state: OutcomeState,
    /// Why, when it did not go well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When (Unix seconds).
    pub at: u64,
}

/// `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The trial in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial: Option<Trial>,
    /// How the last update ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Outcome>,
}

/// The points between the steps of an install or a rollback, where tests stop the updater
/// (`NABIJ_UPDATER_STOP_AT`, as if killed there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The target slot emptied.
    Cleared,
    /// The new binary in place in the target slot.
    PayloadWritten,
    /// The target slot's `slot.json` written.
    SlotWritten,
    /// `state.json` says a trial began.
    TrialMarked,
    /// `current` points to the new slot.
    Switched,
    /// `state.json` says a rollback began.
    RollbackMarked,
    /// `current` points back to the previous slot.
    RollbackSwitched,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 7] = [
        Step::Cleared,
        Step::PayloadWritten,
        Step::SlotWritten,
        Step::TrialMarked,
        Step::Switched,
        Step::RollbackMarked,
        Step::RollbackSwitched,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Step::Cleared => "cleared",
            Step::PayloadWritten => "payload-written",
            Step::SlotWritten => "slot-written",
            Step::TrialMarked => "trial-marked",
            Step::Switched => "switched",
            Step::RollbackMarked => "rollback-marked",
            Step::RollbackSwitched => "rollback-switched",
        }
    }
}

/// Why the updater could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    /// The bundle was refused.
    #[error(transparent)]
    Refused(#[from] UpdateError),
    /// The disk failed.
    #[error("the updater's folder: {0}")]
    Io(#[from] io::Error),
    /// A file of the updater's own is not what it wrote.
    #[error("the updater's {0} is damaged; reinstall the nabij-kiosk package")]
    Damaged(&'static str),
    /// No kiosk to start from.
    #[error(
        "no kiosk is installed in the slots yet; run `nabij-kiosk-updater boot` with the package's binary"
    )]
    NothingInstalled,
    /// Asked to install while another update is on trial.
    #[error("version {0} is still on trial; wait until it is kept or rolled back")]
    OnTrial(Version),
    /// Stopped at a step on purpose (tests).
    #[error("stopped at step {}", .0.name())]
    Stopped(Step),
}

/// What [`Slots::check`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// No update on trial.
    Idle,
    /// A trial goes on.
    OnTrial(Trial),
    /// The new version was confirmed and kept.
    Kept(Version),
    /// Gone back to the previous version: the kiosk must be restarted.
    RolledBack(String),
}

/// The A/B slots on a file system.
pub struct Slots<F: Fs> {
    fs: F,
    stop_at: Option<Step>,
}

impl<F: Fs> Slots<F> {
    /// The slots in `fs`.
    pub fn new(fs: F) -> Self {
        Slots { fs, stop_at: None }
    }

    /// Stops (returns [`SlotError::Stopped`]) when `step` is reached, as if killed there.
    pub fn stop_at(mut self, step: Option<Step>) -> Self {
        self.stop_at = step;
        self
    }

    /// The file system.
    pub fn fs(&self) -> &F {
        &self.fs
    }

    fn reached(&self, step: Step) -> Result<(), SlotError> {
        if self.stop_at == Some(step) {
            return Err(SlotError::Stopped(step));
        }
        Ok(())
    }

    /// The state file (empty when there is none yet).
    pub fn state(&self) -> Result<State, SlotError> {
        match self.fs.read(STATE) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| SlotError::Damaged(STATE)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// The slot `current` points to, if any.
    pub fn active(&self) -> Result<Option<Slot>, SlotError> {
        match self.fs.read_link(CURRENT) {
            Ok(target) => Ok(Slot::from_link(&target)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// What `slot` holds, if it is complete: its `slot.json` and a binary that matches it.
    pub fn intact(&self, slot: Slot) -> Result<Option<SlotInfo>, SlotError> {
        let info = match self.fs.read(&format!("{}/slot.json", slot.dir())) {
            Ok(bytes) => match serde_json::from_slice::<SlotInfo>(&bytes) {
                Ok(info) => info,
                Err(_) => return Ok(None),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match self.fs.read(&format!("{}/{BINARY}", slot.dir())) {
            Ok(binary)
                if binary.len() as u64 == info.size && sha256_hex(&binary) == info.sha256 =>
            {
                Ok(Some(info))
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The running slot and what it holds.
    pub fn running(&self) -> Result<(Slot, SlotInfo), SlotError> {
        let slot = self.active()?.ok_or(SlotError::NothingInstalled)?;
        let info = self.intact(slot)?.ok_or(SlotError::NothingInstalled)?;
        Ok((slot, info))
    }

    fn write_atomic(&self, dir: &str, name: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
        let path = if dir.is_empty() {
            name.to_owned()
        } else {
            format!("{dir}/{name}")
        };
        let new = format!("{path}.new");
        self.fs.write(&new, bytes, mode)?;
        self.fs.sync_file(&new)?;
        self.fs.rename(&new, &path)?;
        self.fs.sync_dir(dir)
    }

    fn put_state(&self, state: &State) -> Result<(), SlotError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|_| SlotError::Damaged(STATE))?;
        Ok(self.write_atomic("", STATE, &bytes, 0o644)?)
    }

    fn point_to(&self, slot: Slot) -> io::Result<()> {
        let new = format!("{CURRENT}.new");
        self.fs.remove(&new)?;
        self.fs.symlink(slot.dir(), &new)?;
        self.fs.rename(&new, CURRENT)?;
        self.fs.sync_dir("")
    }

    /// Writes `binary` into `slot`, complete and durable, replacing what it held.
    fn fill(&self, slot: Slot, binary: &[u8], info: &SlotInfo) -> Result<(), SlotError> {
        let dir = slot.dir();
        self.fs.create_dir_all(dir)?;
        // slot.json first: a slot without it is never taken for complete.
        self.fs.remove(&format!("{dir}/slot.json"))?;
        self.fs.remove(&format!("{dir}/{BINARY}"))?;
        self.fs.sync_dir(dir)?;
        self.reached(Step::Cleared)?;
        self.write_atomic(dir, BINARY, binary, 0o755)?;
        self.reached(Step::PayloadWritten)?;
        let json = serde_json::to_vec_pretty(info).map_err(|_| SlotError::Damaged("slot.json"))?;
        self.write_atomic(dir, "slot.json", &json, 0o644)?;
        self.reached(Step::SlotWritten)?;
        Ok(())
    }

    /// Finishes or undoes whatever a stop left half done (see the module's table).
    /// Returns the state afterwards.
    pub fn recover(&self, now: u64, trial_secs: u64) -> Result<State, SlotError> {
        let mut state = self.state()?;
        let active = self.active()?;
        let Some(trial) = state.trial.clone() else {
            if active.is_none() || self.intact(active.unwrap_or(Slot::A))?.is_none() {
                // `current` is only ever switched to a complete slot, so this is a
                // folder someone changed, or a first start: take the newest complete one.
                let mut best: Option<(Slot, Version)> = None;
                for slot in [Slot::A, Slot::B] {
                    if let Some(info) = self.intact(slot)?
                        && best.is_none_or(|(_, v)| info.version > v)
                    {
                        best = Some((slot, info.version));
                    }
                }
                if let Some((slot, _)) = best {
                    self.point_to(slot)?;
                }
            }
            return Ok(state);
        };
        if let Some(reason) = trial.rolling_back.clone() {
            if active != Some(trial.previous) {
                self.point_to(trial.previous)?;
            }
            state.trial = None;
            state.last = Some(Outcome {
                version: Some(trial.version),
                state: OutcomeState::RolledBack,
                reason: Some(reason),
                at: now,
            });
            self.put_state(&state)?;
            return Ok(state);
        }
        if active != Some(trial.slot) {
            if self.intact(trial.slot)?.is_some() {
                // The switch was cut short; the new slot was durable before the trial
                // was marked, so go on with it, and give it its full time.
                let mut trial = trial;
                trial.deadline = now + trial_secs;
                state.trial = Some(trial.clone());
                self.put_state(&state)?;
                self.point_to(trial.slot)?;
            } else {
                state.trial = None;
                state.last = Some(Outcome {
                    version: Some(trial.version),
                    state: OutcomeState::RolledBack,
                    reason: Some("the new version was not complete on the disk".into()),
                    at: now,
                });
                self.put_state(&state)?;
                if active.is_none() {
                    self.point_to(trial.previous)?;
                }
            }
        }
        Ok(state)
    }

    /// Puts the package's own binary into a slot and starts it, with no trial (IT
    /// installed that package on purpose), when no slot holds a kiosk yet or the
    /// package's version is newer than the running one. Returns whether it did.
    pub fn adopt(
        &self,
        binary: &[u8],
        version: Version,
        now: u64,
        trial_secs: u64,
    ) -> Result<bool, SlotError> {
        let state = self.recover(now, trial_secs)?;
        if state.trial.is_some() {
            return Ok(false);
        }
        let target = match self.running() {
            Ok((_, info)) if info.version >= version => return Ok(false),
            Ok((slot, _)) => slot.other(),
            Err(SlotError::NothingInstalled) => Slot::A,
            Err(e) => return Err(e),
        };
        let info = SlotInfo {
            version,
            sha256: sha256_hex(binary),
            size: binary.len() as u64,
            source: "package".into(),
        };
        self.fill(target, binary, &info)?;
        self.point_to(target)?;
        Ok(true)
    }

    /// Installs a bundle into the other slot and starts its trial (the caller restarts
    /// the kiosk). The bundle is checked here again, whatever checked it before: the
    /// signature with `key`, the payload, and that it may replace the running version on
    /// `arch`. A refusal is recorded as the last outcome.
    pub fn install(
        &self,
        bundle: &Bundle,
        key: &PublicKey,
        arch: &str,
        now: u64,
        trial_secs: u64,
    ) -> Result<Trial, SlotError> {
        let mut state = self.recover(now, trial_secs)?;
        if let Some(trial) = &state.trial {
            return Err(SlotError::OnTrial(trial.version));
        }
        let (active, running) = self.running()?;
        let manifest = match bundle.verify_for(key, running.version, arch) {
            Ok(manifest) => manifest,
            Err(refused) => {
                state.last = Some(Outcome {
                    version: bundle.signed.claims().map(|m| m.version),
                    state: OutcomeState::Refused,
                    reason: Some(refused.to_string()),
                    at: now,
                });
                self.put_state(&state)?;
                return Err(refused.into());
            }
        };
        let target = active.other();
        let info = SlotInfo {
            version: manifest.version,
            sha256: manifest.sha256.clone(),
            size: manifest.size,
            source: "signed".into(),
        };
        self.fill(target, &bundle.payload, &info)?;
        let trial = Trial {
            slot: target,
            previous: active,
            version: manifest.version,
            from_version: running.version,
            deadline: now + trial_secs,
            rolling_back: None,
            starts: 0,
        };
        state.trial = Some(trial.clone());
        self.put_state(&state)?;
        self.reached(Step::TrialMarked)?;
        self.point_to(target)?;
        self.reached(Step::Switched)?;
        Ok(trial)
    }

    /// Keeps a trial's version once the kiosk confirmed it (`confirmed`: the version the
    /// kiosk says reached the hub and drew its home screen), or rolls back once its time
    /// is up, saying how far the new version got (`notes`).
    pub fn check(
        &self,
        now: u64,
        trial_secs: u64,
        confirmed: Option<Version>,
        notes: &TrialNotes,
    ) -> Result<Checked, SlotError> {
        let mut state = self.recover(now, trial_secs)?;
        let Some(trial) = state.trial.clone() else {
            return Ok(match state.last {
                Some(Outcome {
                    state: OutcomeState::RolledBack,
                    reason: Some(reason),
                    at,
                    ..
                }) if at == now => Checked::RolledBack(reason),
                _ => Checked::Idle,
            });
        };
        if confirmed == Some(trial.version) {
            state.trial = None;
            state.last = Some(Outcome {
                version: Some(trial.version),
                state: OutcomeState::Installed,
                reason: None,
                at: now,
            });
            self.put_state(&state)?;
            return Ok(Checked::Kept(trial.version));
        }
        if now < trial.deadline {
            return Ok(Checked::OnTrial(trial));
        }
        let reason = rollback_reason(trial.version, Failed::Expired(trial_secs), notes);
        self.roll_back(state, trial, reason.clone(), now)?;
        Ok(Checked::RolledBack(reason))
    }

    /// The kiosk unit is about to start the kiosk (`boot`, after [`Slots::check`]): a
    /// version on trial that has already been started [`MAX_TRIAL_STARTS`] times without
    /// confirming itself is rolled back now, so the previous one starts instead;
    /// otherwise the start is counted.
    pub fn starting(&self, now: u64, notes: &TrialNotes) -> Result<Checked, SlotError> {
        let mut state = self.state()?;
        let Some(mut trial) = state.trial.clone() else {
            return Ok(Checked::Idle);
        };
        if trial.rolling_back.is_some() || self.active()? != Some(trial.slot) {
            // Left to `recover`, which the check before this ran.
            return Ok(Checked::OnTrial(trial));
        }
        if trial.starts >= MAX_TRIAL_STARTS {
            let reason = rollback_reason(trial.version, Failed::Restarted(trial.starts), notes);
            self.roll_back(state, trial, reason.clone(), now)?;
            return Ok(Checked::RolledBack(reason));
        }
        trial.starts += 1;
        state.trial = Some(trial.clone());
        self.put_state(&state)?;
        Ok(Checked::OnTrial(trial))
    }

    fn roll_back(
        &self,
        mut state: State,
        mut trial: Trial,
        reason: String,
        now: u64,
    ) -> Result<(), SlotError> {
        trial.rolling_back = Some(reason.clone());
        state.trial = Some(trial.clone());
        self.put_state(&state)?;
        self.reached(Step::RollbackMarked)?;
        self.point_to(trial.previous)?;
        self.reached(Step::RollbackSwitched)?;
        state.trial = None;
        state.last = Some(Outcome {
            version: Some(trial.version),
            state: OutcomeState::RolledBack,
            reason: Some(reason),
            at: now,
        });
        self.put_state(&state)?;
        Ok(())
    }
}

/// The real file system under a folder.
#[derive(Debug, Clone)]
pub struct RealFs {
    root: std::path::PathBuf,
}

impl RealFs {
    /// The updater's folder.
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        RealFs { root: root.into() }
    }

    fn path(&self, path: &str) -> std::path::PathBuf {
        if path.is_empty() {
            self.root.clone()
        } else {
            self.root.join(path)
        }
    }
}

impl Fs for RealFs {
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(path))
    }

    fn write(&self, path: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let full = self.path(path);
        // A stale file of another mode is replaced, not reused.
        match std::fs::remove_file(&full) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(full)?;
        file.write_all(bytes)
    }

    fn sync_file(&self, path: &str) -> io::Result<()> {
        std::fs::File::open(self.path(path))?.sync_all()
    }

    fn sync_dir(&self, path: &str) -> io::Result<()> {
        std::fs::File::open(self.path(path))?.sync_all()
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.path(from), self.path(to))
    }

    fn symlink(&self, target: &str, link: &str) -> io::Result<()> {
        std::os::unix::fs::symlink(target, self.path(link))
    }

    fn read_link(&self, path: &str) -> io::Result<String> {
        let target = std::fs::read_link(self.path(path))?;
        target
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| io::Error::other("a symlink that is not UTF-8"))
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(path)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn create_dir_all(&self, path: &str) -> io::Result<()> {
        std::fs::create_dir_all(self.path(path))
    }
}

#[cfg(test)]
mod tests;
