//! Kiosk updates on the live link (docs/protocol.md §6.25): offers and parts go to
//! `nabij_update::download::Fetcher` (on a blocking thread: it writes files), what it
//! says goes to the hub, a checked download is handed to the installer at a quiet time,
//! and a version on trial confirms itself once it reached the hub and drew its home
//! screen.

use nabij_protocol::{Body, Envelope, UnixMillis};
use nabij_update::download::{Fetcher, Said};
use nabij_update::inbox::{Inbox, UpdaterView};
use nabij_update::slots::Progress;
use nabij_update::{PublicKey, Version};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Where the installer keeps its slots when the kiosk does not run from one.
pub const UPDATER_ROOT: &str = "/var/lib/nabij-kiosk-updater";

/// How long a kiosk must be untouched, with no recording or playback, to install.
pub const QUIET_AFTER: Duration = Duration::from_secs(10 * 60);

/// The clock the update work goes by, and how often it looks whether to hand a download
/// over: the wall clock and each minute, or a test's own.
#[derive(Clone)]
pub struct UpdateClock {
    now: Arc<dyn Fn() -> UnixMillis + Send + Sync>,
    every: Duration,
}

impl Default for UpdateClock {
    fn default() -> Self {
        UpdateClock::new(UnixMillis::now, Duration::from_secs(60))
    }
}

impl std::fmt::Debug for UpdateClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UpdateClock(every {:?})", self.every)
    }
}

impl UpdateClock {
    /// A clock read by `now`, looked at `every` so often.
    pub fn new(now: impl Fn() -> UnixMillis + Send + Sync + 'static, every: Duration) -> Self {
        UpdateClock {
            now: Arc::new(now),
            every,
        }
    }

    /// The time.
    pub fn now(&self) -> UnixMillis {
        (self.now)()
    }

    /// How often the update work looks.
    pub fn every(&self) -> Duration {
        self.every
    }
}

/// What the screen tells the live link (set on the UI thread, read on the link's).
#[derive(Debug, Default)]
pub struct Signals {
    /// The home screen has been drawn.
    home_drawn: AtomicBool,
    /// Recording or playing.
    busy: AtomicBool,
    /// The last tap, in Unix milliseconds (0: none since the start).
    last_touch: AtomicU64,
}

impl Signals {
    /// After each redraw.
    pub fn drew(&self, home: bool, busy: bool) {
        if home {
            self.home_drawn.store(true, Ordering::Relaxed);
        }
        self.busy.store(busy, Ordering::Relaxed);
    }

    /// At each tap.
    pub fn touched(&self, now: UnixMillis) {
        self.last_touch.store(now.0, Ordering::Relaxed);
    }

    fn home_drawn(&self) -> bool {
        self.home_drawn.load(Ordering::Relaxed)
    }

    /// Nothing recording or playing, and: between 02:00 and 05:00 in Brussels, or
    /// untouched for [`QUIET_AFTER`] (counted from `started` when nobody touched it yet).
    pub fn quiet(&self, now: UnixMillis, started: UnixMillis) -> bool {
        let hour = nabij_protocol::time::brussels(now).hour;
        let touched = self.last_touch.load(Ordering::Relaxed).max(started.0);
        !self.busy.load(Ordering::Relaxed)
            && ((2..5).contains(&hour)
                || now.0.saturating_sub(touched) >= QUIET_AFTER.as_millis() as u64)
    }
}

/// The installer's folder: the one whose slot this binary runs from, else the default.
pub fn updater_root() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let slots = exe.parent()?.parent()?;
            (slots.file_name()? == "slots").then(|| slots.parent().map(Path::to_owned))?
        })
        .unwrap_or_else(|| PathBuf::from(UPDATER_ROOT))
}

/// The version this kiosk reports: its slot's release, else the one it was built as.
pub fn running_version(root: &Path) -> Version {
    UpdaterView::read(root)
        .running
        .map_or_else(Version::built, |release| release.version)
}

/// The live link's update work.
pub struct Updates {
    fetcher: Fetcher,
    inbox: Inbox,
    clock: UpdateClock,
    /// The version on trial this kiosk runs, which records how far it got.
    on_trial: Option<Version>,
    root: PathBuf,
    started: UnixMillis,
    reached_hub: bool,
    confirmed: bool,
    /// When the last part (or the offer) came: a fetch unanswered for a minute is asked
    /// again.
    last_heard: UnixMillis,
}

/// Whether this envelope is the updates' business.
pub fn is_update(envelope: &Envelope) -> bool {
    matches!(envelope.body, Body::UpdateOffer(_) | Body::UpdatePart(_))
}

