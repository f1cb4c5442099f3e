//! The kiosk's life with its hub, without Slint: pair when it has no identity, then run
//! the link as itself; replay the tablet's history at start; turn what the senior does
//! into messages (written to the outbox before `send` returns); forget everything and
//! pair again on the coach's wipe, or when a coach erases the tablet from its coach
//! settings; when switched off, try again once an hour and pair meanwhile, so that a coach
//! can lend the tablet again with the code it shows.
//!
//! It runs on its own thread with a small tokio runtime and reports `LiveEvent`s through a
//! callback; `apply` turns each into state changes (the app and the tests share both).

pub mod coach_file;
pub mod files;
pub mod health;
pub mod hub_settings;
pub mod identity;
pub mod outgoing;
pub mod photos;
pub mod qr;
pub mod received;
pub mod settings_file;
pub mod update;

use crate::link::{
    KioskStore, Link, LinkConfig, LinkEvent, Pairing, PairingConfig, PairingEvent, new_message_id,
};
use crate::state::{Content, Effect, KioskState, LinkProblem, NotSent};
use hub_settings::HubSettings;
use identity::Identity;
use nabij_protocol::{Body, DeviceId, EnrolmentId, Envelope, MessageId, Party, UnixMillis};
use outgoing::Outgoing;
use received::{Arrival, is_mine};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long conversations stay on the tablet (docs/protocol.md §5: ids of at least the
/// last 90 days are remembered, so nothing older comes back as new).
pub const KEEP_HISTORY: Duration = Duration::from_secs(90 * 24 * 3_600);

/// A refused tablet tries to log in again after this long (docs/protocol.md §1).
pub const RETRY_WHEN_SWITCHED_OFF: Duration = Duration::from_secs(3_600);

/// What the live link tells the app.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// Not paired yet: show this code, and the dashboard page that pairs it (for a QR
    /// code) when the settings name the dashboard's port.
    PairingCode {
        /// The code.
        code: String,
        /// The dashboard's pairing page with the code filled in.
        link: Option<String>,
    },
    /// The tablet's history read back at start, oldest first.
    Restored(Vec<Restored>),
    /// Something new from the hub, with a received photo's thumbnail.
    Received(Envelope, Option<Content>),
    /// Anything else the link said.
    Link(LinkEvent),
    /// Something is wrong that a coach must fix (shown on the coach's settings screen).
    /// A storage problem also makes the screens say "One moment, please" until
    /// [`LiveEvent::StorageBack`].
    Problem(LinkProblem),
    /// The pairing connection reached the hub: a problem shown before is over. (Not the
    /// link's `Online`: a switched-off tablet that pairs is not switched on again.)
    PairingOnline,
    /// The tablet's storage works again: what the senior did meanwhile is stored.
    StorageBack,
}

/// One envelope of the history.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The message.
    pub envelope: Envelope,
    /// Mine and not yet acknowledged by the hub.
    pub waiting: bool,
    /// A received photo's thumbnail.
    pub photo: Option<Content>,
}

/// Why something could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// Not paired yet.
    #[error("this tablet is not paired with a hub yet")]
    NotPaired,
    /// The message breaks a protocol rule.
    #[error("this message cannot be sent: {0}")]
    Invalid(String),
    /// The storage failed: the message waits in memory and is stored as soon as the
    /// storage works again.
    #[error(transparent)]
    Store(#[from] crate::link::StoreError),
    /// Earlier messages wait for the storage: this one waits behind them.
    #[error("the tablet's storage failed a moment ago; this message waits for it")]
    Waiting,
}

/// How often the live link tries a failed storage again.
pub const RETRY_STORAGE: Duration = Duration::from_secs(2);

/// What the senior sends, stored in order: straight into the outbox, or, while the
/// storage fails, kept in memory (the screen saying "One moment, please") and stored as
/// soon as it works again. Shared by the UI thread's sends and the live link's retries.
#[derive(Default)]
struct Saving {
    /// Not stored yet, oldest first.
    unsaved: Mutex<Vec<Envelope>>,
}

