//! The hub's use cases: every operation a coach (through the command line or, later, the
//! dashboard) or a tablet (through MQTT) can cause, each written once. Typed ids in,
//! typed views out: the edges (`mqtt`, `admin`, `cli`) parse what comes in and put what
//! goes out into words.
//!
//! Each operation is one transaction over the store: read, decide with the `domain`
//! rules, commit (atomically and durably), and only then tell anyone: acknowledgements,
//! deliveries and broker changes are [`Effects`] carried out after the commit. A single
//! write lock orders transactions; the receive path takes it once per *batch* of
//! messages, so one commit (one fsync) covers them all.

mod accounts;
mod attendance;
mod backup;
mod delivery;
mod devices;
mod diary;
mod followup;
mod health;
mod housekeeping;
mod inbound;
mod inbox;
mod keepsake;
mod messaging;
mod network;
mod people;
mod privacy;
mod schedule;
mod surveys;
// Public for the benchmark, which writes a year of history the way the hub keeps it.
pub mod tables;
#[cfg(test)]
pub(crate) mod testing;
mod views;

pub use accounts::{Account, AccountView, AuditEntry};
pub use attendance::{RateRow, Rates, Sheet, SheetRow};
pub use diary::{PromptAnswers, SharedAnswer};
pub use followup::{DealtWith, FollowUpRow};
pub use health::{BackupFile, DiskSpace, Health};
pub use inbound::{Handled, Inbound};
pub use inbox::{InboxContent, InboxConversation, InboxMedia, InboxMessage};
pub use keepsake::{Keepsake, KeptAnswer, KeptContact};
pub use messaging::{Audience, CoachMessage};
pub use network::NetworkReport;
pub use people::DetailChanges;
pub use privacy::{Erased, ParticipantData, ParticipantExport};
pub use schedule::{Extra, Move};
pub use surveys::{Answered, Asked, SurveyReport, SurveyRow, SurveySent, SurveySummary};
pub use views::{Counts, DeviceRow, EnrolSummary, HelpRow, KioskSettings, SentSummary};

use crate::config::HubConfig;
use crate::domain::budget::{Budget, Limits};
use crate::domain::delivery::Window;
use crate::domain::devices::DeviceState;
use crate::domain::enrolment::{CodeError, Pairings, WrongCodeLimiter};
use crate::domain::people::NameError;
use crate::secrets::{self, RandomError};
use crate::store::{Storage, StoreError, Tx};
use nabij_protocol::{Ack, Body, DeviceId, Envelope, MessageId, Party, PersonId, Topic};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A boxed future, for the edges' traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The MQTT connection is closed (the hub is stopping).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the hub's MQTT connection is closed")]
pub struct OutletClosed;

/// Where messages for tablets go: the MQTT edge.
pub trait Outlet: Send + Sync + 'static {
    /// Publishes a payload with the topic's QoS and retain flag (an empty retained
    /// payload clears the retained message).
    fn publish(&self, topic: Topic, payload: Vec<u8>) -> BoxFuture<'_, Result<(), OutletClosed>>;
    /// Resolves once the broker has passed on everything published before.
    fn settled(&self) -> BoxFuture<'_, Result<(), OutletClosed>>;
}

/// The broker's list of tablets that may log in: the app decides, the broker edge applies.
pub trait Gatekeeper: Send + Sync + 'static {
    /// Lets exactly these tablets (device id, password hash) log in; a tablet left out is
    /// disconnected at once.
    fn allow(&self, tablets: Vec<(DeviceId, String)>) -> BoxFuture<'_, Result<(), String>>;
}

