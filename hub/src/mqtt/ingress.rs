//! Between the broker and the hub's handlers: fair, bounded queues that never make the
//! broker connection wait. The MQTT driver only ever *pushes*, and a push never blocks.
//!
//! - **Two lanes.** A tablet's small messages (texts, calls for help, acks: at most
//!   [`LIGHT_BYTES`], and not photos) go to the *light* lane, handled in batches; photos
//!   and anything larger go to the *heavy* lane, one at a time, decoded and checked
//!   before they take the store's write lock. So a call for help never waits behind a
//!   photo being decoded, only (briefly) behind one being stored.
//! - **Fair.** Both lanes take tablets round-robin, so one tablet resending a month of
//!   photos delays nobody else. A tablet's messages are handled in the order they came:
//!   while one of them is in a lane, its next one waits (`done` frees it).
//! - **Never silent.** When a tablet's queue (or the whole) is full, the message is not
//!   kept, but its id is read ([`nabij_protocol::glance`]) and the tablet is answered
//!   `rejected` / `rate_limited` with a time to wait (the light lane sends these
//!   [`Refusal`]s): it keeps the message and sends it again then (docs/protocol.md §6.6).
//!   Only what cannot be answered is dropped and logged: a payload without a readable id,
//!   a pairing tablet's message (a pairing tablet sends `enrol_hello` again after 10 s),
//!   or a refusal beyond [`MAX_OWED`] waiting to be sent.

use crate::app::Inbound;
use nabij_protocol::{DeviceId, MessageId, Topic};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;

/// The largest tablet message the light lane takes: anything larger (or a photo) is
/// handled in the heavy lane. Room for the longest text, with every character escaped.
pub const LIGHT_BYTES: usize = 16 << 10;

/// Refusals waiting to be sent, at most: beyond this a tablet ignored thousands of
/// "wait" answers, and what it sends more is dropped (and logged).
pub const MAX_OWED: usize = 10_000;

/// How fast the hub is assumed to take a tablet's queue when it tells the tablet how long
/// to wait (a Raspberry Pi class machine storing photos): 1 MiB a second.
const ASSUMED_BYTES_PER_SECOND: u64 = 1 << 20;

/// The shortest and the longest wait a refusal asks for. A kiosk sends again at the
/// latest with its 60-second resend anyway (docs/protocol.md §5).
const WAIT_MS: std::ops::RangeInclusive<u64> = 1_000..=60_000;

/// How much may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages waiting from one sender (a tablet, or a pairing tablet).
    pub per_sender_messages: usize,
    /// Bytes waiting from one sender.
    pub per_sender_bytes: usize,
    /// Messages waiting in all.
    pub total_messages: usize,
    /// Bytes waiting in all.
    pub total_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A sender's bytes bound it long before this for anything but small messages:
            // room for a second of a fast tablet's (or the bench's) small messages.
            per_sender_messages: 256,
            // A kiosk has at most 20 messages on the way at once (kiosk/src/link/mqtt.rs):
            // twenty of the largest fit.
            per_sender_bytes: 32 << 20,
            total_messages: 20_000,
            total_bytes: 128 << 20,
        }
    }
}

/// A tablet's message the hub could not take now: it is answered `rate_limited`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The tablet.
    pub device: DeviceId,
    /// The message.
    pub id: MessageId,
    /// How long it should wait before sending it again.
    pub retry_after_ms: u64,
}

/// What the light lane takes at once.
#[derive(Debug, Default)]
pub struct Batch {
    /// The broker connection was set up again since the last batch: the broker resends
    /// every tablet's retained status, and the hub starts their windows afresh.
    pub reconnected: bool,
    /// The messages, at most one per sender per round.
    pub messages: Vec<Inbound>,
    /// Messages to answer `rate_limited` (they were not kept).
    pub refusals: Vec<Refusal>,
    /// The senders of `messages`: hand them to [`Ingress::done`] once they are handled.
    pub senders: Vec<String>,
}