impl Saving {
    fn unsaved(&self) -> std::sync::MutexGuard<'_, Vec<Envelope>> {
        self.unsaved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `envelope`, or keeps it for [`Saving::retry`] when the storage fails (or
    /// something before it waits: nothing overtakes it).
    fn send(&self, store: &KioskStore, envelope: Envelope) -> Result<(), LiveError> {
        let mut unsaved = self.unsaved();
        let result = if unsaved.is_empty() {
            store.push(&envelope).map_err(LiveError::from)
        } else {
            Err(LiveError::Waiting)
        };
        if result.is_err() {
            unsaved.push(envelope);
        }
        result
    }

    /// Stores what waits, oldest first; `Ok` once all of it is stored and a write went
    /// through (with nothing waiting, a small write tells whether the storage works).
    fn retry(&self, store: &KioskStore) -> Result<(), crate::link::StoreError> {
        let mut unsaved = self.unsaved();
        if unsaved.is_empty() {
            return store.check();
        }
        while let Some(first) = unsaved.first() {
            store.push(first)?;
            unsaved.remove(0);
        }
        Ok(())
    }

    fn is_waiting(&self) -> bool {
        !self.unsaved().is_empty()
    }
}

/// Where sends go while the tablet is paired.
struct Outbox {
    device: DeviceId,
    store: KioskStore,
}

/// What the app asks of the live link's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    /// Something new is in the outbox: send it.
    Nudge,
    /// A coach erases the tablet: everything on it goes, and it pairs again.
    Erase,
}

/// The running live link. Dropping it stops it and waits until its storage is closed.
pub struct Live {
    outbox: Arc<Mutex<Option<Outbox>>>,
    signals: Arc<update::Signals>,
    clock: update::UpdateClock,
    saving: Arc<Saving>,
    commands: mpsc::UnboundedSender<Command>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What a live kiosk needs.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The hub.
    pub hub: HubSettings,
    /// Where the identity and the storage live.
    pub data_dir: PathBuf,
    /// The firmware profile's name.
    pub profile: String,
    /// Photos are scaled to fit this (the screen), in pixels.
    pub photo_box: (u32, u32),
    /// The battery's sysfs folder (from the profile), reported in the status.
    pub battery: Option<PathBuf>,
    /// The kiosk installer's folder (its slots, its state); `None`: the one this binary
    /// runs from, else `/var/lib/nabij-kiosk-updater`.
    pub updater_root: Option<PathBuf>,
    /// The clock of the update work (the quiet time): the wall clock, or a test's.
    pub update_clock: update::UpdateClock,
}