impl Updates {
    /// Update work for a kiosk whose settings trust `key` (`None`: offers are ignored).
    pub fn new(
        key: Option<&str>,
        data_dir: &Path,
        root: PathBuf,
        clock: UpdateClock,
    ) -> Option<Updates> {
        let key: PublicKey = match key?.parse() {
            Ok(key) => key,
            Err(e) => {
                eprintln!("nabij-kiosk: the settings' update_key: {e}; updates are ignored");
                return None;
            }
        };
        let running = running_version(&root);
        let inbox = Inbox::new(data_dir.join("update"));
        let on_trial = UpdaterView::read(&root).on_trial();
        let now = clock.now();
        let updates = Updates {
            fetcher: Fetcher::new(
                inbox.clone(),
                key,
                running,
                nabij_update::manifest::this_arch(),
            ),
            inbox,
            clock,
            on_trial,
            root,
            started: now,
            reached_hub: false,
            confirmed: false,
            last_heard: now,
        };
        updates.record(Progress::Started);
        Some(updates)
    }

    /// A version on trial records how far it got, for the installer's reason should it
    /// be rolled back.
    fn record(&self, progress: Progress) {
        if let Some(version) = self.on_trial
            && let Err(e) = self.inbox.record_progress(version, progress)
        {
            eprintln!("nabij-kiosk: cannot note the update's progress: {e}");
        }
    }

    /// An offer or a part from the hub.
    pub fn on_envelope(&mut self, envelope: &Envelope) -> Vec<Said> {
        self.last_heard = self.clock.now();
        let said = match &envelope.body {
            Body::UpdateOffer(offer) => self.fetcher.on_offer(offer),
            Body::UpdatePart(part) => self.fetcher.on_part(part),
            _ => Ok(Vec::new()),
        };
        said.unwrap_or_else(|e| {
            eprintln!("nabij-kiosk: cannot keep the update: {e}");
            Vec::new()
        })
    }

    /// The hub said it is online (the retained `hub_status`, which comes once the
    /// subscriptions are granted): the kiosk reached it, and a download goes on.
    pub fn on_hub_online(&mut self, signals: &Signals) -> Vec<Said> {
        if !self.reached_hub && !self.confirmed {
            self.record(Progress::ReachedHub);
        }
        self.reached_hub = true;
        self.last_heard = self.clock.now();
        let mut said = self.fetcher.resume();
        said.extend(self.confirm_if_due(signals));
        said
    }

    fn confirm_if_due(&mut self, signals: &Signals) -> Vec<Said> {
        if self.confirmed || !self.reached_hub || !signals.home_drawn() {
            return Vec::new();
        }
        self.confirmed = true;
        self.fetcher
            .after_start(&UpdaterView::read(&self.root))
            .unwrap_or_else(|e| {
                eprintln!("nabij-kiosk: cannot confirm this version to the installer: {e}");
                Vec::new()
            })
    }

    /// Each minute: confirm once home is drawn, ask again for a part that did not come,
    /// and hand a checked download over at a quiet time.
    pub fn tick(&mut self, signals: &Signals) -> Vec<Said> {
        let mut said = self.confirm_if_due(signals);
        let now = self.clock.now();
        if now.0.saturating_sub(self.last_heard.0) >= 60_000 {
            self.last_heard = now;
            said.extend(self.fetcher.resume());
        }
        if self.fetcher.ready() && signals.quiet(now, self.started) {
            match self.fetcher.install() {
                Ok(handed) => said.extend(handed),
                Err(e) => eprintln!("nabij-kiosk: cannot hand the update over: {e}"),
            }
        }
        said
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_means_at_night_or_untouched_and_silent_for_ten_minutes() {
        let signals = Signals::default();
        // A Wednesday in January, 14:00 in Brussels.
        let afternoon = nabij_protocol::time::from_brussels(2027, 1, 13, 14, 0);
        let minutes = |m: u64| UnixMillis(afternoon.0 + m * 60_000);
        signals.touched(afternoon);
        assert!(!signals.quiet(minutes(5), afternoon));
        assert!(signals.quiet(minutes(10), afternoon));
        signals.drew(false, true);
        assert!(
            !signals.quiet(minutes(30), afternoon),
            "recording or playing"
        );
        let night = nabij_protocol::time::from_brussels(2027, 1, 14, 3, 0);
        signals.touched(night);
        assert!(!signals.quiet(night, night), "at night, but playing");
        signals.drew(false, false);
        assert!(signals.quiet(night, night), "at night");
    }
}