/// One message for the heavy lane.
#[derive(Debug)]
pub struct Heavy {
    /// The message.
    pub message: Inbound,
    /// Its sender: hand it to [`Ingress::done`] once the message is handled.
    pub sender: String,
}

/// What became of a pushed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued for a lane.
    Queued,
    /// Not kept; its tablet will be answered `rate_limited`.
    Refused,
    /// Not kept and not answered (logged).
    Dropped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Light,
    Heavy,
}

struct Queued {
    message: Inbound,
    lane: Lane,
}

#[derive(Default)]
struct Sender {
    /// A tablet's latest status: a newer one replaces it (statuses are state, not events),
    /// so statuses never pile up; it goes before the sender's other messages.
    status: Option<Inbound>,
    messages: VecDeque<Queued>,
    bytes: usize,
    /// One of its messages is in a lane: the next waits, so that they keep their order.
    busy: bool,
    /// Bytes refused since its queue last had room: each refusal asks to wait a little
    /// longer than the one before, so that resends come back spread out.
    refused_bytes: usize,
}

impl Sender {
    fn pop(&mut self) -> Option<Inbound> {
        let message = match self.status.take() {
            Some(status) => status,
            None => self.messages.pop_front()?.message,
        };
        self.bytes -= message.payload.len();
        Some(message)
    }

    /// The lane of what it would hand out next.
    fn next_lane(&self) -> Option<Lane> {
        if self.status.is_some() {
            return Some(Lane::Light);
        }
        self.messages.front().map(|q| q.lane)
    }

    fn is_empty(&self) -> bool {
        self.status.is_none() && self.messages.is_empty()
    }

    fn len(&self) -> usize {
        self.messages.len() + usize::from(self.status.is_some())
    }
}

#[derive(Default)]
struct State {
    senders: HashMap<String, Sender>,
    /// Senders with something waiting, in turn order.
    turn: VecDeque<String>,
    owed: Vec<Refusal>,
    messages: usize,
    bytes: usize,
    reconnected: bool,
    refused: u64,
    dropped: u64,
    closed: bool,
}

impl State {
    /// Forgets a sender that has nothing waiting and nothing in a lane.
    fn tidy(&mut self, key: &str) {
        if self
            .senders
            .get(key)
            .is_some_and(|s| s.is_empty() && !s.busy)
        {
            self.senders.remove(key);
        }
    }
}

/// The queues. Shared by the MQTT driver (pushes) and the two lanes (take).
pub struct Ingress {
    state: Mutex<State>,
    light_ready: Notify,
    heavy_ready: Notify,
    limits: Limits,
}

/// Who sent a message, from its topic: `dev/{id}` for a tablet (its messages and its
/// status), `enrol/{id}` for a pairing tablet.
fn sender_of(topic: &str) -> (&str, bool) {
    let parts: Vec<&str> = topic.split('/').collect();
    match parts.as_slice() {
        [root, version, kind @ ("dev" | "enrol"), id, last] => {
            let start = root.len() + version.len() + 2;
            let key = &topic[start..start + kind.len() + 1 + id.len()];
            (key, *last == "status")
        }
        _ => ("other", false),
    }
}

/// The lane of a message: a tablet's small message goes light unless a glance says it is
/// a photo or cannot tell what it is (decoding would: the heavy lane does that off the
/// async threads). Everything on other topics is small or refused at once by its size.
fn lane_of(message: &Inbound) -> Lane {
    if !message.topic.ends_with("/up") || !message.topic.contains("/dev/") {
        return Lane::Light;
    }
    if message.payload.len() > LIGHT_BYTES {
        return Lane::Heavy;
    }
    // A decoder refuses a second `kind` member, so the first one is the one that counts:
    // a photo can never pass as a text here.
    match nabij_protocol::glance(&message.payload).kind {
        Some(kind) if kind != "photo" => Lane::Light,
        _ => Lane::Heavy,
    }
}