impl Live {
    /// Starts the live link on its own thread. `emit` is called on that thread.
    pub fn start(config: LiveConfig, emit: impl Fn(LiveEvent) + Send + 'static) -> Live {
        let outbox = Arc::new(Mutex::new(None));
        let saving: Arc<Saving> = Arc::default();
        let signals: Arc<update::Signals> = Arc::default();
        let seen = signals.clone();
        let clock = config.update_clock.clone();
        let (commands, received) = mpsc::unbounded_channel();
        let (stop, stopped) = oneshot::channel();
        let shared = outbox.clone();
        let waiting = saving.clone();
        let thread = std::thread::Builder::new()
            .name("nabij-live".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        emit(LiveEvent::Problem(LinkProblem::Other(format!(
                            "cannot start the link: {e}"
                        ))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    tokio::select! {
                        () = lifecycle(config, shared, waiting, seen, received, &emit) => {}
                        _ = stopped => {}
                    }
                });
            });
        let thread = match thread {
            Ok(thread) => Some(thread),
            Err(e) => {
                eprintln!("nabij-kiosk: cannot start the link's thread: {e}");
                None
            }
        };
        Live {
            outbox,
            signals,
            clock,
            saving,
            commands,
            stop: Some(stop),
            thread,
        }
    }

    /// After each redraw: whether the home screen is shown, and whether something is
    /// recording or playing (an update is installed only at a quiet time, and a new
    /// version confirms itself once it drew its home screen).
    pub fn drew(&self, home: bool, busy: bool) {
        self.signals.drew(home, busy);
    }

    /// At each tap.
    pub fn touched(&self) {
        self.signals.touched(self.clock.now());
    }

    /// A coach erases the tablet (its coach settings, behind the PIN): the live link
    /// stops, the messages, outbox, history, settings, coach PIN and identity go, and the
    /// tablet pairs again as a fresh one — whether it is connected, switched off or
    /// waiting for its hub.
    pub fn erase(&self) {
        let _ = self.commands.send(Command::Erase);
    }

    /// Sends a message: it is in the tablet's outbox, on disk, when this returns `Ok`.
    /// When the storage fails ([`LiveError::Store`], [`LiveError::Waiting`]) the message
    /// waits in memory and the live link stores it as soon as it can.
    pub fn send(&self, id: MessageId, body: Body) -> Result<(), LiveError> {
        body.validate()
            .map_err(|e| LiveError::Invalid(format!("{}: {}", e.field, e.reason)))?;
        let guard = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        let Some(outbox) = guard.as_ref() else {
            return Err(LiveError::NotPaired);
        };
        let envelope = Envelope::new(id, Party::Device(outbox.device.clone()), body);
        let result = self.saving.send(&outbox.store, envelope);
        let _ = self.commands.send(Command::Nudge);
        result
    }

    /// Runs the effects that go to the hub; returns the others (sound, screen settings)
    /// for the app.
    pub fn dispatch(&self, state: &mut KioskState, effects: Vec<Effect>) -> Vec<Effect> {
        let mut rest = Vec::new();
        for effect in effects {
            if effect == Effect::EraseTablet {
                self.erase();
                continue;
            }
            let id = new_message_id();
            let body = match outgoing::message_for(&effect) {
                Outgoing::Local => {
                    rest.push(effect);
                    continue;
                }
                Outgoing::Unsendable { shown_with } => {
                    // The recording could not be encoded: say "Not sent" rather than wait.
                    state.assign_id(&shown_with, id.clone());
                    state.not_sent(&id, NotSent::Other);
                    continue;
                }
                Outgoing::Message { body, shown_with } => {
                    if let Some(partner) = &shown_with {
                        state.assign_id(partner, id.clone());
                    }
                    if let Body::Voice(note) = &body {
                        // The senior can listen to what they sent, as to what they receive.
                        state.keep_audio(&id, &note.audio);
                    }
                    if let Body::HelpRequest(_) = &body {
                        // The Help screen follows this id: waiting, then with the hub.
                        state.help_sent(id.clone());
                    }
                    body
                }
            };
            match self.send(id.clone(), body) {
                Ok(()) => {}
                Err(e @ (LiveError::Store(_) | LiveError::Waiting)) => {
                    // Not lost: it waits for the storage, and the screen says so.
                    eprintln!("nabij-kiosk: waiting for the storage: {e}");
                    state.storage_trouble(e.to_string());
                }
                Err(e) => {
                    eprintln!("nabij-kiosk: not sent: {e}");
                    let why = match e {
                        LiveError::Invalid(_) => NotSent::TooLarge,
                        _ => NotSent::Other,
                    };
                    state.not_sent(&id, why);
                }
            }
        }
        rest
    }
}

/// Applies what the live link said to the state; returns effects for the app.
pub fn apply(state: &mut KioskState, event: LiveEvent) -> Vec<Effect> {
    match event {
        LiveEvent::PairingCode { code, link } => {
            state.show_pairing_code(&code, link);
            Vec::new()
        }
        LiveEvent::Restored(history) => {
            let mut effects = Vec::new();
            for item in history {
                if is_mine(&item.envelope) {
                    state.replay_mine(&item.envelope, item.waiting);
                } else {
                    effects.extend(state.receive(&item.envelope, item.photo, Arrival::Replayed));
                }
            }
            if state.screen == Some(crate::state::Screen::Pairing) || state.screen.is_none() {
                state.screen = Some(crate::state::Screen::Home);
            }
            // The settings saved on the tablet are the latest word (a coach's at the tablet,
            // or the hub's), so they go over what the replayed history said.
            if let Some(saved) = state.saved_settings {
                effects.extend(state.restore_screen_settings(&saved));
            }
            effects
        }
        LiveEvent::Received(envelope, photo) => state.receive(&envelope, photo, Arrival::Fresh),
        LiveEvent::Link(event) => {
            match event {
                LinkEvent::Acked(ids) => state.acked(&ids),
                LinkEvent::Rejected(rejected) => {
                    state.not_sent(&rejected.id, NotSent::from_reason(&rejected.reason));
                }
                LinkEvent::Receipt(receipt) => state.apply_receipt(&receipt),
                LinkEvent::Wipe => state.wiped(),
                LinkEvent::Revoked | LinkEvent::LoginRefused => state.switched_off(),
                LinkEvent::Online(true) => {
                    state.link_problem = None;
                    // A tablet switched on again by its coach comes back to Home.
                    state.switched_off = false;
                    if state.screen == Some(crate::state::Screen::SwitchedOff) {
                        state.screen = Some(crate::state::Screen::Home);
                    }
                }
                LinkEvent::Received(envelope) => {
                    return state.receive(&envelope, None, Arrival::Fresh);
                }
                LinkEvent::StorageFailed(detail) => state.storage_trouble(detail),
                LinkEvent::Online(false) | LinkEvent::HubOnline | LinkEvent::Deferred { .. } => {}
            }
            Vec::new()
        }
        LiveEvent::Problem(LinkProblem::Storage(detail)) => {
            state.storage_trouble(detail);
            Vec::new()
        }
        LiveEvent::Problem(problem) => {
            state.link_problem = Some(problem);
            Vec::new()
        }
        LiveEvent::PairingOnline => {
            state.link_problem = None;
            Vec::new()
        }
        LiveEvent::StorageBack => {
            state.storage_back();
            Vec::new()
        }
    }
}

