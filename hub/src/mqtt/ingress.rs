//! Between the broker and the hub's handler: fair, bounded queues that never make the
//! broker connection wait. The MQTT driver only ever *pushes* (and never blocks); when a
//! tablet's queue or the whole is full, the message is dropped and logged: it was not
//! acknowledged, so its tablet sends it again (docs/protocol.md §5). The handler takes
//! batches round-robin across tablets, so one tablet resending a month of photos delays
//! nobody else's call for help.

use crate::app::Inbound;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Notify;

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
            per_sender_bytes: 16 << 20,
            total_messages: 20_000,
            total_bytes: 128 << 20,
        }
    }
}

/// What the handler takes at once.
#[derive(Debug, Default)]
pub struct Batch {
    /// The broker connection was set up again since the last batch: the broker resends
    /// every tablet's retained status, and the hub starts their windows afresh.
    pub reconnected: bool,
    /// The messages, at most one per sender per round.
    pub messages: Vec<Inbound>,
}

#[derive(Default)]
struct Sender {
    /// A tablet's latest status: a newer one replaces it (statuses are state, not events),
    /// so statuses never pile up; it goes before the sender's other messages.
    status: Option<Inbound>,
    messages: VecDeque<Inbound>,
    bytes: usize,
}

impl Sender {
    fn pop(&mut self) -> Option<Inbound> {
        let item = self.status.take().or_else(|| self.messages.pop_front())?;
        self.bytes -= item.payload.len();
        Some(item)
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
    messages: usize,
    bytes: usize,
    reconnected: bool,
    dropped: u64,
    closed: bool,
}

/// The queues. Shared by the MQTT driver (pushes) and the handler (takes batches).
pub struct Ingress {
    state: Mutex<State>,
    ready: Notify,
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

impl Ingress {
    /// Empty queues with these limits.
    pub fn new(limits: Limits) -> Ingress {
        Ingress {
            state: Mutex::new(State::default()),
            ready: Notify::new(),
            limits,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a message; false when it was dropped (its sender's queue or the whole is
    /// full). Never waits.
    pub fn push(&self, inbound: Inbound) -> bool {
        let size = inbound.payload.len();
        let (sender, is_status) = sender_of(&inbound.topic);
        let sender = sender.to_owned();
        let mut state = self.state();
        let state = &mut *state;
        if state.closed {
            // The hub is stopping: what it no longer takes, tablets send again.
            return false;
        }
        let entry = state.senders.entry(sender.clone()).or_default();
        let was_empty = entry.is_empty();
        if is_status && let Some(old) = entry.status.take() {
            // Replaces the waiting status: no new turn, the counts shift by the size only.
            entry.bytes = entry.bytes - old.payload.len() + size;
            state.bytes = state.bytes - old.payload.len() + size;
            entry.status = Some(inbound);
            return true;
        }
        let full = entry.len() >= self.limits.per_sender_messages
            || entry.bytes + size > self.limits.per_sender_bytes
            || state.messages >= self.limits.total_messages
            || state.bytes + size > self.limits.total_bytes;
        if full
            && !(is_status
                && entry.status.is_none()
                && state.bytes + size <= self.limits.total_bytes)
        {
            state.dropped += 1;
            if state.dropped.is_power_of_two() {
                tracing::warn!(%sender, dropped = state.dropped, "the hub is behind; a message was dropped (its tablet sends it again)");
            }
            if was_empty {
                state.senders.remove(&sender);
            }
            return false;
        }
        entry.bytes += size;
        if is_status {
            entry.status = Some(inbound);
        } else {
            entry.messages.push_back(inbound);
        }
        state.messages += 1;
        state.bytes += size;
        if was_empty {
            state.turn.push_back(sender);
            self.ready.notify_one();
        }
        true
    }

    /// Notes that the broker connection was set up again (before its first message).
    pub fn mark_reconnected(&self) {
        self.state().reconnected = true;
        self.ready.notify_one();
    }

    /// How many messages were dropped so far.
    pub fn dropped(&self) -> u64 {
        self.state().dropped
    }

    /// Whether [`Ingress::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.state().closed
    }

    /// Stops the handler once what is queued is taken.
    pub fn close(&self) {
        self.state().closed = true;
        self.ready.notify_one();
    }

    fn take(&self, max_messages: usize, max_bytes: usize) -> Option<Batch> {
        let mut state = self.state();
        let state = &mut *state;
        if state.turn.is_empty() && !state.reconnected {
            return None;
        }
        let mut batch = Batch {
            reconnected: std::mem::take(&mut state.reconnected),
            messages: Vec::new(),
        };
        let mut bytes = 0;
        while batch.messages.len() < max_messages
            && (bytes < max_bytes || batch.messages.is_empty())
        {
            let Some(sender) = state.turn.pop_front() else {
                break;
            };
            let Some(queue) = state.senders.get_mut(&sender) else {
                continue;
            };
            if let Some(item) = queue.pop() {
                bytes += item.payload.len();
                state.messages -= 1;
                state.bytes -= item.payload.len();
                batch.messages.push(item);
            }
            if queue.is_empty() {
                state.senders.remove(&sender);
            } else {
                state.turn.push_back(sender);
            }
        }
        Some(batch)
    }

    /// The next batch: at most `max_messages`, and about `max_bytes` (one message always
    /// goes, whatever its size), one per sender per round. Waits while there is none;
    /// `None` once closed and empty.
    pub async fn next_batch(&self, max_messages: usize, max_bytes: usize) -> Option<Batch> {
        loop {
            let notified = self.ready.notified();
            if let Some(batch) = self.take(max_messages, max_bytes) {
                // Others may be waiting too (there is one handler today; be ready for more).
                if !self.state().turn.is_empty() {
                    self.ready.notify_one();
                }
                return Some(batch);
            }
            if self.state().closed {
                return None;
            }
            notified.await;
        }
    }
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

    fn small() -> Limits {
        Limits {
            per_sender_messages: 3,
            per_sender_bytes: 1_000,
            total_messages: 5,
            total_bytes: 10_000,
        }
    }

    #[test]
    fn senders_are_told_apart_by_topic() {
        assert_eq!(sender_of("nabij/v1/dev/d-1/up"), ("dev/d-1", false));
        assert_eq!(sender_of("nabij/v1/dev/d-1/status"), ("dev/d-1", true));
        assert_eq!(sender_of("nabij/v1/enrol/e-12/up"), ("enrol/e-12", false));
        assert_eq!(sender_of("elsewhere"), ("other", false));
    }

    #[tokio::test]
    async fn batches_take_one_message_per_sender_per_round() {
        let ingress = Ingress::new(Limits::default());
        for _ in 0..3 {
            assert!(ingress.push(msg("nabij/v1/dev/d-busy/up", 10)));
        }
        assert!(ingress.push(msg("nabij/v1/dev/d-calm/up", 10)));
        let batch = ingress.next_batch(2, usize::MAX).await.unwrap();
        let topics: Vec<&str> = batch.messages.iter().map(|m| m.topic.as_str()).collect();
        assert_eq!(topics, ["nabij/v1/dev/d-busy/up", "nabij/v1/dev/d-calm/up"]);
        assert_eq!(
            ingress
                .next_batch(10, usize::MAX)
                .await
                .unwrap()
                .messages
                .len(),
            2
        );
    }

    #[tokio::test]
    async fn a_full_sender_is_dropped_without_blocking_others() {
        let ingress = Ingress::new(small());
        for _ in 0..3 {
            assert!(ingress.push(msg("nabij/v1/dev/d-busy/up", 10)));
        }
        assert!(
            !ingress.push(msg("nabij/v1/dev/d-busy/up", 10)),
            "its own limit"
        );
        assert!(
            !ingress.push(msg("nabij/v1/dev/d-big/up", 1_001)),
            "its bytes"
        );
        assert!(ingress.push(msg("nabij/v1/dev/d-calm/up", 10)));
        assert!(ingress.push(msg("nabij/v1/dev/d-calm/up", 10)));
        assert!(
            !ingress.push(msg("nabij/v1/dev/d-late/up", 10)),
            "the total"
        );
        assert_eq!(ingress.dropped(), 3);
    }

    #[tokio::test]
    async fn a_newer_status_replaces_a_waiting_one_and_goes_first() {
        let ingress = Ingress::new(small());
        assert!(ingress.push(msg("nabij/v1/dev/d-1/up", 10)));
        assert!(ingress.push(msg("nabij/v1/dev/d-1/status", 1)));
        assert!(ingress.push(msg("nabij/v1/dev/d-1/status", 2)));
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        let got: Vec<(String, usize)> = batch
            .messages
            .into_iter()
            .map(|m| (m.topic, m.payload.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("nabij/v1/dev/d-1/status".to_owned(), 2),
                ("nabij/v1/dev/d-1/up".to_owned(), 10)
            ]
        );
    }

    #[tokio::test]
    async fn a_reconnect_is_told_with_the_next_batch_and_close_ends_the_handler() {
        let ingress = std::sync::Arc::new(Ingress::new(Limits::default()));
        ingress.mark_reconnected();
        let batch = ingress.next_batch(10, usize::MAX).await.unwrap();
        assert!(batch.reconnected && batch.messages.is_empty());
        let waiting = {
            let ingress = ingress.clone();
            tokio::spawn(async move {
                ingress
                    .next_batch(10, usize::MAX)
                    .await
                    .map(|b| b.messages.len())
            })
        };
        tokio::task::yield_now().await;
        ingress.push(msg("nabij/v1/dev/d-1/up", 1));
        assert_eq!(
            waiting.await.unwrap(),
            Some(1),
            "a waiting handler wakes up"
        );
        ingress.push(msg("nabij/v1/dev/d-1/up", 1));
        ingress.close();
        assert!(
            !ingress.push(msg("nabij/v1/dev/d-2/up", 1)),
            "closed: nothing new"
        );
        assert_eq!(
            ingress
                .next_batch(10, usize::MAX)
                .await
                .map(|b| b.messages.len()),
            Some(1),
            "what was queued is still handled"
        );
        assert!(ingress.next_batch(10, usize::MAX).await.is_none());
    }

    #[tokio::test]
    async fn bytes_bound_a_batch_but_one_message_always_goes() {
        let ingress = Ingress::new(Limits::default());
        for n in 0..4 {
            ingress.push(msg(&format!("nabij/v1/dev/d-{n}/up"), 1_000));
        }
        assert_eq!(
            ingress.next_batch(10, 1_500).await.unwrap().messages.len(),
            2
        );
        assert_eq!(ingress.next_batch(10, 10).await.unwrap().messages.len(), 1);
    }
}