impl Ingress {
    /// Empty queues with these limits.
    pub fn new(limits: Limits) -> Ingress {
        Ingress {
            state: Mutex::new(State::default()),
            light_ready: Notify::new(),
            heavy_ready: Notify::new(),
            limits,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake(&self, lane: Lane) {
        match lane {
            Lane::Light => self.light_ready.notify_one(),
            Lane::Heavy => self.heavy_ready.notify_one(),
        }
    }

    /// Queues a message, or (when its sender's queue or the whole is full) notes a
    /// refusal for it. Never waits.
    pub fn push(&self, message: Inbound) -> Pushed {
        let size = message.payload.len();
        let lane = lane_of(&message);
        let (sender, is_status) = sender_of(&message.topic);
        let sender = sender.to_owned();
        let mut state = self.state();
        let state = &mut *state;
        if state.closed {
            // The hub is stopping: what it no longer takes, tablets send again after its
            // `hub_status` says `online` (docs/protocol.md §5).
            return Pushed::Dropped;
        }
        let entry = state.senders.entry(sender.clone()).or_default();
        let was_waiting = !entry.is_empty();
        if is_status && let Some(old) = entry.status.take() {
            // Replaces the waiting status: no new turn, the counts shift by the size only.
            entry.bytes = entry.bytes - old.payload.len() + size;
            state.bytes = state.bytes - old.payload.len() + size;
            entry.status = Some(message);
            return Pushed::Queued;
        }
        let full = entry.len() >= self.limits.per_sender_messages
            || entry.bytes + size > self.limits.per_sender_bytes
            || state.messages >= self.limits.total_messages
            || state.bytes + size > self.limits.total_bytes;
        // A status always finds room while the whole has bytes for it: it is small, and
        // a tablet that cannot say it is online gets nothing delivered.
        if full && !(is_status && state.bytes + size <= self.limits.total_bytes) {
            let waiting_bytes = entry.bytes + entry.refused_bytes + size;
            let waiting_messages = entry.len();
            entry.refused_bytes += size;
            let refusal = answerable(&message).map(|(device, id)| Refusal {
                device,
                id,
                retry_after_ms: wait_ms(waiting_bytes, waiting_messages),
            });
            state.tidy(&sender);
            return match refusal {
                Some(refusal) if state.owed.len() < MAX_OWED => {
                    state.refused += 1;
                    if state.refused.is_power_of_two() {
                        tracing::warn!(%sender, refused = state.refused, "the hub is behind; a tablet is asked to send a message again later");
                    }
                    state.owed.push(refusal);
                    self.light_ready.notify_one();
                    Pushed::Refused
                }
                _ => {
                    state.dropped += 1;
                    if state.dropped.is_power_of_two() {
                        tracing::warn!(%sender, dropped = state.dropped, "the hub is behind; a message it cannot answer was dropped");
                    }
                    Pushed::Dropped
                }
            };
        }
        entry.bytes += size;
        let busy = entry.busy;
        if is_status {
            entry.status = Some(message);
        } else {
            entry.messages.push_back(Queued { message, lane });
        }
        let next = entry.next_lane();
        state.messages += 1;
        state.bytes += size;
        if !was_waiting {
            state.turn.push_back(sender);
        }
        if !busy && let Some(next) = next {
            self.wake(next);
        }
        Pushed::Queued
    }

    /// Notes that the broker connection was set up again (before its first message).
    pub fn mark_reconnected(&self) {
        self.state().reconnected = true;
        self.light_ready.notify_one();
    }

    /// How many messages were dropped without an answer so far.
    pub fn dropped(&self) -> u64 {
        self.state().dropped
    }

    /// How many messages were not kept but answered `rate_limited` so far.
    pub fn refused(&self) -> u64 {
        self.state().refused
    }

    /// Whether [`Ingress::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.state().closed
    }

    /// Stops the lanes once what is queued is taken.
    pub fn close(&self) {
        self.state().closed = true;
        self.light_ready.notify_one();
        self.heavy_ready.notify_one();
    }

    /// The senders' messages taken by a lane are handled: their next ones may go.
    pub fn done(&self, senders: &[String]) {
        let mut state = self.state();
        for key in senders {
            let next = match state.senders.get_mut(key) {
                Some(sender) => {
                    sender.busy = false;
                    sender.next_lane()
                }
                None => None,
            };
            state.tidy(key);
            if let Some(next) = next {
                self.wake(next);
            }
        }
    }

    fn take_light(&self, max_messages: usize, max_bytes: usize) -> Option<Batch> {
        let mut state = self.state();
        let state = &mut *state;
        let mut batch = Batch {
            reconnected: std::mem::take(&mut state.reconnected),
            refusals: std::mem::take(&mut state.owed),
            ..Batch::default()
        };
        let mut mine: HashSet<String> = HashSet::new();
        let mut bytes = 0;
        // Round-robin over the senders whose next message is light and who have nothing
        // in a lane (or only in this batch); stop after a whole round found none.
        let mut passed = 0;
        while batch.messages.len() < max_messages
            && (bytes < max_bytes || batch.messages.is_empty())
            && passed < state.turn.len()
        {
            let Some(key) = state.turn.pop_front() else {
                break;
            };
            let Some(sender) = state.senders.get_mut(&key) else {
                continue;
            };
            let free = !sender.busy || mine.contains(&key);
            if !free || sender.next_lane() != Some(Lane::Light) {
                state.turn.push_back(key);
                passed += 1;
                continue;
            }
            passed = 0;
            if let Some(message) = sender.pop() {
                bytes += message.payload.len();
                state.messages -= 1;
                state.bytes -= message.payload.len();
                batch.messages.push(message);
            }
            sender.busy = true;
            if sender.is_empty() {
                sender.refused_bytes = 0;
            } else {
                state.turn.push_back(key.clone());
            }
            if mine.insert(key.clone()) {
                batch.senders.push(key);
            }
        }
        if batch.messages.is_empty() && batch.refusals.is_empty() && !batch.reconnected {
            return None;
        }
        Some(batch)
    }

    fn take_heavy(&self) -> Option<Heavy> {
        let mut state = self.state();
        let state = &mut *state;
        let at = state.turn.iter().position(|key| {
            state
                .senders
                .get(key)
                .is_some_and(|s| !s.busy && s.next_lane() == Some(Lane::Heavy))
        })?;
        let key = state.turn.remove(at)?;
        let sender = state.senders.get_mut(&key)?;
        let message = sender.pop()?;
        sender.busy = true;
        if sender.is_empty() {
            sender.refused_bytes = 0;
        } else {
            // Its turn comes again after everyone else's.
            state.turn.push_back(key.clone());
        }
        state.messages -= 1;
        state.bytes -= message.payload.len();
        Some(Heavy {
            message,
            sender: key,
        })
    }

    /// The light lane's next batch: at most `max_messages`, and about `max_bytes` (one
    /// message always goes, whatever its size), one per sender per round, with every
    /// refusal owed. Waits while there is none; `None` once closed and empty.
    pub async fn next_batch(&self, max_messages: usize, max_bytes: usize) -> Option<Batch> {
        loop {
            let notified = self.light_ready.notified();
            if let Some(batch) = self.take_light(max_messages, max_bytes) {
                return Some(batch);
            }
            if self.finished(Lane::Light) {
                return None;
            }
            notified.await;
        }
    }

    /// The heavy lane's next message. Waits while there is none; `None` once closed and
    /// empty.
    pub async fn next_heavy(&self) -> Option<Heavy> {
        loop {
            let notified = self.heavy_ready.notified();
            if let Some(heavy) = self.take_heavy() {
                return Some(heavy);
            }
            if self.finished(Lane::Heavy) {
                return None;
            }
            notified.await;
        }
    }

    /// Closed, and nothing is left that this lane could take (now or after the other
    /// lane is done with a sender).
    fn finished(&self, lane: Lane) -> bool {
        let state = self.state();
        let has_work = |s: &Sender| {
            (lane == Lane::Light && s.status.is_some()) || s.messages.iter().any(|q| q.lane == lane)
        };
        state.closed
            && !state.senders.values().any(has_work)
            && (lane == Lane::Heavy || state.owed.is_empty())
    }
}

/// The tablet and message id a refusal names, when the message is a tablet's on its `up`
/// topic and names a readable id. (A pairing tablet's messages are not acknowledged; a
/// status is state and always finds room.)
fn answerable(message: &Inbound) -> Option<(DeviceId, MessageId)> {
    match Topic::parse(&message.topic) {
        Ok(Topic::DeviceUp(device)) => {
            let id = nabij_protocol::glance(&message.payload).message_id()?;
            Some((device, id))
        }
        _ => None,
    }
}

/// How long a tablet should wait before sending a refused message again: until what is
/// ahead of it could have been taken.
fn wait_ms(waiting_bytes: usize, waiting_messages: usize) -> u64 {
    let by_bytes = waiting_bytes as u64 * 1_000 / ASSUMED_BYTES_PER_SECOND;
    let by_count = waiting_messages as u64 * 10;
    by_bytes
        .max(by_count)
        .clamp(*WAIT_MS.start(), *WAIT_MS.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(topic: &str, size: usize) -> Inbound {
        Inbound {
            topic: topic.to_owned(),
            payload: vec![b'x'; size],
        }
    }

    /// A tablet's message of this kind, about `size` bytes.
    fn up(device: &str, n: usize, kind: &str, size: usize) -> Inbound {
        let head = format!(
            r#"{{"v":1,"id":"msg-{n:08}","from":"{device}","ts":1,"kind":"{kind}","body":{{"p":""#
        );
        let mut payload = head.into_bytes();
        payload.resize(size.max(payload.len()), b'a');
        payload.extend_from_slice(b"\"}}");
        Inbound {
            topic: format!("nabij/v1/dev/{device}/up"),
            payload,
        }
    }

    fn small() -> Limits {
        Limits {
            per_sender_messages: 3,
            per_sender_bytes: 1_000,
            total_messages: 5,
            total_bytes: 10_000,
        }
    }

    fn topics(messages: &[Inbound]) -> Vec<&str> {
        messages.iter().map(|m| m.topic.as_str()).collect()
    }

    #[test]
    fn senders_are_told_apart_by_topic() {
        assert_eq!(sender_of("nabij/v1/dev/d-1/up"), ("dev/d-1", false));
        assert_eq!(sender_of("nabij/v1/dev/d-1/status"), ("dev/d-1", true));
        assert_eq!(sender_of("nabij/v1/enrol/e-12/up"), ("enrol/e-12", false));
        assert_eq!(sender_of("elsewhere"), ("other", false));
    }

    #[test]
    fn photos_and_large_or_unreadable_messages_take_the_heavy_lane() {
        assert_eq!(lane_of(&up("d-1", 1, "text", 100)), Lane::Light);
        assert_eq!(lane_of(&up("d-1", 1, "help_request", 10)), Lane::Light);
        assert_eq!(
            lane_of(&up("d-1", 1, "photo", 100)),
            Lane::Heavy,
            "a small photo too"
        );
        assert_eq!(
            lane_of(&up("d-1", 1, "voice", LIGHT_BYTES + 1)),
            Lane::Heavy
        );
        assert_eq!(
            lane_of(&msg("nabij/v1/dev/d-1/up", 10)),
            Lane::Heavy,
            "no kind to read"
        );
        assert_eq!(lane_of(&msg("nabij/v1/dev/d-1/status", 10)), Lane::Light);
        assert_eq!(lane_of(&msg("nabij/v1/enrol/e-1/up", 99_999)), Lane::Light);
    }

    #[tokio::test]
    async fn batches_take_one_message_per_sender_per_round() {
        let ingress = Ingress::new(Limits::default());
        for n in 0..3 {
            assert_eq!(ingress.push(up("d-busy", n, "text", 10)), Pushed::Queued);
        }
        assert_eq!(ingress.push(up("d-calm", 9, "text", 10)), Pushed::Queued);
        let batch = ingress.next_batch(2, usize::MAX).await.unwrap();
        assert_eq!(
            topics(&batch.messages),
            ["nabij/v1/dev/d-busy/up", "nabij/v1/dev/d-calm/up"]
        );
        ingress.done(&batch.senders);
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        assert_eq!(batch.messages.len(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_with_a_wait_that_grows_and_answers_only_what_names_an_id() {
        let ingress = Ingress::new(small());
        for n in 0..3 {
            assert_eq!(ingress.push(up("d-busy", n, "text", 10)), Pushed::Queued);
        }
        assert_eq!(
            ingress.push(up("d-busy", 3, "text", 10)),
            Pushed::Refused,
            "its own limit"
        );
        assert_eq!(ingress.push(up("d-busy", 4, "text", 10)), Pushed::Refused);
        assert_eq!(
            ingress.push(up("d-big", 5, "text", 1_001)),
            Pushed::Refused,
            "its bytes"
        );
        assert_eq!(
            ingress.push(msg("nabij/v1/dev/d-big/up", 1_001)),
            Pushed::Dropped,
            "no id to answer"
        );
        assert_eq!(
            ingress.push(msg("nabij/v1/enrol/e-1/up", 1_001)),
            Pushed::Dropped,
            "a pairing tablet is not answered"
        );
        assert_eq!(ingress.push(up("d-calm", 6, "text", 10)), Pushed::Queued);
        assert_eq!(ingress.push(up("d-calm", 7, "text", 10)), Pushed::Queued);
        assert_eq!(
            ingress.push(up("d-late", 8, "text", 10)),
            Pushed::Refused,
            "the total"
        );
        assert_eq!((ingress.refused(), ingress.dropped()), (4, 2));

        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        let refused: Vec<(&str, &str)> = batch
            .refusals
            .iter()
            .map(|r| (r.device.as_str(), r.id.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                ("d-busy", "msg-00000003"),
                ("d-busy", "msg-00000004"),
                ("d-big", "msg-00000005"),
                ("d-late", "msg-00000008")
            ]
        );
        assert!(
            batch
                .refusals
                .iter()
                .all(|r| WAIT_MS.contains(&r.retry_after_ms))
        );
        assert_eq!(batch.messages.len(), 5, "what was queued still goes");
    }

    #[test]
    fn the_wait_covers_what_is_ahead_and_stays_within_a_minute() {
        assert_eq!(wait_ms(100, 1), 1_000);
        assert_eq!(wait_ms(30 << 20, 20), 30_000);
        assert_eq!(wait_ms(200 << 20, 20), 60_000);
        assert_eq!(wait_ms(1_000, 256), 2_560);
    }

    #[tokio::test]
    async fn a_photo_goes_to_the_heavy_lane_and_holds_back_its_senders_next_message() {
        let ingress = Ingress::new(Limits::default());
        ingress.push(up("d-flood", 1, "photo", 50_000));
        ingress.push(up("d-flood", 2, "text", 10));
        ingress.push(up("d-flood", 3, "photo", 50_000));
        ingress.push(up("d-calm", 4, "help_request", 10));
        let heavy = ingress.next_heavy().await.unwrap();
        assert_eq!(heavy.sender, "dev/d-flood");
        // The light lane gets the call for help, not the text behind the photo in hand.
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        assert_eq!(topics(&batch.messages), ["nabij/v1/dev/d-calm/up"]);
        ingress.done(&batch.senders);
        assert!(
            ingress.take_heavy().is_none(),
            "the flood's next waits for its photo"
        );
        ingress.done(&[heavy.sender]);
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        assert_eq!(
            topics(&batch.messages),
            ["nabij/v1/dev/d-flood/up"],
            "then the text"
        );
        assert!(ingress.take_heavy().is_none(), "still in hand");
        ingress.done(&batch.senders);
        let heavy = ingress.next_heavy().await.unwrap();
        assert!(
            heavy
                .message
                .payload
                .starts_with(br#"{"v":1,"id":"msg-00000003""#)
        );
    }

    #[tokio::test]
    async fn the_heavy_lane_takes_tablets_in_turn() {
        let ingress = Ingress::new(Limits::default());
        for n in 0..3 {
            ingress.push(up("d-a", n, "photo", 20_000));
        }
        ingress.push(up("d-b", 9, "photo", 20_000));
        let first = ingress.next_heavy().await.unwrap();
        ingress.done(std::slice::from_ref(&first.sender));
        let second = ingress.next_heavy().await.unwrap();
        assert_eq!(
            (first.sender.as_str(), second.sender.as_str()),
            ("dev/d-a", "dev/d-b")
        );
    }

    #[tokio::test]
    async fn a_newer_status_replaces_a_waiting_one_and_goes_first() {
        let ingress = Ingress::new(small());
        ingress.push(up("d-1", 1, "text", 10));
        ingress.push(msg("nabij/v1/dev/d-1/status", 1));
        ingress.push(msg("nabij/v1/dev/d-1/status", 2));
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        let got: Vec<(&str, usize)> = batch
            .messages
            .iter()
            .map(|m| (m.topic.as_str(), m.payload.len()))
            .collect();
        assert_eq!(got[0], ("nabij/v1/dev/d-1/status", 2));
        assert_eq!(got[1].0, "nabij/v1/dev/d-1/up");
    }

    #[tokio::test]
    async fn a_reconnect_is_told_with_the_next_batch_and_close_ends_both_lanes() {
        let ingress = std::sync::Arc::new(Ingress::new(Limits::default()));
        ingress.mark_reconnected();
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        assert!(batch.reconnected && batch.messages.is_empty());
        let waiting = {
            let ingress = ingress.clone();
            tokio::spawn(async move {
                let batch = ingress.next_batch(10, usize::MAX).await?;
                ingress.done(&batch.senders);
                Some(batch.messages.len())
            })
        };
        tokio::task::yield_now().await;
        ingress.push(up("d-1", 1, "text", 1));
        assert_eq!(waiting.await.unwrap(), Some(1), "a waiting lane wakes up");
        ingress.push(up("d-1", 2, "text", 1));
        ingress.push(up("d-1", 3, "photo", 1));
        ingress.close();
        assert_eq!(
            ingress.push(up("d-2", 4, "text", 1)),
            Pushed::Dropped,
            "closed: nothing new"
        );
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        assert_eq!(batch.messages.len(), 1, "what was queued is still handled");
        ingress.done(&batch.senders);
        assert!(ingress.next_batch(10, usize::MAX).await.is_none());
        let heavy = ingress.next_heavy().await.unwrap();
        ingress.done(&[heavy.sender]);
        assert!(ingress.next_heavy().await.is_none());
    }

    #[tokio::test]
    async fn bytes_bound_a_batch_but_one_message_always_goes() {
        let ingress = Ingress::new(Limits::default());
        for n in 0..4 {
            ingress.push(up(&format!("d-{n}"), n, "text", 1_000));
        }
        let batch = ingress.next_batch(10, 1_500).await.unwrap();
        assert_eq!(batch.messages.len(), 2);
        ingress.done(&batch.senders);
        assert_eq!(ingress.next_batch(10, 10).await.unwrap().messages.len(), 1);
    }
}