/// A fresh enrolment id: `e-` and 128 random bits. It must be unguessable (it names the
/// tablet's private pairing topics), so without a random source there is none.
fn fresh_enrolment_id() -> Result<EnrolmentId, String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the tablet has no source of random numbers to pair with".to_string())?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    EnrolmentId::parse(&format!("e-{hex}")).map_err(|e| e.to_string())
}

/// A received photo's thumbnail: from the cache, or decoded, scaled and cached now.
fn photo_of(store: &KioskStore, envelope: &Envelope, fit: (u32, u32)) -> Option<Content> {
    let Body::Photo(photo) = &envelope.body else {
        return None;
    };
    if let Ok(Some((width, height, rgba))) = store.thumbnail(&envelope.id) {
        return Some(Content::Photo {
            width,
            height,
            rgba,
        });
    }
    match crate::live::photos::fit(&photo.data.0, fit.0, fit.1) {
        Ok(Content::Photo {
            width,
            height,
            rgba,
        }) => {
            if let Err(e) = store.keep_thumbnail(&envelope.id, width, height, &rgba) {
                eprintln!("nabij-kiosk: cannot cache a photo: {e}");
            }
            Some(Content::Photo {
                width,
                height,
                rgba,
            })
        }
        Ok(other) => Some(other),
        Err(e) => {
            eprintln!("nabij-kiosk: photo {} not shown: {e}", envelope.id);
            None
        }
    }
}

/// Runs `work` on a blocking thread (it waits for the disk): the live link's runtime has
/// one thread, which also carries the connection to the hub.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::link::StoreError> + Send + 'static,
) -> Result<T, crate::link::StoreError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(crate::link::StoreError::Failed(format!(
            "the storage's work stopped: {e}"
        )))
    })
}

fn restore(store: &KioskStore, device: &DeviceId, fit: (u32, u32)) -> Vec<Restored> {
    let waiting: HashSet<MessageId> = store
        .pending()
        .map(|p| p.into_iter().map(|(id, _)| id).collect())
        .unwrap_or_default();
    let history = match store.history(device) {
        Ok(history) => history,
        Err(e) => {
            eprintln!("nabij-kiosk: cannot read the history: {e}");
            Vec::new()
        }
    };
    history
        .into_iter()
        .map(|envelope| Restored {
            waiting: waiting.contains(&envelope.id),
            photo: photo_of(store, &envelope, fit),
            envelope,
        })
        .collect()
}

/// Erases what an identity kept on the tablet: messages, outbox, history, photos, the
/// screen settings and the coach PIN (the identity itself is overwritten by the next one,
/// so a power cut in between leaves the old, switched-off one rather than none).
fn erase_everything(config: &LiveConfig, store_dir: &Path) -> Result<(), String> {
    KioskStore::open(store_dir)
        .and_then(|store| store.wipe())
        .map_err(|e| e.to_string())?;
    crate::live::settings_file::forget(&config.data_dir)
        .and_then(|()| crate::live::coach_file::forget(&config.data_dir))
        .map_err(|e| e.to_string())
}

/// How pairing ended.
enum Paired {
    /// A coach enrolled the code: the new identity, already kept.
    Identity(Identity),
    /// A coach erased the switched-off tablet from its coach settings meanwhile.
    Erase,
}