/// Why an operation failed. Each says what happened; the edges add what to do there.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A backup could not be written.
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    /// Long work moved off the async threads did not finish (it failed badly, or the hub
    /// is stopping).
    #[error(
        "the hub could not finish this ({0}); try again, and see the hub's log if it fails again"
    )]
    Interrupted(String),
    /// No randomness for ids and secrets.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The broker could not be told who may log in.
    #[error("the broker's list of tablets could not be updated: {0}")]
    Broker(String),
    /// The MQTT connection is closed.
    #[error(transparent)]
    Closed(#[from] OutletClosed),
    /// No such tablet.
    #[error("there is no tablet {0}")]
    NoDevice(String),
    /// No one by that id or name.
    #[error("there is no one called {0:?}")]
    NoPerson(String),
    /// No participant by that id or name.
    #[error("there is no participant {0:?}")]
    NoParticipant(String),
    /// Several people share the name.
    #[error("{name:?} could be {}; use the id instead", candidates.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" or "))]
    Ambiguous {
        /// The name given.
        name: String,
        /// Who it could be.
        candidates: Vec<PersonId>,
    },
    /// No such group.
    #[error("there is no group {0:?}")]
    NoGroup(String),
    /// A name or phone number that cannot be used.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A pairing code that was not accepted.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// A coach PIN that was not taken.
    #[error(transparent)]
    Pin(#[from] crate::domain::devices::PinError),
    /// The tablet is in the wrong state for this.
    #[error("tablet {device} is {}", state.word())]
    WrongState {
        /// The tablet.
        device: DeviceId,
        /// Its state.
        state: DeviceState,
    },
    /// Only coaches send from the hub and answer calls.
    #[error("{0} is not a coach")]
    NotACoach(String),
    /// A coach writes only to approved contacts.
    #[error("{coach} is not a contact of {people}")]
    NotAContact {
        /// The coach's name.
        coach: String,
        /// The recipients who are not contacts, by name.
        people: String,
    },
    /// The message breaks a protocol rule.
    #[error("this message cannot be sent: {0}")]
    BadMessage(String),
    /// The photo cannot be used.
    #[error(transparent)]
    Photo(#[from] crate::photos::PhotoError),
    /// A plan or change of the programme that cannot be used.
    #[error(transparent)]
    Schedule(#[from] crate::domain::schedule::ScheduleError),
    /// No such meeting.
    #[error("there is no meeting {0}")]
    NoSession(String),
    /// The group's programme is planned already.
    #[error("{0} has a programme already")]
    AlreadyPlanned(String),
    /// The meeting was cancelled.
    #[error("meeting {0} was cancelled")]
    Cancelled(String),
    /// A pick-up time must come before the meeting, within three hours of it.
    #[error("a pick-up time for meeting {0} comes before it starts, at most three hours before")]
    BadPickup(String),
    /// Attendance is taken at the meeting, not long before.
    #[error("meeting {0} has not begun yet")]
    NotYet(String),
    /// Someone who is not in the meeting's group.
    #[error("{0} is not in this meeting's group")]
    NotAMember(String),
    /// No such diary prompt.
    #[error("there is no diary prompt {0}")]
    NoPrompt(String),
    /// The group has a prompt that week.
    #[error("the group has a prompt for the week from {0} already ({1})")]
    WeekTaken(String, String),
    /// The built-in diary prompts are broken (a build error).
    #[error("the diary prompts that come with the hub are not valid: {0}")]
    Library(String),
    /// Every number of the series has a planned meeting.
    #[error("all {} {} meetings are planned", crate::domain::schedule::PER_SERIES, match .0 { nabij_protocol::SessionSeries::Weekly => "weekly", nabij_protocol::SessionSeries::Monthly => "monthly" })]
    SeriesFull(nabij_protocol::SessionSeries),
    /// A dashboard account that cannot be made as asked.
    #[error(transparent)]
    Account(#[from] crate::domain::accounts::AccountError),
    /// The account name is taken.
    #[error("there is an account {0:?} already")]
    AccountExists(String),
    /// Two people who are not contacts.
    #[error("{0} and {1} are not contacts")]
    NotContacts(String, String),
    /// A log-in with a wrong name or password (which one is not said).
    #[error("the name or the password is wrong")]
    WrongLogIn,
    /// Too many wrong passwords in a row.
    #[error("this account is locked for a quarter of an hour after five wrong passwords")]
    Locked,
    /// A participant who still has a tablet that may connect.
    #[error("{0} still has a tablet: take it back or wipe it first (Tablets page)")]
    StillLent(String),
}

/// What a committed transaction makes true for the outside world, carried out after the
/// commit by [`Hub::finish`].
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Answers published as they are (rejections, pairing answers).
    replies: Vec<(Topic, Envelope)>,
    /// Ids to acknowledge, per tablet: one `ack` each.
    acks: BTreeMap<DeviceId, Vec<MessageId>>,
    /// Tablets whose queue got new messages.
    queued: BTreeSet<DeviceId>,
    /// Queue entries tablets acknowledged, by sequence number.
    acked: BTreeMap<DeviceId, Vec<u64>>,
    /// Tablets that connected (true) or went away (false), in order.
    presence: Vec<(DeviceId, bool)>,
    /// The broker's list of tablets changed.
    credentials: bool,
    /// Tablets whose retained status goes (they were revoked or wiped).
    clear_status: Vec<DeviceId>,
    /// The highest queue sequence number the transaction wrote (0: none): once it is
    /// durable, so is every queue entry up to it (see `Inner::durable_queue`).
    queued_up_to: u64,
    /// Queue entries that may go out as soon as the transaction is applied, before it is
    /// durable, by tablet: chat copies, whose ids the same message always makes again
    /// (`domain::messaging::copy_id`), so a copy sent and then lost in a crash arrives
    /// only once when its sender sends it again.
    early: BTreeMap<DeviceId, BTreeSet<u64>>,
    /// Queue entries that may go before the transaction is durable, but in the order of
    /// the answers (after what earlier batches answer): receipts. A receipt made again
    /// after a crash tells its sender nothing new.
    receipt_seqs: BTreeMap<DeviceId, BTreeSet<u64>>,
    /// Something was queued that must wait until the transaction is durable.
    late: bool,
    /// A senior asked for a call: the receive path commits at once rather than at its
    /// pace (`GROUP_COMMIT`), so that the senior hears soon that the hub has it.
    urgent: bool,
    /// Receipts to queue before the commit, gathered so that a batch sends each sender
    /// one receipt per step and recipient instead of one per message: by (sender's
    /// tablet, seen rather than delivered, recipient), the sender's message ids.
    receipts: BTreeMap<(DeviceId, bool, PersonId), Vec<MessageId>>,
}

impl Effects {
    fn reply(&mut self, topic: Topic, body: Body) -> Result<(), RandomError> {
        self.replies.push((topic, hub_envelope(body)?));
        Ok(())
    }

    fn ack(&mut self, device: &DeviceId, id: &MessageId) {
        let ids = self.acks.entry(device.clone()).or_default();
        // A resend in the same batch as the first copy: one ack covers both.
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }

    fn extend(&mut self, other: Effects) {
        self.replies.extend(other.replies);
        for (device, ids) in other.acks {
            for id in ids {
                self.ack(&device, &id);
            }
        }
        self.queued.extend(other.queued);
        self.queued_up_to = self.queued_up_to.max(other.queued_up_to);
        for (device, seqs) in other.acked {
            self.acked.entry(device).or_default().extend(seqs);
        }
        self.presence.extend(other.presence);
        self.credentials |= other.credentials;
        self.clear_status.extend(other.clear_status);
        for (key, ids) in other.receipts {
            self.receipts.entry(key).or_default().extend(ids);
        }
        for (device, seqs) in other.early {
            self.early.entry(device).or_default().extend(seqs);
        }
        for (device, seqs) in other.receipt_seqs {
            self.receipt_seqs.entry(device).or_default().extend(seqs);
        }
        self.late |= other.late;
        self.urgent |= other.urgent;
    }

    /// Whether anything here may be told only once the transaction is durable: an ack
    /// (the protocol's promise), a reply, a change of the broker's list or of a tablet's
    /// presence, or a queued message with an id of its own. A batch of nothing but
    /// acknowledgements from tablets (and the receipts they cause) need not wait: lost in
    /// a crash, the messages they acknowledged are sent again and acknowledged again.
    fn must_wait_for_disk(&self) -> bool {
        self.late
            || !self.acks.is_empty()
            || !self.replies.is_empty()
            || self.credentials
            || !self.clear_status.is_empty()
            || !self.presence.is_empty()
    }

    /// The queue entries of `device` that may go before the transaction is durable.
    fn sendable_early(&self, device: &DeviceId) -> BTreeSet<u64> {
        let mut seqs = self.early.get(device).cloned().unwrap_or_default();
        if let Some(receipts) = self.receipt_seqs.get(device) {
            seqs.extend(receipts);
        }
        seqs
    }
}

/// A new envelope from the hub.
pub(crate) fn hub_envelope(body: Body) -> Result<Envelope, RandomError> {
    Ok(Envelope::new(secrets::message_id()?, Party::Hub, body))
}

/// What the hub needs to run its use cases.
pub struct Parts {
    /// The settings.
    pub config: HubConfig,
    /// The database.
    pub storage: Arc<dyn Storage>,
    /// Where messages for tablets go.
    pub outlet: Arc<dyn Outlet>,
    /// Who may log in to the broker.
    pub gate: Arc<dyn Gatekeeper>,
    /// The shared password of pairing tablets (for the kiosk settings).
    pub enrol_password: String,
    /// The hub's CA certificate (for the kiosk settings).
    pub ca_cert: PathBuf,
}

struct Inner {
    parts: Parts,
    /// Orders every transaction that writes: two coaches (or a coach and a batch of
    /// tablet messages) never interleave halfway.
    write: Arc<tokio::sync::Mutex<()>>,
    /// Wrong pairing codes, per account (or the command line) that typed them.
    limiter: Mutex<WrongCodeLimiter>,
    /// Tablets pairing now: in memory, each present while it says hello (see
    /// `domain::enrolment`). Changed only under `write`, with the grants on disk.
    pairings: Mutex<Pairings>,
    /// Wrong dashboard passwords, by name and address (memory only).
    log_ins: Mutex<crate::domain::accounts::LogInGuard>,
    /// The window of each connected tablet; no entry: not connected (as far as the hub
    /// knows since it started).
    windows: Mutex<HashMap<DeviceId, Window>>,
    /// What each tablet may still send; no entry: a full budget.
    budgets: Mutex<HashMap<DeviceId, Budget>>,
    limits: Limits,
    /// Orders `broker.allow` calls, so the last one always carries the latest list.
    gate_order: tokio::sync::Mutex<()>,
    /// The diary prompts coaches choose from.
    library: crate::domain::diary::Library,
    /// The steady clock's origin (tokio's, so tests can move time forward).
    started: tokio::time::Instant,
    /// Every queue entry up to this sequence number is on disk; later ones may only be
    /// applied. Only these go to tablets (but for chat copies and receipts, see
    /// `Effects::early` and `Effects::receipt_seqs`): a message with an id of its own,
    /// sent before its commit was durable and then lost in a crash, would be made again
    /// under a new id and arrive twice.
    /// Sound because writers take `write` in turn, so sequence numbers rise in the
    /// order transactions apply, and a sync makes everything applied before it durable.
    durable_queue: AtomicU64,
    /// Chat copies applied but not yet durable, per tablet, which may go out before their
    /// commit (see `Effects::early`): kept until it is durable, so that a window that was
    /// full when their batch was applied takes them as soon as it has room, rather than a
    /// commit later (the receive path commits at most every few hundred milliseconds).
    early: Mutex<HashMap<DeviceId, BTreeSet<u64>>>,
}

/// The running hub's operations. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs long reading work (a participant's whole history, say) on a blocking thread, so
/// that the async threads, and the MQTT driver among them, keep going meanwhile.
pub(crate) async fn off_async_threads<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Interrupted(e.to_string()))?
}

impl Hub {
    /// The hub over its parts. Brings an older database up to date first.
    pub fn new(parts: Parts) -> Result<Hub, AppError> {
        let library = crate::domain::diary::Library::parse(crate::domain::diary::BUILT_IN)
            .map_err(AppError::Library)?;
        let mut tx = Tx::new(parts.storage.clone());
        let found = tables::migrate(&mut tx)?;
        let old_pairings = tables::forget_old_pairings(&mut tx)?;
        tx.commit_blocking()?;
        if old_pairings > 0 {
            tracing::info!(
                pairings = old_pairings,
                "pairing records of an older hub forgotten (they could hold a password); those tablets ask again"
            );
        }
        // Whatever the store holds when the hub starts is on disk; new entries come after.
        let durable_queue = AtomicU64::new(parts.storage.next_id()?);
        if found < tables::SCHEMA {
            tracing::info!(
                from = found,
                to = tables::SCHEMA,
                "database brought up to date"
            );
        }
        let l = &parts.config.limits;
        let limits = Limits {
            burst_messages: u64::from(l.burst_messages),
            messages_per_minute: u64::from(l.messages_per_minute),
            burst_bytes: u64::from(l.burst_mb) << 20,
            bytes_per_minute: u64::from(l.mb_per_minute) << 20,
        };
        Ok(Hub {
            inner: Arc::new(Inner {
                log_ins: Mutex::default(),
                limiter: Mutex::new(WrongCodeLimiter::new(
                    parts.config.enrolment.wrong_codes_per_minute,
                )),
                pairings: Mutex::default(),
                parts,
                write: Arc::new(tokio::sync::Mutex::new(())),
                windows: Mutex::new(HashMap::new()),
                budgets: Mutex::new(HashMap::new()),
                limits,
                gate_order: tokio::sync::Mutex::new(()),
                library,
                started: tokio::time::Instant::now(),
                durable_queue,
                early: Mutex::new(HashMap::new()),
            }),
        })
    }

    fn config(&self) -> &HubConfig {
        &self.inner.parts.config
    }

    /// Why the store stopped taking changes, if it did (a failed sync of its log, say):
    /// nothing can be stored until the hub restarts.
    pub fn store_stopped(&self) -> Option<String> {
        self.inner.parts.storage.stopped()
    }

    /// A transaction over the store (read-only unless committed).
    fn tx(&self) -> Tx {
        Tx::new(self.inner.parts.storage.clone())
    }

    /// Milliseconds on a steady clock, for windows and budgets.
    fn steady_ms(&self) -> u64 {
        self.inner.started.elapsed().as_millis() as u64
    }

    async fn publish(&self, topic: Topic, envelope: &Envelope) -> Result<(), OutletClosed> {
        self.inner
            .parts
            .outlet
            .publish(topic, envelope.to_bytes())
            .await
    }

    /// The credentials of every tablet that may connect.
    pub fn allowed_credentials(tx: &Tx) -> Result<Vec<(DeviceId, String)>, StoreError> {
        Ok(tx
            .all(tables::DEVICES)?
            .into_iter()
            .filter(|d| d.state.may_connect())
            .map(|d| (d.id, d.password_hash))
            .collect())
    }

    /// Makes the broker accept exactly the tablets that may connect now.
    async fn sync_credentials(&self) -> Result<(), AppError> {
        // Read under the order lock: whichever call comes last carries the latest list.
        let _order = self.inner.gate_order.lock().await;
        let allowed = Self::allowed_credentials(&self.tx())?;
        self.inner
            .parts
            .gate
            .allow(allowed)
            .await
            .map_err(AppError::Broker)
    }

    /// Carries out what committed transactions made true: the broker's list, the
    /// tablets' queues, then acknowledgements and answers. In that order, whatever one
    /// message of a batch queued goes out before the answer to a later one.
    async fn finish(&self, fx: Effects) {
        self.finish_with(fx, true).await;
    }

    /// Tells what a transaction made true; `durable` says whether it is on disk yet (when
    /// not, only what may go before that goes: see `Effects::must_wait_for_disk`).
    async fn finish_with(&self, fx: Effects, durable: bool) {
        if let Err(e) = self.finish_or_fail(fx, durable).await {
            tracing::warn!(error = %e, "could not pass on everything after a commit; tablets get it on the next resend");
        }
    }

    async fn finish_or_fail(&self, fx: Effects, durable: bool) -> Result<(), AppError> {
        if durable {
            self.inner
                .durable_queue
                .fetch_max(fx.queued_up_to, Ordering::SeqCst);
        }
        if fx.credentials {
            self.sync_credentials().await?;
        }
        let sendable_early: BTreeMap<DeviceId, BTreeSet<u64>> = fx
            .queued
            .iter()
            .chain(fx.acked.keys())
            .map(|device| (device.clone(), fx.sendable_early(device)))
            .collect();
        let mut top_up: BTreeSet<DeviceId> = fx.queued;
        {
            let now = self.steady_ms();
            let mut windows = lock(&self.inner.windows);
            for (device, online) in fx.presence {
                if online {
                    windows.insert(device.clone(), Window::new(now));
                    top_up.insert(device);
                } else {
                    windows.remove(&device);
                }
            }
            top_up.extend(
                delivery::free_room(&mut windows, &fx.acked, now)
                    .into_iter()
                    .cloned(),
            );
        }
        for device in top_up {
            self.top_up_with(&device, sendable_early.get(&device))
                .await?;
        }
        for (device, ids) in fx.acks {
            for chunk in ids.chunks(nabij_protocol::limits::MAX_IDS_PER_MESSAGE) {
                let ack = hub_envelope(Body::Ack(Ack {
                    ids: chunk.to_vec(),
                }))?;
                self.publish(Topic::DeviceDown(device.clone()), &ack)
                    .await?;
            }
        }
        for (topic, envelope) in fx.replies {
            self.publish(topic, &envelope).await?;
        }
        for device in fx.clear_status {
            self.inner
                .parts
                .outlet
                .publish(Topic::DeviceStatus(device), Vec::new())
                .await?;
        }
        Ok(())
    }

    /// The hub lost its broker connection and has it back: every tablet's window starts
    /// again when its retained status comes in (the broker sends them all again).
    pub fn broker_reconnected(&self) {
        lock(&self.inner.windows).clear();
    }

    /// Whether the hub has a window open for this tablet (it is connected).
    fn is_connected(&self, device: &DeviceId) -> bool {
        lock(&self.inner.windows).contains_key(device)
    }

    /// Charges a message against its tablet's budget; `Err(ms)` when over it.
    fn charge(&self, device: &DeviceId, bytes: u64, is_ack: bool) -> Result<(), u64> {
        let now = self.steady_ms();
        let mut budgets = lock(&self.inner.budgets);
        let limits = self.inner.limits;
        budgets
            .entry(device.clone())
            .or_insert_with(|| Budget::new(&limits, now))
            .charge(bytes, is_ack, now)
    }
}