/// Pairs with a new enrolment id (or the one kept from before) until a coach enrols the
/// code shown; `before_saving` runs once the grant is in hand, before the new identity is
/// kept. A fresh tablet has nothing to erase; a `switched_off` one stops pairing when a
/// coach erases it.
async fn pair(
    config: &LiveConfig,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    switched_off: bool,
    emit: &(impl Fn(LiveEvent) + Send),
    before_saving: impl FnOnce() -> Result<(), String>,
) -> Result<Paired, String> {
    let fresh = fresh_enrolment_id()?;
    let enrolment_id =
        identity::enrolment_id(&config.data_dir, || fresh).map_err(|e| e.to_string())?;
    let (_pairing, mut events) = Pairing::start(PairingConfig {
        host: config.hub.host.clone(),
        port: config.hub.pairing_port,
        ca_pem: Some(config.hub.ca.clone().into_bytes()),
        enrolment_password: config.hub.enrolment_password.clone(),
        enrolment_id,
        profile: config.profile.clone(),
    })
    .map_err(|e| e.to_string())?;
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
            command = commands.recv() => match command {
                Some(Command::Erase) if switched_off => return Ok(Paired::Erase),
                // Nothing to send yet, nor to erase on a fresh tablet.
                Some(_) => continue,
                None => break,
            },
        };
        match event {
            PairingEvent::Code(code) => emit(LiveEvent::PairingCode {
                link: config.hub.pairing_link(&code),
                code,
            }),
            PairingEvent::Granted(granted) => {
                let identity = Identity {
                    device_id: granted.device_id,
                    password: granted.password.0,
                };
                before_saving()?;
                identity::save(&config.data_dir, &identity).map_err(|e| e.to_string())?;
                return Ok(Paired::Identity(identity));
            }
            PairingEvent::LoginRefused => emit(LiveEvent::Problem(LinkProblem::EnrolmentRefused)),
            PairingEvent::Online(true) => emit(LiveEvent::PairingOnline),
            PairingEvent::Online(false) => emit(unreachable(config, config.hub.pairing_port)),
        }
    }
    Err("the pairing connection stopped".into())
}

/// The coach's words when the hub cannot be reached: where the tablet is trying to go,
/// `port` being the pairing or the enrolled tablets' one (the screen says "This tablet
/// cannot reach the hub: …" in the coach's language).
fn unreachable(config: &LiveConfig, port: u16) -> LiveEvent {
    LiveEvent::Problem(LinkProblem::Unreachable {
        address: format!("{}:{port}", config.hub.host),
    })
}

/// How a link session ended.
enum Ended {
    Wiped,
    Refused,
    Failed,
}

/// Waits `wait` before the link tries again, unless a coach erases the tablet meanwhile
/// (true then).
async fn wait_or_erase(wait: Duration, commands: &mut mpsc::UnboundedReceiver<Command>) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return false,
            command = commands.recv() => match command {
                Some(Command::Erase) => return true,
                Some(Command::Nudge) => {}
                None => return false,
            },
        }
    }
}

/// Erases what the tablet keeps: its store (messages, outbox, history, photos), its
/// identity, screen settings and coach PIN. The link must not hold the store open.
fn erase_all(config: &LiveConfig, store_dir: &Path) -> Result<(), String> {
    KioskStore::open(store_dir)
        .and_then(|store| store.wipe())
        .map_err(|e| e.to_string())?;
    forget_all(config)
}

/// Erases the tablet as a coach asked from its coach settings, and has the screens start
/// over from pairing: events the link emitted before it stopped (a refused log-in) may
/// reach the screens after the coach's tap, and must not leave them switched off.
fn erase_for_coach(
    config: &LiveConfig,
    store_dir: &Path,
    emit: &(impl Fn(LiveEvent) + Send),
) -> Result<(), String> {
    erase_all(config, store_dir)?;
    emit(LiveEvent::Link(LinkEvent::Wipe));
    Ok(())
}

/// Forgets the tablet's identity, screen settings and coach PIN.
fn forget_all(config: &LiveConfig) -> Result<(), String> {
    identity::forget(&config.data_dir)
        .and_then(|()| crate::live::settings_file::forget(&config.data_dir))
        .and_then(|()| crate::live::coach_file::forget(&config.data_dir))
        .map_err(|e| e.to_string())
}

async fn lifecycle(
    config: LiveConfig,
    outbox: Arc<Mutex<Option<Outbox>>>,
    saving: Arc<Saving>,
    signals: Arc<update::Signals>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    emit: &(impl Fn(LiveEvent) + Send),
) {
    let store_dir = config.data_dir.join("store");
    loop {
        let identity = match identity::load(&config.data_dir) {
            Ok(Some(identity)) => identity,
            Ok(None) => match pair(&config, &mut commands, false, emit, || Ok(())).await {
                Ok(Paired::Identity(identity)) => identity,
                Ok(Paired::Erase) => continue,
                Err(e) => {
                    emit(LiveEvent::Problem(LinkProblem::Other(e)));
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    continue;
                }
            },
            Err(e) => {
                emit(LiveEvent::Problem(LinkProblem::Storage(e.to_string())));
                tokio::time::sleep(Duration::from_secs(60)).await;
                continue;
            }
        };
        let ended = run_link(
            &config,
            &identity,
            &store_dir,
            &outbox,
            &saving,
            &signals,
            &mut commands,
            emit,
        )
        .await;
        set_outbox(&outbox, None);
        let forgotten = match ended {
            // The store was wiped while the link had it open.
            Ended::Wiped => forget_all(&config),
            Ended::Refused => {
                // Switched off (docs/protocol.md §6.19): the tablet keeps what it holds and
                // tries its credential again in an hour (a refusal may pass), and pairs
                // meanwhile. A coach who enrols the code it shows lends it anew: what the
                // old identity kept is erased first, as a wipe erases it. A coach may also
                // erase it from its coach settings.
                let erase_old = || {
                    erase_everything(&config, &store_dir)?;
                    emit(LiveEvent::Link(LinkEvent::Wipe));
                    Ok(())
                };
                let paired = tokio::select! {
                    paired = pair(&config, &mut commands, true, emit, erase_old) => Some(paired),
                    () = tokio::time::sleep(RETRY_WHEN_SWITCHED_OFF) => None,
                };
                match paired {
                    Some(Ok(Paired::Erase)) => erase_for_coach(&config, &store_dir, emit),
                    Some(Err(e)) => {
                        emit(LiveEvent::Problem(LinkProblem::Other(e)));
                        if wait_or_erase(RETRY_WHEN_SWITCHED_OFF, &mut commands).await {
                            erase_for_coach(&config, &store_dir, emit)
                        } else {
                            Ok(())
                        }
                    }
                    Some(Ok(Paired::Identity(_))) | None => Ok(()),
                }
            }
            Ended::Failed if wait_or_erase(Duration::from_secs(10), &mut commands).await => {
                erase_for_coach(&config, &store_dir, emit)
            }
            Ended::Failed => Ok(()),
        };
        if let Err(e) = forgotten {
            emit(LiveEvent::Problem(LinkProblem::Storage(e)));
        }
    }
}

/// Sends what the update work said: fetches once (a lost one is asked again), reports
/// through the outbox (acknowledged by the hub).
async fn say(link: &Link, said: Vec<nabij_update::download::Said>) {
    use nabij_update::download::Said;
    for message in said {
        match message {
            Said::Fetch(fetch) => link.send_transient(Body::UpdateFetch(fetch)),
            Said::Report(report) => {
                if let Err(e) = link.send(Body::UpdateReport(report)).await {
                    eprintln!("nabij-kiosk: cannot report the update: {e}");
                }
            }
        }
    }
}

fn set_outbox(outbox: &Mutex<Option<Outbox>>, value: Option<Outbox>) {
    *outbox.lock().unwrap_or_else(|e| e.into_inner()) = value;
}

// Each argument is a separate handle the live link's thread owns (the storage's and the
// screen's shared parts, the commands, the app's events); a struct for one call site
// would only rename them.
#[allow(clippy::too_many_arguments)]
async fn run_link(
    config: &LiveConfig,
    identity: &Identity,
    store_dir: &Path,
    outbox: &Mutex<Option<Outbox>>,
    saving: &Arc<Saving>,
    signals: &Arc<update::Signals>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    emit: &(impl Fn(LiveEvent) + Send),
) -> Ended {
    // The storage is opened, pruned and read on a blocking thread, as everything that
    // waits for the disk (or decodes photos) here: this runtime's tasks hold the
    // connection to the hub.
    let opened = {
        let (store_dir, device, fit) = (
            store_dir.to_owned(),
            identity.device_id.clone(),
            config.photo_box,
        );
        off_runtime(move || {
            let store = KioskStore::open(&store_dir)?;
            let cutoff = UnixMillis(
                UnixMillis::now()
                    .0
                    .saturating_sub(KEEP_HISTORY.as_millis() as u64),
            );
            if let Err(e) = store.prune_history(cutoff) {
                eprintln!("nabij-kiosk: cannot forget old messages: {e}");
            }
            let restored = restore(&store, &device, fit);
            Ok((store, restored))
        })
        .await
    };
    let store = match opened {
        Ok((store, restored)) => {
            emit(LiveEvent::Restored(restored));
            store
        }
        Err(e) => {
            emit(LiveEvent::Problem(LinkProblem::Storage(e.to_string())));
            return Ended::Failed;
        }
    };
    set_outbox(
        outbox,
        Some(Outbox {
            device: identity.device_id.clone(),
            store: store.clone(),
        }),
    );
    let updater_root = config
        .updater_root
        .clone()
        .unwrap_or_else(update::updater_root);
    let mut updates = update::Updates::new(
        config.hub.update_key.as_deref(),
        &config.data_dir,
        updater_root.clone(),
        config.update_clock.clone(),
    );
    let mut each_minute = tokio::time::interval(config.update_clock.every());
    each_minute.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let link_config = LinkConfig {
        host: config.hub.host.clone(),
        port: config.hub.port,
        ca_pem: Some(config.hub.ca.clone().into_bytes()),
        device: identity.device_id.clone(),
        password: identity.password.clone(),
        profile: config.profile.clone(),
        battery: config.battery.clone(),
        data_dir: config.data_dir.clone(),
        app_version: update::running_version(&updater_root).to_string(),
    };
    let (link, mut events) = match Link::start(link_config, store.clone()) {
        Ok(started) => started,
        Err(e) => {
            emit(LiveEvent::Problem(LinkProblem::Settings(e.to_string())));
            return Ended::Failed;
        }
    };
    // Set while the storage fails; each retry tries it again (and stores what waited).
    let mut failing = saving.is_waiting();
    let mut retry = tokio::time::interval(RETRY_STORAGE);
    retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut erase = false;
    let ended = loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(LinkEvent::StorageFailed(detail)) => {
                    failing = true;
                    emit(LiveEvent::Problem(LinkProblem::Storage(detail)));
                }
                Some(LinkEvent::Received(envelope)) if update::is_update(&envelope) => {
                    // Parts are written and hashed on a blocking thread: this runtime
                    // carries the connection.
                    if let Some(mut work) = updates.take() {
                        match tokio::task::spawn_blocking(move || {
                            let said = work.on_envelope(&envelope);
                            (work, said)
                        })
                        .await
                        {
                            Ok((back, said)) => {
                                updates = Some(back);
                                say(&link, said).await;
                            }
                            Err(e) => eprintln!(
                                "nabij-kiosk: the update's work stopped ({e}); updates wait for the next start"
                            ),
                        }
                    }
                }
                Some(LinkEvent::HubOnline) => {
                    if let Some(work) = updates.as_mut() {
                        say(&link, work.on_hub_online(signals)).await;
                    }
                    emit(LiveEvent::Link(LinkEvent::HubOnline));
                }
                Some(LinkEvent::Received(envelope)) => {
                    let (store, fit) = (store.clone(), config.photo_box);
                    let (envelope, photo) = match off_runtime(move || {
                        let photo = photo_of(&store, &envelope, fit);
                        Ok((envelope, photo))
                    })
                    .await
                    {
                        Ok(shown) => shown,
                        Err(e) => {
                            emit(LiveEvent::Problem(LinkProblem::Storage(e.to_string())));
                            continue;
                        }
                    };
                    emit(LiveEvent::Received(envelope, photo));
                }
                Some(LinkEvent::Wipe) => {
                    emit(LiveEvent::Link(LinkEvent::Wipe));
                    // The wipe's ack is on its way out; give it a moment on the wire.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break Ended::Wiped;
                }
                Some(LinkEvent::LoginRefused) => {
                    emit(LiveEvent::Link(LinkEvent::LoginRefused));
                    break Ended::Refused;
                }
                Some(LinkEvent::Online(false)) => {
                    emit(LiveEvent::Link(LinkEvent::Online(false)));
                    emit(unreachable(config, config.hub.port));
                }
                Some(other) => emit(LiveEvent::Link(other)),
                None => break Ended::Failed,
            },
            Some(command) = commands.recv() => match command {
                Command::Nudge => {
                    // A send that failed left its message waiting: the retries begin.
                    failing |= saving.is_waiting();
                    link.nudge();
                }
                Command::Erase => {
                    erase = true;
                    break Ended::Wiped;
                }
            },
            _ = each_minute.tick(), if updates.is_some() => {
                if let Some(work) = updates.as_mut() {
                    say(&link, work.tick(signals)).await;
                }
            }
            _ = retry.tick(), if failing => {
                let (saving, store) = (saving.clone(), store.clone());
                match off_runtime(move || saving.retry(&store)).await {
                    Ok(()) => {
                        failing = false;
                        emit(LiveEvent::StorageBack);
                        link.nudge();
                    }
                    Err(e) => emit(LiveEvent::Problem(LinkProblem::Storage(e.to_string()))),
                }
            }
        }
    };
    link.kill().await;
    // The link stops before its store is emptied: nothing it sends or receives after
    // the coach's "erase" is kept. The screens start over from pairing, whatever the link
    // said before it stopped.
    if erase {
        match store.wipe() {
            Ok(()) => emit(LiveEvent::Link(LinkEvent::Wipe)),
            Err(e) => emit(LiveEvent::Problem(LinkProblem::Storage(e.to_string()))),
        }
    }
    ended
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Screen, ScreenSettings};
    use crate::words::Language;

    #[test]
    fn a_storage_problem_makes_waiting_messages_wait_for_it_until_it_is_back() {
        let mut state = crate::sample::state(Screen::Conversation, Language::Nl);
        apply(
            &mut state,
            LiveEvent::Problem(LinkProblem::Storage("disk full".into())),
        );
        assert!(state.storage_retrying);
        assert!(matches!(state.link_problem, Some(LinkProblem::Storage(_))));
        apply(&mut state, LiveEvent::StorageBack);
        assert!(!state.storage_retrying);
        assert_eq!(state.link_problem, None);
        // The link's own storage failures say the same.
        apply(
            &mut state,
            LiveEvent::Link(LinkEvent::StorageFailed("card failed".into())),
        );
        assert!(state.storage_retrying);
    }

    #[test]
    fn what_the_storage_refused_waits_in_memory_and_is_stored_in_order_once_it_works() {
        use nabij_powercut::{Power, SimDisk};
        let disk = SimDisk::new(Power::on());
        let store = {
            let disk = disk.clone();
            KioskStore::open_with(move || disk.clone()).unwrap()
        };
        let device = DeviceId::parse("d-1").unwrap();
        let text = |n: u32| {
            Envelope::new(
                MessageId::parse(&format!("k-{n:06}")).unwrap(),
                Party::Device(device.clone()),
                Body::Text(nabij_protocol::TextMessage {
                    to: nabij_protocol::Recipient::parse("p-anna").unwrap(),
                    author: None,
                    text: format!("Bericht {n}"),
                }),
            )
        };
        let saving = Saving::default();
        saving.send(&store, text(1)).unwrap();
        disk.fail_syncs(true);
        assert!(matches!(
            saving.send(&store, text(2)),
            Err(LiveError::Store(_))
        ));
        disk.fail_syncs(false);
        // The storage works again, but 3 may not overtake 2.
        assert!(matches!(
            saving.send(&store, text(3)),
            Err(LiveError::Waiting)
        ));
        assert!(saving.is_waiting());
        disk.fail_syncs(true);
        assert!(
            saving.retry(&store).is_err(),
            "still failing: still waiting"
        );
        disk.fail_syncs(false);
        saving.retry(&store).unwrap();
        assert!(!saving.is_waiting());
        let order: Vec<String> = store
            .pending()
            .unwrap()
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        assert_eq!(order, ["k-000001", "k-000002", "k-000003"]);
        // Stored means on disk: what a power cut now leaves has all three.
        let after =
            KioskStore::open_with(move || SimDisk::with_image(Power::on(), disk.durable_image()))
                .unwrap();
        assert_eq!(after.pending().unwrap().len(), 3);
    }

    #[test]
    fn settings_saved_on_the_tablet_go_over_the_replayed_history() {
        let mut state = crate::sample::state(Screen::Pairing, Language::Nl);
        let hub_config = state.config.clone().unwrap();
        state.config = None;
        state.saved_settings = Some(ScreenSettings {
            language: Language::Fr,
            text_scale_percent: 140,
            volume_percent: 30,
            brightness_percent: 50,
            keyboard_layout: crate::state::KeyboardLayout::Azerty,
        });
        let history = vec![Restored {
            envelope: Envelope::new(
                MessageId::parse("hub-cfg-01").unwrap(),
                Party::Hub,
                Body::Config(hub_config),
            ),
            waiting: false,
            photo: None,
        }];
        let effects = apply(&mut state, LiveEvent::Restored(history));
        assert_eq!(
            (state.language, state.text_scale_percent, state.screen),
            (Language::Fr, 140, Some(Screen::Home))
        );
        assert!(effects.contains(&Effect::SetVolume(30)));
        assert!(effects.contains(&Effect::SetBrightness(50)));
    }
}
